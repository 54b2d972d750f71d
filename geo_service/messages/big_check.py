"""Messages of big checks (land.big_check, web.checks' upload cap).

Key -> (Chinese, English) templates; see geo_service.messages.
"""

MESSAGES: dict[str, tuple[str, str]] = {
    "big_check.upload_too_big": (
        "文件 {file} 为 {size} MB，超过上限 MAX_CONTENT_LENGTH={limit} MB。只有 GeoPackage（.gpkg）"
        "可按大批量检查上传至 {big} MB（BIG_CHECK_MAX_BYTES）：请将地块导出为 GeoPackage，"
        "或分成几个文件分别检查。",
        "The file {file} is {size} MB, over the cap MAX_CONTENT_LENGTH={limit} MB. Only a "
        "GeoPackage (.gpkg) may be uploaded for a big check, up to {big} MB "
        "(BIG_CHECK_MAX_BYTES): export the parcels as a GeoPackage, or split them into "
        "several files and check each.",
    ),
    "big_check.scheduler_unreachable": (
        "无法在 {seconds} 秒内连接 dask 调度器 {address}（DASK_SCHEDULER_ADDRESS），"
        "大批量检查未运行，未保存任何结果：请确认调度器已启动、地址与端口无误，稍后重新提交；或将 "
        "DASK_SCHEDULER_ADDRESS 留空以使用本机集群。",
        "Could not reach the dask scheduler {address} (DASK_SCHEDULER_ADDRESS) within {seconds} "
        "s; the big check did not run and nothing was stored: make sure the scheduler is up and "
        "the address and port are right, then submit again; or leave DASK_SCHEDULER_ADDRESS "
        "empty to use a cluster on this machine.",
    ),
}
