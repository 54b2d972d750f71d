"""One exception hierarchy: every error knows its HTTP status and a stable code.

The web layer has a single handler that turns these into
``{"error": {"code": ..., "message": ...}}`` (or an HTML error page); the CLI prints the message
and exits non-zero. Messages say what is wrong and what to do, never a stack trace or a path.
"""

from __future__ import annotations


class GeoServiceError(Exception):
    """Base class. Subclasses set ``status`` and ``code``."""

    status = 500
    code = "internal_error"

    def __init__(self, message: str, *, details: dict | None = None):
        super().__init__(message)
        self.message = message
        self.details = details or {}

    def to_dict(self) -> dict:
        body = {"code": self.code, "message": self.message}
        if self.details:
            body["details"] = self.details
        return {"error": body}


class BadRequest(GeoServiceError):
    """A parameter is malformed or out of range (HTTP 400)."""

    status = 400
    code = "bad_request"


class NotFound(GeoServiceError):
    """No such collection, feature or page (HTTP 404)."""

    status = 404
    code = "not_found"


class NotAcceptable(GeoServiceError):
    """The requested output format is not offered (HTTP 406)."""

    status = 406
    code = "not_acceptable"


class CatalogError(GeoServiceError):
    """The layer catalog or a layer file is inconsistent; raised at start-up, not per request."""

    code = "catalog_error"


class BuildError(GeoServiceError):
    """build-layers cannot produce the layers (missing package, broken source data)."""

    code = "build_error"


class ConfigError(GeoServiceError):
    """A configuration value is missing or malformed."""

    code = "config_error"


class InputError(GeoServiceError):
    """An uploaded file cannot be used as it is (HTTP 422); ``details.problems`` says where."""

    status = 422
    code = "invalid_input"


class UnsupportedFormat(GeoServiceError):
    """The file is in no format the service reads (HTTP 415)."""

    status = 415
    code = "unsupported_format"


class TooLarge(GeoServiceError):
    """The upload, or what it unpacks to, is over the configured limit (HTTP 413)."""

    status = 413
    code = "too_large"


class Unauthorized(GeoServiceError):
    """No valid login, session or token for something that needs one (HTTP 401)."""

    status = 401
    code = "unauthorized"
    headers = {"WWW-Authenticate": 'Bearer realm="geo_service"'}


class Forbidden(GeoServiceError):
    """Logged in, but the role does not allow it, or a cross-site request (HTTP 403)."""

    status = 403
    code = "forbidden"


class Busy(GeoServiceError):
    """Heavy work is at its bound (queue or renders full): try again later (HTTP 503).

    The handler sends ``Retry-After: retry_after`` seconds.
    """

    status = 503
    code = "busy"

    def __init__(self, message: str, *, retry_after: int = 10, details: dict | None = None):
        super().__init__(message, details=details)
        self.retry_after = retry_after


def headers_of(exc: GeoServiceError) -> dict:
    """Extra response headers an error carries (Retry-After, WWW-Authenticate)."""
    headers = dict(getattr(exc, "headers", {}))
    retry_after = getattr(exc, "retry_after", None)
    if retry_after:
        headers["Retry-After"] = str(retry_after)
    return headers
