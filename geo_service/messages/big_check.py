"""Messages of big checks (land.big_check, web.checks' upload cap).

Key -> (Chinese, English) templates; see geo_service.messages.
"""

MESSAGES: dict[str, tuple[str, str]] = {
    "big.upload_too_big": (
        "文件 {file} 为 {size} MB，超过上限 MAX_CONTENT_LENGTH={limit} MB。只有 GeoPackage（.gpkg）"
        "可按大批量检查上传至 {big} MB（BIG_CHECK_MAX_BYTES）：请将地块导出为 GeoPackage，"
        "或分成几个文件分别检查。",
        "The file {file} is {size} MB, over the cap MAX_CONTENT_LENGTH={limit} MB. Only a "
        "GeoPackage (.gpkg) may be uploaded for a big check, up to {big} MB "
        "(BIG_CHECK_MAX_BYTES): export the parcels as a GeoPackage, or split them into "
        "several files and check each.",
    ),
}
