"""Messages: reading parcel and zone files, land checks and their exports.

Key -> (Chinese, English) templates; see geo_service.messages. Grouped by what they are about:
where a problem is, file formats (zip, Shapefile, GeoPackage, KML/XML, GeoJSON, CSV/WKT,
界址点 txt), geometry and coordinates, caps, the check and its notes, jobs and the register.
"""

#: The data files a zip may hold, as the messages list them.
ZIP_DATA = ".shp、.gpkg、.kml、.geojson、.csv、.txt"
ZIP_DATA_EN = ".shp, .gpkg, .kml, .geojson, .csv, .txt"

MESSAGES: dict[str, tuple[str, str]] = {
    # ---- where a problem is (besides where.file/line/feature in common.py) -------------------
    "where.feature_parcel": ("第 {feature} 个要素（{parcel}）", "feature {feature} ({parcel})"),
    "where.line_parcel": ("第 {line} 行（{parcel}）", "line {line} ({parcel})"),
    "where.placemark": ("第 {number} 个 Placemark（{name}）", "Placemark {number} ({name})"),
    "where.ring": ("{where}的第 {ring} 个环", "{where}, ring {ring}"),
    "where.member_line": ("{member} 第 {line} 行", "{member}, line {line}"),
    "where.parameter": ("参数 {name}", "the parameter {name}"),
    "where.crs_member": ("crs 成员", "the crs member"),
    "where.features_member": ("features 成员", "the features member"),
    "where.jzd_header": ("[属性描述] 节", "the [属性描述] section"),
    # ---- formats ------------------------------------------------------------------------------
    "format.unknown": (
        "{file}：无法识别的文件格式。可接受的格式：{formats}",
        "{file}: not a format geo_service reads. Accepted: {formats}",
    ),
    "format.accepted": (
        "GeoJSON、Shapefile 压缩包（.zip，含 .shp、.shx、.dbf、.prj）、GeoPackage（.gpkg）、"
        "KML/KMZ、含 WKT 几何列的 CSV、界址点坐标 txt",
        "GeoJSON, a zipped Shapefile (.zip with .shp, .shx, .dbf, .prj), GeoPackage (.gpkg), "
        "KML/KMZ, CSV with a WKT column, 界址点 coordinate txt",
    ),
    "text.not_utf8_gbk": (
        "文本编码无法识别（应为 UTF-8 或 GBK）",
        "the text is neither UTF-8 nor GBK",
    ),
    "text.encoding": ("文件编码：{encoding}", "file encoding: {encoding}"),
    "gis.export_again": (
        "请从 GIS 软件重新导出该文件",
        "export the file again from the GIS software",
    ),
    "upload.as_exported": (
        "请上传 GIS 软件导出的原始文件",
        "upload the file as the GIS software exported it",
    ),
    # zip archives
    "zip.broken": ("zip 压缩包已损坏", "the zip archive is broken"),
    "zip.again": ("请重新压缩或导出文件", "zip or export the files again"),
    "zip.too_many_members": (
        "{file}：压缩包内有 {count} 个文件，最多接受 {limit} 个",
        "{file}: {count} files in the archive; at most {limit} are accepted",
    ),
    "zip.too_big_unpacked": (
        "{file}：解压后共 {size} 字节，超过上限 MAX_UNPACKED_BYTES={limit}",
        "{file}: unpacks to {size} bytes, over the limit MAX_UNPACKED_BYTES={limit}",
    ),
    "zip.member_too_big": (
        "{file}：{member} 解压后超过上限 MAX_UNPACKED_BYTES={limit}",
        "{file}: {member} unpacks beyond the limit MAX_UNPACKED_BYTES={limit}",
    ),
    "zip.bomb": (
        "{file}：{member} 的压缩比为 {ratio} 倍，疑似压缩炸弹，已拒绝",
        "{file}: {member} expands {ratio}-fold, likely a zip bomb: refused",
    ),
    "zip.unsafe_path": ("压缩包内有不安全的路径", "an unsafe path in the archive"),
    "zip.relative_paths": (
        "压缩包内的文件须使用相对路径",
        "archive members must use relative paths",
    ),
    "zip.empty": (
        f"压缩包是空的，没有可读取的数据文件（{ZIP_DATA}）",
        f"the archive is empty: no data file to read ({ZIP_DATA_EN})",
    ),
    "zip.no_data_file": (
        f"压缩包中没有可读取的数据文件（{ZIP_DATA}），只有：{{members}}",
        f"the archive holds no data file to read ({ZIP_DATA_EN}), only: {{members}}",
    ),
    "zip.how": (
        "Shapefile 请将同名的 .shp、.shx、.dbf、.prj 一起压缩后上传",
        "zip the .shp together with its .shx, .dbf and .prj of the same name",
    ),
    "zip.several_data_files": (
        "压缩包内有 {count} 个数据文件：{names}",
        "{count} data files in the archive: {names}",
    ),
    "zip.cannot_unpack": ("无法解压该文件", "this member cannot be unpacked"),
    "layer.unknown": (
        "没有名为“{layer}”的图层；可用图层：{layers}",
        'no layer named "{layer}"; the layers: {layers}',
    ),
    "layer.none": ("（无）", "(none)"),
    "layer.pick": ("请用 layer= 指定上列图层之一", "pass one of these as layer="),
    "layer.pick_one": ("请用 layer=图层名 指定其一", "pass layer=NAME to pick one"),
    "layer.attribute_table": (
        "该图层是属性表，没有几何列，不含地块图形",
        "an attribute table: no geometry column, no parcel shapes",
    ),
    "layer.with_polygons": ("含多边形的图层：{layers}", "layers with polygons: {layers}"),
    "layer.upload_polygons": ("请上传含多边形的图层", "upload the layer that holds the polygons"),
    # Shapefile
    "shp.several": (
        "压缩包内有 {count} 个 Shapefile：{names}",
        "{count} Shapefiles in the archive: {names}",
    ),
    "shp.missing_parts": ("缺少 {parts} 文件", "the {parts} file(s) are missing"),
    "shp.needs_parts": (
        "Shapefile 需要同名的 .shp、.shx 和 .dbf 文件一起压缩",
        "a Shapefile needs its .shp, .shx and .dbf of the same name, zipped together",
    ),
    "shp.bad_header": (
        "不是 Shapefile 的 {part} 文件：文件头不符（应为文件代码 9994、版本 1000）",
        "not a Shapefile {part} file: its header is wrong (file code 9994, version 1000 expected)",
    ),
    "shp.truncated_shx": (
        ".shx 文件长度不符，文件可能不完整",
        "the .shx file has the wrong length: it may be incomplete",
    ),
    "shp.export_again": (
        "请从 GIS 软件重新导出 Shapefile",
        "export the Shapefile again from the GIS software",
    ),
    "dbf.bad_header": (
        "不是 dBASE 属性表：.dbf 文件头不符",
        "not a dBASE table: the .dbf header is wrong",
    ),
    "shp.no_cpg": (
        "没有 .cpg 文件：属性编码识别为 {encoding}",
        "no .cpg file: the attribute encoding was taken to be {encoding}",
    ),
    "shp.fields_restored": (
        "已按 字段说明.txt 将被 dBASE 截短的字段名恢复为原字段名",
        "field names cut short by dBASE were restored from 字段说明.txt",
    ),
    # GeoPackage and GDAL
    "gpkg.not_gpkg": (
        "不是 GeoPackage：这个 SQLite 文件没有 GeoPackage 标识"
        "（application_id 或 gpkg_contents 表）",
        "not a GeoPackage: this SQLite file has no GeoPackage marks "
        "(application_id or a gpkg_contents table)",
    ),
    "gpkg.export_as": (
        "请从 GIS 软件导出为 GeoPackage",
        "export it as a GeoPackage from the GIS software",
    ),
    "gpkg.broken": ("GeoPackage 已损坏或不完整", "the GeoPackage is broken or incomplete"),
    "gpkg.virtual_tables": (
        "GeoPackage 含虚拟表（可引用外部文件或网络），出于安全原因拒绝",
        "the GeoPackage has virtual tables (they can reach other files or the network): "
        "refused for safety",
    ),
    "gpkg.export_plain": (
        "请导出为只含普通图层的 GeoPackage",
        "export a GeoPackage of plain tables only",
    ),
    "gpkg.several_polygon_layers": (
        "有多个多边形图层：{layers}",
        "several polygon layers: {layers}",
    ),
    "gpkg.no_polygon_layer": (
        "没有多边形图层（现有图层：{layers}）",
        "no polygon layer (the layers: {layers})",
    ),
    "gpkg.need_polygons": (
        "GeoPackage 须以多边形保存地块",
        "the GeoPackage must hold the parcels as polygons",
    ),
    "gpkg.view": (
        "该图层是视图而不是数据表，出于安全原因不读取",
        "a view, not a table: not read, for safety",
    ),
    "gpkg.export_table": ("请将该图层导出为普通数据表", "export the layer as a plain table"),
    "gdal.wrong_driver": (
        "文件内容与格式不符：GDAL 会以 {found} 驱动打开它，而不是 {expected}，已拒绝",
        "the content does not match the format: GDAL would open it with the {found} driver, "
        "not {expected}: refused",
    ),
    "gdal.unknown_driver": ("未知", "unknown"),
    "gdal.failed": (
        "GDAL（{driver} 驱动）无法读取该文件，文件可能已损坏",
        "GDAL's {driver} driver cannot read the file: it may be broken",
    ),
    "crs.from_file": (
        "文件自带的坐标系（{source}）",
        "the file's own coordinate system ({source})",
    ),
    # KML and XML
    "kml.wgs84": ("KML 规定使用 WGS 84 经纬度", "KML is WGS 84 lon/lat by definition"),
    "kml.coordinates": (
        "KML 坐标写作 经度,纬度[,高程]，各点以空格分隔",
        "KML coordinates are lon,lat[,alt] tuples separated by spaces",
    ),
    "kml.no_polygon": ("该 Placemark 中没有多边形", "no Polygon in this Placemark"),
    "kml.no_geometry": (
        "该 Placemark 中没有点、线或多边形",
        "no Point, LineString or Polygon in this Placemark",
    ),
    "kml.no_placemark": ("文件中没有 Placemark", "no Placemark in the file"),
    "kml.no_parcels": (
        "地块须以含多边形的 Placemark 保存",
        "parcels are Placemarks holding polygons",
    ),
    "kml.export_again": ("请重新导出为 KML", "export the file again as KML"),
    "xml.unknown_encoding": ("未知的 XML 编码“{encoding}”", 'unknown XML encoding "{encoding}"'),
    "xml.bad_encoding": (
        "XML 文本不是有效的 {codec} 编码（第 {byte} 字节）",
        "the XML text is not valid {codec} (at byte {byte})",
    ),
    "xml.save_utf8": ("请以 UTF-8 编码保存", "save it as UTF-8"),
    "xml.dtd": (
        "XML 含 {kind} 声明（DTD/实体），出于安全原因拒绝",
        "the XML has a {kind} declaration (DTD/entity): refused for safety",
    ),
    "xml.dtd_refused": (
        "XML 含 DTD、实体或外部引用，出于安全原因拒绝",
        "DTD, entity or external reference in the XML: refused for safety",
    ),
    "xml.remove_dtd": (
        "请删除 DTD 声明；KML 与 XLSX 都不需要它",
        "remove the DTD; KML and XLSX need none",
    ),
    "xml.invalid": ("不是有效的 XML：{error}", "not valid XML: {error}"),
    # GeoJSON and JSON
    "json.invalid": (
        "不是有效的 JSON：第 {line} 行第 {column} 列（{error}）",
        "not valid JSON at line {line}, column {column} ({error})",
    ),
    "json.too_deep": ("JSON 嵌套过深", "JSON nested too deep"),
    "json.int_too_long": (
        "含有位数过多的整数（超过 4300 位）；整数请写成正常位数，长编码请写成文本（加引号）",
        "holds an integer with too many digits (over 4,300): write long codes as text (in quotes)",
    ),
    "json.lone_surrogate": (
        "含有无效的 Unicode 字符（孤立的代理项 {char}），无法保存为 UTF-8",
        "holds an invalid Unicode character (a lone surrogate {char}) that cannot be kept as UTF-8",
    ),
    "geojson.export_again": ("请重新导出为 GeoJSON", "export the file again as GeoJSON"),
    "geojson.not_object": ("不是 GeoJSON 对象", "not a GeoJSON object"),
    "geojson.features_not_array": ("features 须为数组", "features must be an array"),
    "geojson.no_parcels_type": ("GeoJSON {kind} 不含地块", "a GeoJSON {kind} holds no parcels"),
    "geojson.no_type": (
        "缺少 GeoJSON 的 type，或 type 无法识别",
        "the GeoJSON type is missing or unknown",
    ),
    "geojson.use_collection": (
        "请使用由多边形组成的 FeatureCollection",
        "use a FeatureCollection of polygons",
    ),
    "geojson.not_feature": ("不是 GeoJSON Feature", "not a GeoJSON Feature"),
    "geojson.properties_not_object": ("properties 须为对象", "properties must be an object"),
    "geojson.properties_how": (
        '请写 "properties": {{...}} 或 null',
        'write "properties": {{...}} or null',
    ),
    "geojson.not_geometry": (
        "geometry 不是 GeoJSON 几何对象",
        "geometry is not a GeoJSON geometry object",
    ),
    "geojson.bad_geometry_type": (
        "“{kind}”不是 GeoJSON 几何类型",
        '"{kind}" is not a GeoJSON geometry type',
    ),
    "geojson.ring_positions": (
        "每个环是 [x, y] 坐标的列表",
        "each ring is a list of [x, y] positions",
    ),
    "geojson.crs_unnamed": (
        "crs 成员缺少坐标系名称",
        "the crs member has no coordinate system name",
    ),
    "geojson.crs_how": (
        '请写 {{"type": "name", "properties": {{"name": "urn:ogc:def:crs:EPSG::4545"}}}}，'
        "或删除 crs 成员",
        'write {{"type": "name", "properties": {{"name": "urn:ogc:def:crs:EPSG::4545"}}}}, '
        "or drop the crs member",
    ),
    "geojson.crs_unknown": (
        "crs 成员中的坐标系名称无法识别",
        "the crs member names a coordinate system that is not recognised",
    ),
    "geojson.crs_example": (
        "请使用 urn:ogc:def:crs:EPSG::4545 这样的名称",
        "use a name such as urn:ogc:def:crs:EPSG::4545",
    ),
    "geojson.rfc7946": (
        "GeoJSON 未写 crs 成员，按 RFC 7946 为 WGS 84 经纬度",
        "no crs member: WGS 84 lon/lat, as RFC 7946 says",
    ),
    "geojson.crs_member": ("文件的 crs 成员：{name}", "the file's crs member: {name}"),
    # CSV with WKT
    "csv.no_wkt_column": ("表头中没有 WKT 几何列", "no WKT column in the header"),
    "csv.name_wkt_column": (
        "请将几何列命名为 {names} 之一",
        "name the geometry column one of {names}",
    ),
    "csv.malformed": ("CSV 格式错误", "malformed CSV"),
    "csv.check_quotes": ("请检查引号与分隔符", "check the quotes and delimiters"),
    "csv.fill_wkt": ("请填写 WKT 列", "fill in the WKT column"),
    "csv.no_rows": ("只有表头，没有数据行", "a header and no rows"),
    "csv.add_rows": (
        "请在表头下每行写一块地块（含 WKT 几何）",
        "write one parcel per row under the header, with its WKT",
    ),
    "wkt.not_closed": (
        "环未闭合：末点与首点不同",
        "ring not closed: its last point differs from its first",
    ),
    "wkt.too_few_points": (
        "点数过少：一个环至少需要 3 个不同的点（加上闭合点共 4 个）",
        "too few points: a ring needs at least 3 distinct points (4 with the closing one)",
    ),
    "wkt.unreadable": ("无法解析的 WKT", "unreadable WKT"),
    "wkt.how": (
        "多边形写作 POLYGON((x y, ...))，末点重复首点",
        "write POLYGON((x y, ...)) with the first point repeated at the end",
    ),
    # 界址点 txt
    "jzd.no_coordinates_section": ("缺少 [地块坐标] 节", "no [地块坐标] section"),
    "jzd.sections": (
        "界址点文件先写 [属性描述]，再写 [地块坐标]",
        "a 界址点 file has [属性描述] and then [地块坐标]",
    ),
    "jzd.point_before_header": (
        "界址点出现在地块属性行之前",
        "a boundary point before any parcel header line",
    ),
    "jzd.start_with_header": (
        "每个地块以其属性行开始（界址点数,地块面积,地块编号,地块名称,…,@）",
        "start each parcel with its header line (界址点数,地块面积,地块编号,地块名称,…,@)",
    ),
    "jzd.unreadable_line": ("无法识别的行", "unreadable line"),
    "jzd.point_format": (
        "界址点行格式为 点号,圈号,X(北),Y(东)",
        "point lines are 点号,圈号,X (northing),Y (easting)",
    ),
    "jzd.xy_order": (
        "X 为北坐标（7 位数），Y 为东坐标",
        "X is the northing (7 digits), Y the easting",
    ),
    "jzd.header_without_points": (
        "地块属性行之后没有界址点",
        "a parcel header line without boundary points",
    ),
    "jzd.list_points": (
        "请在属性行之后列出界址点",
        "list the boundary points after the header line",
    ),
    "jzd.point_count": (
        "界址点数为 {declared}，实际有 {found} 个点",
        "界址点数 says {declared} points, {found} follow",
    ),
    "jzd.compare_original": (
        "文件可能被截断或缺行，请与原件核对",
        "the file may be cut short or miss lines: compare it with the original",
    ),
    "jzd.not_3_degree": ("只支持 3 度分带", "only 3° zones are read"),
    "jzd.convert_3_degree": (
        "请转换为 3 度分带，或指定 crs=EPSG:XXXX",
        "convert to 3° zones, or pass crs=EPSG:XXXX",
    ),
    "jzd.not_metres": ("计量单位须为米", "the unit (计量单位) must be metres"),
    "jzd.export_metres": ("请以米为单位导出坐标", "export the coordinates in metres"),
    "jzd.datum_not_stated": (
        "坐标系未注明，按 CGCS2000 处理",
        "坐标系 not stated: CGCS2000 assumed",
    ),
    "jzd.datum_unknown": (
        "坐标系“{stated}”无法识别，按 CGCS2000 处理",
        '坐标系 "{stated}" not recognised: CGCS2000 assumed',
    ),
    "crs.override": ("如不正确，请指定 crs=EPSG:XXXX", "if that is wrong, pass crs=EPSG:XXXX"),
    "jzd.mixed_prefixes": (
        "东坐标带有不同的带号前缀：{zones}",
        "the eastings carry different zone prefixes: {zones}",
    ),
    "jzd.one_zone": ("一个文件只能使用一个分带", "one file must use one zone"),
    "jzd.zone_mismatch": (
        "带号={zone}，但东坐标的带号前缀为 {prefix}",
        "带号={zone}, but the eastings carry the zone prefix {prefix}",
    ),
    "jzd.fix_zone": ("请更正带号或坐标", "correct 带号 or the coordinates"),
    "jzd.zone_unknown": (
        "没有带号，东坐标也没有带号前缀，无法确定 3 度分带",
        "no 带号 and no zone prefix on the eastings: the 3° zone is unknown",
    ),
    "jzd.give_zone": (
        "请添加 带号=36 或 37，或指定 crs=EPSG:4545（36 带）/ EPSG:4546（37 带）",
        "add 带号=36 or 37, or pass crs=EPSG:4545 (zone 36) / EPSG:4546 (zone 37)",
    ),
    "jzd.crs_source": (
        "坐标系={stated}，带号={zone}，{prefix} → EPSG:{epsg}",
        "坐标系={stated}, 带号={zone}, {prefix} → EPSG:{epsg}",
    ),
    "jzd.not_stated": ("（未注明）", "(not stated)"),
    "jzd.with_prefix": ("东坐标带带号前缀", "eastings with the zone prefix"),
    "jzd.without_prefix": ("东坐标无带号前缀", "eastings without the zone prefix"),
    # ---- geometry and coordinates -------------------------------------------------------------
    "coordinates.not_numbers": ("坐标不是数字", "coordinates that are not numbers"),
    "coordinates.check_columns": ("请检查坐标列", "check the coordinate columns"),
    "coordinates.malformed": ("坐标格式错误", "malformed coordinates"),
    "ring.too_few_points": (
        "点数过少（{points} 个）：一个环至少需要 3 个不同的点，再加一个重复首点的闭合点",
        "too few points ({points}): a ring needs at least 3 distinct points plus the closing one",
    ),
    "ring.add_points": ("请补齐缺少的点", "add the missing points"),
    "ring.not_closed": (
        "环未闭合：末点与首点（{x}, {y}）不同",
        "ring not closed: its last point differs from its first ({x}, {y})",
    ),
    "ring.repeat_first": ("请在环的末尾重复首点", "repeat the first point at the end of the ring"),
    "parcels.none": ("文件中没有地块", "no parcels in the file"),
    "parcels.need_polygons": (
        "文件须含多边形地块（Polygon 或 MultiPolygon）",
        "the file must hold polygons (Polygon or MultiPolygon)",
    ),
    "geometry.empty": ("几何为空", "empty geometry"),
    "geometry.give_polygon": ("请为该地块提供多边形", "give the parcel its polygon"),
    "geometry.not_parcel": ("{kind} 不是地块", "a {kind} is not a parcel"),
    "geometry.not_kind": (
        "几何类型为 {kind}，本图层只收{wanted}",
        "its geometry is a {kind}; this layer takes {wanted}",
    ),
    "geometry.give_kind": (
        "请为该要素提供{kind}几何，或导入到相应类型的图层",
        "give the feature a {kind} geometry, or import it into a layer of its kind",
    ),
    "geometry.redraw_feature": ("请重新绘制该要素", "redraw the feature"),
    "geojson.positions": (
        "坐标须为 [x, y] 数值（点为一个位置，线为至少两个位置的列表）",
        "coordinates must be [x, y] numbers (a point one position, a line a list of two or more)",
    ),
    "geometry.kind_point": ("点（Point 或 MultiPoint）", "points (Point or MultiPoint)"),
    "geometry.kind_line": (
        "线（LineString 或 MultiLineString）",
        "lines (LineString or MultiLineString)",
    ),
    "geometry.kind_polygon": (
        "面（Polygon 或 MultiPolygon）",
        "polygons (Polygon or MultiPolygon)",
    ),
    "geometry.must_be_polygon": (
        "地块须为多边形（Polygon 或 MultiPolygon）",
        "parcels must be polygons (Polygon or MultiPolygon)",
    ),
    "geometry.invalid": (
        "几何无效且无法修复：{reason}",
        "invalid geometry that cannot be repaired: {reason}",
    ),
    "geometry.redraw": ("请重新绘制该地块", "redraw the parcel"),
    "geometry.repaired": (
        "几何有自相交等问题，已用 make_valid 自动修复（{reason}）；请核对原图形",
        "the geometry (self-intersection or similar) was repaired with make_valid ({reason}); "
        "check the original shape",
    ),
    "xy.swapped": ("X 与 Y 似乎颠倒", "X and Y appear swapped"),
    "xy.order": (
        "X 为北坐标、Y 为东坐标；经纬度则经度在前、纬度在后",
        "X is the northing, Y the easting; lon/lat give the longitude first",
    ),
    "ankang.outside": (
        "不在安康市范围内：按 {crs} 换算后落在 {lon}°E {lat}°N",
        "outside Ankang: read as {crs} it lands at {lon}°E {lat}°N",
    ),
    "ankang.outside_unconvertible": (
        "不在安康市范围内：按 {crs} 无法换算为经纬度",
        "outside Ankang: read as {crs} it cannot be converted to lon/lat",
    ),
    "crs.check_zone": ("请检查坐标系与带号", "check the coordinate system and the zone (带号)"),
    # ---- coordinate systems -------------------------------------------------------------------
    "crs.not_stated": ("文件未注明坐标系", "the file does not say its coordinate system"),
    "crs.pass_crs": (
        "请指定 crs=，例如 EPSG:4545（CGCS2000 3 度带 36 带，中央经线 108°，东坐标无带号前缀）、"
        "EPSG:4524（36 带，有带号前缀）；37 带用 EPSG:4546 / EPSG:4525；经纬度用 EPSG:4490",
        "pass crs=, e.g. EPSG:4545 (CGCS2000 3° zone 36, CM 108°E, eastings without the zone "
        "prefix), EPSG:4524 (zone 36 with the prefix); zone 37: EPSG:4546 / EPSG:4525; "
        "lon/lat: EPSG:4490",
    ),
    "crs.from_parameter": ("按 crs 参数：{crs}", "from the crs parameter: {crs}"),
    "crs.from_parameter_file_said": (
        "按 crs 参数：{crs}；文件注明 {stated}",
        "from the crs parameter: {crs}; the file says {stated}",
    ),
    "crs.unknown": (
        "crs=“{crs}”不是 PROJ 认识的坐标系；请用 EPSG 代码，如 EPSG:4545（CGCS2000 3 度带，"
        "中央经线 108°）、EPSG:4524（36 带，有带号前缀）、EPSG:4490（经纬度），"
        "高德/腾讯坐标用 gcj02",
        'crs="{crs}" is not a coordinate system PROJ knows; use an EPSG code such as '
        "EPSG:4545 (CGCS2000 3° GK, CM 108°E), EPSG:4524 (zone 36 with the prefix), "
        "EPSG:4490 (lon/lat), or gcj02 for Gaode/Tencent coordinates",
    ),
    "crs.no_gk_zones": (
        "没有基准 {datum} 的高斯-克吕格分带；可用：{datums}，或指定 crs=EPSG:XXXX",
        "no Gauss-Krüger zones known for the datum {datum}; use one of {datums} "
        "or pass crs=EPSG:XXXX",
    ),
    "crs.zone_not_ankang": (
        "3 度带第 {zone} 带不覆盖安康（安康在 36、37 带）；请检查带号，或指定 crs=EPSG:XXXX",
        "3° zone {zone} does not cover Ankang (zones 36 and 37 do); check 带号 "
        "or pass crs=EPSG:XXXX",
    ),
    "crs.give_real": (
        "请给出文件的真实坐标系，例如 crs=EPSG:4545",
        "give the file's real coordinate system, e.g. crs=EPSG:4545",
    ),
    "gcj02.not_lonlat": (
        "crs=gcj02 只适用于高德/腾讯地图的经纬度，而文件中的坐标达到 {extent}，不是经纬度",
        "crs=gcj02 is for lon/lat from Gaode/Tencent maps, but the coordinates reach "
        "{extent}: not lon/lat",
    ),
    "datum.approximate": (
        "西安80/北京54 到 CGCS2000 只能近似转换，位置可能偏差数十米",
        "Xi'an 1980 / Beijing 1954 to CGCS2000 is an approximate shift: positions may be off "
        "by tens of metres",
    ),
    # ---- caps ---------------------------------------------------------------------------------
    "cap.exceeded": (
        "{what}为 {count}，超过上限 {key}={limit}",
        "{what}: {count}, over the cap {key}={limit}",
    ),
    "cap.exceeded_at_least": (
        "{what}至少为 {count}，超过上限 {key}={limit}",
        "{what}: at least {count}, over the cap {key}={limit}",
    ),
    "cap.parcels": ("地块数", "parcels"),
    "cap.vertices_per_parcel": ("单个地块的顶点数", "vertices in one parcel"),
    "cap.vertices": ("顶点总数", "vertices in the file"),
    "cap.json_depth": ("JSON 嵌套深度", "JSON nesting depth"),
    "cap.split": (
        "请拆分文件后分批检查，或请管理员调高配置 {key}",
        "split the file and check it in parts, or ask the administrator to raise {key}",
    ),
    # ---- zone boundary files ------------------------------------------------------------------
    "zones.no_field": (
        "区界文件中没有字段“{field}”；可用字段：{fields}",
        'the zones file has no field "{field}"; its fields: {fields}',
    ),
    "zones.no_fields": ("（无属性字段）", "(no attribute fields)"),
    "zones.pick_field": (
        "请将 {parameter} 设为上列字段之一",
        "set {parameter} to one of these fields",
    ),
    # ---- the check and what it notes ----------------------------------------------------------
    "attributes.cut": (
        "部分地块的属性超出上限（每块最多 {fields} 个字段、每个值最多 {chars} 个字符），"
        "超出部分未保留",
        "attributes beyond {fields} fields or {chars} characters per value were cut",
    ),
    "check.method": (
        "平面面积：CGCS2000 3度带高斯-克吕格投影（地块所在带，36带 EPSG:4545 / 37带 EPSG:4546）；"
        "椭球面积：CGCS2000 椭球等积投影（Lambert 方位等积投影）。"
        "1 亩 = 10000/15 m²，1 公顷 = 10000 m²。",
        "Plane areas: CGCS2000 3-degree Gauss-Krüger projection (the parcel's zone: zone 36 "
        "EPSG:4545 / zone 37 EPSG:4546); ellipsoidal areas: an equal-area projection on the "
        "CGCS2000 ellipsoid (Lambert azimuthal equal-area). 1 mu = 10000/15 m², 1 ha = 10000 m².",
    ),
    "area.declared_differs": (
        "申报面积 {declared} 公顷与计算面积 {computed} 公顷不符（相差 {difference} 公顷）",
        "the declared area {declared} ha differs from the computed {computed} ha "
        "(by {difference} ha)",
    ),
    "zones.schematic": (
        "区界为示意范围：72号文未公布园区边界，本服务的园区图层为按规划面积绘制的示意圆，"
        "检查结果仅供参考，不能作为用地审查依据；请上传正式区界文件（zones）后再检查。",
        "The zone boundaries are schematic: document No. 72 publishes no boundaries, so this "
        "service's zones are circles drawn from the planned areas. The result is for reference "
        "only and cannot support a land review; upload the official boundary file (zones) and "
        "check again.",
    ),
    # ---- jobs and the register ----------------------------------------------------------------
    "check.queue_full": (
        "检查队列已满（{workers} 个正在检查，{queued} 个在排队），请约 {seconds} 秒后重新提交。",
        "The check queue is full ({workers} checking, {queued} waiting); submit again in "
        "about {seconds} s.",
    ),
    "jobs.renders_busy": (
        "正在生成的 PNG/PDF 已达上限（同时 {size} 个，排队 {waiting} 个），"
        "请约 {seconds} 秒后重试，或改用 SVG。",
        "Too many PNG/PDF renders at once ({size} running, {waiting} waiting); try again in "
        "about {seconds} s, or use format=svg.",
    ),
    "check.interrupted": (
        "服务在这次检查完成前重启了，检查已中断，结果没有保存；请重新提交文件。",
        "The service restarted before this check finished: the check was interrupted and "
        "nothing was saved; submit the file again.",
    ),
    "check.internal_error": (
        "检查时服务内部出错（详情已记入服务器日志），结果没有保存；请重新提交文件，"
        "如仍出错请联系管理员。",
        "The check failed with an internal error (the server log has the details) and nothing "
        "was saved; submit the file again, and tell the administrator if it fails again.",
    ),
    "check.stored_error": ("{message}", "{message}"),
    "check.not_found": (
        "没有编号为“{id}”的检查记录；GET /api/checks 列出全部检查。",
        'No check "{id}"; GET /api/checks lists them all.',
    ),
    "register.schema_version": (
        "检查登记簿 {path} 的结构版本为 {version}，本版 geo_service 写入版本 {expected}；"
        "请先导出（GET /api/checks?f=gpkg），再将该文件移开或设置 CHECKS_DB。",
        "The check register {path} has schema version {version}; this geo_service writes "
        "version {expected}. Export it first (GET /api/checks?f=gpkg), then move the file "
        "aside or set CHECKS_DB.",
    ),
}
