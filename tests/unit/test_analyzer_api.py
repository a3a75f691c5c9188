"""The analyzer app: public health and metrics, bearer tokens with roles and expiry, fail-closed policies."""

from __future__ import annotations

import datetime as dt
from typing import cast

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from prometheus_client import CollectorRegistry

from inframind.analyzer.api import Deps, create_app
from inframind.analyzer.auth import POLICY_KEY, api_routes, policy
from inframind.config import AnalyzerConfig, ApiToken
from inframind.tokens import generate_token, hash_token, token_matches

NOW = dt.datetime(2026, 11, 26, 12, 0, tzinfo=dt.UTC)
VIEWER, VIEWER_HASH = generate_token()
ADMIN, ADMIN_HASH = generate_token()
OLD, OLD_HASH = generate_token()


def make_client(**settings: object) -> tuple[TestClient, CollectorRegistry]:
    tokens = (
        ApiToken("grafana", VIEWER_HASH, "viewer", "acme"),
        ApiToken("ops", ADMIN_HASH, "admin", "acme"),
        ApiToken("old", OLD_HASH, "admin", "acme", expires=NOW - dt.timedelta(seconds=1)),
    )
    registry = CollectorRegistry()
    app = create_app(AnalyzerConfig(tokens=tokens, **settings), Deps(registry=registry, clock=lambda: NOW))  # type: ignore[arg-type]
    return TestClient(app), registry


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_tokens_are_random_and_hashed() -> None:
    token, hashed = generate_token()
    assert token.startswith("imt_") and len(token) > 40
    assert hashed == hash_token(token) and hashed.startswith("sha256:") and token not in hashed
    assert token_matches(token, hashed) and not token_matches(token + "x", hashed)


def test_health_and_docs_are_public() -> None:
    client, _ = make_client()
    body = client.get("/health").json()
    assert body["status"] == "ok" and body["uptime_seconds"] == 0.0
    assert client.get("/docs").status_code == 200
    spec = client.get("/openapi.json").json()
    assert spec["paths"]["/api/v1/whoami"]["get"][POLICY_KEY] == "viewer"


def test_metrics_public_by_default_and_protectable() -> None:
    client, _ = make_client()
    assert "inframind_analyzer_build_info" in client.get("/metrics").text
    closed, _ = make_client(public_metrics=False)
    assert closed.get("/metrics").status_code == 401
    assert closed.get("/metrics", headers=bearer(VIEWER)).status_code == 200


@pytest.mark.parametrize(
    ("headers", "reason"),
    [
        ({}, "missing_token"),
        ({"Authorization": "Basic dTpw"}, "missing_token"),
        (bearer("imt_not-a-real-token"), "unknown_token"),
        (bearer(OLD), "expired_token"),
    ],
)
def test_rejected_tokens(headers: dict[str, str], reason: str) -> None:
    client, registry = make_client()
    response = client.get("/api/v1/whoami", headers=headers)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert registry.get_sample_value("inframind_analyzer_auth_failures_total", {"reason": reason}) == 1.0


def test_valid_token_identifies_caller() -> None:
    client, registry = make_client()
    assert client.get("/api/v1/whoami", headers=bearer(VIEWER)).json() == {
        "name": "grafana",
        "role": "viewer",
        "tenant": "acme",
    }
    labels = {"route": "/api/v1/whoami", "method": "GET", "code": "200"}
    assert registry.get_sample_value("inframind_analyzer_http_requests_total", labels) == 1.0


def test_role_ranks_and_fail_closed_routes() -> None:
    client, registry = make_client()
    app = cast(FastAPI, client.app)

    @app.get("/api/v1/admin-only", openapi_extra=policy("admin"))
    def admin_only() -> dict[str, bool]:
        return {"ok": True}

    @app.get("/api/v1/forgotten")
    def forgotten() -> dict[str, bool]:
        return {"ok": True}

    denied = client.get("/api/v1/admin-only", headers=bearer(VIEWER))
    assert denied.status_code == 403 and "admin or higher" in denied.json()["detail"]
    assert client.get("/api/v1/admin-only", headers=bearer(ADMIN)).json() == {"ok": True}
    assert client.get("/api/v1/forgotten", headers=bearer(ADMIN)).status_code == 500
    assert registry.get_sample_value("inframind_analyzer_auth_failures_total", {"reason": "no_policy"}) == 1.0


def test_every_route_declares_a_policy() -> None:
    client, _ = make_client()
    routes = list(api_routes(client.app.routes))  # type: ignore[attr-defined]
    assert {r.path for r in routes} >= {"/health", "/metrics", "/api/v1/whoami"}
    for route in routes:
        assert (route.openapi_extra or {}).get(POLICY_KEY) in ("public", "viewer", "operator", "admin"), route.path
