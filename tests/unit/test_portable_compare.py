"""The psutil backend against the procfs backend on this machine: same family metadata, agreeing values.

This VM is Linux, so psutil runs its real Linux implementation, which reads the same /proc and /sys files
as the procfs collectors: equal values where both read one number (MemTotal, boot time, statvfs sizes),
and counters read as procfs, psutil, procfs must put psutil's value between the two procfs readings.
Other platforms' field sets are covered in test_portable_platforms.py by monkeypatching psutil.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import psutil
import pytest
from prometheus_client.core import Metric

from inframind.config import ExporterConfig
from inframind.exporters.base import Collector, CollectorError
from inframind.exporters.registry import BY_NAME, build_collectors
from tests.helpers.hosttree import Labels, fixture_config, samples
from tests.unit.test_portable_platforms import Temperature

PORTABLE = [name for name, spec in BY_NAME.items() if spec.portable and spec.portable != spec.module]
MiB = 1024.0 * 1024.0
Meta = dict[str, tuple[str, frozenset[str]]]

# What the psutil backend emits on Linux, per collector (the fields psutil's Linux implementation has).
EXPECTED_LINUX = {
    "cpu": {"node_cpu_seconds", "node_cpu_guest_seconds"},
    "loadavg": {"node_load1", "node_load5", "node_load15"},
    "meminfo": {
        f"node_memory_{field}_bytes"
        for field in (
            *("MemTotal", "MemFree", "MemAvailable", "Buffers", "Shmem", "Active", "Inactive", "Slab"),
            *("SwapTotal", "SwapFree"),
        )
    },
    "filesystem": {
        "node_filesystem_device_error",
        "node_filesystem_size_bytes",
        "node_filesystem_free_bytes",
        "node_filesystem_avail_bytes",
        "node_filesystem_files",
        "node_filesystem_files_free",
        "node_filesystem_readonly",
    },
    "diskstats": {
        f"node_disk_{suffix}"
        for suffix in (
            *("reads_completed", "reads_merged", "read_bytes", "read_time_seconds", "io_time_seconds"),
            *("writes_completed", "writes_merged", "written_bytes", "write_time_seconds"),
        )
    },
    "netdev": {f"node_network_{d}_{c}" for d in ("receive", "transmit") for c in ("bytes", "packets", "errs", "drop")},
    "stat": {"node_boot_time_seconds", "node_context_switches", "node_intr"},
    "hwmon": {"node_hwmon_temp_celsius", "node_hwmon_temp_max_celsius", "node_hwmon_temp_crit_celsius"}
    | {"node_hwmon_sensor_label"},
    "uname": {"node_uname_info"},
}


def metadata(families: Iterable[Metric]) -> Meta:
    """Family name (counters without ``_total``, as client_python keeps it) -> (type, label names)."""
    return {f.name: (f.type, frozenset(k for s in f.samples for k in s.labels)) for f in families}


def one_collector(config: ExporterConfig, name: str) -> Collector:
    (collector,) = build_collectors(config, [name])
    return collector


def procfs_metadata(name: str) -> Meta:
    """The procfs collector's families on this machine and on the fixture tree (which has hwmon chips)."""
    meta: Meta = {}
    for config in (ExporterConfig(host_backend="procfs"), fixture_config()):
        collector = one_collector(config, name)
        try:
            families = list(collector.collect())
        except CollectorError:  # this VM has no /sys/class/hwmon: the fixture run supplies those families
            assert name == "hwmon"
            continue
        for family, meta_value in metadata(families).items():
            assert meta.setdefault(family, meta_value) == meta_value, f"{family}: live and fixture differ"
    return meta


@pytest.fixture
def fake_sensors(monkeypatch: pytest.MonkeyPatch) -> None:
    """This VM has no sensors; give psutil's Linux sensors_temperatures two chips to report."""
    shwtemp = Temperature

    def sensors_temperatures(fahrenheit: bool = False) -> dict[str, list[Temperature]]:
        return {
            "coretemp": [shwtemp("Package id 0", 52.0, 84.0, 100.0), shwtemp("Core 0", 49.0, 84.0, 100.0)],
            "nvme": [shwtemp("Composite", 38.85, None, 84.85)],
        }

    monkeypatch.setattr(psutil, "sensors_temperatures", sensors_temperatures)


