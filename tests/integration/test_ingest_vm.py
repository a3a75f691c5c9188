"""POST /ingest/events against a real VictoriaMetrics on loopback: values become ``inframind_agent_<metric>``
series with the asset's labels (registered or from the inventory), a resend stays one point on a
VictoriaMetrics with ``-dedup.minScrapeInterval=1ms``, and a VictoriaMetrics that is down is a 503 with
no log event written."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.helpers.procs import free_port, require_binary
from tests.helpers.servers import Running, start_victoriametrics, vm_query, wait_for_series
from tests.unit.test_ingest_api import Harness, harnesses

pytestmark = pytest.mark.integration


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def stamp(seconds_ago: float) -> str:
    return (utcnow() - dt.timedelta(seconds=seconds_ago)).isoformat().replace("+00:00", "Z")


@pytest.fixture
def make(tmp_path: Path) -> Iterator[Callable[..., Harness]]:
    with harnesses(tmp_path) as factory:
        yield factory


def metric_event(asset: str, metric: str, value: float, when: str, **more: Any) -> dict[str, Any]:
    return {"asset_id": asset, "metric": metric, "value": value, "timestamp": when, **more}


def test_values_become_series_with_the_assets_labels(victoriametrics: Running, make: Callable[..., Harness]) -> None:
    app = make(metrics_import_url=victoriametrics.url, clock=utcnow)
    tag = uuid.uuid4().hex[:8]
    registered = {"id": f"ws-{tag}", "kind": "windows", "addresses": [f"ws-{tag}.corp"], "site": "lab",
                  "rack": "R9", "role": "desktop", "labels": {"env": "prod"}}  # fmt: skip
    assert app.post("/assets", registered).status_code == 200
    events = [
        metric_event(f"ws-{tag}.corp", "disk.used-%", 42.5, stamp(5), severity="Warning", source="perfmon"),
        metric_event("10.0.3.13", f"temp_{tag}", 31, stamp(4)),  # srv-db-03 in the inventory
    ]
    answer = app.post("/ingest/events", {"events": events})
    assert answer.json() == {"written": 2, "duplicates": 0, "rejected": [], "samples": 2}

    [disk] = wait_for_series(victoriametrics.url, f'inframind_agent_disk_used__{{asset="ws-{tag}"}}')
    assert disk["metric"] == {"__name__": "inframind_agent_disk_used__", "tenant": "acme", "site": "lab",
                              "rack": "R9", "role": "desktop", "asset": f"ws-{tag}", "asset_kind": "windows",
                              "env": "prod"}  # fmt: skip
    assert disk["value"][1] == "42.5"
    [temp] = wait_for_series(victoriametrics.url, f"inframind_agent_temp_{tag}")
    assert temp["metric"] == {"__name__": f"inframind_agent_temp_{tag}", "tenant": "acme", "site": "msk-1",
                              "rack": "R3", "role": "database", "asset": "srv-db-03", "asset_kind": "host"}  # fmt: skip
    assert temp["value"][1] == "31"

    logged = {e.asset_id: e for e in app.stored("acme")}
    assert logged[f"ws-{tag}"].message == "disk.used-% = 42.5"
    assert logged[f"ws-{tag}"].level == "warning"
    assert logged[f"ws-{tag}"].fields == {"original_source": "perfmon", "metric": "disk.used-%", "value": 42.5}
    assert logged["srv-db-03"].host == "10.0.3.13"


def start_deduplicating_victoriametrics(directory: Path) -> Running:
    """VictoriaMetrics as the analyzer docs recommend it for pushed samples: identical points collapse."""
    port = free_port()
    argv = [
        require_binary("victoria-metrics"),
        f"-httpListenAddr=127.0.0.1:{port}",
        f"-storageDataPath={directory / 'data'}",
        "-retentionPeriod=1d",
        "-search.latencyOffset=0s",
        "-selfScrapeInterval=0",
        "-dedup.minScrapeInterval=1ms",
    ]
    server = Running("victoriametrics-dedup", argv, directory, f"http://127.0.0.1:{port}")
    server.wait_http(server.url + "/health")
    return server


def test_a_resend_is_one_log_event_and_one_point(tmp_path: Path, make: Callable[..., Harness]) -> None:
    vm = start_deduplicating_victoriametrics(tmp_path / "vm")
    try:
        app = make(metrics_import_url=vm.url, clock=utcnow)
        batch = {"events": [metric_event("ws-1", "queue_length", 7, stamp(3))]}
        assert app.post("/ingest/events", batch).json()["written"] == 1
        again = app.post("/ingest/events", batch).json()
        assert (again["written"], again["duplicates"], again["samples"]) == (0, 1, 1)
        wait_for_series(vm.url, "inframind_agent_queue_length")
        exported = requests.post(
            vm.url + "/api/v1/export", data={"match[]": "inframind_agent_queue_length"}, timeout=5
        ).json()
        assert exported["values"] == [7] and len(exported["timestamps"]) == 1
        assert vm_query(vm.url, 'count_over_time(inframind_agent_queue_length{asset="ws-1"}[5m])')[0]["value"][1] == "1"
    finally:
        vm.stop()


def test_victoriametrics_down_is_503_and_no_event_is_written(tmp_path: Path, make: Callable[..., Harness]) -> None:
    vm = start_victoriametrics(tmp_path / "vm", tmp_path / "vm" / "data")
    app = make(metrics_import_url=vm.url, clock=utcnow)
    try:
        first = app.post("/ingest/events", {"events": [metric_event("ws-2", "up", 1, stamp(2))]})
        assert first.json()["samples"] == 1
    finally:
        vm.stop()
    events = [{"asset_id": "ws-2", "message": "plain", "timestamp": stamp(1)}, metric_event("ws-2", "up", 0, stamp(1))]
    down = app.post("/ingest/events", {"events": events})
    assert down.status_code == 503
    assert down.headers["Retry-After"] == "5"
    assert "VictoriaMetrics is unavailable" in down.json()["detail"]
    assert [e.message for e in app.stored()] == ["up = 1"]
