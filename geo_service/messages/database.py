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
}
