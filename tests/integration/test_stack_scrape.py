"""VictoriaMetrics scrapes our exporter with the scrape config inframind.targets generates."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from tests.helpers.servers import Running, wait_for_series

pytestmark = pytest.mark.integration


def test_host_metrics_are_queryable_with_inventory_labels(victoriametrics: Running, exporter: Running) -> None:
    cpu = wait_for_series(victoriametrics.url, 'node_cpu_seconds_total{job="node", asset="local", mode="idle"}')
    labels = cpu[0]["metric"]
    assert labels["tenant"] == "acme"
    assert labels["site"] == "lab-1"
    assert labels["rack"] == "R1"
    assert labels["role"] == "monitoring"
    assert labels["env"] == "test"
    assert float(cpu[0]["value"][1]) > 0

    free = wait_for_series(victoriametrics.url, 'node_filesystem_avail_bytes{job="node", asset="local"}')
    assert {"device", "fstype", "mountpoint"} <= set(free[0]["metric"])
    up = wait_for_series(victoriametrics.url, 'up{job="node", asset="local"} == 1')
    assert len(up) == 1


def test_probe_assets_go_through_the_exporter_probe_endpoint(victoriametrics: Running, exporter: Running) -> None:
    answer = requests.get(victoriametrics.url + "/api/v1/targets", timeout=5).json()
    probes = [t for t in answer["data"]["activeTargets"] if t["labels"].get("job") == "probe_redfish"]
    assert len(probes) == 1
    target = probes[0]
    url = urlsplit(target["scrapeUrl"])
    assert f"{url.hostname}:{url.port}" == exporter.url.removeprefix("http://")
    assert url.path == "/probe"
    assert parse_qs(url.query) == {"module": ["redfish"], "target": ["127.0.0.1:1"], "auth": ["bmc_default"]}
    assert target["labels"]["instance"] == "127.0.0.1:1"
    assert target["labels"]["asset"] == "bmc-test"
    assert target["labels"]["module"] == "redfish"
    assert target["labels"]["asset_kind"] == "bmc"
