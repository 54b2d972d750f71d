"""Messages used across the service: where a problem is, how problems are listed, HTTP errors.

Key -> (Chinese, English) templates; see geo_service.messages.
"""

MESSAGES: dict[str, tuple[str, str]] = {
    # Where a problem is, and how one is written.
    "where.file": ("文件", "file"),
    "where.line": ("第 {line} 行", "line {line}"),
    "where.feature": ("第 {feature} 个要素", "feature {feature}"),
    "problem.plain": ("{where}：{message}", "{where}: {message}"),
    "problem.with_hint": ("{where}：{message}（{hint}）", "{where}: {message} ({hint})"),
    "problem.file_plain": ("{message}", "{message}"),
    "problem.file_with_hint": ("{message}（{hint}）", "{message} ({hint})"),
    "input.problem": ("{file}：{first}", "{file}: {first}"),
    "input.problems": (
        "{file}：共 {count} 处问题，第一处：{first}{more}",
        "{file}: {count} problems; the first: {first}{more}",
    ),
    "input.more": ("；另有 {hidden} 处未列出", "; {hidden} more not listed"),
    # Parameters and files shared by several parts of the service.
    "format.not_offered": (
        "此处不提供 f={asked}；可选：{choices}。",
        "f={asked} is not offered here; use one of: {choices}.",
    ),
    "toml.invalid": ("{file} 格式有误：{error}", "{file} is malformed: {error}"),
    # The 字段说明.txt of a Shapefile download (each note in both languages, one line each).
    "fieldnotes.encoding": (
        "属性表编码：{encoding}（.cpg 为 {cpg}）；dBASE 字段名最长 10 字节（{chars} 个汉字），"
        "完整字段名见上表，GeoPackage 下载中为完整字段名。",
        "Attributes are {encoding} (.cpg {cpg}); dBASE field names are at most 10 bytes "
        "({chars} Chinese characters): the full names are listed above and used in the "
        "GeoPackage download.",
    ),
    "fieldnotes.replaced": (
        "{field}：{count} 个值含 {encoding} 无法表示的字符，已换为相近字符或“?”；"
        "原文见 GeoPackage 下载。",
        "{field}: {count} values had characters {encoding} lacks, written as the nearest "
        "character or “?”; the GeoPackage download has them as given.",
    ),
    "fieldnotes.cut": (
        "{field}：{count} 个值超过 dBASE 的 {size} 字节，已截断；全文见 GeoPackage 下载。",
        "{field}: {count} values longer than dBASE's {size} bytes were cut; the GeoPackage "
        "download has them whole.",
    ),
    # Werkzeug's HTTP errors, in the one error shape.
    "http.400": ("请求格式有误。", "The request is malformed."),
    "http.404": ("找不到该地址（/api 列出全部接口）。", "No such address (/api lists them all)."),
    "http.405": (
        "此地址不支持 {method} 方法，可用：{allowed}。",
        "{method} is not allowed here; allowed: {allowed}.",
    ),
    "http.406": ("不提供所请求的格式。", "The requested format is not offered."),
    "http.413": (
        "上传内容超过 {mb} MB 的上限（MAX_CONTENT_LENGTH），请压缩或拆分后再上传。",
        "The upload is over the {mb} MB limit (MAX_CONTENT_LENGTH); compress or split it.",
    ),
    "http.415": ("不支持该请求体格式。", "The request body's format is not supported."),
    "http.other": (
        "请求无法处理（HTTP {status}）。",
        "The request cannot be handled (HTTP {status}).",
    ),
    "http.500": (
        "服务内部错误，已记入日志；请稍后再试或联系管理员。",
        "Internal error; the log has the details. Try again later or tell the administrator.",
    ),
    "store.down": (
        "数据库暂时无法连接，本次请求未做任何改动；请稍后重试，若持续出现请管理员检查数据库服务"
        "（日志中有数据库给出的原因）。",
        "The database cannot be reached just now; nothing was changed by this request. Try "
        "again shortly; if it persists, ask the administrator to check the database (the log "
        "has its reason).",
    ),
    "health.warming": (
        "本服务器刚刚启动，正在读取大图层的索引并生成首屏瓦片，稍后即可接收访问。",
        "This server has just started and is reading the big layers' boxes and making their "
        "first tiles; it takes visitors shortly.",
    ),
}
