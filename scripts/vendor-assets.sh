#!/usr/bin/env bash
# Re-fetch the vendored Leaflet assets from the npm registry (see geo_service/static/vendor/VENDOR.md).
set -euo pipefail
dest="$(cd "$(dirname "$0")/.." && pwd)/geo_service/static/vendor"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cd "$work"
npm pack --silent leaflet@1.9.4 leaflet-groupedlayercontrol@0.6.1 leaflet-textpath@1.2.3 \
    leaflet-draw@1.0.4 proj4@2.22.0 geographiclib-geodesic@2.2.0 >/dev/null
for f in *.tgz; do mkdir -p "${f%.tgz}" && tar xzf "$f" -C "${f%.tgz}"; done
mkdir -p "$dest/leaflet" "$dest/leaflet-groupedlayercontrol" "$dest/leaflet-textpath"
cp -r leaflet-1.9.4/package/dist/{leaflet.js,leaflet.css,images} leaflet-1.9.4/package/LICENSE "$dest/leaflet/"
cp leaflet-groupedlayercontrol-0.6.1/package/dist/leaflet.groupedlayercontrol.min.{js,css} \
   leaflet-groupedlayercontrol-0.6.1/package/LICENSE.txt "$dest/leaflet-groupedlayercontrol/"
cp leaflet-textpath-1.2.3/package/{leaflet.textpath.js,LICENSE} "$dest/leaflet-textpath/"
mkdir -p "$dest/leaflet-draw"
cp -r leaflet-draw-1.0.4/package/dist/{leaflet.draw.js,leaflet.draw.css,images} "$dest/leaflet-draw/"
# leaflet-draw ships no licence file: keep the committed leaflet-draw/LICENSE (MIT, see its note).
# the map page's tools (search by coordinates, cursor readout, measuring)
mkdir -p "$dest/proj4" "$dest/geographiclib-geodesic"
cp proj4-2.22.0/package/dist/proj4.js proj4-2.22.0/package/LICENSE.md "$dest/proj4/"
cp geographiclib-geodesic-2.2.0/package/{geographiclib-geodesic.min.js,LICENSE.txt} \
   "$dest/geographiclib-geodesic/"
# the vector tile renderer of big layers; its bundle's licences are collected in the committed
# leaflet-vectorgrid/LICENSE (the npm package ships none)
npm pack --silent leaflet.vectorgrid@1.3.0 >/dev/null
mkdir -p leaflet.vectorgrid-1.3.0 "$dest/leaflet-vectorgrid"
tar xzf leaflet.vectorgrid-1.3.0.tgz -C leaflet.vectorgrid-1.3.0
cp leaflet.vectorgrid-1.3.0/package/dist/Leaflet.VectorGrid.bundled.min.js "$dest/leaflet-vectorgrid/"
echo "vendored into $dest"
