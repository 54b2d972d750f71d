"""The API keeps the contract it publishes at /api: a bounded schemathesis run, in-process.

Every operation of the app's own OpenAPI document gets its explicit examples, schemathesis'
coverage cases (boundaries, undeclared methods, missing and wrong parameters) and a capped
number of fuzzed positive and negative cases; every response must be a documented status with
a documented content type, headers and body. A real check (a 界址点 txt file) is then fetched in
every format it offers, each answer validated against the same document.
"""

from __future__ import annotations

import collections
import io
import os
import tempfile
from pathlib import Path

import pytest
import schemathesis
from conftest import REPO_ROOT, dbs
from hypothesis import HealthCheck, Phase, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
    unsupported_method,
)

from geo_service import create_app

ITEMS = "/collections/{collectionId}/items"


def limit_above_maximum(case) -> int | None:
    """The documented maximum, when this items case asks for more (else None)."""
    if case.operation.path != ITEMS or case.method.upper() != "GET":
        return None
    limit = str((case.query or {}).get("limit", ""))
    schema = next(p for p in case.operation.definition.raw["parameters"] if p["name"] == "limit")
    maximum = schema["schema"]["maximum"]
    return maximum if limit.isdigit() and int(limit) > maximum else None


@schemathesis.check
def negative_data_rejected_but_limit_clamped(ctx, response, case):
    """schemathesis' negative_data_rejection, except that a limit above the documented maximum
    is served as the maximum (OGC API - Features 1.0 7.15.3, README): then a 200 must hold at
    most the maximum."""
    maximum = limit_above_maximum(case)
    if maximum is not None and response.status_code == 200:
        if "json" in response.headers.get("Content-Type", [""])[0]:
            assert response.json()["numberReturned"] <= maximum
        return None
    return negative_data_rejection(ctx, response, case)


CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    negative_data_rejected_but_limit_clamped,
    unsupported_method,
]
# schemathesis' WSGI transport asks for gzip but does not decode it (requests would); the
# service's gzip is tested in test_api.py, so the contract run asks for identity.
IDENTITY = {"Accept-Encoding": "identity"}
MAX_EXAMPLES = 30  # fuzzed cases per operation and mode; the coverage phase adds its own
JZD = REPO_ROOT / "tests" / "data" / "jzd" / "ankang_gbk.txt"
TALLY: collections.Counter = collections.Counter()
FAILED: collections.Counter = collections.Counter()
METHODS: collections.Counter = collections.Counter()  # methods sent (coverage adds undeclared)


# Loaded at collection: schemathesis makes one test per operation from the document itself.
# (schemathesis.pytest.from_fixture does not work with this pytest.)
SCRATCH = tempfile.TemporaryDirectory(prefix="geo_service-contract-")
APP = create_app({"TESTING": True, **dbs(Path(SCRATCH.name))})
schema = schemathesis.openapi.from_wsgi("/api", APP)
# A fixed seed keeps the suite reproducible; set GEO_SERVICE_CONTRACT_SEED to explore others.
schema.config.seed = int(os.environ.get("GEO_SERVICE_CONTRACT_SEED", "20261201"))


@pytest.fixture(scope="module")
def contract_app():
    return APP


@pytest.fixture(scope="module")
def contract_schema():
    return schema


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    database=None,
    derandomize=True,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)
def test_api_keeps_its_contract(case):
    TALLY[case.operation.label] += 1
    METHODS[case.method.upper()] += 1
    try:
        case.call_and_validate(headers=IDENTITY, checks=CHECKS)
    except BaseException:  # schemathesis raises a FailureGroup (a BaseExceptionGroup)
        FAILED[case.operation.label] += 1
        raise


def test_contract_run_reached_every_operation(contract_app):
    """The run above covered every documented operation (it cannot silently test nothing)."""
    if not TALLY:
        pytest.skip("run together with test_api_keeps_its_contract")
    document = contract_app.test_client().get("/api").get_json()
    labels = {
        f"{method.upper()} {path}" for path, ops in document["paths"].items() for method in ops
    } - {"GET /api"}  # schemathesis skips the schema's own URL; test_api.py validates it
    assert set(TALLY) == labels
    assert all(count >= 5 for count in TALLY.values()), TALLY
    print(
        f"\ncontract run: {sum(TALLY.values())} cases over {len(TALLY)} operations "
        f"(methods {dict(METHODS)}), {sum(FAILED.values())} failing: {dict(FAILED)}"
    )
    assert set(METHODS) - {"GET", "POST"}, "the coverage phase sent no undeclared method"
    assert not FAILED


