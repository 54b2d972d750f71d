"""The README's examples work: every documented URL answers, every documented command exists."""

from __future__ import annotations

import io
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


IMAGES = re.findall(r"!\[[^\]]*\]\(([^)\s]+)\)", README)


def test_every_image_the_readme_shows_exists_and_every_screenshot_is_shown():
    assert "docs/screenshots/check.png" in IMAGES
    missing = [image for image in IMAGES if not (REPO_ROOT / image).is_file()]
    assert not missing, missing
    shots = {f"docs/screenshots/{p.name}" for p in (REPO_ROOT / "docs/screenshots").glob("*")}
    assert shots <= set(IMAGES), shots - set(IMAGES)  # none left over from an older layout


def test_the_screenshots_script_rewrites_the_report_table(tmp_path):
    sys.path.insert(0, str(REPO_ROOT / "scripts"))
    try:
        import screenshots
    finally:
        sys.path.remove(str(REPO_ROOT / "scripts"))
    readme = tmp_path / "README.md"
    readme.write_text(README, encoding="utf-8")
    screenshots.write_report_table(3, readme)
    text = readme.read_text(encoding="utf-8")
    table = text.split(screenshots.REPORT_TABLE[0])[1].split(screenshots.REPORT_TABLE[1])[0]
    assert re.findall(r"report-(\d)\.png", table) == ["1", "2", "3"]
    assert text.replace(table, "") == README.replace(
        README.split(screenshots.REPORT_TABLE[0])[1].split(screenshots.REPORT_TABLE[1])[0], ""
    )


def test_the_screenshots_parcels_show_every_result(client):
    """The screenshots' 界址点 file (GBK) gives 区内, 部分在区内 and 区外 on the zones layer."""
    data = (REPO_ROOT / "tests" / "data" / "jzd" / "ankang_desk_gbk.txt").read_bytes()
    response = client.post(
        "/api/checks",
        data={"file": (io.BytesIO(data), "ankang_desk_gbk.txt")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 201, response.json
    statuses = [p["status"] for p in response.json["parcels"]]
    assert statuses == ["inside", "partial", "inside", "outside"]
    assert all(p["warnings"] == [] and p["name"] for p in response.json["parcels"])
