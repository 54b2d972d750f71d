"""Values PostgreSQL refuses that SQLite takes: a 4xx naming the rule, never a 500.

SQLite stores a NUL character in text, an integer of 64 bits in any INTEGER column and text
of any length in a VARCHAR(n); PostgreSQL refuses each (DataError). The code that takes a
value from outside bounds it where it can say which field; this hook is the net under all of
them: a refused value in a query (a lookup by an id no row can have) is a 404, in a write a
400, each saying which rule the value broke. The transaction is rolled back as for any
error, so nothing half-written is kept.
"""

from __future__ import annotations

import re

from sqlalchemy import Engine, event
from sqlalchemy.exc import DataError

from geo_service.errors import BadRequest, NotFound
from geo_service.messages import Msg

TOO_LONG = re.compile(r"value too long for type character varying\((\d+)\)")


def rule_broken(reason: str) -> Msg:
    """The rule a refused value broke, in words."""
    if "NUL" in reason:
        return Msg("store.rule_nul")
    if "out of range" in reason:
        return Msg("store.rule_integer")
    found = TOO_LONG.search(reason)
    if found:
        return Msg("store.rule_length", chars=int(found.group(1)))
    return Msg("store.rule_other", reason=reason[:200])


def install(engine: Engine) -> None:
    """Turn DataError on ``engine`` into NotFound (a query) or BadRequest (a write)."""

    @event.listens_for(engine, "handle_error")
    def refused(context):
        if not isinstance(context.sqlalchemy_exception, DataError):
            return None
        lines = str(context.original_exception).strip().splitlines()
        rule = rule_broken(lines[0] if lines else "")
        statement = (context.statement or "").lstrip().upper()
        if statement.startswith("SELECT"):
            return NotFound("store.value_not_found", rule=rule)
        return BadRequest("store.value_refused", rule=rule)
