"""Messages: layer versions (lists, diffs, ``?version=``, revert, repo drift).

Key -> (Chinese, English) templates; see geo_service.messages.
"""

MESSAGES: dict[str, tuple[str, str]] = {
    "versions.bad_number": (
        "{name}={value} 不是版本号：版本号是从 1 开始的整数，如 {name}=2。",
        "{name}={value} is not a version number: versions are integers from 1, e.g. {name}=2.",
    ),
    "versions.bad_if_match": (
        "If-Match: {value} 不是图层 {layer} 的版本标记：请用版本列表中当前版本的 etag"
        "（如 {layer}-v3-…）或版本号，或不带 If-Match。",
        "If-Match: {value} is not a version tag of layer {layer}: send the current version's "
        "etag from the versions list (e.g. {layer}-v3-…) or its number, or no If-Match.",
    ),
    "versions.bad_body": (
        '恢复请求的内容无法读取：请发送 JSON 对象（如 {{"message": "…"}}）或表单字段 message。',
        'The revert request\'s body cannot be read: send a JSON object (e.g. {{"message": '
        '"…"}}) or a form field message.',
    ),
    "versions.revert_current": (
        "第 {number} 版已是图层 {layer} 的当前版本，无需恢复。",
        "Version {number} is already the current version of layer {layer}; nothing to revert.",
    ),
    "versions.revert_message": ("恢复为第 {number} 版", "reverted to version {number}"),
    "versions.revert_referenced": (
        "不能恢复为第 {number} 版：{first}；请先改掉这些引用，再恢复",
        "Cannot revert to version {number}: {first}; change those references first",
    ),
    "versions.import_repo_message": (
        "导入部署中的图层文件 {file}",
        "the deploy's layer file {file} imported",
    ),
    "versions.drift": (
        "部署中的图层文件 {file} 与图层 {layer} 的任何版本都不同（仓库文件已更新，但服务"
        "仍提供数据库中的版本）；如需采用该文件，请运行 "
        "python -m geo_service store import-repo {layer}。",
        "The deploy's layer file {file} differs from every version of layer {layer} (the repo's "
        "file changed; the service still serves the database's version); to take the file, run "
        "python -m geo_service store import-repo {layer}.",
    ),
    "versions.link_version": ("第 {number} 版及其差异", "version {number} and its diff"),
    "versions.link_list": ("全部版本", "all versions"),
    "versions.link_download": ("下载该版本（GeoPackage）", "this version (GeoPackage)"),
    "versions.zones_version": ("图层 {layer} 第 {number} 版", "layer {layer}, version {number}"),
    "versions.download_name": ("{title}（第{number}版）", "{title} (version {number})"),
    "cli.store_layer_needed": (
        "请指定图层：python -m geo_service store import-repo 图层编号（可选：{layers}）",
        "name the layer: python -m geo_service store import-repo LAYER (one of: {layers})",
    ),
    "cli.store_drift": ("  {message}", "  {message}"),
    "cli.store_import_repo_done": (
        "图层 {layer} 已从 {file} 生成第 {number} 版（{count} 个要素；新增 {added}、删除 "
        "{removed}、修改 {changed}）",
        "layer {layer}: version {number} made from {file} ({count} features; {added} added, "
        "{removed} removed, {changed} changed)",
    ),
    "cli.store_import_repo_current": (
        "图层 {layer} 的当前第 {number} 版已来自 {file}（SHA-256 相同），未生成新版本",
        "layer {layer}: the current version {number} already comes from {file} (same SHA-256); "
        "no new version",
    ),
}
