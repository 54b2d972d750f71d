"""Messages: big layers served from the database (keyset pages, cursors, the generated
parcels layer).

Key -> (Chinese, English) templates; see geo_service.messages.
"""

MESSAGES: dict[str, tuple[str, str]] = {
    "big.bad_cursor": (
        "cursor={cursor} 不是本服务给出的翻页位置（图层 {collection}）：请从第一页开始，"
        "按答复中 rel=next 链接的原样翻页，不要修改 cursor。",
        "cursor={cursor} is not a page position this service gave (layer {collection}): start "
        "from the first page and follow the answer's rel=next link as it is, without editing "
        "the cursor.",
    ),
    "big.cursor_and_offset": (
        "cursor 与 offset 不能同时使用（图层 {collection}）：按 rel=next 链接翻页时不要加 offset。",
        "cursor and offset cannot be used together (layer {collection}): follow the rel=next "
        "link without adding offset.",
    ),
    "big.no_offset": (
        "图层 {collection} 要素很多，由数据库分页提供：与 bbox 或 filter 同用时不支持 "
        "offset={offset}。请去掉 offset，从第一页开始按答复中 rel=next 链接翻页。",
        "Layer {collection} is large and paged from the database: offset={offset} is not "
        "available together with bbox or filter. Drop offset, start from the first page and "
        "follow the answer's rel=next link.",
    ),
    "big.no_sortby": (
        "图层 {collection} 有 {count} 个要素，由数据库分页提供，不支持 sortby 排序：请去掉 "
        "sortby（按存储顺序返回），或用 bbox、filter 缩小范围后下载再排序。",
        "Layer {collection} has {count} features and is paged from the database: sortby is "
        "not available. Drop sortby (features come in stored order), or narrow with bbox or "
        "filter and sort the download.",
    ),
    "big.no_summary": (
        "图层 {layer} 第 {version} 版缺少要素摘要（数量、范围），无法从数据库提供：请运行 "
        "python -m geo_service store status 查看数据库，并重新写入该图层。",
        "Layer {layer} version {version} has no feature summary (count, extent) and cannot be "
        "served from the database: run python -m geo_service store status and write the "
        "layer again.",
    ),
    "big.not_editable": (
        "图层 {collection} 有 {count} 个要素，由数据库分页提供，不能在线编辑或导入（每次写入"
        "都是整层的新版本）：请用命令行重新生成或导入该图层。",
        "Layer {collection} has {count} features and is paged from the database: it cannot be "
        "edited or imported online (each write is a whole new version): regenerate or import "
        "it from the command line.",
    ),
    "big.no_diff": (
        "图层 {collection} 的这两个版本有 {count} 个要素，超过在线比较的上限 {maximum}：版本列表"
        "仍给出每版新增、删除、修改的个数；要逐个比较，请下载两个版本的 GeoJSON（?version=n）"
        "用 GIS 软件比较。",
        "These versions of layer {collection} have {count} features, above the {maximum} that "
        "are compared online: the versions list still gives each version's added, removed "
        "and changed counts; to compare feature by feature, download both versions' GeoJSON "
        "(?version=n) and compare them in GIS software.",
    ),
    "big.download_format": (
        "图层 {collection} 有 {count} 个要素，由数据库分页提供：下载只提供 {offered}（{keys}，"
        "逐批写出），不提供 f={asked}。也可用 GIS 软件的 OGC API 要素服务按页读取。",
        "Layer {collection} has {count} features and is paged from the database: its download "
        "is {offered} only ({keys}, written batch by batch), not f={asked}. GIS software can "
        "also read it page by page over OGC API - Features.",
    ),
    "big.download_note": (
        "共 {count} 个要素，文件较大",
        "{count} features, a large file",
    ),
    "big.download_crs": (
        "图层 {collection} 由数据库分页提供：其 GeoJSON 下载只用 WGS 84 经纬度，不能指定 crs。",
        "Layer {collection} is paged from the database: its GeoJSON download is in WGS 84 "
        "lon/lat only; crs cannot be set.",
    ),
    "big.generated": (
        "已生成示意地块图层 {layer}：{count} 个要素（第 {version} 版，种子 {seed}），用时 "
        "{seconds} 秒。这是测试用的生成数据，不是三调或任何真实地块。",
        "Generated the schematic parcels layer {layer}: {count} features (version {version}, "
        "seed {seed}) in {seconds} s. Generated test data, not 三调 or any real parcels.",
    ),
    "big.import_needs_file": (
        "layers import 需要图层与文件：python -m geo_service layers import 图层 文件，"
        "如 layers import zones 园区.gpkg。",
        "layers import needs a layer and a file: python -m geo_service layers import LAYER "
        "FILE, e.g. layers import zones zones.gpkg.",
    ),
    "big.bad_memory_max": (
        "配置 LAYER_MEMORY_MAX_FEATURES={value} 无效：须是不小于 0 的整数（要素数；超过它的图层"
        "由数据库分页提供），如 20000。",
        "LAYER_MEMORY_MAX_FEATURES={value} is not valid: it must be a whole number of features "
        "from 0 (layers with more are paged from the database), e.g. 20000.",
    ),
    "big.bad_count": (
        "--count {count} 超出范围：生成的地块数须在 1 到 {maximum} 之间。",
        "--count {count} is out of range: the number of generated parcels must be between 1 "
        "and {maximum}.",
    ),
}
