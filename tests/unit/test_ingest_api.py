"""POST /api/v1/logs on the analyzer app with a real SQLite store: batches, duplicates, per-event
rejections, tenants from the token, limits (413), auth (401/403) and a failing store (503, nothing written)."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from prometheus_client import CollectorRegistry

from inframind.analyzer.api import Deps, create_app
from inframind.analyzer.assets import AssetRegistry
from inframind.analyzer.auth import POLICY_KEY
from inframind.analyzer.ingest import IngestLimits
from inframind.config import AnalyzerConfig, ApiToken, SQLiteStoreSettings
from inframind.events import LogEvent
from inframind.inventory import Inventory, inventory_from_data
from inframind.logstore import Query
from inframind.logstore.sqlite import SQLiteStore
from inframind.tokens import generate_token

NOW = dt.datetime(2026, 11, 26, 12, 0, tzinfo=dt.UTC)
OPERATOR, OPERATOR_HASH = generate_token()
VIEWER, VIEWER_HASH = generate_token()
ADMIN, ADMIN_HASH = generate_token()
BETA, BETA_HASH = generate_token()
TOKENS = (
    ApiToken("agent-acme", OPERATOR_HASH, "operator", "acme"),
    ApiToken("grafana", VIEWER_HASH, "viewer", "acme"),
    ApiToken("ops", ADMIN_HASH, "admin", "ops"),
    ApiToken("agent-beta", BETA_HASH, "operator", "beta"),
)
INVENTORY = {
    "defaults": {"tenant": "acme", "site": "msk-1"},
    "assets": [{"id": "srv-db-03", "kind": "host", "rack": "R3", "role": "database", "addresses": ["10.0.3.13"]}],
}


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


class Harness:
    """The app over real stores in a tmp dir; ``client`` posts, ``store`` and ``registry`` are read back."""

    def __init__(
        self, tmp: Path, limits: IngestLimits, metrics_import_url: str | None, clock: Callable[[], dt.datetime]
    ) -> None:
        self.store = SQLiteStore(SQLiteStoreSettings(path=str(tmp / "logs.db")))
        self.assets = AssetRegistry(tmp / "state.db")
        self.metrics = CollectorRegistry()
        self.inventory: Inventory = inventory_from_data(INVENTORY)
        deps = Deps(
            registry=self.metrics,
            clock=clock,
            logstore=self.store,
            assets=self.assets,
            inventory=self.inventory,
            metrics_import_url=metrics_import_url,
            ingest_limits=limits,
        )
        self.client = TestClient(create_app(AnalyzerConfig(tokens=TOKENS), deps))

    def post(self, path: str, body: Any, token: str = OPERATOR) -> Any:
        """JSON with ASCII escapes, so a lone surrogate travels as ``\\ud800`` as it would from a client."""
        headers = {**bearer(token), "Content-Type": "application/json"}
        return self.client.post(path, content=json.dumps(body), headers=headers)

    def stored(self, tenant: str | None = None) -> list[LogEvent]:
        return self.store.search(Query(tenant=tenant), limit=1000).events

    def counted(self, route: str, outcome: str) -> float | None:
        labels = {"route": route, "outcome": outcome}
        return self.metrics.get_sample_value("inframind_analyzer_ingest_events_total", labels)

    def close(self) -> None:
        self.store.close()
        self.assets.close()


@contextlib.contextmanager
def harnesses(tmp: Path) -> Iterator[Callable[..., Harness]]:
    """A factory of harnesses (each in its own directory), all closed at the end."""
    made: list[Harness] = []

    def factory(
        limits: IngestLimits | None = None,
        metrics_import_url: str | None = None,
        clock: Callable[[], dt.datetime] = lambda: NOW,
    ) -> Harness:
        made.append(Harness(tmp / str(len(made)), limits or IngestLimits(), metrics_import_url, clock))
        return made[-1]

    try:
        yield factory
    finally:
        for harness in made:
            harness.close()


@pytest.fixture
def make(tmp_path: Path) -> Iterator[Callable[..., Harness]]:
    with harnesses(tmp_path) as factory:
        yield factory


@pytest.fixture
def app(make: Callable[..., Harness]) -> Harness:
    return make()


def event(i: int, **changes: Any) -> dict[str, Any]:
    """What the agent's http sink sends: LogEvent.to_dict()."""
    base = LogEvent(
        timestamp=NOW - dt.timedelta(seconds=i),
        source="syslog",
        level="warning",
        message=f"диск {i}: ошибка записи",
        host="srv-db-03",
        asset_id="srv-db-03",
        record_id=str(i),
        fields={"facility": "kern", "truncated": False},
    )
    return {**base.to_dict(), **changes}


