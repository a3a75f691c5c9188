"""GET /api/v1/findings and /api/v1/findings/{fingerprint}: tenant scoping, filters, 404s, and the active gauge."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from prometheus_client import CollectorRegistry

from inframind.analyzer.api import Deps, create_app
from inframind.analyzer.findings import Finding, LogEvidence, Window
from inframind.analyzer.state import FindingRecord, StateDB
from inframind.config import AnalyzerConfig, ApiToken
from inframind.tokens import generate_token

NOW = dt.datetime(2026, 11, 26, 12, 0, tzinfo=dt.UTC)
ACME, ACME_HASH = generate_token()
GLOBEX, GLOBEX_HASH = generate_token()
ADMIN, ADMIN_HASH = generate_token()
WINDOW = Window(NOW - dt.timedelta(minutes=5), NOW)


def finding(kind: str, tenant: str, asset: str, severity: str = "warning") -> Finding:
    evidence = LogEvidence("t <*>", "tid", 3, WINDOW, WINDOW.start, WINDOW.end, assets=(asset,))
    return Finding(kind, asset, tenant, severity, f"{kind} on {asset}", WINDOW, (evidence,), "k")  # type: ignore[arg-type]


@pytest.fixture
def setup(tmp_path: Path) -> tuple[TestClient, dict[str, str], CollectorRegistry]:
    db = StateDB(tmp_path / "analysis.db")
    records = {
        "acme-burst": FindingRecord(finding("log.burst", "acme", "srv-1"), "active", NOW, NOW),
        "acme-rule": FindingRecord(finding("log.rule", "acme", "srv-2", "critical"), "resolved", NOW, NOW, 1, NOW),
        "globex-new": FindingRecord(finding("log.new_template", "globex", "gx-1"), "active", NOW, NOW),
    }
    for record in records.values():
        db.findings.upsert(record)
    tokens = (
        ApiToken("acme-grafana", ACME_HASH, "viewer", "acme"),
        ApiToken("globex-grafana", GLOBEX_HASH, "viewer", "globex"),
        ApiToken("ops", ADMIN_HASH, "admin", "acme"),
    )
    registry = CollectorRegistry()
    app = create_app(AnalyzerConfig(tokens=tokens), Deps(registry=registry, clock=lambda: NOW, findings=db.findings))
    return TestClient(app), {k: r.fingerprint for k, r in records.items()}, registry


def get(client: TestClient, token: str, url: str) -> tuple[int, dict[str, Any]]:
    response = client.get(url, headers={"Authorization": f"Bearer {token}"})
    return response.status_code, response.json()


def kinds(body: dict[str, Any]) -> list[str]:
    return [item["finding"]["kind"] for item in body["findings"]]


def test_a_viewer_sees_only_its_tenant(setup: tuple[TestClient, dict[str, str], CollectorRegistry]) -> None:
    client, _, _ = setup
    status, body = get(client, ACME, "/api/v1/findings")
    assert status == 200 and kinds(body) == ["log.burst"] and body["count"] == 1
    assert kinds(get(client, ACME, "/api/v1/findings?state=all")[1]) == ["log.burst", "log.rule"]
    assert kinds(get(client, GLOBEX, "/api/v1/findings?state=all")[1]) == ["log.new_template"]
    assert get(client, ACME, "/api/v1/findings?tenant=globex")[0] == 403
    assert get(client, ACME, "/api/v1/findings?tenant=acme")[0] == 200


def test_an_admin_sees_every_tenant_and_may_narrow(setup: tuple[TestClient, dict[str, str], CollectorRegistry]) -> None:
    client, _, _ = setup
    assert kinds(get(client, ADMIN, "/api/v1/findings?state=all")[1]) == ["log.burst", "log.new_template", "log.rule"]
    assert kinds(get(client, ADMIN, "/api/v1/findings?tenant=globex")[1]) == ["log.new_template"]


def test_filters(setup: tuple[TestClient, dict[str, str], CollectorRegistry]) -> None:
    client, _, _ = setup
    assert kinds(get(client, ACME, "/api/v1/findings?state=resolved")[1]) == ["log.rule"]
    assert kinds(get(client, ACME, "/api/v1/findings?state=all&kind=log.rule")[1]) == ["log.rule"]
    assert kinds(get(client, ACME, "/api/v1/findings?state=all&kind=log.")[1]) == ["log.burst", "log.rule"]
    assert kinds(get(client, ACME, "/api/v1/findings?state=all&asset=srv-2")[1]) == ["log.rule"]
    assert get(client, ACME, "/api/v1/findings?state=open")[0] == 422
    assert get(client, ACME, "/api/v1/findings?limit=0")[0] == 422


def test_one_finding_by_fingerprint(setup: tuple[TestClient, dict[str, str], CollectorRegistry]) -> None:
    client, fingerprints, _ = setup
    status, body = get(client, ACME, f"/api/v1/findings/{fingerprints['acme-burst']}")
    assert status == 200 and body["state"] == "active" and body["fingerprint"] == fingerprints["acme-burst"]
    assert body["finding"]["evidence"][0]["template"] == "t <*>"
    assert get(client, GLOBEX, f"/api/v1/findings/{fingerprints['acme-burst']}")[0] == 404  # not yours
    assert get(client, ACME, "/api/v1/findings/0123456789abcdef")[0] == 404
    assert get(client, ADMIN, f"/api/v1/findings/{fingerprints['globex-new']}")[0] == 200
    assert client.get("/api/v1/findings").status_code == 401


def test_active_findings_gauge(setup: tuple[TestClient, dict[str, str], CollectorRegistry]) -> None:
    client, _, registry = setup
    assert registry.get_sample_value("inframind_findings_active", {"kind": "log.burst", "severity": "warning"}) == 1
    assert registry.get_sample_value("inframind_findings_active", {"kind": "log.rule", "severity": "critical"}) is None
    assert 'inframind_findings_active{kind="log.new_template",severity="warning"} 1.0' in client.get("/metrics").text


def test_without_a_store_the_routes_answer_503() -> None:
    tokens = (ApiToken("acme-grafana", ACME_HASH, "viewer", "acme"),)
    client = TestClient(create_app(AnalyzerConfig(tokens=tokens), Deps(registry=CollectorRegistry())))
    assert get(client, ACME, "/api/v1/findings")[0] == 503
