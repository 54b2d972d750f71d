"""The download of a layer served from the store: GeoJSON written batch by batch from the
database (bounded memory for 10^6 features), one feature per line as the other downloads.

Only GeoJSON in WGS 84: a GeoPackage or Shapefile of a big layer would be built whole in
memory by GDAL here; GIS software can read the layer page by page over OGC API - Features.
No web code here.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

from geo_service import formats
from geo_service.catalog import Layer
from geo_service.errors import BadRequest
from geo_service.query import crs as part2


def geojson_stream(layer: Layer, asked: str | None, crs: str | None) -> tuple[Iterator[bytes], str]:
    """(the chunks of the GeoJSON file, its ASCII file name); 400 for another format or a
    ``crs`` other than CRS84 (f absent: GeoJSON)."""
    offered = formats.layer_downloads(in_store=True)  # what the links offer (one registry)
    chosen = offered.get(asked or formats.default_layer_download(in_store=True))
    if chosen is None:
        raise BadRequest(
            "big.download_format",
            collection=layer.id,
            count=layer.count,
            asked=asked[:40],
            offered=" / ".join(f.title() for f in offered.values()),
            keys=", ".join(f"f={key}" for key in offered),
        )
    assert chosen.key == "geojson", chosen  # the only format written here
    if crs is not None and not part2.parse_crs(crs).is_crs84:
        raise BadRequest("big.download_crs", collection=layer.id)
    return _chunks(layer), f"{layer.id}.geojson"


def _chunks(layer: Layer) -> Iterator[bytes]:
    head = {"type": "FeatureCollection", "name": layer.id}
    yield (
        json.dumps(head, ensure_ascii=False, separators=(",", ":"))[:-1] + ',"features":[\n'
    ).encode()
    first = True
    for batch in layer.provider.batches():
        lines = [json.dumps(f, ensure_ascii=False, separators=(",", ":")) for f in batch]
        text = ",\n".join(lines)
        yield (text if first else ",\n" + text).encode("utf-8")
        first = False
    yield b"\n]}\n"
