"""The PromQL client against a real VictoriaMetrics loaded through /api/v1/import (history_import).

VictoriaMetrics runs with ``-search.maxPointsPerTimeseries=200``, so a 10-hour range at one minute is refused
unless the client chunks it; what comes back must be exactly what was imported.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterator

import numpy as np
import pytest

from inframind.analyzer.history_import import import_history
from inframind.analyzer.sources.promql import PromClient, PromQLError, PromSettings, PromUnavailable
from tests.helpers.procs import free_port
from tests.helpers.servers import Running
from tests.helpers.vmhistory import start_history_vm

pytestmark = pytest.mark.integration
END = math.floor(time.time() / 60) * 60 - 120
STAMPS = END - 60.0 * np.arange(599, -1, -1)


@pytest.fixture(scope="module")
def vm(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    directory = tmp_path_factory.mktemp("promql-vm")
    server = start_history_vm(directory, directory / "data", "-search.maxPointsPerTimeseries=200")
    series = [
        ({"__name__": "demo_total", "tenant": tenant, "asset": f"{tenant}-1", "job": "node"}, STAMPS,
         np.arange(600.0) * (2 if tenant == "globex" else 1))
        for tenant in ("acme", "globex")
    ]  # fmt: skip
    report = import_history(server.url, series)
    assert (report.series, report.samples) == (2, 1200)
    yield server
    server.stop()


def test_long_range_is_chunked_and_equals_what_was_imported(vm: Running) -> None:
    client = PromClient(PromSettings(vm.url, max_points=200))
    found = {s.labels["tenant"]: s for s in client.query_range("demo_total", STAMPS[0], STAMPS[-1], 60)}
    assert set(found) == {"acme", "globex"}
    assert found["acme"].timestamps.tolist() == STAMPS.tolist()
    assert found["acme"].values.tolist() == list(np.arange(600.0))
    assert found["globex"].values[-1] == 1198.0


def test_unchunked_the_server_refuses_with_its_own_message(vm: Running) -> None:
    client = PromClient(PromSettings(vm.url, max_points=11_000))
    with pytest.raises(PromQLError, match="maxPointsPerTimeseries") as caught:
        client.query_range("demo_total", STAMPS[0], STAMPS[-1], 60)
    assert caught.value.query == "demo_total" and caught.value.status == 422


def test_instant_query_series_and_a_bad_query(vm: Running) -> None:
    client = PromClient(PromSettings(vm.url))
    (total,) = client.query("sum(demo_total)", at=STAMPS[100])
    assert total.value == 300.0 and total.timestamp == STAMPS[100]
    labels = client.series(["demo_total"], start=STAMPS[0], end=STAMPS[-1])
    assert sorted(x["tenant"] for x in labels) == ["acme", "globex"]
    with pytest.raises(PromQLError, match="unknown func") as caught:
        client.query("no_such_function(demo_total)")
    assert caught.value.query == "no_such_function(demo_total)"


def test_tenant_options_reach_the_server(vm: Running) -> None:
    scoped = PromClient(PromSettings(vm.url, extra_labels={"tenant": "globex"}, path_prefix="/prometheus"))
    (only,) = scoped.query("demo_total", at=STAMPS[-1])
    assert only.labels["tenant"] == "globex" and only.value == 1198.0
    cluster = PromClient(PromSettings.for_account(vm.url, 0))
    with pytest.raises(PromQLError, match="unsupported path"):  # single-node: proves the prefix is sent
        cluster.query("demo_total")


def test_an_unreachable_store_is_retried_then_reported() -> None:
    waits: list[float] = []
    client = PromClient(PromSettings(f"http://127.0.0.1:{free_port()}", retries=2, backoff=0.01), sleep=waits.append)
    with pytest.raises(PromUnavailable, match="after 3 attempts"):
        client.query("up")
    assert waits == [0.01, 0.02]