@pytest.mark.parametrize("name", PORTABLE)
def test_each_family_matches_a_procfs_family(name: str, fake_sensors: None) -> None:
    portable = metadata(one_collector(ExporterConfig(host_backend="psutil"), name).collect())
    assert set(portable) == EXPECTED_LINUX[name]
    procfs = procfs_metadata(name)
    for family, (kind, labels) in portable.items():
        assert family in procfs, f"{family}: the procfs backend has no such family"
        assert (kind, labels) == procfs[family], f"{family}: psutil {kind} {sorted(labels)} != procfs {procfs[family]}"


Series = dict[str, dict[Labels, float]]


def sandwich(name: str) -> tuple[Series, Series, Series]:
    """procfs, psutil, procfs: three readings of one collector, taken back to back."""
    procfs = one_collector(ExporterConfig(host_backend="procfs"), name)
    portable = one_collector(ExporterConfig(host_backend="psutil"), name)
    before = samples(procfs.collect())
    middle = samples(portable.collect())
    after = samples(procfs.collect())
    return before, middle, after


def assert_between(name: str, tolerance: Callable[[str], float], minimum_series: int) -> None:
    before, ours, after = sandwich(name)
    checked = 0
    for sample_name, series in ours.items():
        for labels, value in series.items():
            a, b = before[sample_name][labels], after[sample_name][labels]
            slack = tolerance(sample_name)
            assert min(a, b) - slack <= value <= max(a, b) + slack, f"{sample_name}{dict(labels)}: {value} vs {a}..{b}"
            checked += 1
    assert checked >= minimum_series


def test_cpu_seconds_lie_between_procfs_readings() -> None:
    # 0.05 s: the kernel's per-CPU iowait can step back a tick between reads; procfs holds it, psutil does not.
    assert_between("cpu", lambda _name: 0.05, minimum_series=len(psutil.cpu_times(percpu=True)) * 8)


def test_load_averages_agree() -> None:
    assert_between("loadavg", lambda _name: 0.05, minimum_series=3)


def test_disk_and_network_counters_lie_between_procfs_readings() -> None:
    assert_between("diskstats", lambda _name: 0.0, minimum_series=9)
    assert_between("netdev", lambda _name: 0.0, minimum_series=8)


def test_context_switches_and_interrupts_between_and_boot_time_equal() -> None:
    assert_between("stat", lambda _name: 0.0, minimum_series=3)
    before, ours, _ = sandwich("stat")
    (boot,) = ours["node_boot_time_seconds"].values()
    assert abs(boot - before["node_boot_time_seconds"][frozenset()]) <= 1.0


def test_memory_totals_equal_and_other_fields_agree() -> None:
    before, ours, after = sandwich("meminfo")
    for field in ("node_memory_MemTotal_bytes", "node_memory_SwapTotal_bytes"):
        assert ours[field] == before[field] == after[field]
    # The rest move while the test runs (other processes allocate and free between the three readings).
    assert_between("meminfo", lambda _name: 32 * MiB, minimum_series=len(EXPECTED_LINUX["meminfo"]))


def test_filesystem_sizes_equal_for_the_same_mount() -> None:
    def by_mount(series: dict[Labels, float]) -> dict[tuple[str, str], float]:
        return {(dict(k)["mountpoint"], dict(k)["fstype"]): v for k, v in series.items()}

    before, ours, _ = sandwich("filesystem")
    procfs_sizes = by_mount(before["node_filesystem_size_bytes"])
    psutil_sizes = by_mount(ours["node_filesystem_size_bytes"])
    common = procfs_sizes.keys() & psutil_sizes.keys()
    assert any(mountpoint == "/" for mountpoint, _ in common)
    for mount in common:
        assert psutil_sizes[mount] == procfs_sizes[mount], mount
