"""Messages: web. Key -> (Chinese, English); see geo_service.messages."""

MESSAGES: dict[str, tuple[str, str]] = {}
