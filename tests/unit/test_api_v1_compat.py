"""The earlier InfraMind endpoints answer as thin aliases over the /api/v1 data (docs/api-compat.md)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from inframind.config import SQLiteStoreSettings
from inframind.events import LogEvent
from inframind.logstore.sqlite import SQLiteStore
from tests.helpers.apiv1 import NOW, World, build_world, headers


@pytest.fixture
def world(tmp_path: Path) -> World:
    return build_world(tmp_path)


def get(world: World, url: str, who: str = "acme-viewer", **params: Any) -> tuple[int, Any]:
    answer = world.client.get(url, headers=headers(who), params=params)
    return answer.status_code, answer.json()


def test_assets_list_with_status_and_risk(world: World) -> None:
    status, body = get(world, "/assets")
    assert status == 200
    by_id = {a["id"]: a for a in body}
    assert list(by_id) == ["bmc-r3-01", "srv-db-03", "srv-web-01"]
    assert by_id["srv-db-03"]["status"] == "critical" and by_id["srv-web-01"]["status"] == "warning"
    assert by_id["bmc-r3-01"]["status"] == "ok" and by_id["bmc-r3-01"]["risk_score"] is None
    assert by_id["srv-db-03"]["ip"] == "10.0.0.3" and by_id["srv-db-03"]["type"] == "host"
    new = get(world, "/api/v1/assets/srv-db-03")[1]
    assert by_id["srv-db-03"]["risk_score"] == new["risk"]["score"]
    assert [a["id"] for a in get(world, "/assets", "globex-viewer")[1]] == ["gx-1"]


def test_alerts_overview_and_insights(world: World) -> None:
    alerts = get(world, "/alerts")[1]
    assert [(a["asset_id"], a["severity"]) for a in alerts] == [("srv-db-03", "critical"), ("srv-web-01", "warning")]
    assert [a["asset_id"] for a in get(world, "/alerts", severity="warning")[1]] == ["srv-web-01"]
    overview = get(world, "/overview")[1]
    assert overview["assets"] == 3 and overview["alerts"] == {"critical": 1, "warning": 1, "info": 0}
    assert overview["forecasts"] == 2 and overview["anomalies"] == 1
    assert overview["top_risks"][0]["asset_id"] == "srv-db-03"
    insights = get(world, "/insights")[1]
    assert {"type": "forecast", "asset_id": "srv-db-03", "value": 3.0,
            "message": "filesystem /data full in ~3.0 days"} in insights  # fmt: skip
    assert {i["type"] for i in insights} == {"forecast", "anomaly", "risk"}
    assert all(i["asset_id"] != "gx-1" for i in insights)


def test_recommendation_of_the_worst_finding(world: World) -> None:
    status, body = get(world, "/assets/srv-db-03/recommendation")
    assert status == 200 and body["finding"]["severity"] == "critical"
    assert body["recommendation"]["text"] == "12 errors on srv-db-03: check it"
    assert get(world, "/assets/bmc-r3-01/recommendation")[0] == 404
    assert get(world, "/assets/gx-1/recommendation")[0] == 404


def test_asset_events_from_the_log_store(world: World, tmp_path: Path) -> None:
    world.deps.logstore = None
    assert get(world, "/assets/srv-db-03/events")[0] == 503
    store = SQLiteStore(SQLiteStoreSettings(path=str(tmp_path / "logs.db")), clock=NOW.timestamp)
    events = [
        LogEvent(NOW - dt.timedelta(minutes=n), "syslog", "error", f"disk error {n}", host="srv-db-03",
                 asset_id="srv-db-03", tenant="acme")
        for n in range(3)
    ]  # fmt: skip
    store.write(events)
    world.deps.logstore = store
    status, body = get(world, "/assets/srv-db-03/events", limit=2)
    assert status == 200 and [e["message"] for e in body] == ["disk error 0", "disk error 1"]
    assert body[0]["severity"] == "error" and body[0]["timestamp"] == "2026-11-26T12:00:00Z"
    assert world.client.get("/assets/srv-db-03/events").status_code == 401
    store.close()
