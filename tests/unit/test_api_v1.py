"""The /api/v1 read routes: assets with risk, forecasts, anomalies, templates, feedback, recommendations;
pages, filters, tenant scope, validation errors that name the field, and a policy on every route."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from prometheus_client import CollectorRegistry

from inframind.analyzer.api import Deps, create_app
from inframind.analyzer.auth import POLICY_KEY, api_routes
from inframind.config import AnalyzerConfig
from tests.helpers.apiv1 import World, api_tokens, build_world, headers


@pytest.fixture
def world(tmp_path: Path) -> World:
    return build_world(tmp_path)


def get(world: World, url: str, who: str = "acme-viewer", **params: Any) -> tuple[int, Any]:
    answer = world.client.get(url, headers=headers(who), params=params)
    return answer.status_code, answer.json()


def test_assets_carry_risk_and_factors_riskiest_first(world: World) -> None:
    status, body = get(world, "/api/v1/assets")
    assert status == 200
    assert [a["id"] for a in body["items"]] == ["srv-db-03", "srv-web-01", "bmc-r3-01"]
    top = body["items"][0]
    assert top["risk"]["score"] > body["items"][1]["risk"]["score"] > 0
    assert {f["kind"] for f in top["risk"]["factors"]} == {"disk_failure", "capacity"}
    assert body["items"][2]["risk"] is None and top["source"] == "inventory"
    assert body["as_of"] == "2026-11-26T12:00:00Z" and body["total"] == 3


def test_assets_filter_sort_and_page(world: World) -> None:
    assert [a["id"] for a in get(world, "/api/v1/assets", kind="bmc")[1]["items"]] == ["bmc-r3-01"]
    assert [a["id"] for a in get(world, "/api/v1/assets", rack="R3", sort="id")[1]["items"]] == [
        "bmc-r3-01",
        "srv-db-03",
    ]
    assert [a["id"] for a in get(world, "/api/v1/assets", q="10.0.0.4")[1]["items"]] == ["srv-web-01"]
    assert [a["id"] for a in get(world, "/api/v1/assets", min_risk=50)[1]["items"]] == ["srv-db-03"]
    first = get(world, "/api/v1/assets", sort="id", limit=2)[1]
    assert [a["id"] for a in first["items"]] == ["bmc-r3-01", "srv-db-03"] and first["next_offset"] == 2
    last = get(world, "/api/v1/assets", sort="id", limit=2, offset=2)[1]
    assert [a["id"] for a in last["items"]] == ["srv-web-01"] and last["next_offset"] is None


def test_tenant_scope_for_viewers_and_admins(world: World) -> None:
    assert [a["id"] for a in get(world, "/api/v1/assets", "globex-viewer")[1]["items"]] == ["gx-1"]
    status, body = get(world, "/api/v1/assets", "globex-viewer", tenant="acme")
    assert status == 403 and "only its own tenant (globex)" in body["detail"]
    assert get(world, "/api/v1/assets", "admin")[1]["total"] == 4
    assert get(world, "/api/v1/assets", "admin", tenant="globex")[1]["total"] == 1
    assert get(world, "/api/v1/assets/gx-1", "acme-viewer")[0] == 404
    assert get(world, "/api/v1/assets/gx-1", "admin")[0] == 200


def test_one_asset_with_findings_forecasts_anomalies_and_disks(world: World) -> None:
    status, body = get(world, "/api/v1/assets/srv-db-03")
    assert status == 200
    assert [f["finding"]["kind"] for f in body["findings"]] == ["log.burst"]
    assert body["forecasts"] == [
        {"tenant": "acme", "asset": "srv-db-03", "resource": "filesystem", "mountpoint": "/data", "seconds": 259200.0,
         "days": 3.0, "full_at": "2026-11-29T12:00:00Z"}
    ]  # fmt: skip
    assert body["anomalies"] == [{"tenant": "acme", "asset": "srv-db-03", "signal": "iowait", "score": 0.4}]
    assert body["disks"] == [{"device": "sdb", "probability": 0.3}]
    assert get(world, "/api/v1/assets/nope")[0] == 404


def test_forecasts_and_anomalies_filters(world: World) -> None:
    body = get(world, "/api/v1/forecasts")[1]
    assert [(f["asset"], f["days"]) for f in body["items"]] == [("srv-db-03", 3.0), ("srv-web-01", 40.0)]
    assert [f["asset"] for f in get(world, "/api/v1/forecasts", within_days=7)[1]["items"]] == ["srv-db-03"]
    assert [f["asset"] for f in get(world, "/api/v1/forecasts", resource="memory")[1]["items"]] == ["srv-web-01"]
    anomalies = get(world, "/api/v1/anomalies")[1]["items"]
    assert [(a["asset"], a["signal"]) for a in anomalies] == [("srv-web-01", "cpu"), ("srv-db-03", "iowait")]
    assert [a["signal"] for a in get(world, "/api/v1/anomalies", min_score=0.5)[1]["items"]] == ["cpu"]
    assert [a["asset"] for a in get(world, "/api/v1/anomalies", "admin")[1]["items"]][:2] == ["srv-web-01", "gx-1"]


def test_templates_feedback_and_recommendations(world: World) -> None:
    templates = get(world, "/api/v1/templates")[1]["items"]
    assert [(t["text"], t["count"]) for t in templates] == [
        ("disk <*> error at sector <NUM>", 5),
        ("link eth0 down", 1),
    ]
    assert [t["count"] for t in get(world, "/api/v1/templates", q="LINK")[1]["items"]] == [1]
    assert [t["tenant"] for t in get(world, "/api/v1/templates", "admin", min_count=1)[1]["items"]] == [
        "acme",
        "acme",
        "globex",
    ]
    feedback = get(world, "/api/v1/feedback")[1]
    assert [f["id"] for f in feedback["items"]] == ["fb-1", "fb-0"] and feedback["next_offset"] is None
    page = get(world, "/api/v1/feedback", limit=1)[1]
    assert [f["id"] for f in page["items"]] == ["fb-1"] and page["next_offset"] == 1
    assert [f["id"] for f in get(world, "/api/v1/feedback", action="ack")[1]["items"]] == ["fb-0"]
    fp = world.fingerprints["db-burst"]
    status, rec = get(world, f"/api/v1/findings/{fp}/recommendation", lang="ru")
    assert status == 200 and rec["text"] == "12 ошибок на srv-db-03" and rec["facts"] == {"count": 12}
    assert get(world, f"/api/v1/findings/{fp}/recommendation", "globex-viewer")[0] == 404


def test_validation_errors_name_the_field_and_never_echo_input(world: World) -> None:
    status, body = get(world, "/api/v1/assets", limit=0, sort="s3cr3t-value")
    assert status == 422
    by_field = {tuple(e["loc"]): e["msg"] for e in body["detail"]}
    assert by_field[("query", "limit")] == "Input should be greater than or equal to 1"
    assert "sort" in {e["loc"][-1] for e in body["detail"]}
    assert "s3cr3t-value" not in str(body)
    assert get(world, "/api/v1/forecasts", within_days=-1)[0] == 422


def test_without_sources_the_routes_answer_503_or_empty(tmp_path: Path) -> None:
    app = create_app(AnalyzerConfig(tokens=api_tokens()), Deps(registry=CollectorRegistry()))
    client = TestClient(app)
    for url in ("/api/v1/templates", "/api/v1/feedback", "/api/v1/targets", "/api/v1/findings/x/recommendation"):
        assert client.get(url, headers=headers("acme-viewer")).status_code == 503, url
    answer = client.get("/api/v1/forecasts", headers=headers("acme-viewer")).json()
    assert answer["items"] == [] and answer["as_of"] is None
    assert client.get("/api/v1/assets", headers=headers("acme-viewer")).json()["total"] == 0


def test_every_route_declares_a_policy_and_reads_need_a_token(world: World) -> None:
    routes = list(api_routes(world.client.app.routes))  # type: ignore[attr-defined]
    assert len(routes) > 25
    missing = [r.path for r in routes if POLICY_KEY not in (r.openapi_extra or {})]
    assert missing == []
    for url in ("/api/v1/assets", "/api/v1/forecasts", "/api/v1/anomalies", "/api/v1/templates", "/api/v1/feedback"):
        assert world.client.get(url).status_code == 401, url
    schema = world.client.get("/openapi.json").json()
    assert schema["paths"]["/api/v1/targets"]["post"][POLICY_KEY] == "operator"
    assert schema["paths"]["/api/v1/audit"]["get"][POLICY_KEY] == "admin"
