"""What is wrong with a filter, in words a person reads: GEOS's and pygeofilter's own texts
(English, technical) never go into the sentence, at most into the error's ``details``."""

from __future__ import annotations

import re

import shapely

from geo_service.errors import BadRequest

#: GEOS's ``is_valid_reason`` (``"Self-intersection[108.5 32.5]"``) -> the message key.
GEOS_REASONS = {
    "Self-intersection": "cql.geometry_self_intersection",
    "Ring Self-intersection": "cql.geometry_self_intersection",
    "Too few points in geometry component": "cql.geometry_too_few_points",
}
_REASON = re.compile(r"(?P<reason>[^\[]*)(\[(?P<at>[^\]]*)\])?")


def invalid_geometry(shape: shapely.Geometry) -> BadRequest:
    """The 400 for a geometry GEOS says is invalid: what and where (lon lat), what to do."""
    reason = shapely.is_valid_reason(shape)
    match = _REASON.match(reason)
    key = GEOS_REASONS.get(match["reason"].strip(), "cql.geometry_invalid")
    at = " ".join(f"{float(v):.7g}" for v in (match["at"] or "").split()[:2]) or "?"
    return BadRequest(key, at=at, details={"reason": reason[:120]})


def unreadable_geometry(exc: Exception) -> BadRequest:
    """The 400 for a geometry literal shapely cannot read at all."""
    return BadRequest("cql.bad_geometry", details={"reason": str(exc)[:120]})


def invalid_filter(exc: Exception) -> BadRequest:
    """The 400 for a filter the library could not turn into its AST (after the checks)."""
    return BadRequest("cql.invalid", details={"reason": str(exc)[:200]})
