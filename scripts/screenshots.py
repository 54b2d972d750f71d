"""Refresh docs/screenshots/*.png, the README's 截图: the pages as a planner and a clerk see them.

make screenshots        (= PYTHONPATH=. .venv/bin/python scripts/screenshots.py)

Starts the service (geo_service.testing.running_service) on a temporary instance with accounts
(admin, a land clerk, a planner), logs in as admin in headless Chromium, checks the GBK 界址点
file tests/data/jzd/ankang_desk_gbk.txt against the zones layer and saves, at 1366×768:

  map.png                the map page
  map-cluster.png        the map with the cluster filter on 茶产业集群 (the README's first image)
  map-popup.png          the map at 安康高新区 with the zone's popup open
  check.png              the check page with the result
  check-parcel.png       the same after clicking a row of the table (parcel zoomed, popup)
  report-1.png …         the check's PDF report, page by page (PDFium via pypdfium2, 110 dpi)
  analysis-<tab>.png     the analysis page's four tabs (coverage, reach, enclaves, targets; the
                         targets with the invented sample figures, labelled 样例数据)
  admin.png              the admin page (users, tokens, audit log)
  api-collection.png     the zones collection page (offered CRSs, links to items and queryables)
  api-queryables.png     the zones queryables page (the fields a CQL2 filter may use)

Needs Chromium and a Chinese font (apt-get install chromium fonts-wqy-microhei).
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pypdfium2
from playwright.sync_api import Page, sync_playwright

from geo_service.config import REPO_ROOT
from geo_service.testing import CHROMIUM, CHROMIUM_ARGS, running_service

OUT = REPO_ROOT / "docs" / "screenshots"
README = REPO_ROOT / "README.md"
#: The README's table of the report's pages lies between these lines (rewritten each run).
REPORT_TABLE = (
    "<!-- report pages: written by scripts/screenshots.py -->",
    "<!-- end of report pages -->",
)
PARCELS = REPO_ROOT / "tests" / "data" / "jzd" / "ankang_desk_gbk.txt"
VIEWPORT = {"width": 1366, "height": 768}
TABS = ("coverage", "reach", "enclaves", "targets")
#: Invented figures (every row 样例), imported on the targets tab so that it shows progress.
SAMPLE_ACTUALS = REPO_ROOT / "layers" / "src" / "samples" / "actuals_sample.csv"
REPORT_DPI = 110
REPORT_PAGES = 6  # at most; the check of the fixture fits in fewer
#: Accounts of the temporary instance (names, roles); the passwords are made up here.
USERS = (("admin", "admin"), ("wangfang", "land"), ("lijun", "planner"))
PASSWORD = "截图-示例-2026"


def has_chinese_font() -> bool:
    try:
        found = subprocess.run(
            ["fc-list", ":lang=zh", "family"], capture_output=True, text=True, timeout=30
        )
    except (OSError, subprocess.SubprocessError):
        return False
    return bool(found.stdout.strip())


def cli(env: dict[str, str], *args: str, stdin: str = "") -> None:
    subprocess.run(
        [sys.executable, "-m", "geo_service", *args],
        input=stdin,
        text=True,
        env={**os.environ, **env},
        cwd=REPO_ROOT,
        check=True,
        capture_output=True,
        timeout=60,
    )


def add_accounts(env: dict[str, str]) -> None:
    """The users, and a token for a desktop GIS, as the README's commands make them."""
    for name, role in USERS:
        cli(env, "users", "add", name, "--role", role, "--password-stdin", stdin=PASSWORD)
    cli(env, "tokens", "create", "wangfang", "--label", "QGIS 用地科")


def settle(page: Page, ms: int = 400) -> None:
    """Let requests finish and tiles, labels and transitions paint."""
    page.wait_for_load_state("networkidle")
    page.wait_for_timeout(ms)


def shoot(page: Page, name: str) -> Path:
    path = OUT / name
    page.screenshot(path=str(path))
    print(f"wrote {path.relative_to(REPO_ROOT)}")
    return path


def log_in(page: Page, url: str) -> None:
    page.goto(f"{url}/login")
    page.fill("#gs-name", "admin")
    page.fill("#gs-password", PASSWORD)
    with page.expect_navigation():
        page.click("form.gs-login button[type=submit]")


def map_pages(page: Page, url: str) -> None:
    page.goto(f"{url}/")
    page.wait_for_selector("body[data-map-ready]")
    settle(page, 800)
    shoot(page, "map.png")
    page.select_option("#gs-cluster", "tea")
    settle(page)
    shoot(page, "map-cluster.png")
    page.select_option("#gs-cluster", "")
    page.evaluate(
        """() => {
            const zone = GS_MAP.features("zones").find(l => l.feature.id === "ankang-hitech");
            const centre = zone.getCenter();  // the zone low in the view, its popup above it
            GS_MAP.map.setView([centre.lat + 0.06, centre.lng], 11, {animate: false});
            zone.fire("click", {latlng: centre}, true);
            zone.closeTooltip();
        }"""
    )
    page.wait_for_selector(".leaflet-popup-content")
    settle(page, 600)
    shoot(page, "map-popup.png")


