"""Messages: reading parcel and zone files, land checks and their exports.

Key -> (Chinese, English) templates; see geo_service.messages.
"""

MESSAGES: dict[str, tuple[str, str]] = {
    "attributes.cut": (
        "部分地块的属性超出上限（每块最多 {fields} 个字段、每个值最多 {chars} 个字符），超出部分未保留",
        "attributes beyond {fields} fields or {chars} characters per value were cut",
    ),
}
