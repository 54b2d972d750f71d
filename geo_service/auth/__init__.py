"""Accounts and roles: who may do what. Pure rules here; the store is ``auth.store``.

The roles are those of a planning bureau's intranet GIS, each including the one before:
``viewer`` (maps, layers, downloads, snapshots, analyses), ``land`` (also runs checks and reads
the register), ``planner`` (also imports actual figures and edits layers), ``admin`` (also
users, tokens and the audit log).
"""

from __future__ import annotations

from dataclasses import dataclass

ROLES = ("viewer", "land", "planner", "admin")
ROLE_ZH = {
    "viewer": "浏览（viewer）",
    "land": "用地检查（land）",
    "planner": "规划（planner）",
    "admin": "管理员（admin）",
}
AUTH_MODES = ("local", "proxy", "none")
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

#: The role each endpoint needs beyond ``viewer``. A state-changing request to an endpoint not
#: listed here is refused: writes are denied unless a rule names the role that may make them.
ENDPOINT_ROLES = {
    "checks.create_check": "land",
    "checks.list_checks": "land",
    "checks.get_check": "land",
    "checks.check_parcels": "land",
    "checks.check_page": "land",
    "rechecks.create_recheck": "land",
    "rechecks.list_rechecks": "land",
    "rechecks.get_recheck": "land",
    "rechecks.recheck_page": "land",
    "analysis.import_actuals": "planner",
    "versions.revert_version": "planner",
    "imports.create_import": "planner",
    "imports.import_page": "planner",
    "edits.create_item": "planner",
    "edits.replace_item": "planner",
    "edits.update_item": "planner",
    "edits.delete_item": "planner",
    "accounts.users": "admin",
    "accounts.create_user": "admin",
    "accounts.update_user": "admin",
    "accounts.tokens": "admin",
    "accounts.create_token": "admin",
    "accounts.revoke_token": "admin",
    "accounts.audit": "admin",
    "accounts.admin_page": "admin",
}
#: Endpoints anyone may use, logged in or not, whatever PUBLIC_READ says.
OPEN_ENDPOINTS = frozenset(
    {
        "accounts.login",
        "accounts.login_form",
        "accounts.logout",
        "static",
        "health.alive",
        "health.ready",
    }
)
#: Writes that need a session but no role (logging out, or in, is not a change of data).
ROLELESS_WRITES = frozenset({"accounts.login", "accounts.logout"})


@dataclass(frozen=True)
class User:
    """Who makes the request: ``name`` is what the register and the audit log record."""

    name: str
    role: str
    via: str  # "session", "token", "proxy", "none" or "anonymous"

    @property
    def anonymous(self) -> bool:
        return self.via == "anonymous"

    def may(self, role: str) -> bool:
        return not self.anonymous and ROLES.index(self.role) >= ROLES.index(role)


ANONYMOUS = User("", "viewer", "anonymous")


def required_role(endpoint: str | None, method: str, args) -> str | None:
    """The role a request needs, ``None`` when anyone (even anonymous) may make it under
    PUBLIC_READ. ``args`` are the query arguments: a snapshot of a check reads the register."""
    if endpoint in OPEN_ENDPOINTS:
        return None
    role = ENDPOINT_ROLES.get(endpoint or "")
    if endpoint == "exports.snapshot_view" and args.get("check"):
        role = "land"
    if method not in SAFE_METHODS:
        return role or ("viewer" if endpoint in ROLELESS_WRITES else "forbidden")
    return role


def valid_role(role: str) -> str:
    from geo_service.errors import BadRequest

    if role not in ROLES:
        raise BadRequest("auth.unknown_role", role=str(role)[:64], choices=", ".join(ROLES))
    return role