def check_page(page: Page, url: str) -> str:
    page.goto(f"{url}/check")
    page.wait_for_selector("body[data-check-ready]")
    page.set_input_files("#gs-file", str(PARCELS))
    page.click("#gs-submit")
    page.wait_for_selector("body[data-check-shown]", timeout=60_000)
    settle(page)
    shoot(page, "check.png")
    page.locator("#gs-table tbody tr").nth(1).click()  # the parcel on the zone's edge
    page.wait_for_selector(".leaflet-popup-content")
    settle(page)
    shoot(page, "check-parcel.png")
    return page.evaluate("() => GS_CHECK_PAGE.state.check.id")


def report_pages(page: Page, url: str, check_id: str) -> None:
    response = page.request.get(f"{url}/api/checks/{check_id}?f=pdf", timeout=120_000)
    if not response.ok:
        raise SystemExit(f"the report PDF failed: {response.status} {response.text()[:300]}")
    for old in OUT.glob("report-*.png"):
        old.unlink()
    document = pypdfium2.PdfDocument(response.body())
    try:
        count = min(len(document), REPORT_PAGES)
        for number in range(count):
            image = document[number].render(scale=REPORT_DPI / 72).to_pil()
            path = OUT / f"report-{number + 1}.png"
            image.save(path, optimize=True)
            print(f"wrote {path.relative_to(REPO_ROOT)}")
    finally:
        document.close()
    write_report_table(count)


def write_report_table(count: int, readme: Path = README) -> None:
    """The README's table of the report's pages, two a row, for the pages written."""
    cells = [
        f"![报告第 {n} 页](docs/screenshots/report-{n}.png) 第 {n} 页" for n in range(1, count + 1)
    ]
    if len(cells) % 2:
        cells.append("")
    rows = [f"| {a} | {b} |" for a, b in zip(cells[::2], cells[1::2])]
    text = readme.read_text(encoding="utf-8")
    start, end = REPORT_TABLE
    head, _, rest = text.partition(start + "\n")
    _, _, tail = rest.partition(end)
    if not tail and end not in rest:
        raise SystemExit(f"README.md lacks the lines {start!r} … {end!r}")
    table = "\n".join(["| | |", "|---|---|", *rows])
    readme.write_text(f"{head}{start}\n{table}\n{end}{tail}", encoding="utf-8")
    print(f"wrote README.md ({count} report pages)")


def analysis_pages(page: Page, url: str) -> None:
    page.goto(f"{url}/analysis")
    page.wait_for_selector("body[data-analysis-ready]")
    for tab in TABS:
        page.click(f".gs-tabs button[data-tab={tab}]")
        page.wait_for_selector(f"#tab-{tab}:not([hidden])")
        if tab == "targets":  # the sample figures, labelled 样例数据 wherever they show
            page.set_input_files("#gs-an-file", str(SAMPLE_ACTUALS))
            page.click("#gs-an-import button")
            page.wait_for_selector("#gs-an-sample:not([hidden])")
            page.evaluate(  # back to the panel's top: the 样例数据 label and the targets
                "() => { for (const e of document.querySelectorAll('aside, .gs-side')) "
                "e.scrollTop = 0; window.scrollTo(0, 0); }"
            )
        settle(page, 600)
        shoot(page, f"analysis-{tab}.png")


def admin_page(page: Page, url: str) -> None:
    page.goto(f"{url}/admin")
    settle(page)
    shoot(page, "admin.png")


def api_pages(page: Page, url: str) -> None:
    page.goto(f"{url}/collections/zones?f=html")
    settle(page)
    shoot(page, "api-collection.png")
    page.goto(f"{url}/collections/zones/queryables?f=html")
    settle(page)
    shoot(page, "api-queryables.png")


def main() -> None:
    if not has_chinese_font():
        raise SystemExit("没有中文字体：apt-get install fonts-wqy-microhei (no Chinese font)")
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="geo_service-screenshots-") as folder:
        env = {
            "GEO_SERVICE_AUTH": "local",
            "GEO_SERVICE_AUTH_DB": f"{folder}/auth.sqlite",
            "GEO_SERVICE_CHECKS_DB": f"{folder}/checks.sqlite",
            "GEO_SERVICE_ACTUALS_DB": f"{folder}/actuals.sqlite",
        }
        add_accounts(env)
        with running_service(env) as url, sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=CHROMIUM, args=[*CHROMIUM_ARGS, "--lang=zh-CN"]
            )
            context = browser.new_context(viewport=VIEWPORT, locale="zh-CN", device_scale_factor=1)
            page = context.new_page()
            page.on("pageerror", lambda error: print(f"page error: {error}", file=sys.stderr))
            log_in(page, url)
            map_pages(page, url)
            check_id = check_page(page, url)
            report_pages(page, url, check_id)
            analysis_pages(page, url)
            admin_page(page, url)
            api_pages(page, url)
            browser.close()


if __name__ == "__main__":
    main()
