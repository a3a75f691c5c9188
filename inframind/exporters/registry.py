"""Which collectors exist, which run by default, and how to build the enabled ones.

Modules are imported lazily, so a disabled collector costs nothing (not even its imports). Each module
named here provides ``create(config: ExporterConfig) -> Collector``.

Two backends emit the same node_exporter (Linux) names: ``procfs`` reads the kernel files exactly as
node_exporter does (and honours ``--path.*``), ``psutil`` works on any OS psutil supports (BSD, macOS,
Windows) with the subset psutil can give. ``exporter.host_backend: auto`` picks procfs on Linux. The
``--path.procfs``/``--path.rootfs`` flags do not apply to the psutil backend (``--path.sysfs`` still feeds
the shared ``time`` collector).
"""

from __future__ import annotations

import importlib
import logging
import sys
from collections.abc import Mapping
from dataclasses import dataclass

from inframind.config import ExporterConfig
from inframind.exporters.base import Collector
from inframind.schema import ConfigError, Origin

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CollectorSpec:
    name: str
    module: str
    default: bool
    help: str
    portable: str | None = None
    """The module for the psutil backend (the same module when it is OS-independent); None: Linux only."""


_P = "inframind.exporters.portable"


AVAILABLE: tuple[CollectorSpec, ...] = (
    CollectorSpec("cpu", "inframind.exporters.host.cpu", True, "CPU seconds by mode, guest seconds", f"{_P}.cpu"),
    CollectorSpec("loadavg", "inframind.exporters.host.loadavg", True, "load averages", f"{_P}.loadavg"),
    CollectorSpec("meminfo", "inframind.exporters.host.meminfo", True, "memory and swap", f"{_P}.meminfo"),
    CollectorSpec(
        "filesystem",
        "inframind.exporters.host.filesystem",
        True,
        "filesystem sizes, free space, inodes",
        f"{_P}.filesystem",
    ),
    CollectorSpec(
        "diskstats", "inframind.exporters.host.diskstats", True, "disk IO and disk identity", f"{_P}.diskstats"
    ),
    CollectorSpec(
        "netdev", "inframind.exporters.host.netdev", True, "network bytes, packets, errors, drops", f"{_P}.netdev"
    ),
    CollectorSpec(
        "stat", "inframind.exporters.host.stat", True, "boot time, context switches, interrupts", f"{_P}.stat"
    ),
    CollectorSpec(
        "time",
        "inframind.exporters.host.time",
        True,
        "system time (uptime = time - boot time)",
        "inframind.exporters.host.time",
    ),
    CollectorSpec("hwmon", "inframind.exporters.host.hwmon", True, "hardware sensor temperatures", f"{_P}.hwmon"),
    CollectorSpec("mdadm", "inframind.exporters.host.mdadm", True, "Linux software RAID state"),
    CollectorSpec("uname", "inframind.exporters.host.uname", True, "kernel and host identity", f"{_P}.uname"),
    CollectorSpec(
        "smart",
        "inframind.exporters.smart",
        True,
        "SMART data via smartctl (smartctl_exporter names)",
        "inframind.exporters.smart",
    ),
)
BY_NAME: Mapping[str, CollectorSpec] = {spec.name: spec for spec in AVAILABLE}


def enabled_names(
    config: ExporterConfig, flags: Mapping[str, bool] | None = None, origin: Origin | None = None
) -> list[str]:
    """Defaults, overridden by the config's ``collectors:``, overridden by command-line flags."""
    known = ", ".join(BY_NAME)
    where = origin or Origin()
    issues = [
        where.issue(("exporter", "collectors", name), f"unknown collector; expected one of: {known}")
        for name in config.collectors
        if name not in BY_NAME
    ]
    if issues:
        raise ConfigError(issues)
    choice = {spec.name: spec.default for spec in AVAILABLE}
    choice.update(config.collectors)
    choice.update(flags or {})
    return [name for name, on in choice.items() if on]


def backend(config: ExporterConfig, platform: str = sys.platform) -> str:
    """The host backend in effect: ``procfs`` or ``psutil``."""
    if config.host_backend != "auto":
        return config.host_backend
    return "procfs" if platform.startswith("linux") else "psutil"


def build_collectors(config: ExporterConfig, names: list[str], platform: str = sys.platform) -> list[Collector]:
    """Instances of the named collectors for the backend in effect; Linux-only ones are skipped elsewhere."""
    use_psutil = backend(config, platform) == "psutil"
    collectors: list[Collector] = []
    for name in names:
        spec = BY_NAME[name]
        module_name = spec.portable if use_psutil else spec.module
        if module_name is None:
            log.warning("collector %s needs Linux procfs/sysfs and is skipped with the psutil backend", name)
            continue
        collectors.append(importlib.import_module(module_name).create(config))
    return collectors
