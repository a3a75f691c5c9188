"""Failure handling of the psutil backend: a broken psutil call is success 0, a hung mount is device_error 1.

This VM is Linux: failures are injected by monkeypatching the psutil function (or the stat call) that
each collector uses; the platform without sensors is simulated by removing psutil.sensors_temperatures,
as psutil does on macOS and Windows.
"""

from __future__ import annotations

import errno
import logging
import threading
import time
from typing import NoReturn

import psutil
import pytest

from inframind.config import ExporterConfig, FilesystemSettings
from inframind.exporters.base import CollectorError, CollectorSet
from inframind.exporters.portable.filesystem import FilesystemCollector, Usage
from inframind.exporters.registry import build_collectors
from tests.helpers.hosttree import Labels, by_label, samples
from tests.helpers.procs import wait_until
from tests.unit.test_portable_platforms import Partition

PSUTIL_BACKEND = ExporterConfig(host_backend="psutil")

# collector -> the psutil function it cannot do without, and how the error names the call
SOURCES = {
    "cpu": ("cpu_times", "psutil.cpu_times(percpu=True)"),
    "loadavg": ("getloadavg", "psutil.getloadavg()"),
    "meminfo": ("virtual_memory", "psutil.virtual_memory()"),
    "filesystem": ("disk_partitions", "psutil.disk_partitions(all=True)"),
    "diskstats": ("disk_io_counters", "psutil.disk_io_counters(perdisk=True, nowrap=False)"),
    "netdev": ("net_io_counters", "psutil.net_io_counters(pernic=True, nowrap=False)"),
    "stat": ("cpu_stats", "psutil.cpu_stats()"),
    "hwmon": ("sensors_temperatures", "psutil.sensors_temperatures()"),
}


def broken(*_args: object, **_kwargs: object) -> NoReturn:
    raise OSError(errno.EIO, "Input/output error")


@pytest.mark.parametrize("name", sorted(SOURCES))
def test_a_failing_psutil_call_is_a_collector_error_naming_it(monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    function, call = SOURCES[name]
    monkeypatch.setattr(psutil, function, broken)
    (collector,) = build_collectors(PSUTIL_BACKEND, [name])
    with pytest.raises(CollectorError) as failure:
        list(collector.collect())
    assert str(failure.value) == f"{name}: {call} failed: OSError: [Errno 5] Input/output error"


def test_collector_set_reports_success_0_and_the_others_still_emit(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(psutil, "cpu_times", broken)
    collectors = CollectorSet(build_collectors(PSUTIL_BACKEND, ["cpu", "loadavg", "meminfo", "stat"]))
    with caplog.at_level(logging.ERROR):
        got = samples(collectors.collect())
    success = by_label(got["node_scrape_collector_success"], "collector")
    assert success == {"cpu": 0.0, "loadavg": 1.0, "meminfo": 1.0, "stat": 1.0}
    assert not any(name.startswith("node_cpu_") for name in got)
    assert {"node_load1", "node_memory_MemTotal_bytes", "node_boot_time_seconds"} <= set(got)
    assert "collector cpu failed: cpu: psutil.cpu_times(percpu=True) failed: OSError" in caplog.text


def test_no_sensors_function_is_no_families_and_success_1(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delattr(psutil, "sensors_temperatures")
    got = samples(CollectorSet(build_collectors(PSUTIL_BACKEND, ["hwmon"])).collect())
    assert set(got) == {"node_scrape_collector_duration_seconds", "node_scrape_collector_success"}
    assert by_label(got["node_scrape_collector_success"], "collector") == {"hwmon": 1.0}


class HangingUsage:
    """A stat that blocks on one mount until released, like a mount of a dead NFS server."""

    def __init__(self, hung: str) -> None:
        self.hung = hung
        self.release = threading.Event()
        self.calls: list[str] = []

    def __call__(self, path: str) -> Usage:
        self.calls.append(path)
        if path == self.hung:
            self.release.wait(30)
        return Usage(size=4096.0, free=2048.0, avail=1024.0, files=10.0, files_free=5.0)


def fake_partitions(all: bool = False) -> list[Partition]:
    return [Partition("/dev/ada0p2", "/", "ufs", "rw,local"), Partition("nas:/export", "/mnt/nas", "nfs", "rw")]


def errors(got: dict[str, dict[Labels, float]]) -> dict[str, float]:
    return by_label(got["node_filesystem_device_error"], "mountpoint")


def test_a_hung_stat_is_device_error_1_within_the_timeout(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(psutil, "disk_partitions", fake_partitions)
    stat = HangingUsage("/mnt/nas")
    collector = FilesystemCollector(FilesystemSettings(stat_timeout=0.3), stat)
    try:
        start = time.monotonic()
        got = samples(collector.collect())
        assert 0.3 <= time.monotonic() - start < 2.0
        assert errors(got) == {"/": 0.0, "/mnt/nas": 1.0}
        assert set(by_label(got["node_filesystem_size_bytes"], "mountpoint")) == {"/"}

        start = time.monotonic()  # while it hangs: answered at once, not stat'ed again
        assert errors(samples(collector.collect())) == {"/": 0.0, "/mnt/nas": 1.0}
        assert time.monotonic() - start < 0.25
        assert stat.calls.count("/mnt/nas") == 1
    finally:
        stat.release.set()
    assert wait_until(lambda: errors(samples(collector.collect()))["/mnt/nas"] == 0.0, timeout=5)
    assert by_label(samples(collector.collect())["node_filesystem_avail_bytes"], "mountpoint")["/mnt/nas"] == 1024.0


def test_a_failing_stat_is_device_error_1_and_is_retried(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(psutil, "disk_partitions", fake_partitions)
    calls: list[str] = []

    def stat(path: str) -> Usage:
        calls.append(path)
        if path == "/mnt/nas":
            raise OSError(errno.ETIMEDOUT, "Connection timed out")  # a TimeoutError, but the call returned
        return Usage(size=1.0, free=1.0)

    collector = FilesystemCollector(FilesystemSettings(stat_timeout=5.0), stat)
    for _ in range(2):
        assert errors(samples(collector.collect())) == {"/": 0.0, "/mnt/nas": 1.0}
    assert calls.count("/mnt/nas") == 2
