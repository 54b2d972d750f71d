"""Messages: the plan analyses (coverage, reach, enclaves, targets) and imported figures.

Key -> (Chinese, English) templates; see geo_service.messages. The notes are shown by the
analysis page after a label and before a full stop of its own, so they end without one.
"""

MESSAGES: dict[str, tuple[str, str]] = {
    # Importing actual figures (CSV/XLSX).
    "actuals.unreadable_xlsx": (
        "{file}：无法读取该 XLSX 工作簿，请用 Excel 重新保存后再上传。",
        "{file}: not a readable XLSX workbook; save it again in Excel and upload it.",
    ),
    "actuals.not_table": (
        "{file} 不是 CSV 或 XLSX 文件：请以 CSV 或 XLSX 上传实际数据（格式见模板）。",
        "{file} is neither CSV nor XLSX: upload the figures as CSV or XLSX (see the template).",
    ),
    "actuals.empty": (
        "{file} 是空的：请按模板填写实际数据后再上传。",
        "{file} is empty: fill in the template and upload it.",
    ),
    "actuals.missing_columns": (
        "{file}：第 1 行缺少列 {columns}；请下载模板对照格式。",
        "{file}: line 1 lacks the column(s) {columns}; download the template for the layout.",
    ),
    "actuals.columns_missing": ("缺少列 {columns}", "missing column(s) {columns}"),
    "actuals.use_template": (
        "请使用模板的表头：年份、类型、编号、指标、数值",
        "use the template's header: 年份, 类型, 编号, 指标, 数值",
    ),
    "actuals.year_range": (
        "年份 {year} 不在 2015–2035 之间",
        "the year {year} is outside 2015-2035",
    ),
    "actuals.not_a_year": ("年份“{value}”不是年份", "'{value}' in 年份 is not a year"),
    "actuals.bad_subject": (
        "类型“{value}”无法识别：请填 集中区（zone）或 集群（cluster）",
        "类型 '{value}' is not known: write 集中区 (zone) or 集群 (cluster)",
    ),
    "actuals.unknown_id": (
        "地图上没有编号为“{id}”的{subject}",
        "no {subject} with the id '{id}' on the map",
    ),
    "actuals.subject_zone": ("集中区", "zone"),
    "actuals.subject_cluster": ("集群", "cluster"),
    "actuals.unknown_indicator": (
        "指标“{value}”不是 {choices} 之一",
        "the indicator '{value}' is not one of {choices}",
    ),
    "actuals.negative": (
        "数值“{value}”必须是不小于 0 的数",
        "the value '{value}' must be a number ≥ 0",
    ),
    "actuals.not_a_number": ("数值“{value}”不是数字", "the value '{value}' is not a number"),
    "actuals.repeated": (
        "与第 {line} 行重复（年份、类型、编号、指标都相同）",
        "repeats line {line} (same year, subject, id and indicator)",
    ),
    "actuals.problems": (
        "{file}：共 {count} 处问题，未导入任何数据；第一处：{first}",
        "{file}: {count} problem(s), nothing was imported; the first: {first}",
    ),
    "actuals.no_figures": (
        "{file} 中没有数据：所有“数值”都为空。",
        "{file} holds no figures: every 数值 (value) is empty.",
    ),
    # Logistics reach.
    "reach.bad_bands": (
        "bands={bands}：请写公里数，用逗号分隔，如 10,30,60。",
        "bands={bands}: give kilometres separated by commas, e.g. 10,30,60.",
    ),
    "reach.bands_range": (
        "bands 须为 1 至 6 个 0–300 公里之间的距离，如 10,30,60。",
        "bands must be 1 to 6 distances between 0 and 300 km, e.g. 10,30,60.",
    ),
    "reach.method": (
        "在 EPSG:4545（CGCS2000 高斯-克吕格 3 度带，中央经线 108°）上量取直线距离：园区取其边界、"
        "基地取其点位，到最近的物流节点（一心或多点）",
        "straight-line distances on EPSG:4545 (CGCS2000 3-degree Gauss-Kruger, central "
        "meridian 108°) from each zone's edge or base's point to the nearest logistics node "
        "(一心 or 多点)",
    ),
    "reach.interpretation": (
        "一心、多点的具体位置是本服务对 71号 三（一）的解读（规划未点名地点）；园区位置为示意",
        "the places of 一心 and 多点 are geo_service's reading of 71号 三（一） (the plan names "
        "no places); zone positions are schematic",
    ),
    "reach.note": (
        "位置未知的县域园区和基地放在县城，县级配送中心（多点）也在县城，"
        "因此它们到最近节点的距离必然为 0，有参考意义的是到一心的距离",
        "zones and bases without a known place sit at their county seat, like the county's "
        "多点 node, so their distance to the nearest node is 0: the distance to the 一心 hub "
        "is the informative one",
    ),
    # Cluster coverage.
    "coverage.note": (
        "县区承载某集群，指规划为该集群点名了该县区，或点名了县区内的园区或新材料基地（71号、72号）",
        "a county hosts a cluster when the plans (71号, 72号) name the county, or a zone or "
        "new-materials base in it, for that cluster",
    ),
    # Enclave links.
    "enclaves.ends_in_park": (
        "{origin} → {park}：联系线的终点不在园区范围内",
        "{origin} → {park}: the link does not end inside the park",
    ),
    "enclaves.park_is_enclave_park": (
        "{origin} → {park}：承接园区不是飞地园区",
        "{origin} → {park}: the host park is not an enclave park",
    ),
    "enclaves.starts_in_origin_county": (
        "{origin} → {park}：联系线的起点不在{origin}境内",
        "{origin} → {park}: the link does not start in {origin}",
    ),
    "enclaves.park_outside_origin_county": (
        "{origin} → {park}：园区位于来源县区境内，谈不上“在飞地加工”",
        "{origin} → {park}: the park lies inside the origin county, so nothing is processed "
        "in an enclave",
    ),
    "enclaves.county_without_link": (
        "{county}：公开资料称其建设飞地园区，但地图上没有它的飞地联系",
        "{county}: public material names it as building an enclave park, but the map has no "
        "link from it",
    ),
    "enclaves.named_source": (
        "公开资料（2013 年以来），摘要见 docs/domain.md 第 6 节",
        "public material (since 2013), summarised in docs/domain.md §6",
    ),
    "enclaves.note": (
        "飞地联系为示意：从来源县城到园区的直线箭头；园区位置为估计（见其来源）",
        "the links are schematic straight arrows from the origin county's seat to the park; "
        "park positions are estimates (see their sources)",
    ),
    # Targets and progress.
    "targets.sample_label": (
        "样例数据（虚构，仅供演示，不是实际统计）",
        "sample figures (made up for demonstration, not real statistics)",
    ),
    "targets.note": (
        "集中区合计只加总有数据的集中区；72号未列出 19 个重点集中区的名单，"
        "因此合计覆盖的集中区可能少于目标所指",
        "zone totals add the zones that have figures; 72号 does not list its 19 key zones, so "
        "a total may cover fewer zones than the target means",
    ),
    "targets.zones_met": ("个集中区达标", "zones meet it"),
}
