"""Sections of the remote script -> node_exporter families, through the host exporter's own parsers.

Each host collector parses text it did not read itself (``families(text)``), so a remote host and the
local one yield the same names, labels and values from the same code. Only what the host collectors get
from system calls rather than files is read here: statvfs results (printed by ``stat -f``), uname
fields (from ``/proc/sys/kernel``) and udev properties (one ``grep`` over the udev database).
"""

from __future__ import annotations

import logging
import os
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from prometheus_client.core import GaugeMetricFamily, Metric

from inframind.exporters.base import CollectorError
from inframind.exporters.host.cpu import CpuCollector
from inframind.exporters.host.diskstats import DiskstatsCollector, parse_udev
from inframind.exporters.host.filesystem import filesystem_families, select_mounts, unescape
from inframind.exporters.host.loadavg import LoadavgCollector
from inframind.exporters.host.mdadm import MdadmCollector
from inframind.exporters.host.meminfo import MeminfoCollector
from inframind.exporters.host.netdev import NetdevCollector
from inframind.exporters.host.stat import StatCollector
from inframind.exporters.host.uname import uname_family
from inframind.exporters.ssh.script import NEEDS, Section
from inframind.exporters.ssh.settings import CollectorName, Settings

log = logging.getLogger(__name__)

PROCFS = "/proc"
"""The target's procfs as the host collectors name it in their messages."""
_UDEV_LINE = re.compile(r"^/run/udev/data/b(\d+):(\d+):(E:.*)$")


@dataclass
class TargetState:
    """What outlives one scrape of one target: the CPU counters' floor and the last error per collector."""

    cpu: CpuCollector = field(default_factory=lambda: CpuCollector(PROCFS))
    errors: dict[str, str] = field(default_factory=dict)


def section(sections: Mapping[str, Section], name: str, collector: str) -> Section:
    """A section that ran and succeeded; otherwise a CollectorError saying what failed on the target."""
    found = sections.get(name)
    if found is None:
        raise CollectorError(f"{collector}: the target printed no {name} section (the command was cut off)")
    if not found.ok:
        raise CollectorError(f"{collector}: reading {name} on the target failed: {found.failure()}")
    return found


def parse_statfs(text: str) -> dict[str, os.statvfs_result | None]:
    """``<mount point> <bsize> <blocks> <bfree> <bavail> <files> <ffree>`` (or ``<mount point> -``)."""
    stats: dict[str, os.statvfs_result | None] = {}
    for line in text.splitlines():
        parts = line.split()
        if not parts:
            continue
        mountpoint = unescape(parts[0])
        try:
            bsize, blocks, bfree, bavail, files, ffree = (int(v) for v in parts[1:])
        except ValueError:  # "-": the stat failed or timed out; anything else is no number either
            stats[mountpoint] = None
            continue
        stats[mountpoint] = os.statvfs_result((bsize, bsize, blocks, bfree, bavail, files, ffree, ffree, 0, 255))
    return stats


def parse_udev_dump(text: str) -> dict[tuple[str, str], dict[str, str]]:
    """``grep -H '^E:' /run/udev/data/b*`` -> (major, minor) -> properties, via the host parser."""
    lines: dict[tuple[str, str], list[str]] = {}
    for line in text.splitlines():
        match = _UDEV_LINE.match(line)
        if match:
            lines.setdefault((match.group(1), match.group(2)), []).append(match.group(3))
    return {key: parse_udev("\n".join(found)) for key, found in lines.items()}


def parse_kernel(text: str) -> Metric:
    """``node_uname_info`` from ostype, osrelease, version, hostname, domainname and ``uname -m``."""
    lines = text.split("\n")
    if len(lines) < 6:
        raise CollectorError(f"uname: expected six lines from /proc/sys/kernel and uname -m, got {len(lines)}")
    sysname, release, version, nodename, domainname, machine = lines[:6]
    return uname_family(
        sysname=sysname, release=release, version=version, machine=machine, nodename=nodename, domainname=domainname
    )


def collector_calls(
    settings: Settings, sections: Mapping[str, Section], state: TargetState
) -> dict[str, Callable[[], list[Metric]]]:
    """One call per configured collector except smart (which needs a second command): each raises
    CollectorError when its sections are missing or do not parse."""

    def text(collector: CollectorName, index: int = 0) -> str:
        return section(sections, NEEDS[collector][index], collector).text

    def diskstats() -> list[Metric]:
        udev_section = sections.get("udev")
        udev = parse_udev_dump(udev_section.text) if udev_section is not None else {}
        collector = DiskstatsCollector(PROCFS, "/run/udev/data", settings.diskstats)
        return collector.families(text("diskstats"), lambda major, minor: udev.get((major, minor), {}))

    def filesystem() -> list[Metric]:
        mounts = select_mounts(text("filesystem"), "/", settings.filesystem)
        stats = parse_statfs(text("filesystem", 1))
        return filesystem_families(mounts, [stats.get(m.mountpoint) for m in mounts])

    calls: dict[CollectorName, Callable[[], list[Metric]]] = {
        "cpu": lambda: state.cpu.families(text("cpu")),
        "stat": lambda: StatCollector(PROCFS).families(text("stat")),
        "meminfo": lambda: MeminfoCollector(PROCFS).families(text("meminfo")),
        "loadavg": lambda: LoadavgCollector(PROCFS).families(text("loadavg")),
        "diskstats": diskstats,
        "netdev": lambda: NetdevCollector(PROCFS, settings.netdev).families(text("netdev")),
        "mdadm": lambda: MdadmCollector(PROCFS).families(text("mdadm")),
        "filesystem": filesystem,
        "uname": lambda: [parse_kernel(text("uname"))],
    }
    return {name: calls[name] for name in settings.collectors if name in calls}


def run_collectors(calls: Mapping[str, Callable[[], list[Metric]]], state: TargetState, target: str) -> list[Metric]:
    """Run each call like the host exporter's CollectorSet: a failing collector is ``success 0`` and one
    log line when its error changes (per target), never a failed probe."""
    duration = GaugeMetricFamily(
        "node_scrape_collector_duration_seconds", "Seconds a collector took in this scrape.", labels=["collector"]
    )
    success = GaugeMetricFamily(
        "node_scrape_collector_success",
        "Whether a collector succeeded in this scrape (1) or failed (0).",
        labels=["collector"],
    )
    families: list[Metric] = []
    for name, call in calls.items():
        start = time.perf_counter()
        try:
            families.extend(call())
        except Exception as exc:  # noqa: BLE001 - one broken section must not cost the others
            message = str(exc) if isinstance(exc, CollectorError) else f"{type(exc).__name__}: {exc}"
            if state.errors.get(name) != message:
                log.warning("ssh %s: collector %s failed: %s", target, name, message)
            state.errors[name] = message
            ok = 0.0
        else:
            if state.errors.pop(name, None) is not None:
                log.info("ssh %s: collector %s recovered", target, name)
            ok = 1.0
        duration.add_metric([name], time.perf_counter() - start)
        success.add_metric([name], ok)
    return [*families, duration, success]