def test_a_real_check_in_every_format_matches_the_document(contract_app, contract_schema):
    """A real 界址点 file checked, then read back in every documented format."""
    client = contract_app.test_client()
    response = client.post(
        "/api/checks",
        data={"file": (io.BytesIO(JZD.read_bytes()), JZD.name)},
        content_type="multipart/form-data",
    )
    assert response.status_code == 201, response.get_json()
    check_id = response.get_json()["id"]
    created = contract_schema["/api/checks"]["POST"]
    created.validate_response(response)
    operation = contract_schema["/api/checks/{checkId}"]["GET"]
    formats = operation.definition.raw["parameters"][1]["schema"]["enum"]
    assert {"json", "geojson", "csv", "xlsx", "gpkg", "shp", "kml", "jzd"} <= set(formats)
    for fmt in formats:
        if fmt == "pdf":
            continue  # needs Chromium: test_check_page.py renders the report
        case = operation.Case(path_parameters={"checkId": check_id}, query={"f": fmt})
        answer = case.call_and_validate(headers=IDENTITY, checks=CHECKS)
        assert answer.status_code == 200, (fmt, answer.status_code)
    paged = contract_schema["/api/checks/{checkId}/parcels"]["GET"].Case(
        path_parameters={"checkId": check_id}, query={"limit": 1, "offset": 1}
    )
    page = paged.call_and_validate(headers=IDENTITY, checks=CHECKS).json()
    assert page["numberReturned"] == 1 and page["numberMatched"] >= 2
    assert {link["rel"] for link in page["links"]} >= {"prev"}
    listing = contract_schema["/api/checks"]["GET"].Case(query={"limit": 1000, "offset": 0})
    assert listing.call_and_validate(headers=IDENTITY, checks=CHECKS).json()["numberMatched"] >= 1


def test_405_carries_allow_and_the_one_error_shape(contract_app):
    response = contract_app.test_client().delete("/collections/zones/items")
    assert response.status_code == 405
    assert set(response.headers["Allow"].replace(" ", "").split(",")) >= {"GET", "HEAD"}
    assert response.content_type == "application/json"
    assert response.get_json()["error"]["code"] == "method_not_allowed"
    assert "不支持" in response.get_json()["error"]["message"]


def test_api_errors_stay_json_for_browsers_unless_f_html(contract_app):
    client = contract_app.test_client()
    browser = {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}
    response = client.get("/api/checks/nope", headers=browser)
    assert response.status_code == 404 and response.content_type == "application/json"
    page = client.get("/api/checks/nope?f=html", headers=browser)
    assert page.status_code == 404 and page.content_type.startswith("text/html")
    # OGC resources and pages negotiate, as their documented error responses say
    assert client.get("/collections/nope", headers=browser).content_type.startswith("text/html")


def test_bounds_come_from_config(tmp_path):
    app = create_app({"TESTING": True, **dbs(tmp_path), "ITEMS_MAX_LIMIT": 500})
    document = app.test_client().get("/api").get_json()
    params = {
        p["name"]: p
        for p in document["paths"]["/collections/{collectionId}/items"]["get"]["parameters"]
    }
    assert params["limit"]["schema"]["maximum"] == 500
    assert params["bbox"]["style"] == "form" and params["bbox"]["explode"] is False
    clamped = app.test_client().get("/collections/counties/items?limit=501")  # Part 1: clamped
    assert clamped.status_code == 200 and clamped.get_json()["numberReturned"] <= 500
    upload = document["paths"]["/api/checks"]["post"]
    assert str(app.config["MAX_CONTENT_LENGTH"]) in str(upload["requestBody"])
    busy = document["components"]["responses"]["Busy"]
    assert "Retry-After" in busy["headers"]
    for path in ("/api/checks", "/api/analysis/targets/actuals"):
        assert {"401", "403", "413"} <= set(document["paths"][path]["post"]["responses"])
    for path in ("/api/checks", "/api/checks/{checkId}", "/api/checks/{checkId}/parcels"):
        assert {"401", "403"} <= set(document["paths"][path]["get"]["responses"])


def test_an_upload_over_max_content_length_is_a_json_413(tmp_path):
    app = create_app({"TESTING": True, **dbs(tmp_path), "MAX_CONTENT_LENGTH": 1024 * 1024})
    big = io.BytesIO(b"x" * (1024 * 1024 + 1))
    response = app.test_client().post(
        "/api/checks", data={"file": (big, "big.geojson")}, content_type="multipart/form-data"
    )
    assert response.status_code == 413 and response.content_type == "application/json"
    error = response.get_json()["error"]
    assert error["code"] == "too_large" and "1 MB" in error["message"]
