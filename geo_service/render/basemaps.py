"""Optional online basemaps (config ``BASEMAPS``) as base choices of the map's layer control.

Each basemap offers one or more choices; a choice is one ``L.featureGroup`` holding its tile
layers, so a base and the annotation drawn for it (天地图 矢量 + 注记, 影像 + 注记) are switched on
and off together. The choices sit in the exclusive group 底图 with 不用在线底图 first: the page
loads no tile until someone picks one. The CSP admits a basemap's host only when configured
(``web/security.py`` reads :func:`tile_templates`).

天地图's WMTS in Web Mercator (``TILEMATRIXSET=w``) per its published URL pattern:
``https://t{0-7}.tianditu.gov.cn/{layer}_w/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0
&LAYER={layer}&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles&TILEMATRIX={z}&TILEROW={y}
&TILECOL={x}&tk=<key>`` with ``vec``/``cva`` (矢量底图/矢量注记) and ``img``/``cia``
(影像底图/影像注记).
"""

from __future__ import annotations

from html import escape
from urllib.parse import quote

import folium

TIANDITU = (
    "https://t{s}.tianditu.gov.cn/{layer}_w/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0"
    "&LAYER={layer}&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles&TILEMATRIX={z}&TILEROW={y}"
    "&TILECOL={x}&tk={key}"
)
TIANDITU_ATTRIBUTION = "© 天地图 / 国家地理信息公共服务平台"

BASEMAPS = {
    "tianditu": {
        "choices": {
            "tianditu-vec": {
                "name": "天地图·矢量（含注记）",
                "tiles": [TIANDITU.replace("{layer}", "vec"), TIANDITU.replace("{layer}", "cva")],
            },
            "tianditu-img": {
                "name": "天地图·影像（含注记）",
                "tiles": [TIANDITU.replace("{layer}", "img"), TIANDITU.replace("{layer}", "cia")],
            },
        },
        "attr": TIANDITU_ATTRIBUTION,
        "subdomains": "01234567",
        "gcj02": False,
    },
    "osm": {
        "choices": {
            "osm": {
                "name": "OpenStreetMap",
                "tiles": ["https://tile.openstreetmap.org/{z}/{x}/{y}.png"],
            }
        },
        "attr": "© OpenStreetMap contributors",
        "subdomains": "abc",
        "gcj02": False,
    },
    "gaode": {
        "choices": {
            "gaode": {
                "name": "高德地图（GCJ-02，叠加图层随之偏移）",
                "tiles": [
                    "https://webrd0{s}.is.autonavi.com/appmaptile?lang=zh_cn&size=1&scale=1"
                    "&style=8&x={x}&y={y}&z={z}"
                ],
            }
        },
        "attr": "© 高德地图 AutoNavi",
        "subdomains": "1234",
        "gcj02": True,
    },
}
#: The first base choice: no online basemap (the offline reference layer still shows).
NO_BASEMAP = "不用在线底图（离线）"


def tile_templates(key: str) -> list[str]:
    """Every tile URL template of basemap ``key`` (for the CSP's img-src)."""
    return [url for choice in BASEMAPS[key]["choices"].values() for url in choice["tiles"]]


def tile_url(template: str, config) -> str:
    """A tile template with the 天地图 key put in, percent-encoded: whatever the key holds
    (quotes, ``</script>``, Leaflet's ``{placeholders}``) it stays one query value."""
    return template.replace("{key}", quote(str(config["TIANDITU_KEY"]), safe=""))


def attribution(key: str, config) -> str:
    """The credit line; Leaflet shows it as HTML, so the configured 审图号 is escaped."""
    text = BASEMAPS[key]["attr"]
    approval = str(config.get("TIANDITU_MAP_APPROVAL") or "").strip()[:80]
    if key == "tianditu" and approval:
        text += f" · 审图号：{escape(approval)}"
    return text


def add_basemaps(fmap: folium.Map, config) -> tuple[list[folium.FeatureGroup], dict]:
    """The base choices (none first) added to ``fmap``, and what map.js needs of each."""
    if not config["BASEMAPS"]:
        return [], {}
    none = folium.FeatureGroup(name=NO_BASEMAP, show=True)
    none.add_to(fmap)
    groups, page_vars = [none], {}
    for key in config["BASEMAPS"]:
        spec = BASEMAPS[key]
        for choice_id, choice in spec["choices"].items():
            group = folium.FeatureGroup(name=choice["name"], show=False)
            for z_index, template in enumerate(choice["tiles"], start=1):
                folium.TileLayer(
                    tiles=tile_url(template, config),
                    attr=attribution(key, config),
                    subdomains=spec["subdomains"],
                    max_zoom=18,
                    z_index=z_index,  # the annotation (注记) above its base
                ).add_to(group)
            group.add_to(fmap)
            groups.append(group)
            page_vars[choice_id] = {
                "var": group.get_name(),
                "gcj02": spec["gcj02"],
                "name": choice["name"],
                "tiles": len(choice["tiles"]),
            }
    return groups, page_vars
