"""The host exporter's settings: listen address, collectors, host paths, SMART, and /probe limits.

``auths:`` and ``modules:`` stay raw mappings here: the exporter validates them per prober
(:mod:`inframind.exporters.probe.config`), because their shapes belong to the probers.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from inframind.schema import Duration, HostPort, Regex

EXPORTER_PORT = 10121
"""The exporter's default port: 9100-9999 of Prometheus' port allocations list is taken; see README."""


@dataclass(frozen=True)
class HostPaths:
    """Where the host's kernel interfaces are mounted (node_exporter's --path.* flags)."""

    procfs: str = "/proc"
    sysfs: str = "/sys"
    rootfs: str = "/"
    udev_data: str = "/run/udev/data"


@dataclass(frozen=True)
class FilesystemSettings:
    # node_exporter 1.5's defaults, so both report the same filesystems.
    mount_points_exclude: Regex = Regex(
        r"^/(dev|proc|run/credentials/.+|sys|var/lib/docker/.+|var/lib/containers/storage/.+)($|/)"
    )
    fs_types_exclude: Regex = Regex(
        r"^(autofs|binfmt_misc|bpf|cgroup2?|configfs|debugfs|devpts|devtmpfs|fusectl|hugetlbfs|iso9660|"
        r"mqueue|nsfs|overlay|proc|procfs|pstore|rpc_pipefs|securityfs|selinuxfs|squashfs|sysfs|tracefs)$"
    )
    stat_timeout: Duration = 5.0


@dataclass(frozen=True)
class DiskstatsSettings:
    device_exclude: Regex = Regex(r"^(ram|loop|fd|(h|s|v|xv)d[a-z]|nvme\d+n\d+p)\d+$")


@dataclass(frozen=True)
class NetdevSettings:
    device_exclude: Regex = Regex("")


@dataclass(frozen=True)
class SmartSettings:
    """smartctl is slow and wakes sleeping disks: it runs on an interval in the background, not per scrape."""

    smartctl: str = "smartctl"
    interval: Duration = 60.0
    """Seconds between SMART refreshes (at least 0.5 s)."""
    rescan_interval: Duration = 600.0
    timeout: Duration = 30.0
    devices: tuple[str, ...] = ()
    """Explicit devices (``/dev/sda`` or ``/dev/sda;sat``); empty means ``smartctl --scan-open``."""
    device_include: Regex = Regex("")
    """Only scanned devices whose label (``sda``, ``nvme0``) matches; empty matches all."""
    device_exclude: Regex = Regex("")
    """Scanned devices whose label matches are skipped; empty skips none."""
    powermode_check: Literal["never", "sleep", "standby", "idle"] = "standby"
    """smartctl ``--nocheck``: leave disks in this power mode (or deeper) asleep instead of reading them."""


@dataclass(frozen=True)
class ProbeSettings:
    """How ``/probe`` bounds a request; modules and auths themselves are validated by the exporter."""

    timeout_offset: Duration = 0.5
    """Seconds kept free below Prometheus' ``X-Prometheus-Scrape-Timeout-Seconds`` for the answer to travel."""
    max_timeout: Duration = 120.0
    """Upper bound on any module's timeout, whatever the scraper allows."""


@dataclass(frozen=True)
class ExporterConfig:
    listen: HostPort = HostPort("0.0.0.0", EXPORTER_PORT)  # noqa: S104 - an exporter is scraped remotely # nosec B104
    web_config_file: str | None = None
    """TLS and basic auth, in the Prometheus exporter-toolkit web config format."""
    collectors: Mapping[str, bool] = field(default_factory=dict)
    """Switch collectors on or off by name, over their defaults (``smart: false``)."""
    host_backend: Literal["auto", "procfs", "psutil"] = "auto"
    """procfs: node_exporter's exact semantics (Linux); psutil: any OS; auto: procfs on Linux."""
    paths: HostPaths = HostPaths()
    filesystem: FilesystemSettings = FilesystemSettings()
    diskstats: DiskstatsSettings = DiskstatsSettings()
    netdev: NetdevSettings = NetdevSettings()
    smart: SmartSettings = SmartSettings()
    probe: ProbeSettings = ProbeSettings()
    auths: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    """Credentials for ``/probe`` by name (``type:`` snmp, redfish, ipmi, ssh ...), secrets as references."""
    modules: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    """What ``/probe`` collects, by name (``prober:`` snmp, redfish, ipmi, ssh, tcp); adds to the shipped ones."""
