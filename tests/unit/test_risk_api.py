"""GET /api/v1/assets/{id}/risk: score and factors, scoped to the caller's tenant."""

from __future__ import annotations

import datetime as dt

from fastapi.testclient import TestClient
from prometheus_client import CollectorRegistry

from inframind.analyzer.api import Deps, create_app
from inframind.analyzer.detect.risk import AssetRisk, RiskInputs, assess
from inframind.config import AnalyzerConfig, ApiToken
from inframind.tokens import generate_token

NOW = dt.datetime(2026, 11, 26, 12, tzinfo=dt.UTC)
ACME, ACME_HASH = generate_token()
GLOBEX, GLOBEX_HASH = generate_token()
ADMIN, ADMIN_HASH = generate_token()


class Board:
    def __init__(self, *risks: AssetRisk) -> None:
        self.risks = {r.asset: r for r in risks}

    def risk_of(self, asset: str) -> AssetRisk | None:
        return self.risks.get(asset)

    def risk_as_of(self) -> float | None:
        return NOW.timestamp()


def client(risk: Board | None) -> TestClient:
    tokens = (
        ApiToken("acme", ACME_HASH, "viewer", "acme"),
        ApiToken("globex", GLOBEX_HASH, "viewer", "globex"),
        ApiToken("ops", ADMIN_HASH, "admin", "globex"),
    )
    deps = Deps(registry=CollectorRegistry(), clock=lambda: NOW, risk=risk)
    return TestClient(create_app(AnalyzerConfig(tokens=tokens), deps))


def get(c: TestClient, asset: str, token: str) -> tuple[int, dict[str, object]]:
    answer = c.get(f"/api/v1/assets/{asset}/risk", headers={"Authorization": f"Bearer {token}"})
    return answer.status_code, answer.json()


def test_a_viewer_reads_its_own_assets_risk_with_factors() -> None:
    risk = assess(RiskInputs("acme", "db-1", "high", disk_failure={"sdb": 0.3}, time_to_full={"memory": 3 * 86400}))
    c = client(Board(risk))
    status, body = get(c, "db-1", ACME)
    assert status == 200
    assert body["score"] == round(risk.score, 2) and body["criticality"] == "high"
    assert body["as_of"] == "2026-11-26T12:00:00Z"
    factors = body["factors"]
    assert isinstance(factors, list) and [f["kind"] for f in factors] == ["capacity", "disk_failure"]
    assert get(c, "db-1", ADMIN)[0] == 200


def test_other_tenants_unknown_assets_and_no_metric_analysis() -> None:
    c = client(Board(assess(RiskInputs("acme", "db-1"))))
    assert get(c, "db-1", GLOBEX) == (404, {"detail": "no risk known for asset db-1"})
    assert get(c, "nope", ACME)[0] == 404
    assert c.get("/api/v1/assets/db-1/risk").status_code == 401
    assert get(client(None), "db-1", ACME)[0] == 503
