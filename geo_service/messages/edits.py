"""Messages: editing features (OGC API - Features Part 4) and their change history.

Key -> (Chinese, English) templates; see geo_service.messages.
"""

MESSAGES: dict[str, tuple[str, str]] = {
    # What a version made by an edit records.
    "edit.message_create": ("新建要素 {feature}", "Created feature {feature}"),
    "edit.message_replace": ("替换要素 {feature}", "Replaced feature {feature}"),
    "edit.message_update": ("编辑要素 {feature}", "Edited feature {feature}"),
    "edit.message_delete": ("删除要素 {feature}", "Deleted feature {feature}"),
    "edit.source_name": ("在线编辑 {feature}", "online edit {feature}"),
    "edit.source_note": ("编辑：{user} {date}", "edited: {user} {date}"),
    "edit.source_join": ("{source}；{note}", "{source}; {note}"),
    # The request body.
    "edit.media_type": (
        "请求体的类型 {given} 不可用；要素请以 application/geo+json 或 application/json 发送"
        "{patch}。",
        "The body's type {given} is not accepted; send the feature as application/geo+json "
        "or application/json{patch}.",
    ),
    "edit.media_patch": (
        "（PATCH 也可用 application/merge-patch+json）",
        " (PATCH also application/merge-patch+json)",
    ),
    "edit.too_large": (
        "请求体有 {size} 字节，超过编辑一个要素的上限 {limit} 字节；请简化几何（减少节点）后重试。",
        "The body has {size} bytes, over the {limit} bytes one feature's edit may have; "
        "simplify the geometry (fewer vertices) and try again.",
    ),
    "edit.not_utf8": (
        "请求体不是 UTF-8 编码的文本；请以 UTF-8 发送 GeoJSON。",
        "The body is not UTF-8 text; send the GeoJSON in UTF-8.",
    ),
    "edit.not_json": (
        "请求体不是有效的 JSON：第 {line} 行第 {column} 列，{error}。",
        "The body is not valid JSON: line {line}, column {column}, {error}.",
    ),
    "edit.not_finite": (
        "请求体含有非有限数值（{value}）；坐标和属性只能是有限的数字。",
        "The body holds a non-finite number ({value}); coordinates and values must be finite.",
    ),
    "edit.int_too_big": (
        "请求体含有超出范围的整数（{value}）；整数最多 ±9223372036854775807（64 位），"
        "更长的编码请写成文本（加引号）。",
        "The body holds an integer out of range ({value}); integers go up to "
        "±9223372036854775807 (64 bits): write longer codes as text (in quotes).",
    ),
    "edit.surrogate": (
        "请求体含有无效的 Unicode 字符（孤立的代理项 {char}），无法保存为 UTF-8；"
        "请检查生成该 JSON 的程序。",
        "The body holds an invalid Unicode character (a lone surrogate {char}) that cannot "
        "be kept as UTF-8; check the program that wrote the JSON.",
    ),
    "edit.too_deep": (
        "请求体的 JSON 嵌套超过 {limit} 层；请检查属性中是否有过深的嵌套。",
        "The body's JSON nests deeper than {limit} levels; check the properties for deep nesting.",
    ),
    "edit.not_feature": (
        "请求体应为一个 GeoJSON 要素（type 为 Feature），而不是 {given}。",
        "The body must be one GeoJSON feature (type Feature), not {given}.",
    ),
    "edit.unknown_member": (
        "要素中有未知的成员 {names}；可用：type、id、geometry、properties"
        "（links、bbox 会被忽略）。",
        "The feature has unknown members {names}; use type, id, geometry, properties "
        "(links and bbox are ignored).",
    ),
    "edit.properties_not_object": (
        "properties 应为 JSON 对象（键值对）。",
        "properties must be a JSON object.",
    ),
    "edit.too_many_properties": (
        "properties 有 {count} 个属性，超过上限 {limit} 个。",
        "properties has {count} entries, over the limit of {limit}.",
    ),
    "edit.property_name": (
        "属性名 {name} 不可用：属性名须为 1–{limit} 个字符。",
        "The property name {name} is not usable: names have 1–{limit} characters.",
    ),
    "edit.text_too_long": (
        "属性 {name} 的文字有 {length} 个字符，超过上限 {limit} 个。",
        "Property {name} holds {length} characters, over the limit of {limit}.",
    ),
    "edit.bad_id": (
        "要素编号 {feature} 不可用：编号须为 1–64 个字母、数字、汉字或 - _ . 字符。",
        "The feature id {feature} is not usable: ids have 1–64 letters, digits, Chinese "
        "characters or - _ . only.",
    ),
    "edit.id_mismatch": (
        "请求体中的编号 {given} 与地址中的要素编号 {feature} 不一致；编号不能通过编辑修改。",
        "The id {given} in the body differs from the feature id {feature} in the address; "
        "an edit cannot change an id.",
    ),
    "edit.id_taken": (
        "图层 {collection} 中已有编号为 {feature} 的要素；请换一个编号，或用 PUT 替换它。",
        "Layer {collection} already has a feature {feature}; choose another id, or PUT to "
        "replace it.",
    ),
    "edit.no_geometry": (
        "要素需要几何（geometry）；编辑不能去掉几何。",
        "The feature needs a geometry; an edit cannot remove it.",
    ),
    "edit.geometry_type": (
        "几何类型 {given} 不可用；可用：{choices}。",
        "The geometry type {given} is not usable; use one of: {choices}.",
    ),
    "edit.coordinates": (
        "几何 {kind} 的坐标结构有误（{where}）：每个位置应为 2 或 3 个数字，按类型嵌套。",
        "The {kind} geometry's coordinates are malformed ({where}): each position is 2 or 3 "
        "numbers, nested as the type requires.",
    ),
    "edit.too_many_vertices": (
        "几何有 {count} 个节点，超过上限 {limit} 个；请简化后重试。",
        "The geometry has {count} vertices, over the limit of {limit}; simplify it and retry.",
    ),
    "edit.ring_short": (
        "几何 {kind} 的第 {part} 部分只有 {count} 个点，至少需要 {least} 个。",
        "Part {part} of the {kind} geometry has {count} points; it needs at least {least}.",
    ),
    "edit.outside_crs": (
        "坐标无法在 {crs} 中换算为经纬度（坐标顺序：{order}）；请检查 Content-Crs 与坐标顺序。",
        "The coordinates cannot be moved from {crs} to longitude/latitude (axis order: "
        "{order}); check Content-Crs and the axis order.",
    ),
    "edit.not_editable": (
        "图层 {collection} 是基础参考数据，不能在线编辑；可编辑的图层：{editable}。",
        "Layer {collection} is reference data and cannot be edited online; editable layers: "
        "{editable}.",
    ),
    # The feature checked against its layer (422; layer_checks does the geometry's checks).
    "edit.refused": (
        "要素 {feature} 未保存：{first}",
        "Feature {feature} was not saved: {first}",
    ),
    "edit.missing": (
        "要素 {feature}：缺少必填属性 {names}（每个要素都需要 id、name、source、precision）。",
        "Feature {feature}: the required properties {names} are missing (every feature needs "
        "id, name, source, precision).",
    ),
    "edit.bad_precision": (
        "要素 {feature}：precision={given} 未知；可选：{choices}。",
        "Feature {feature}: precision={given} is unknown; choose one of: {choices}.",
    ),
    # Optimistic concurrency (If-Match and the item's ETag).
    "edit.if_match_required": (
        "修改要素 {feature} 需要 If-Match 请求头（先 GET 该要素，取其 ETag），以免覆盖他人的修改。",
        "Changing feature {feature} needs an If-Match header (GET the feature and send its "
        "ETag), so that no one else's change is overwritten.",
    ),
    "edit.stale": (
        "要素 {feature} 已被他人修改（If-Match 不是当前的 ETag），本次修改未保存；"
        "请重新读取该要素（当前 ETag 见响应头），在最新内容上再修改。",
        "Feature {feature} was changed by someone else (If-Match is not its current ETag); "
        "nothing saved. Reload the feature (its current ETag is in the response) and make the "
        "change again.",
    ),
    "edit.busy": (
        "图层 {collection} 正被频繁修改，本次修改未保存；请稍后重试。",
        "Layer {collection} is being changed by many at once; nothing saved. Try again shortly.",
    ),
    "edit.message_too_long": (
        "X-Change-Message 最多 {limit} 个字符。",
        "X-Change-Message takes at most {limit} characters.",
    ),
    # The change history of a feature.
    "history.added": ("新建", "created"),
    "history.changed": ("修改", "changed"),
    "history.removed": ("删除", "deleted"),
}
