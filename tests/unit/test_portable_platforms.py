"""Each OS family's field mapping, with psutil answering in that platform's shapes.

This VM is Linux: the non-Linux paths run by giving each collector the platform name and monkeypatching
the psutil call to return the named tuple that platform's psutil returns (field names as psutil 7
defines them for FreeBSD, macOS and Windows); the Linux path runs psutil's real implementation.
The named tuples here are also the fakes of the other test_portable_* modules.
"""

from __future__ import annotations

from collections import namedtuple
from typing import NamedTuple

import psutil
import pytest

from inframind.config import DiskstatsSettings, NetdevSettings
from inframind.exporters.portable.common import os_family
from inframind.exporters.portable.cpu import CpuCollector
from inframind.exporters.portable.diskstats import DiskstatsCollector
from inframind.exporters.portable.meminfo import MeminfoCollector
from inframind.exporters.portable.netdev import NetdevCollector
from inframind.schema import Regex
from tests.helpers.hosttree import by_label, one, samples

# Field names and order as psutil 7 defines them (psutil/_ntuples.py) for each platform.
Partition = namedtuple("Partition", "device mountpoint fstype opts")
DiskUsage = namedtuple("DiskUsage", "total used free percent")
Temperature = namedtuple("Temperature", "label current high critical")
NetIO = namedtuple("NetIO", "bytes_sent bytes_recv packets_sent packets_recv errin errout dropin dropout")
WindowsMemory = namedtuple("WindowsMemory", "total available percent used free")
BsdMemory = namedtuple("BsdMemory", "total available percent used free active inactive buffers cached shared wired")
MacMemory = namedtuple("MacMemory", "total available percent used free active inactive wired")
WindowsCpu = namedtuple("WindowsCpu", "user system idle interrupt dpc")
BsdCpu = namedtuple("BsdCpu", "user nice system idle irq")
SixFieldDisk = namedtuple("SixFieldDisk", "read_count write_count read_bytes write_bytes read_time write_time")
FreeBsdDisk = namedtuple("FreeBsdDisk", "read_count write_count read_bytes write_bytes read_time write_time busy_time")


@pytest.mark.parametrize(
    ("system", "memory", "expected"),
    [
        ("win32", WindowsMemory(16, 9, 43.7, 7, 9), {"MemTotal": 16, "MemAvailable": 9}),
        (
            "freebsd14",
            BsdMemory(32, 20, 37.5, 12, 4, 6, 10, 1, 6, 3, 5),
            {"MemTotal": 32, "MemAvailable": 20, "MemFree": 4, "Active": 6, "Inactive": 10, "Buffers": 1},
        ),
        (
            "darwin",
            MacMemory(8, 5, 37.5, 3, 2, 2, 3, 1),
            {"MemTotal": 8, "MemAvailable": 5, "MemFree": 2, "Active": 2, "Inactive": 3},
        ),
        ("sunos5", WindowsMemory(4, 3, 25.0, 1, 3), {"MemTotal": 4}),
    ],
)
def test_memory_fields_with_the_same_meaning_only(
    monkeypatch: pytest.MonkeyPatch, system: str, memory: NamedTuple, expected: dict[str, int]
) -> None:
    monkeypatch.setattr(psutil, "virtual_memory", lambda: memory)
    got = samples(MeminfoCollector(system).collect())
    swap = psutil.swap_memory()
    # Windows' free is a copy of available, the BSDs' cached and shared are not page cache and Shmem,
    # wired has no meminfo field: none of them may appear.
    assert got == {f"node_memory_{k}_bytes": {frozenset(): float(v)} for k, v in expected.items()} | {
        "node_memory_SwapTotal_bytes": {frozenset(): float(swap.total)},
        "node_memory_SwapFree_bytes": {frozenset(): float(swap.free)},
    }


