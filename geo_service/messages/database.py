"""Messages: the PostgreSQL/PostGIS store and ``python -m geo_service db upgrade|copy``.

Key -> (Chinese, English) templates; see geo_service.messages.
"""

MESSAGES: dict[str, tuple[str, str]] = {
    "store.postgis_missing": (
        "数据库 {url} 无法启用 PostGIS 扩展（{reason}）；请数据库管理员安装 PostGIS"
        "（Debian：apt-get install postgresql-15-postgis-3），"
        "并在数据库 {database} 中以超级用户执行：CREATE EXTENSION postgis; 然后重新启动。",
        "The database {url} could not enable the PostGIS extension ({reason}); ask the DBA to "
        "install PostGIS (Debian: apt-get install postgresql-15-postgis-3) and run, as a "
        "superuser in database {database}: CREATE EXTENSION postgis; then start again.",
    ),
    "store.unreachable": (
        "无法连接数据库 {url}（{reason}）；请确认数据库服务已启动、地址与端口正确、数据库已建立"
        "（如 createdb {database}），然后重新启动。",
        "Cannot connect to the database {url} ({reason}); check that the server runs, the host "
        "and port are right and the database exists (e.g. createdb {database}), then start again.",
    ),
    "store.foreign_database": (
        "数据库 {url} 已有 {count} 个不属于本服务的表（{tables}），却没有本服务的结构版本表 "
        "schema_version：未改动该数据库；请把 DATABASE_URL 或 db copy 的地址改为本服务的数据库，"
        "或一个新建的空数据库。",
        "The database {url} holds {count} tables that are not this service's ({tables}) and no "
        "schema_version table: it was left untouched; point DATABASE_URL or db copy at this "
        "service's database, or at a new, empty one.",
    ),
    # python -m geo_service db upgrade | copy
    "db.upgraded": (
        "数据库 {url}：结构版本 {before} → {after}。",
        "Database {url}: schema version {before} → {after}.",
    ),
    "db.copy_usage": (
        "db copy 需要两个地址：源数据库与目标数据库，如 "
        "db copy sqlite:////srv/geo/geo_service.sqlite postgresql+psycopg://geo@db/geo_service",
        "db copy takes two URLs, the source and the target database, e.g. "
        "db copy sqlite:////srv/geo/geo_service.sqlite postgresql+psycopg://geo@db/geo_service",
    ),
    "db.copy_same": (
        "源数据库与目标数据库是同一个（{url}），未复制。",
        "The source and the target are the same database ({url}); nothing copied.",
    ),
    "db.copy_not_empty": (
        "目标数据库 {url} 不是空的（表 {table} 已有 {rows} 行），未复制；"
        "请指定一个新建的空数据库。",
        "The target database {url} is not empty (table {table} has {rows} rows); nothing "
        "copied. Give a new, empty database.",
    ),
    "db.copy_refused": (
        "复制表 {table} 的第 {first}–{last} 行时目标数据库拒绝写入（{reason}），未复制任何数据；"
        "请修正源数据库中的这些行后重试。",
        "The target refused rows {first}–{last} of table {table} ({reason}); nothing copied. "
        "Correct those rows in the source and try again.",
    ),
    "db.copy_start": ("复制 {source} → {target}", "Copying {source} → {target}"),
    "db.copy_table": (
        "  {table}：{rows} 行 → {copied} 行，校验值 {digest} = {copied_digest}，一致",
        "  {table}: {rows} rows → {copied} rows, digest {digest} = {copied_digest}, equal",
    ),
    "db.copy_table_differs": (
        "  {table}：{rows} 行 → {copied} 行，校验值 {digest} ≠ {copied_digest}，不一致",
        "  {table}: {rows} rows → {copied} rows, digest {digest} ≠ {copied_digest}, DIFFERENT",
    ),
    "db.copy_differs": (
        "复制后表 {tables} 的行数或校验值与源数据库不一致；请勿使用目标数据库，"
        "保留源数据库并报告此问题。",
        "After the copy, table(s) {tables} differ from the source in rows or digest; do not "
        "use the target, keep the source and report this.",
    ),
    "db.copy_done": (
        "已复制，每张表的行数与校验值一致；将 DATABASE_URL 设为 {target} 即可使用。",
        "Copied; every table's rows and digest are equal. Set DATABASE_URL to {target} to use it.",
    ),
    # make run-postgis (geo_service/store/pg_serve.py)
    "db.local_missing": (
        "未找到 {what}：make run-postgis 不会自行安装任何软件；请先安装（Debian：{hint}），"
        "然后重试。",
        "{what} not found: make run-postgis installs nothing by itself; install it first "
        "(Debian: {hint}) and try again.",
    ),
    "db.local_serving": (
        "本机 PostGIS 数据库：{url}（数据目录 {folder}，服务结束时停止数据库）",
        "Local PostGIS database: {url} (data in {folder}; stopped when the service ends)",
    ),
    "db.local_stopped": (
        "已停止本机 PostGIS 数据库（数据保留在 {folder}，删除该目录即清除）。",
        "Local PostGIS database stopped (its data stays in {folder}; delete it to clear).",
    ),
    "db.pg_local_usage": (
        "用法：python -m geo_service.store.pg_local start|stop 目录"
        "（start 在该目录启动临时 PostgreSQL 集群并输出其管理地址；stop 停止并删除该目录）",
        "usage: python -m geo_service.store.pg_local start|stop FOLDER (start: a throwaway "
        "cluster in FOLDER, prints its admin URL; stop: stops it and removes FOLDER)",
    ),
    # values PostgreSQL refuses (store/refusals.py)
    "store.value_refused": (
        "未保存：数据库不接受其中一个值（{rule}）；请修改后重试。",
        "Nothing saved: the database does not take one of the values ({rule}); correct it "
        "and try again.",
    ),
    "store.value_not_found": (
        "没有找到：所查的值不可能存在（{rule}）；请检查地址中的编号。",
        "Not found: no record can have the value asked for ({rule}); check the id in the URL.",
    ),
    "store.rule_nul": (
        "文字中含有 NUL 字符（\\u0000），数据库的文字中不能有此字符",
        "the text holds a NUL character (\\u0000), which database text cannot hold",
    ),
    "store.rule_integer": (
        "整数超出 −2147483648 到 2147483647 的范围",
        "an integer is outside −2147483648 to 2147483647",
    ),
    "store.rule_length": (
        "文字超过该项 {chars} 个字符的上限",
        "a text is longer than the field's {chars} characters",
    ),
    "store.rule_other": ("{reason}", "{reason}"),
}
