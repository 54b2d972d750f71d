"""Messages: vector tiles (OGC API - Tiles) and the map drawing big layers from them.

Key -> (Chinese, English) templates; see geo_service.messages.
"""

MESSAGES: dict[str, tuple[str, str]] = {
    "tiles.bad_index": (
        "瓦片地址中的 {name}={value} 不是非负整数：z/y/x 须为半角数字（如 …/WebMercatorQuad/10/"
        "416/831），z 为缩放级别，y 为行号（自北向南），x 为列号（自西向东）。",
        "{name}={value} in the tile's address is not a non-negative integer: z/y/x are ASCII "
        "digits (e.g. …/WebMercatorQuad/10/416/831): z the zoom, y the row from the north, "
        "x the column from the west.",
    ),
    "tiles.zoom_beyond": (
        "没有第 {z} 级瓦片：本服务的矢量瓦片提供 0–{max} 级。",
        "No tiles at zoom {z}: the service's vector tiles cover zooms 0-{max}.",
    ),
    "tiles.outside_matrix": (
        "第 {z} 级没有瓦片 y={y}, x={x}：该级行号、列号为 0–{last}。",
        "Zoom {z} has no tile y={y}, x={x}: its rows and columns are 0-{last}.",
    ),
    "tiles.outside_data": (
        "瓦片 {z}/{y}/{x} 在图层 {layer} 的范围之外（见瓦片集元数据的 tileMatrixSetLimits）。",
        "Tile {z}/{y}/{x} is outside the extent of layer {layer} (see the tileset's "
        "tileMatrixSetLimits).",
    ),
    "tiles.no_tms": (
        "没有瓦片矩阵集“{tms}”；本服务提供：{known}。",
        "No tile matrix set '{tms}'; the service offers: {known}.",
    ),
    "tiles.link_tms": ("瓦片矩阵集 WebMercatorQuad", "tile matrix set WebMercatorQuad"),
    "tiles.link_tileset": ("矢量瓦片集（WebMercatorQuad）", "vector tileset (WebMercatorQuad)"),
    "tiles.link_tilesets": ("矢量瓦片集", "vector tilesets"),
    "tiles.link_tile": ("矢量瓦片（Mapbox Vector Tile）", "vector tile (Mapbox Vector Tile)"),
    "tiles.link_tiling_schemes": ("瓦片矩阵集", "tile matrix sets"),
    "tiles.overview_title": ("要素过多时的概览网格", "overview grid of an overfull tile"),
    "tiles.overview_description": (
        "一个瓦片内的要素多于 {cap} 个（TILE_MAX_FEATURES）时，该瓦片不含要素本身，只含本层："
        "瓦片分为 {cells}×{cells} 个方格，每个有要素的方格为一个正方形，count 为外接框中心落在"
        "该方格内的要素数；请放大查看要素。",
        "When more than {cap} features (TILE_MAX_FEATURES) meet a tile, the tile holds not the "
        "features but this layer only: the tile cut into {cells}x{cells} cells, one square per "
        "cell holding features, count being the features whose box centre lies in that cell; "
        "zoom in to see the features.",
    ),
    "tiles.overview_count": ("此方格内的要素数", "features in this cell"),
    "tiles.overview_popup": (
        "此处约有 {count} 个要素（{layer}）。这一带要素过多，未逐一绘制，请放大查看。",
        "About {count} features ({layer}) here. Too many around here to draw one by one: zoom in "
        "to see them.",
    ),
    "tiles.overview_notice": (
        "{layer}：部分区域要素过多，显示为按数量着色的方格（概览），请放大查看要素。",
        "{layer}: where features are too many, shaded cells (an overview) show how many; zoom in "
        "to see the features.",
    ),
    "config.bad_tile_max_features": (
        "TILE_MAX_FEATURES={value} 不是 1 到 {most} 之间的整数（一个瓦片最多绘制的要素数）。",
        "TILE_MAX_FEATURES={value} is not a whole number from 1 to {most} (the most features "
        "one tile draws).",
    ),
}