def test_windows_cpu_modes_leave_out_time_already_in_system(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(psutil, "cpu_times", lambda percpu: [WindowsCpu(10, 5, 80, 1, 2), WindowsCpu(11, 6, 79, 1, 2)])
    got = samples(CpuCollector().collect())
    assert set(got) == {"node_cpu_seconds_total"}  # no guest family on a platform without guest time
    assert {dict(k)["mode"] for k in got["node_cpu_seconds_total"]} == {"user", "system", "idle"}
    assert one(got["node_cpu_seconds_total"], cpu="1", mode="system") == 6.0


def test_bsd_cpu_modes_include_irq(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(psutil, "cpu_times", lambda percpu: [BsdCpu(10, 1, 5, 80, 0.5)])
    seconds = samples(CpuCollector().collect())["node_cpu_seconds_total"]
    assert by_label(seconds, "mode") == {"user": 10, "nice": 1, "system": 5, "idle": 80, "irq": 0.5}


def test_cpu_counters_hold_when_they_step_back_and_restart_on_hotplug(monkeypatch: pytest.MonkeyPatch) -> None:
    readings = iter([BsdCpu(1.0, 0, 0, 1000.0, 5.0), BsdCpu(1.1, 0, 0, 1001.0, 4.5), BsdCpu(0.1, 0, 0, 10.0, 0.0)])
    monkeypatch.setattr(psutil, "cpu_times", lambda percpu: [next(readings)])
    collector = CpuCollector()
    collector.collect()
    held = samples(collector.collect())["node_cpu_seconds_total"]
    assert by_label(held, "mode")["irq"] == 5.0  # stepped back 0.5 s: held
    assert by_label(held, "mode")["user"] == 1.1
    restarted = samples(collector.collect())["node_cpu_seconds_total"]
    assert by_label(restarted, "mode") == {"user": 0.1, "nice": 0, "system": 0, "idle": 10.0, "irq": 0.0}


@pytest.mark.parametrize(
    ("system", "disk", "families"),
    [
        ("win32", SixFieldDisk(1, 2, 512, 1024, 3, 4), {"reads_completed", "writes_completed"}),
        ("darwin", SixFieldDisk(1, 2, 512, 1024, 3, 4), {"reads_completed", "writes_completed", "read_time_seconds"}),
        ("freebsd14", FreeBsdDisk(1, 2, 512, 1024, 3, 4, 5), {"read_time_seconds", "io_time_seconds"}),
    ],
)
def test_disk_fields_by_platform(
    monkeypatch: pytest.MonkeyPatch, system: str, disk: NamedTuple, families: set[str]
) -> None:
    monkeypatch.setattr(psutil, "disk_io_counters", lambda perdisk, nowrap: {"ada0": disk, "ada0p1": disk})
    settings = DiskstatsSettings(device_exclude=Regex(r"p\d+$"))
    got = samples(DiskstatsCollector(settings, system).collect())
    names = {name.removeprefix("node_disk_").removesuffix("_total") for name in got}
    assert families <= names
    assert all(set(series) == {frozenset({("device", "ada0")})} for series in got.values())
    assert got["node_disk_read_bytes_total"] == {frozenset({("device", "ada0")}): 512.0}
    if system == "win32":  # psutil 7.2 reports Windows times in whole seconds while documenting ms
        assert not names & {"read_time_seconds", "write_time_seconds"}
    else:
        assert got["node_disk_write_time_seconds_total"] == {frozenset({("device", "ada0")}): 0.004}
    assert ("io_time_seconds" in names) == (system == "freebsd14")
    assert "reads_merged" not in names


def test_network_has_no_transmit_drop_where_psutil_always_reports_0(monkeypatch: pytest.MonkeyPatch) -> None:
    nic = NetIO(100, 200, 3, 4, 5, 6, 7, 0)
    monkeypatch.setattr(psutil, "net_io_counters", lambda pernic, nowrap: {"em0": nic, "lo0": nic})
    for system in ("freebsd14", "darwin"):
        got = samples(NetdevCollector(NetdevSettings(device_exclude=Regex("^lo")), system).collect())
        assert len(got) == 7
        assert "node_network_transmit_drop_total" not in got
        assert got["node_network_receive_bytes_total"] == {frozenset({("device", "em0")}): 200.0}
        assert got["node_network_transmit_errs_total"] == {frozenset({("device", "em0")}): 6.0}
    windows = samples(NetdevCollector(NetdevSettings(), "win32").collect())
    assert windows["node_network_transmit_drop_total"] == {
        frozenset({("device", "em0")}): 0.0,
        frozenset({("device", "lo0")}): 0.0,
    }


def test_os_family() -> None:
    systems = {"linux": "linux", "freebsd14": "bsd", "openbsd7": "bsd", "darwin": "darwin", "win32": "windows"}
    assert {system: os_family(system) for system in [*systems, "sunos5"]} == systems | {"sunos5": "other"}