def test_valid_batch_is_written_once_and_a_resend_is_duplicates(app: Harness) -> None:
    batch = {"events": [event(i) for i in range(3)]}
    first = app.post("/api/v1/logs", batch)
    assert first.status_code == 200
    assert first.json() == {"written": 3, "duplicates": 0, "rejected": []}
    again = app.post("/api/v1/logs", batch)
    assert again.json() == {"written": 0, "duplicates": 3, "rejected": []}
    stored = app.stored()
    assert sorted(e.message for e in stored) == [f"диск {i}: ошибка записи" for i in range(3)]
    assert {e.tenant for e in stored} == {"acme"}  # the agent sent "default": the token's tenant wins
    assert stored[0].fields == {"facility": "kern", "truncated": False}
    assert app.counted("/api/v1/logs", "written") == 3.0
    assert app.counted("/api/v1/logs", "duplicate") == 3.0


def test_each_event_is_checked_on_its_own(make: Callable[..., Harness]) -> None:
    app = make(IngestLimits(max_message_bytes=100))
    bad: list[Any] = [
        event(1, source="carrier-pigeon"),
        event(2, level="loud"),
        event(3, timestamp="yesterday"),
        event(4, timestamp="2026-11-26T12:00:00"),
        event(5, message=42),
        event(6, message="я" * 51),  # 102 bytes of UTF-8
        "not an event",
        event(8, message="broken \ud800 text"),
        event(9, fingerprint="XYZ"),
        {k: v for k, v in event(10).items() if k != "timestamp"},
        event(11, timestamp="0001-01-01T00:00:00+01:00"),
    ]
    response = app.post("/api/v1/logs", {"events": [event(0), *bad, event(12)]})
    assert response.status_code == 200
    body = response.json()
    assert (body["written"], body["duplicates"]) == (2, 0)
    reasons = {r["index"]: r["reason"] for r in body["rejected"]}
    assert sorted(reasons) == list(range(1, 12))
    assert reasons[1].startswith("source: Input should be 'file'")
    assert reasons[2].startswith("level: Input should be 'debug'")
    assert "'yesterday' is not an ISO 8601 time" in reasons[3]
    assert "has no UTC offset" in reasons[4]
    assert reasons[5] == "message: Input should be a valid string"
    assert reasons[6] == "message: 102 bytes, over the limit of 100"
    assert "valid dictionary" in reasons[7]
    assert "lone UTF-16 surrogate" in reasons[8]
    assert reasons[9].startswith("fingerprint: String should match pattern")
    assert reasons[10] == "timestamp: Field required"
    assert reasons[11].startswith("timestamp: '0001-01-01T00:00:00+01:00' is not an ISO 8601 time in years 1-9999")
    assert sorted(e.record_id or "" for e in app.stored()) == ["0", "12"]
    assert app.counted("/api/v1/logs", "rejected") == 11.0


def test_tenant_comes_from_the_token_and_only_admins_name_others(app: Harness) -> None:
    response = app.post("/api/v1/logs", {"events": [event(0, tenant="acme"), event(1, tenant="beta")]})
    assert response.json()["written"] == 1
    assert response.json()["rejected"] == [
        {"index": 1, "reason": "tenant 'beta' is not yours: this token writes to tenant 'acme'"}
    ]
    admin = app.post("/api/v1/logs", {"events": [event(2, tenant="beta"), event(3)]}, token=ADMIN)
    assert admin.json() == {"written": 2, "duplicates": 0, "rejected": []}
    assert [e.record_id for e in app.stored("beta")] == ["2"]
    assert [e.record_id for e in app.stored("ops")] == ["3"]
    assert [e.record_id for e in app.stored("acme")] == ["0"]


def test_fingerprints_are_the_analyzers_so_tenants_cannot_shadow_each_other(app: Harness) -> None:
    beta_event = event(0)
    assert app.post("/api/v1/logs", {"events": [beta_event]}, token=BETA).json()["written"] == 1
    beta_fingerprint = app.stored("beta")[0].fingerprint
    assert beta_fingerprint != beta_event["fingerprint"]  # recomputed with tenant beta
    forged = event(5, message="something else", fingerprint=beta_fingerprint)
    assert app.post("/api/v1/logs", {"events": [forged]}).json()["written"] == 1
    [acme] = app.stored("acme")
    assert acme.fingerprint == acme.compute_fingerprint() != beta_fingerprint


