"""The README's examples work: every documented URL answers, every documented command exists."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from geo_service.config import REPO_ROOT

README = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
URLS = sorted({u.rstrip("`.") for u in re.findall(r"http://127\.0\.0\.1:8000(/[^\s'\"]*)", README)})
SLOW = ("format=png", "format=pdf")  # Chromium renders; covered in test_snapshots


@pytest.mark.parametrize(
    "path", [u for u in URLS if "<" not in u and not any(s in u for s in SLOW)]
)
def test_documented_urls_answer(client, path):
    response = client.get(path)
    assert response.status_code == 200, (path, response.status_code)


def test_documented_configuration_keys_exist(app):
    table = README[README.index("## Configuration") : README.index("## Development")]
    keys = set(re.findall(r"^\| `([A-Z][A-Z_]+)`|, `([A-Z][A-Z_]+)`", table, re.M))
    keys = {k for pair in keys for k in pair if k}
    assert keys and keys <= set(app.config), keys - set(app.config)


def test_documented_commands_exist():
    commands = set(re.findall(r"python -m geo_service (\w[\w-]*)", README))
    assert {"serve", "build-layers", "check", "snapshot", "analyse"} <= commands
    help_text = subprocess.run(
        [sys.executable, "-m", "geo_service", "--help"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    ).stdout
    for command in commands:
        assert command in help_text, command
    targets = set(re.findall(r"^make ([\w-]+)", README, re.M))
    makefile = (REPO_ROOT / "Makefile").read_text(encoding="utf-8")
    for target in targets:
        assert re.search(rf"^{re.escape(target)}:", makefile, re.M), target
