"""Messages of the re-check (land.recheck, web.rechecks, the recheck command).

Key -> (Chinese, English) templates; see geo_service.messages.
"""

MESSAGES: dict[str, tuple[str, str]] = {
    "recheck.not_found": (
        "没有编号为 {id} 的重新检查记录；请在 /api/rechecks 或 /rechecks 页面查看已有记录。",
        "No re-check with id {id}; see /api/rechecks or the /rechecks page for those there are.",
    ),
    "recheck.bad_since": (
        "since={since} 不是日期或时间：请写成 2026-03-01、2026-03-01T08:00 或 2026年3月1日"
        "（未写时区的按本地时间）。",
        "since={since} is not a date or time: write 2026-03-01, 2026-03-01T08:00 or "
        "2026年3月1日 (local time unless an offset is given).",
    ),
    "recheck.bad_version": (
        "version={version} 不是园区图层的版本号：请写正整数（当前为第 {current} 版），"
        "或不填以使用当前版本。",
        "version={version} is not a version number of the zones layer: give a positive whole "
        "number (the current version is {current}) or leave it out for the current one.",
    ),
    "recheck.no_version": (
        "园区图层没有第 {version} 版（现有第 1 至第 {current} 版）。",
        "The zones layer has no version {version} (versions 1 to {current} exist).",
    ),
    "recheck.bad_check_id": (
        "检查编号 {id} 的写法不对：编号由字母、数字、“-”“_”组成，最长 64 个字符，"
        "多个编号用逗号分隔。",
        "Check id {id} is malformed: ids are letters, digits, '-' and '_', at most 64 "
        "characters; separate several with commas.",
    ),
    "recheck.unknown_checks": (
        "登记簿中没有这些检查：{ids}（共 {count} 个）；请核对编号，或改用 since 按日期选择。",
        "The register has no such checks: {ids} ({count} in all); check the ids, or choose "
        "by date with since.",
    ),
    "recheck.none_selected": (
        "没有可重新检查的检查（since：{since}）：登记簿中没有符合条件的检查。",
        "Nothing to re-check (since: {since}): no check in the register matches.",
    ),
    "recheck.too_many_checks": (
        "所选检查过多（{count} 个，每次最多 {max} 个，RECHECK_MAX_CHECKS）："
        "请用 since 或检查编号缩小范围。",
        "Too many checks selected ({count}; at most {max} per re-check, RECHECK_MAX_CHECKS): "
        "narrow the choice with since or check ids.",
    ),
    "recheck.too_many_parcels": (
        "所选检查共有 {parcels} 个地块，每次重新检查最多 {max} 个（RECHECK_MAX_PARCELS）："
        "请用 since 或检查编号缩小范围。",
        "The checks selected hold {parcels} parcels; a re-check takes at most {max} "
        "(RECHECK_MAX_PARCELS): narrow the choice with since or check ids.",
    ),
    "recheck.skipped_file": (
        "该检查使用上传的园区边界文件 {file}，而非园区图层：图层的新版本不影响它，未重新检查。",
        "This check used the uploaded zones file {file}, not the zones layer: a new layer "
        "version does not change it, so it was not re-checked.",
    ),
    "recheck.bad_body": (
        "请求体应为 JSON 对象（since、checks、version）或表单字段。",
        "The body must be a JSON object (since, checks, version) or form fields.",
    ),
    "recheck.too_many_rows": (
        "变化地块过多（{count} 个），HTML 汇总只列前 {max} 个；完整清单请下载 CSV 或 XLSX。",
        "Too many changed parcels ({count}): the HTML summary lists the first {max}; download "
        "the CSV or XLSX for all of them.",
    ),
    "link.recheck_summary": ("重新检查汇总（可打印）", "Re-check summary (printable)"),
    "cli.recheck_summary": (
        "重新检查 {id}：园区图层第 {version} 版；重新检查 {checks} 个检查、{parcels} 个地块，"
        "{changed} 个地块有变化，{skipped} 个检查跳过。",
        "Re-check {id}: zones layer version {version}; {checks} checks and {parcels} parcels "
        "re-checked, {changed} parcels changed, {skipped} checks skipped.",
    ),
    "cli.recheck_transition": (
        "  {before} → {after}：{parcels} 个地块，其中 {changed} 个有变化",
        "  {before} → {after}: {parcels} parcels, {changed} of them changed",
    ),
    "cli.recheck_parcel": (
        "  地块 {parcel}（检查 {check}）：{before} → {after}，区内面积 {inside_before} → "
        "{inside_after} m²（{change} m²，{change_mu} 亩）",
        "  parcel {parcel} (check {check}): {before} → {after}, area inside {inside_before} → "
        "{inside_after} m² ({change} m², {change_mu} mu)",
    ),
    "cli.recheck_skipped": ("  跳过检查 {id}：{reason}", "  skipped check {id}: {reason}"),
    "cli.recheck_failed": ("重新检查 {id} 未完成：{message}", "Re-check {id} failed: {message}"),
}
