"""Read one collection with QGIS's OAPIF provider and print what QGIS got, as JSON.

Run by Debian's system Python (``/usr/bin/python3``, where ``python3-qgis`` lives), headless::

    QT_QPA_PLATFORM=offscreen /usr/bin/python3 tests/qgis_reader.py URL COLLECTION [SRS] [SUBSET]

Prints ``{"valid", "crs", "features": [{"id", "properties", "wkt"}]}``; the layer's features
in the layer's own CRS (QGIS's choice, which may differ from SRS).
"""

from __future__ import annotations

import json
import os
import sys


def main(url: str, collection: str, srs: str = "", subset: str = "") -> dict:
    from qgis.core import QgsApplication, QgsVectorLayer

    app = QgsApplication([], False)
    app.initQgis()
    uri = f"url='{url}/' typename='{collection}'"
    if srs:
        uri += f" srsname='{srs}'"
    layer = QgsVectorLayer(uri, collection, "OAPIF")
    result = {"valid": layer.isValid(), "crs": layer.crs().authid(), "features": []}
    if not layer.isValid():
        return result
    if subset:
        result["subset_accepted"] = layer.setSubsetString(subset)
    names = layer.fields().names()
    for feature in layer.getFeatures():
        values = dict(zip(names, feature.attributes()))
        result["features"].append(
            {
                "id": values.get("id"),
                "properties": {k: str(v) for k, v in values.items()},
                "wkt": feature.geometry().asWkt(9),
            }
        )
    return result


if __name__ == "__main__":
    print(json.dumps(main(*sys.argv[1:]), ensure_ascii=False), flush=True)
    # QgsApplication.exitQgis() with the provider's threads still about crashes QGIS 3.22;
    # the answer is printed, so leave without Qt's teardown
    os._exit(0)
