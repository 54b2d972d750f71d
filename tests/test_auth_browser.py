"""A real browser, logged in, visits a page on another origin: its posts and frames are refused."""

from __future__ import annotations

import json
import threading
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from geo_service.auth.store import AuthStore
from geo_service.store import default_url, open_store
from geo_service.testing import free_port, running_service

PASSWORD = "correct horse battery"
PARCEL = {
    "type": "FeatureCollection",
    "features": [
        {
            "type": "Feature",
            "id": "CSRF-1",
            "properties": {},
            "geometry": {
                "type": "Polygon",
                "coordinates": [[[109.0, 32.7], [109.001, 32.7], [109.001, 32.701], [109.0, 32.7]]],
            },
        }
    ],
}
ACTUALS = (
    "年份,类型,编号,名称,指标,数值,来源,样例\\n2021,zone,ankang-hitech,,revenue_yi,77777,攻击,否"
)


def attacker_page(target: str) -> str:
    """What a foreign site would serve: a fetch post, a form post and a frame of /check."""
    return f"""<!DOCTYPE html><html><body>
<iframe id="framed" src="{target}/check" width="400" height="300"></iframe>
<iframe name="sink" id="sink"></iframe>
<form id="f" method="post" enctype="multipart/form-data" target="sink"
      action="{target}/api/analysis/targets/actuals">
  <input type="file" name="file" id="file"></form>
<script>
const parcels = new Blob([{json.dumps(json.dumps(PARCEL))}], {{type: "application/geo+json"}});
const data = new FormData(); data.append("file", parcels, "p.geojson");
window.fetchDone = fetch("{target}/api/checks", {{method: "POST", body: data,
    credentials: "include", mode: "no-cors"}}).then(() => "sent", (e) => "error " + e);
const file = new File(["{ACTUALS}"], "a.csv", {{type: "text/csv"}});
const list = new DataTransfer(); list.items.add(file);
document.getElementById("file").files = list.files;
document.getElementById("f").submit();
</script></body></html>"""


@pytest.fixture()
def foreign_site():
    pages = {}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - http.server's name
            body = pages.get("page", "").encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield pages, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def api(url: str, token: str):
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.load(response)


def test_foreign_origin_cannot_post_or_frame(browser, tmp_path, foreign_site):
    accounts = AuthStore(open_store(default_url(tmp_path)))  # the store the service opens
    accounts.add_user("planner1", "planner", PASSWORD)
    admin_token, _ = accounts.create_token(accounts.add_user("boss", "admin", PASSWORD)["name"])
    env = {"GEO_SERVICE_AUTH": "local", "GEO_SERVICE_AUTH_DB": str(tmp_path / "auth.sqlite")}
    pages, foreign = foreign_site
    with running_service(env) as url:
        context = browser.new_context()
        page = context.new_page()
        page.goto(f"{url}/login")
        page.fill("#gs-name", "planner1")
        page.fill("#gs-password", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(f"{url}/")
        assert page.context.cookies()[0]["httpOnly"]

        pages["page"] = attacker_page(url)
        evil = context.new_page()
        evil.goto(foreign)
        assert evil.evaluate("window.fetchDone") == "sent"  # the browser did send it ...
        evil.wait_for_timeout(1500)
        framed = evil.frame_locator("#framed")
        assert framed.locator("#gs-check-form, form").count() == 0  # frame-ancestors 'none'

        # ... and the service refused both posts: nothing stored, both refusals audited
        assert api(f"{url}/api/checks", admin_token)["numberMatched"] == 0
        targets = api(f"{url}/api/analysis/targets", admin_token)
        assert "77777" not in json.dumps(targets)
        audit = api(f"{url}/api/audit", admin_token)["entries"]
        refused = {(a["action"], a["status"], a["user"]) for a in audit}
        assert ("POST checks.create_check", 403, "planner1") in refused
        assert ("POST analysis.import_actuals", 403, "planner1") in refused

        # the same post from the service's own page goes through (the test can fail)
        status = page.evaluate(
            """async (text) => {
                const data = new FormData();
                data.append("file", new Blob([text]), "p.geojson");
                const r = await fetch("/api/checks", {method: "POST", body: data});
                return r.status;
            }""",
            json.dumps(PARCEL),
        )
        assert status == 201
        checks = api(f"{url}/api/checks", admin_token)["checks"]
        assert [c["user"] for c in checks] == ["planner1"]
        context.close()
