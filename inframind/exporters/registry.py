"""Which collectors exist, which run by default, and how to build the enabled ones.

Modules are imported lazily, so a disabled collector costs nothing (not even its imports). Each module
named here provides ``create(config: ExporterConfig) -> Collector``.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from dataclasses import dataclass

from inframind.config import ExporterConfig
from inframind.exporters.base import Collector
from inframind.schema import ConfigError, Origin


@dataclass(frozen=True)
class CollectorSpec:
    name: str
    module: str
    default: bool
    help: str


AVAILABLE: tuple[CollectorSpec, ...] = (
    CollectorSpec("cpu", "inframind.exporters.host.cpu", True, "CPU seconds by mode, guest seconds"),
    CollectorSpec("loadavg", "inframind.exporters.host.loadavg", True, "load averages"),
    CollectorSpec("meminfo", "inframind.exporters.host.meminfo", True, "memory and swap from /proc/meminfo"),
    CollectorSpec("filesystem", "inframind.exporters.host.filesystem", True, "filesystem sizes, free space, inodes"),
    CollectorSpec("diskstats", "inframind.exporters.host.diskstats", True, "disk IO and disk identity"),
    CollectorSpec("netdev", "inframind.exporters.host.netdev", True, "network bytes, packets, errors, drops"),
    CollectorSpec("stat", "inframind.exporters.host.stat", True, "boot time, context switches, interrupts"),
    CollectorSpec("time", "inframind.exporters.host.time", True, "system time (uptime = time - boot time)"),
    CollectorSpec("hwmon", "inframind.exporters.host.hwmon", True, "hardware sensor temperatures"),
    CollectorSpec("mdadm", "inframind.exporters.host.mdadm", True, "Linux software RAID state"),
    CollectorSpec("uname", "inframind.exporters.host.uname", True, "kernel and host identity"),
    CollectorSpec("smart", "inframind.exporters.smart", True, "SMART data via smartctl (smartctl_exporter names)"),
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


def build_collectors(config: ExporterConfig, names: list[str]) -> list[Collector]:
    collectors: list[Collector] = []
    for name in names:
        module = importlib.import_module(BY_NAME[name].module)
        collectors.append(module.create(config))
    return collectors