def test_body_and_batch_limits_are_413(make: Callable[..., Harness]) -> None:
    app = make(IngestLimits(max_body_bytes=2000, max_events=3))
    big = app.post("/api/v1/logs", {"events": [event(0, message="x" * 3000)]})
    assert big.status_code == 413
    assert big.json()["detail"] == "the body is larger than 2000 bytes; send smaller batches"

    def chunks() -> Iterator[bytes]:  # no Content-Length: the limit holds while streaming
        yield b'{"events": ['
        for _ in range(100):
            yield b'"' + b"y" * 50 + b'",'
        yield b"1]}"

    streamed = app.client.post("/api/v1/logs", content=chunks(), headers=bearer(OPERATOR))
    assert streamed.status_code == 413
    many = app.post("/api/v1/logs", {"events": [event(i) for i in range(4)]})
    assert many.status_code == 413
    assert many.json()["detail"] == "4 events in one request; at most 3 are taken at once"
    assert app.stored() == []


@pytest.mark.parametrize(
    ("body", "status", "detail"),
    [
        (b"{not json", 400, "the body is not JSON"),
        (b'{"logs": []}', 422, 'expected a JSON object {"events": [...]}'),
        (b"[1, 2]", 422, 'expected a JSON object {"events": [...]}'),
    ],
)
def test_malformed_bodies(app: Harness, body: bytes, status: int, detail: str) -> None:
    response = app.client.post("/api/v1/logs", content=body, headers=bearer(OPERATOR))
    assert response.status_code == status
    assert response.json()["detail"].startswith(detail)


@pytest.mark.parametrize("path", ["/api/v1/logs", "/ingest/events", "/assets"])
def test_ingest_needs_an_operator_token(app: Harness, path: str) -> None:
    body = {"events": [event(0)]} if path != "/assets" else {"id": "srv-1"}
    missing = app.client.post(path, json=body)
    assert missing.status_code == 401
    assert missing.headers["WWW-Authenticate"].startswith("Bearer")
    viewer = app.post(path, body, token=VIEWER)
    assert viewer.status_code == 403
    assert "operator or higher" in viewer.json()["detail"]
    assert app.stored() == []


def test_a_failing_store_is_503_with_retry_after_and_nothing_half_written(app: Harness) -> None:
    # A real SQLite failure in the middle of the batch: the second row aborts the transaction.
    with sqlite3.connect(app.store.settings.path) as db:
        db.execute(
            "CREATE TRIGGER poison BEFORE INSERT ON events WHEN NEW.message = 'poison' "
            "BEGIN SELECT RAISE(ABORT, 'disk says no'); END"
        )
    batch = {"events": [event(0), event(1, message="poison"), event(2)]}
    failed = app.post("/api/v1/logs", batch)
    assert failed.status_code == 503
    assert failed.headers["Retry-After"] == "5"
    assert failed.json()["detail"] == "the log store is unavailable; no event was written, retry later"
    assert app.stored() == []
    with sqlite3.connect(app.store.settings.path) as db:
        db.execute("DROP TRIGGER poison")
    assert app.post("/api/v1/logs", batch).json() == {"written": 3, "duplicates": 0, "rejected": []}


def test_without_a_store_the_routes_say_so(tmp_path: Path) -> None:
    client = TestClient(create_app(AnalyzerConfig(tokens=TOKENS), Deps(registry=CollectorRegistry())))
    response = client.post("/api/v1/logs", json={"events": [event(0)]}, headers=bearer(OPERATOR))
    assert response.status_code == 503
    assert "no log store is configured" in response.json()["detail"]


def test_openapi_documents_bodies_answers_and_policies(app: Harness) -> None:
    spec = app.client.get("/openapi.json").json()
    logs = spec["paths"]["/api/v1/logs"]["post"]
    assert logs[POLICY_KEY] == "operator"
    events = logs["requestBody"]["content"]["application/json"]["schema"]["properties"]["events"]
    assert events["maxItems"] == 10_000
    assert events["items"]["properties"]["level"]["enum"] == ["debug", "info", "notice", "warning", "error", "critical"]
    assert set(logs["responses"]) >= {"200", "400", "413", "503"}
    assert logs["responses"]["200"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/IngestReport"
    }
    legacy = spec["paths"]["/ingest/events"]["post"]
    assert legacy[POLICY_KEY] == "operator"
    legacy_events = legacy["requestBody"]["content"]["application/json"]["schema"]["properties"]["events"]
    assert {"asset_id", "metric", "value", "severity", "timestamp"} <= set(legacy_events["items"]["properties"])
    assert spec["paths"]["/assets"]["post"][POLICY_KEY] == "operator"
    assert set(spec["components"]["schemas"]) >= {"AssetIn", "AssetOut", "LegacyReport", "Rejection"}
