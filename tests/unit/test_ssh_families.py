"""Sections -> families: the host collectors' own output for the same files, per-collector failures."""

from __future__ import annotations

import logging

import pytest
from prometheus_client.core import Metric

from inframind.config import FilesystemSettings
from inframind.exporters.base import Collector
from inframind.exporters.host.cpu import CpuCollector
from inframind.exporters.host.diskstats import DiskstatsCollector
from inframind.exporters.host.loadavg import LoadavgCollector
from inframind.exporters.host.mdadm import MdadmCollector
from inframind.exporters.host.meminfo import MeminfoCollector
from inframind.exporters.host.netdev import NetdevCollector
from inframind.exporters.host.stat import StatCollector
from inframind.exporters.ssh.families import (
    TargetState,
    collector_calls,
    parse_kernel,
    parse_statfs,
    parse_udev_dump,
    run_collectors,
)
from inframind.exporters.ssh.script import Section
from inframind.exporters.ssh.settings import Settings
from inframind.schema import Regex
from tests.helpers.hosttree import FIXTURE, fixture_config, one, samples

PROC = FIXTURE / "proc"
FILES = {
    "stat": "stat",
    "meminfo": "meminfo",
    "loadavg": "loadavg",
    "diskstats": "diskstats",
    "netdev": "net/dev",
    "mdstat": "mdstat",
    "mounts": "1/mounts",
}
KERNEL = "Linux\n6.1.0-18-amd64\n#1 SMP PREEMPT_DYNAMIC Debian 6.1.76-1 (2024-02-01)\ndb-7\n(none)\nx86_64\n"


def udev_dump() -> str:
    """What ``grep -H '^E:' /run/udev/data/b*`` prints for the fixture's udev database."""
    lines = []
    for path in sorted((FIXTURE / "udev").iterdir()):
        lines += [f"/run/udev/data/{path.name}:{line}" for line in path.read_text().splitlines() if line[:2] == "E:"]
    return "\n".join(lines) + "\n"


def fixture_sections(**override: Section) -> dict[str, Section]:
    sections = {name: Section((PROC / file).read_text(), 0) for name, file in FILES.items()}
    sections["udev"] = Section(udev_dump(), 0)
    sections["statfs"] = Section("/ 4096 1000 400 300 50 20\n/srv/data 512 10 5 4 3 2\n/mnt/gone -\n", 0)
    sections["uname"] = Section(KERNEL, 0)
    return {**sections, **override}


def collect(sections: dict[str, Section], settings: Settings | None = None) -> list[Metric]:
    calls = collector_calls(settings or Settings(), sections, TargetState())
    return list(run_collectors(calls, TargetState(), "db-7"))


def test_the_families_are_the_host_collectors_own_for_the_same_files() -> None:
    remote = samples(collect(fixture_sections()))
    config = fixture_config()
    local: list[Collector] = [
        CpuCollector(config.paths.procfs),
        StatCollector(config.paths.procfs),
        MeminfoCollector(config.paths.procfs),
        LoadavgCollector(config.paths.procfs),
        DiskstatsCollector(config.paths.procfs, config.paths.udev_data, config.diskstats),
        NetdevCollector(config.paths.procfs, config.netdev),
        MdadmCollector(config.paths.procfs),
    ]
    for collector in local:
        for name, series in samples(collector.collect()).items():
            assert remote[name] == series, name
    assert one(remote["node_disk_info"], device="sda", major="8", minor="0", **_disk_identity()) == 1.0


def _disk_identity() -> dict[str, str]:
    """sda's identity labels as the fixture's udev file gives them."""
    labels = DiskstatsCollector(str(PROC), str(FIXTURE / "udev"), fixture_config().diskstats).collect()[0]
    found = next(s.labels for s in labels.samples if s.labels["device"] == "sda")
    return {k: v for k, v in found.items() if k not in ("device", "major", "minor")}


