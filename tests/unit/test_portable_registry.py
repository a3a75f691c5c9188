"""Which backend the registry builds, and the shared time collector on a host without /sys.

This VM is Linux: a FreeBSD host is simulated by passing ``platform="freebsd14"`` to the registry, which
then builds the psutil collectors exactly as it would there (psutil itself runs its Linux code).
"""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from inframind.config import ExporterConfig, HostPaths
from inframind.exporters.base import CollectorSet
from inframind.exporters.host.time import TimeCollector
from inframind.exporters.registry import AVAILABLE, backend, build_collectors
from tests.helpers.hosttree import by_label, samples

HOST = [spec.name for spec in AVAILABLE if spec.name != "smart"]  # smart has its own tests; it runs smartctl


def modules(config: ExporterConfig, platform: str) -> dict[str, str]:
    return {c.name: type(c).__module__ for c in build_collectors(config, HOST, platform=platform)}


def test_auto_on_freebsd_builds_psutil_collectors_and_skips_mdadm(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="inframind.exporters.registry"):
        built = modules(ExporterConfig(), "freebsd14")
    assert list(built) == [name for name in HOST if name != "mdadm"]
    assert built.pop("time") == "inframind.exporters.host.time"  # OS-independent: shared by both backends
    assert built == {name: f"inframind.exporters.portable.{name}" for name in built}
    assert [r.getMessage() for r in caplog.records] == [
        "collector mdadm needs Linux procfs/sysfs and is skipped with the psutil backend"
    ]


def test_auto_on_linux_builds_procfs_collectors() -> None:
    built = modules(ExporterConfig(), "linux")
    assert built == {name: f"inframind.exporters.host.{name}" for name in HOST}


def test_an_explicit_backend_wins_over_the_platform() -> None:
    assert backend(ExporterConfig(host_backend="psutil"), "linux") == "psutil"
    assert backend(ExporterConfig(host_backend="procfs"), "freebsd14") == "procfs"
    assert modules(ExporterConfig(host_backend="psutil"), "linux")["cpu"] == "inframind.exporters.portable.cpu"


def test_psutil_backend_collectors_all_succeed_here() -> None:
    collectors = CollectorSet(build_collectors(ExporterConfig(), HOST, platform="freebsd14"))
    success = by_label(samples(collectors.collect())["node_scrape_collector_success"], "collector")
    assert success == dict.fromkeys([name for name in HOST if name != "mdadm"], 1.0)


def test_time_collector_without_sysfs_has_no_clocksource_families(tmp_path: Path) -> None:
    config = ExporterConfig(host_backend="psutil", paths=HostPaths(sysfs=str(tmp_path / "no-sys")))
    (collector,) = build_collectors(config, ["time"])
    assert isinstance(collector, TimeCollector)
    got = samples(CollectorSet([collector]).collect())
    assert set(got) - {"node_scrape_collector_duration_seconds", "node_scrape_collector_success"} == {
        "node_time_seconds",
        "node_time_zone_offset_seconds",
    }
    assert by_label(got["node_scrape_collector_success"], "collector") == {"time": 1.0}
