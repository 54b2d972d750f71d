"""One exception hierarchy: every error knows its HTTP status and a stable code.

The web layer has a single handler that turns these into
``{"error": {"code": ..., "message": ...}}`` (or an HTML error page) in the client's language;
the CLI prints the Chinese message and exits non-zero. Messages come from the catalogue
(geo_service.messages): an error names a key and its parameters, never a sentence, and says
what is wrong and what to do, never a stack trace or a path.
"""

from __future__ import annotations

from geo_service.messages import DEFAULT_LANGUAGE, Msg, localise


class GeoServiceError(Exception):
    """Base class. Subclasses set ``status`` and ``code``."""

    status = 500
    code = "internal_error"

    def __init__(self, key: str | Msg, /, *, details: dict | None = None, **params):
        self.msg = key if isinstance(key, Msg) else Msg(key, **params)
        super().__init__(self.msg.text())
        self.details = details or {}

    @property
    def message(self) -> str:
        """The message in Chinese (the CLI, logs and stored records)."""
        return self.msg.text()

    def to_dict(self, lang: str = DEFAULT_LANGUAGE) -> dict:
        body = {"code": self.code, "message": self.msg.text(lang)}
        if self.details:
            body["details"] = localise(self.details, lang)
        return {"error": body}

    def __reduce__(self):
        # Pickled across worker processes: rebuild from the key, not from the rendered text.
        return (_rebuild, (type(self), self.msg, self.details, self.__dict__))

    def to_record(self) -> dict:
        """What a stored job keeps of this error, to be shown later in any language."""
        return {
            "status": self.status,
            "code": self.code,
            "message": self.message,
            "i18n": {"message": self.msg.to_json()},
            **({"details": self.details} if self.details else {}),
        }


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


class Conflict(GeoServiceError):
    """The data changed under the request (another version was written first) (HTTP 409)."""

    status = 409
    code = "conflict"


class PreconditionFailed(GeoServiceError):
    """If-Match names a version of the resource that is no longer current (HTTP 412);
    ``headers`` carries the current ETag."""

    status = 412
    code = "precondition_failed"


class PreconditionRequired(GeoServiceError):
    """A write that must be conditional came without If-Match (HTTP 428)."""

    status = 428
    code = "precondition_required"


class Busy(GeoServiceError):
    """Heavy work is at its bound (queue or renders full): try again later (HTTP 503).

    The handler sends ``Retry-After: retry_after`` seconds.
    """

    status = 503
    code = "busy"

    def __init__(
        self, key: str | Msg, /, *, retry_after: int = 10, details: dict | None = None, **params
    ):
        super().__init__(key, details=details, **params)
        self.retry_after = retry_after


def _rebuild(cls, msg: Msg, details: dict, state: dict) -> GeoServiceError:
    error = cls.__new__(cls)
    GeoServiceError.__init__(error, msg, details=details)
    error.__dict__.update(state)
    return error


def headers_of(exc: GeoServiceError) -> dict:
    """Extra response headers an error carries (Retry-After, WWW-Authenticate)."""
    headers = dict(getattr(exc, "headers", {}))
    retry_after = getattr(exc, "retry_after", None)
    if retry_after:
        headers["Retry-After"] = str(retry_after)
    return headers