def test_filesystem_sizes_come_from_the_targets_statfs_lines() -> None:
    remote = samples(collect(fixture_sections()))
    root = {"device": "/dev/md0", "mountpoint": "/", "fstype": "ext4"}
    assert one(remote["node_filesystem_size_bytes"], **root) == 4096 * 1000
    assert one(remote["node_filesystem_avail_bytes"], **root) == 4096 * 300
    assert one(remote["node_filesystem_files_free"], **root) == 20
    gone = {"device": "nas.example.internal:/export/home", "mountpoint": "/mnt/gone", "fstype": "nfs4"}
    assert one(remote["node_filesystem_device_error"], **gone) == 1.0
    spaced = {"device": "/dev/nvme0n1p1", "mountpoint": "/mnt/fast disk", "fstype": "ext4"}
    assert one(remote["node_filesystem_device_error"], **spaced) == 1.0  # no statfs line for it
    assert "/proc" not in {dict(k)["mountpoint"] for k in remote["node_filesystem_device_error"]}


def test_parsers_of_what_the_host_collectors_get_from_system_calls() -> None:
    stats = parse_statfs("/mnt/fast\\040disk 4096 10 5 4 3 2\n/x -\n\n")
    assert stats["/x"] is None
    spaced = stats["/mnt/fast disk"]
    assert spaced is not None and (spaced.f_bsize, spaced.f_blocks, spaced.f_bavail) == (4096, 10, 4)
    udev = parse_udev_dump(udev_dump())
    assert udev[("8", "0")]["ID_MODEL"] == "EXAMPLE_SSD_2TB"
    info = parse_kernel(KERNEL)
    assert info.samples[0].labels == {
        "sysname": "Linux",
        "release": "6.1.0-18-amd64",
        "version": "#1 SMP PREEMPT_DYNAMIC Debian 6.1.76-1 (2024-02-01)",
        "machine": "x86_64",
        "nodename": "db-7",
        "domainname": "(none)",
    }


def test_a_failed_section_fails_only_its_collector_and_logs_once(caplog: pytest.LogCaptureFixture) -> None:
    broken = fixture_sections(mdstat=Section("cat: /proc/mdstat: No such file or directory\n", 1))
    del broken["meminfo"]  # cut off
    state = TargetState()
    caplog.set_level(logging.WARNING)
    for _ in range(2):
        families = run_collectors(collector_calls(Settings(), broken, state), state, "db-7")
    success = samples(families)["node_scrape_collector_success"]
    assert one(success, collector="mdadm") == 0.0 and one(success, collector="meminfo") == 0.0
    assert one(success, collector="cpu") == 1.0 and one(success, collector="filesystem") == 1.0
    messages = [r.getMessage() for r in caplog.records]
    assert len(messages) == 2, messages  # one line per failing collector, not one per scrape
    assert any("mdadm: reading mdstat on the target failed: exit status 1: cat: /proc/mdstat" in m for m in messages)
    assert any("meminfo: the target printed no meminfo section" in m for m in messages)


def test_settings_choose_collectors_and_exclusions() -> None:
    settings = Settings(
        collectors=("netdev", "filesystem"),
        filesystem=FilesystemSettings(mount_points_exclude=Regex("^/(proc|sys|srv)($|/)")),
    )
    remote = samples(collect(fixture_sections(), settings))
    assert {dict(k)["collector"] for k in remote["node_scrape_collector_success"]} == {"netdev", "filesystem"}
    assert "node_memory_MemTotal_bytes" not in remote
    assert "/srv/data" not in {dict(k)["mountpoint"] for k in remote["node_filesystem_device_error"]}


def test_cpu_counters_never_go_backwards_for_one_target() -> None:
    state = TargetState()
    first = fixture_sections()
    lower = "\n".join(
        " ".join([p[0], *(str(max(int(v) - 5, 0)) for v in p[1:])]) if p and p[0].startswith("cpu") else " ".join(p)
        for p in (line.split() for line in first["stat"].text.splitlines())
    )
    run_collectors(collector_calls(Settings(collectors=("cpu",)), first, state), state, "t")
    again = run_collectors(
        collector_calls(Settings(collectors=("cpu",)), {"stat": Section(lower, 0)}, state), state, "t"
    )
    before = samples(CpuCollector(str(PROC)).collect())["node_cpu_seconds_total"]
    assert samples(again)["node_cpu_seconds_total"] == before
