"""docs/deployment.md names only what exists: settings, commands and their options, the probe
URL; the README links it under its own heading."""

from __future__ import annotations

import contextlib
import io
import re

import pytest

from geo_service.__main__ import main
from geo_service.config import DEFAULTS, REPO_ROOT

PAGE = (REPO_ROOT / "docs" / "deployment.md").read_text(encoding="utf-8")
README = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
#: Upper-case names in backticks on the page that are not settings of ours.
NOT_SETTINGS = {"TMPDIR", "PGPASSWORD", "SUPERUSER", "CREATEDB", "CREATEROLE"}


def test_the_readme_links_the_page_under_its_heading():
    assert "## 多台服务器部署 / Deployment on several machines" in README
    assert "(docs/deployment.md)" in README


def test_every_setting_the_page_names_is_a_setting():
    prefixed = set(re.findall(r"GEO_SERVICE_([A-Z][A-Z0-9_]+)", PAGE))
    bare = set(re.findall(r"`([A-Z][A-Z0-9_]{2,})(?:=[^`]*)?`", PAGE))
    bare = {name.removeprefix("GEO_SERVICE_") for name in bare} - NOT_SETTINGS
    assert {"DATABASE_URL", "SECRET_KEY", "TRUSTED_PROXIES"} <= prefixed
    assert {"LAYER_REFRESH_SECONDS", "JOB_LEASE_SECONDS", "BIG_CHECK_PARCELS"} <= bare
    in_nginx = {"MAX_CONTENT_LENGTH", "BIG_CHECK_MAX_BYTES", "CHECK_SYNC_SECONDS"}
    assert all(name in PAGE for name in in_nginx) and in_nginx <= set(DEFAULTS)
    unknown = (prefixed | bare) - set(DEFAULTS)
    assert not unknown, unknown


def help_of(argv: list[str]) -> tuple[int, str]:
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
        try:
            main([*argv, "--help"])
        except SystemExit as stop:
            return int(stop.code or 0), out.getvalue()
    return 0, out.getvalue()


COMMANDS = sorted(
    {c.split("#")[0].strip() for c in re.findall(r"python -m geo_service ([^`\n]+)", PAGE)}
)


def test_the_page_names_the_commands_a_deployment_uses():
    named = {c.split()[0] for c in COMMANDS}
    assert {"serve", "worker", "db"} <= named, named


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_the_page_names_parses(command):
    """The command (and its subcommand) exists and knows every --option the page gives it."""
    words = command.replace("\\", " ").split()
    argv = words[:2] if len(words) > 1 and re.fullmatch(r"[a-z][a-z-]*", words[1]) else words[:1]
    code, text = help_of(argv)
    if code != 0 and len(argv) == 2:  # the second word was an argument, not a subcommand
        argv = argv[:1]
        code, text = help_of(argv)
    assert code == 0, (command, text)
    for option in re.findall(r"(?<![\w-])(--[a-z][a-z-]*)", command):
        assert option in text, (command, option)


def test_the_health_probe_answers(client):
    for probe in ("/collections?f=json", "/api/health", "/api/health/ready"):
        assert f"GET {probe}" in PAGE, probe
        assert client.get(probe).status_code == 200, probe
