"""The OpenAPI paths of accounts: login, the caller, users, tokens and the audit log."""

from __future__ import annotations

from geo_service.web.openapi import (
    CSV,
    GUARDED,
    HTML,
    JSON,
    OBJECT,
    STRING,
    WRITE,
    Paths,
    format_param,
    json_ok,
    ok,
    paging,
    param,
)

ROLE = {"type": "string", "enum": ["viewer", "land", "planner", "admin"]}
NAME = {"type": "string", "minLength": 1, "maxLength": 64}


def json_body(properties: dict, required: tuple[str, ...] = ()) -> dict:
    """A required JSON object body of at most 16 KB."""
    schema = {"type": "object", "properties": properties, "required": list(required)}
    if not required:
        del schema["required"]
    return {"required": True, "content": {JSON: {"schema": schema}}}


def account_paths(api: Paths) -> None:
    api.add("/login", "get", "登录 page", ok={"200": ok("the login form", {HTML: STRING})})
    api.add(
        "/login",
        "post",
        "log in (the form, with its csrf_token); 303 to next",
        ok={
            "303": {"description": "logged in; the session cookie is set"},
            "401": ok("wrong name or password: the form again", {HTML: STRING}),
        },
        errors=("403", "429"),
        body={
            "required": True,
            "content": {
                "application/x-www-form-urlencoded": {
                    "schema": {
                        "type": "object",
                        "required": ["name", "password", "csrf_token"],
                        "properties": {
                            "name": NAME,
                            "password": STRING,
                            "csrf_token": STRING,
                            "next": STRING,
                        },
                    }
                }
            },
        },
    )
    api.add(
        "/logout",
        "post",
        "log out (form with csrf_token)",
        ok={"303": {"description": "logged out"}},
        errors=("403",),
    )
    api.add("/api/me", "get", "who the caller is (user, role, how)", ok=json_ok("the caller"))
    api.add(
        "/admin",
        "get",
        "账户与审计 page (admin)",
        ok={"200": ok("the page", {HTML: STRING})},
        errors=GUARDED,
    )
    api.add("/api/users", "get", "the accounts (admin)", ok=json_ok("users"), errors=GUARDED)
    api.add(
        "/api/users",
        "post",
        "create an account (admin); no password: proxy sign-on only",
        ok={"201": ok("created", {JSON: OBJECT})},
        errors=("400", *WRITE),
        body=json_body({"name": NAME, "role": ROLE, "password": STRING}, ("name", "role")),
    )
    api.add(
        "/api/users/{name}",
        "patch",
        "change role, disable/enable, or set a new password (admin)",
        ok=json_ok("the account"),
        errors=("400", *WRITE, "404"),
        params=[param("name", NAME, "the user name", "path", required=True)],
        body=json_body({"role": ROLE, "disabled": {"type": "boolean"}, "password": STRING}),
    )
    api.add(
        "/api/tokens",
        "get",
        "API tokens, without the tokens (admin)",
        ok=json_ok("tokens"),
        errors=GUARDED,
    )
    api.add(
        "/api/tokens",
        "post",
        "make an API token for a user (admin); the token is in the answer only",
        ok={"201": ok("created", {JSON: OBJECT})},
        errors=("400", *WRITE, "404"),
        body=json_body({"user": NAME, "label": STRING}, ("user",)),
    )
    api.add(
        "/api/tokens/{tokenId}",
        "delete",
        "revoke a token (admin)",
        ok=json_ok("the revoked token"),
        errors=(*WRITE, "404"),
        params=[param("tokenId", STRING, "the token id", "path", required=True)],
    )
    api.add(
        "/api/audit",
        "get",
        "the audit log of every write, newest first (admin); f=csv exports all",
        ok={"200": ok("entries", {JSON: OBJECT, CSV: STRING})},
        errors=("400", *GUARDED, "406"),
        params=[
            format_param(("json", "csv")),
            param("user", STRING, "only this user's entries"),
            *paging(100, 1000, "entries"),
        ],
    )
