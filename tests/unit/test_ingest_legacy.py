"""POST /ingest/events (earlier InfraMind agents) without VictoriaMetrics: the mapping onto LogEvent, asset
resolution, per-event rejections, resends, and a VictoriaMetrics that cannot be reached (503, nothing written).
The samples themselves are checked against a real VictoriaMetrics in tests/integration/test_ingest_vm.py."""

from __future__ import annotations

import datetime as dt
import socket
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.unit.test_ingest_api import ADMIN, BETA, NOW, Harness, harnesses

LEGACY = "/ingest/events"


@pytest.fixture
def make(tmp_path: Path) -> Iterator[Callable[..., Harness]]:
    with harnesses(tmp_path) as factory:
        yield factory


@pytest.fixture
def app(make: Callable[..., Harness]) -> Harness:
    return make()


def by_host(app: Harness, tenant: str | None = None) -> dict[str, list[Any]]:
    out: dict[str, list[Any]] = {}
    for e in sorted(app.stored(tenant), key=lambda e: e.timestamp):
        out.setdefault(e.host, []).append(e)
    return out


def test_events_map_onto_log_events(app: Harness) -> None:
    events = [
        {"asset_id": "10.0.3.13", "source": "eventlog", "message": "Служба остановлена", "severity": "Warning",
         "timestamp": "2026-11-26T11:00:00.1234567+03:00"},
        {"asset_id": "ws-17", "source": "winlogbeat", "message": "logon", "severity": "Information"},
        {"asset_id": "ws-17", "message": "odd", "severity": "bogus", "timestamp": "/Date(1795000000000)/"},
        {"asset_id": "ws-17", "message": "epoch", "severity": "ERR", "timestamp": 1795000001},
        {"asset_id": "ws-17", "message": "epoch ms", "timestamp": "1795000002500", "hostname": "ignored"},
    ]  # fmt: skip
    response = app.post(LEGACY, {"events": events})
    assert response.json() == {"written": 5, "duplicates": 0, "rejected": [], "samples": 0}
    hosts = by_host(app, "acme")
    [db] = hosts["10.0.3.13"]
    assert (db.asset_id, db.source, db.level, db.message) == ("srv-db-03", "eventlog", "warning", "Служба остановлена")
    assert db.timestamp == dt.datetime(2026, 11, 26, 8, 0, 0, 123456, tzinfo=dt.UTC)
    assert db.fields == {}
    odd, epoch, epoch_ms, logon = hosts["ws-17"]
    assert (logon.source, logon.level, logon.asset_id, logon.timestamp) == ("http", "info", "ws-17", NOW)
    assert logon.fields == {"original_source": "winlogbeat", "severity": "Information", "clock_missing": True}
    assert (odd.source, odd.level, odd.fields) == ("http", "info", {"severity": "bogus"})
    assert odd.timestamp == dt.datetime.fromtimestamp(1795000000, dt.UTC)
    assert (epoch.level, epoch.timestamp) == ("error", dt.datetime.fromtimestamp(1795000001, dt.UTC))
    assert epoch_ms.timestamp == dt.datetime.fromtimestamp(1795000002.5, dt.UTC)


def test_each_event_is_checked_and_a_resend_is_duplicates(app: Harness) -> None:
    good = {"asset_id": "ws-17", "message": "ok", "timestamp": "2026-11-26T11:00:00Z"}
    events: list[Any] = [
        good,
        {"message": "no asset"},
        {"asset_id": "ws-17", "metric": "cpu"},
        {"asset_id": "ws-17", "metric": "cpu", "value": True},
        {"asset_id": "ws-17", "metric": "cpu", "value": "lots"},
        {"asset_id": "ws-17", "message": "x", "timestamp": "soon"},
        {"asset_id": "ws-17", "severity": "info"},
        {"asset_id": "ws-17", "metric": "cpu", "value": 0.5, "timestamp": "2026-11-26T11:00:00Z"},
        {"asset_id": "ws-17", "message": 17},
    ]
    body = app.post(LEGACY, {"events": events}).json()
    assert (body["written"], body["samples"]) == (1, 0)
    reasons = {r["index"]: r["reason"] for r in body["rejected"]}
    assert reasons == {
        1: "asset_id: Field required",
        2: "metric and value go together: give both or neither",
        3: "value: Value error, expected a number, not true/false",
        4: "value: Input should be a valid number, unable to parse string as a number",
        5: "timestamp: 'soon' is neither ISO 8601, /Date(ms)/ nor epoch seconds",
        6: "message: required unless metric and value are given",
        7: "metric: this analyzer has no VictoriaMetrics to import into (analyzer setting)",
        8: "message: Input should be a valid string",
    }
    assert app.post(LEGACY, {"events": [good]}).json()["duplicates"] == 1
    assert len(app.stored()) == 1


def test_assets_resolve_only_within_the_callers_tenant(app: Harness) -> None:
    event = {"asset_id": "srv-db-03", "message": "hello", "timestamp": "2026-11-26T11:00:00Z"}
    assert app.post(LEGACY, {"events": [event]}, token=BETA).json()["written"] == 1
    [beta] = app.stored("beta")
    assert (beta.tenant, beta.asset_id) == ("beta", "srv-db-03")  # not attributed to acme's asset
    assert app.post(LEGACY, {"events": [event]}, token=ADMIN).json()["written"] == 1
    assert [e.host for e in app.stored("acme")] == ["srv-db-03"]  # admins reach every tenant's assets
    assert app.stored("ops") == []


def unused_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_unreachable_victoriametrics_is_503_and_no_event_is_written(make: Callable[..., Harness]) -> None:
    app = make(metrics_import_url=f"http://127.0.0.1:{unused_port()}")
    events = [
        {"asset_id": "ws-17", "message": "plain", "timestamp": "2026-11-26T11:00:00Z"},
        {"asset_id": "ws-17", "metric": "cpu", "value": 0.5, "timestamp": "2026-11-26T11:00:00Z"},
    ]
    response = app.post(LEGACY, {"events": events})
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "5"
    assert response.json()["detail"] == "VictoriaMetrics is unavailable; nothing was written, retry later"
    assert app.stored() == []
    logs_only = app.post(LEGACY, {"events": events[:1]})  # no samples: VictoriaMetrics is not needed
    assert logs_only.json()["written"] == 1


def test_the_windows_push_agent_payload_is_taken_as_sent(app: Harness) -> None:
    """deploy/windows sends all seven keys, null metric and value, and .NET's 7-digit 'o' timestamps."""
    sent = {
        "asset_id": "WIN-APP-01",
        "source": "eventlog",
        "message": "[System] Service Control Manager 7036: Служба «Windows Update» перешла в состояние «Остановлена».",
        "metric": None,
        "value": None,
        "severity": "warning",
        "timestamp": "2026-11-26T11:00:00.1234567Z",
    }
    assert app.post(LEGACY, {"events": [sent]}).json() == {"written": 1, "duplicates": 0, "rejected": [], "samples": 0}
    [stored] = app.stored("acme")
    assert (stored.source, stored.level, stored.asset_id, stored.fields) == ("eventlog", "warning", "WIN-APP-01", {})
    assert stored.message == sent["message"]
    assert stored.timestamp == dt.datetime(2026, 11, 26, 11, 0, 0, 123456, tzinfo=dt.UTC)
