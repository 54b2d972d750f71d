"""Messages: importing official boundaries into a layer (geo_service.layer_import, its checks
in geo_service.layer_checks, the API, the page and ``python -m geo_service layers import``).

Key -> (Chinese, English) templates; see geo_service.messages.
"""

MESSAGES: dict[str, tuple[str, str]] = {
    "import.bad_precision": (
        "精度“{precision}”无效；可选：{choices}",
        'precision "{precision}" is not one of: {choices}',
    ),
    "import.bad_flag": (
        "参数 {name} 应为 1 或 0，收到“{value}”",
        'the parameter {name} takes 1 or 0, not "{value}"',
    ),
    "import.bad_based_on": (
        "参数 based_on 应为版本号（正整数），收到“{value}”",
        'based_on takes a version number (a positive integer), not "{value}"',
    ),
    "import.source": ("导入：{file}（{date}）", "imported: {file} ({date})"),
    "import.default_message": ("导入边界文件 {file}", "boundaries imported from {file}"),
    "import.ids_from_file": (
        "未识别到编号字段：编号取自文件的要素编号（没有时按顺序编为“地块N”）；"
        "请用 id_field 指定编号字段",
        "no id field recognised: ids are the file's feature ids (else 地块N in file order); "
        "name the id field with id_field",
    ),
    "import.refused": (
        "{file}：有 {count} 个问题，未导入。第一个：{first}",
        "{file}: {count} problem(s), nothing imported. The first: {first}",
    ),
    "import.unchanged": (
        "{file} 与 {layer} 当前第 {number} 版相同，未写入新版本",
        "{file} equals version {number} of {layer}: no new version written",
    ),
    "import.where_current": ("当前版本的要素 {id}", "the current feature {id}"),
    "import.referenced": (
        "不在新文件中，但有 {count} 处引用它（{refs}）",
        "is not in the new file, but {count} place(s) refer to it ({refs})",
    ),
    "import.keep_referenced": (
        "请在文件中保留该编号（给对应边界填这个编号，或用 id_field 指定含这些编号的字段）",
        "keep this id in the file (give it to the matching boundary, or name the field holding "
        "these ids with id_field)",
    ),
    "edit.still_referenced": (
        "不能删除 {feature}：{first}",
        "{feature} cannot be deleted: {first}",
    ),
    "import.counties_filled": (
        "{count} 个要素没有所在县区（county），已按其位置从县级行政区图层补上",
        "{count} feature(s) had no county: filled from the counties layer by their position",
    ),
    "import.too_many_features": (
        "文件有 {count} 个要素，一个图层版本最多 {limit} 个",
        "the file holds {count} features; a layer version takes at most {limit}",
    ),
    "import.split_file": ("请分区导出后分别导入", "split the file and import the parts"),
    "import.too_many_vertices": (
        "文件共有 {count} 个坐标点，一个图层版本最多 {limit} 个",
        "the file holds {count} vertices; a layer version takes at most {limit}",
    ),
    "import.simplify": (
        "请在 GIS 软件中适当简化边界后再导入",
        "simplify the boundaries in a GIS and import again",
    ),
    "import.no_id": ("没有编号", "it has no id"),
    "import.duplicate_id": (
        "编号“{id}”与第 {first} 个要素重复",
        'the id "{id}" is also that of feature {first}',
    ),
    "import.id_too_long": (
        "编号有 {chars} 个字符，最多 {limit} 个",
        "the id has {chars} characters; at most {limit}",
    ),
    "import.give_id": (
        "每个要素应有唯一的编号；或用 id_field 指定另一个编号字段",
        "give each feature a unique id, or name another id field with id_field",
    ),
    "import.name_from_layer": (
        "未识别到名称字段：名称取自本图层的标注字段 {field}；如不对请用 name_field 指定",
        "no name field recognised: names are taken from the layer's label field {field}; "
        "name another with name_field",
    ),
    "import.no_name": ("没有名称", "it has no name"),
    "import.give_name": (
        "请填写名称，或用 name_field 指定名称字段",
        "fill in its name, or name the name field with name_field",
    ),
    "import.give_geometry": ("请为该要素绘制几何", "draw its geometry"),
    "import.wrong_type": (
        "几何类型为 {kind}，该图层为 {layer_type}",
        "its geometry is a {kind}; the layer holds {layer_type}",
    ),
    "import.give_type": ("请提供 {layer_type} 几何", "give it a {layer_type} geometry"),
    "import.repaired": (
        "几何无效（{reason}），已自动修复（{before} → {after}，面积变化 {share}%）",
        "invalid geometry ({reason}), repaired ({before} → {after}, area changed {share}%)",
    ),
    "import.check_repair": (
        "请在地图上核对修复后的边界",
        "check the repaired boundary on the map",
    ),
    "import.repair_refused": (
        "几何无效（{reason}），自动修复会使面积变化 {share}%（{before} → {after}），"
        "超过允许的 {tolerance}",
        "invalid geometry ({reason}); repairing it would change its area by {share}% "
        "({before} → {after}), more than the {tolerance} allowed",
    ),
    "import.outside_ankang": (
        "有 {area_m2} 平方米（{area_mu} 亩）在安康市界以外",
        "{area_m2} m² ({area_mu} mu) lie outside Ankang",
    ),
    "import.same_position": (
        "与第 {number} 个要素（{other}）位置相同",
        "it stands where feature {number} ({other}) stands",
    ),
    "import.check_position": (
        "如是同一地点的两个节点请保留；如是重复录入请删去其一",
        "keep both if two nodes share the place; delete one if it was entered twice",
    ),
    "import.short_line": (
        "线长只有 {length_m} 米（不足 {limit} 米）",
        "the line is only {length_m} m long (under {limit} m)",
    ),
    "import.check_line": (
        "请核对坐标系（crs）与线的端点",
        "check the coordinate system (crs) and the line's ends",
    ),
    "import.outside_ankang_shape": (
        "位于安康市界以外（允许误差 {slack} 米）",
        "it lies outside Ankang (beyond a {slack} m margin)",
    ),
    "import.check_place": (
        "请核对坐标系（crs）或裁去市界以外的部分",
        "check the coordinate system (crs) or clip what lies outside the city",
    ),
    "import.overlap": (
        "与第 {number} 个要素（{other}）重叠 {area_m2} 平方米（{area_mu} 亩）",
        "overlaps feature {number} ({other}) by {area_m2} m² ({area_mu} mu)",
    ),
    "import.too_many_overlaps": (
        "文件中相交的要素对超过 {limit} 对，未逐一核对重叠",
        "more than {limit} pairs of features touch: overlaps not checked one by one",
    ),
    "import.check_overlap": (
        "请核对两者的边界是否应当相接而不重叠",
        "check whether the two should touch rather than overlap",
    ),
    "import.no_file": ("请上传边界文件（字段 file）", "upload a boundaries file (field file)"),
    "cli.import_summary": (
        "{layer}：{features} 个要素（当前版本 {current} 个）；"
        "编号字段 {id_field}，名称字段 {name_field}；"
        "新增 {added}，删除 {removed}，扩大 {grown}，缩小 {shrunk}，移动或改形 {moved}，"
        "仅属性变化 {attributes}，未变 {unchanged}；错误 {errors}，提示 {warnings}",
        "{layer}: {features} features (the current version has {current}); id field "
        "{id_field}, name field {name_field}; added {added}, removed {removed}, grown {grown}, "
        "shrunk {shrunk}, moved or reshaped {moved}, attributes only {attributes}, unchanged "
        "{unchanged}; errors {errors}, warnings {warnings}",
    ),
    "cli.import_change": (
        "  {kind} {id}（{name}）：面积变化 {change_m2} 平方米（{change_mu} 亩）",
        "  {kind} {id} ({name}): area change {change_m2} m² ({change_mu} mu)",
    ),
    "cli.import_change_point": (
        "  {kind} {id}（{name}）：移动 {moved_m} 米",
        "  {kind} {id} ({name}): moved {moved_m} m",
    ),
    "cli.kind_point_moved": ("移动", "moved"),
    "cli.import_change_plain": ("  {kind} {id}（{name}）", "  {kind} {id} ({name})"),
    "cli.import_change_line": (
        "  {kind} {id}（{name}）：长度 {before_m} → {after_m} 米（变化 {change_m} 米）",
        "  {kind} {id} ({name}): length {before_m} → {after_m} m (change {change_m} m)",
    ),
    "cli.import_dry_run": (
        "试导入：未写入任何内容。确认后去掉 --dry-run 再运行一次",
        "dry run: nothing written. Run again without --dry-run to import",
    ),
    "cli.import_done": (
        "已写入 {layer} 第 {number} 版（{count} 个要素）",
        "wrote version {number} of {layer} ({count} features)",
    ),
    "cli.import_error": ("错误 {line}", "error {line}"),
    "cli.import_warning": ("提示 {line}", "warning {line}"),
    "cli.field_none": ("（未识别）", "(none recognised)"),
}
