"""Regenerate docs/map.png, the README's screenshot: the map at / in headless Chromium.

PYTHONPATH=. .venv/bin/python scripts/readme_screenshot.py
"""

from __future__ import annotations

from playwright.sync_api import sync_playwright

from geo_service.config import REPO_ROOT
from geo_service.testing import CHROMIUM, CHROMIUM_ARGS, running_service


def main() -> None:
    out = REPO_ROOT / "docs" / "map.png"
    with running_service() as url, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 860}, locale="zh-CN")
        page.goto(f"{url}/")
        page.wait_for_selector("body[data-map-ready]")
        page.select_option("#gs-cluster", "tea")
        page.wait_for_timeout(300)
        page.screenshot(path=str(out))
        browser.close()
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
