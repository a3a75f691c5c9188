"""The host collectors inside CollectorSet: a broken source is success 0 while the others still emit."""

import logging
from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry, generate_latest

from inframind.exporters.base import CollectorSet
from inframind.exporters.host.cpu import CpuCollector
from inframind.exporters.host.loadavg import LoadavgCollector
from inframind.exporters.host.mdadm import MdadmCollector
from inframind.exporters.registry import AVAILABLE, build_collectors
from tests.helpers.hosttree import FIXTURE, by_label, fixture_config, samples

HOST = [spec.name for spec in AVAILABLE if spec.module.startswith("inframind.exporters.host.")]


def test_a_missing_file_is_success_0_and_the_rest_still_emit(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    proc = str(FIXTURE / "proc")
    collectors = CollectorSet([CpuCollector(proc), MdadmCollector(str(tmp_path)), LoadavgCollector(proc)])
    with caplog.at_level(logging.ERROR):
        got = samples(collectors.collect())
    assert by_label(got["node_scrape_collector_success"], "collector") == {"cpu": 1.0, "mdadm": 0.0, "loadavg": 1.0}
    assert "node_cpu_seconds_total" in got
    assert got["node_load1"] == {frozenset(): 1.27}
    assert not any(name.startswith("node_md_") for name in got)
    assert f"mdadm: cannot read {tmp_path}/mdstat: No such file or directory" in caplog.text


def test_every_host_collector_builds_from_config_and_succeeds_on_the_fixture() -> None:
    collectors = build_collectors(fixture_config(), HOST)
    assert [c.name for c in collectors] == HOST
    registry = CollectorRegistry(auto_describe=False)
    collector_set = CollectorSet(collectors)
    registry.register(collector_set)
    got = samples(collector_set.collect())
    assert by_label(got["node_scrape_collector_success"], "collector") == dict.fromkeys(HOST, 1.0)
    text = generate_latest(registry).decode()
    assert "# TYPE node_cpu_seconds_total counter" in text
    assert 'node_hwmon_temp_celsius{chip="platform_coretemp_0",sensor="temp1"} 52.0' in text
