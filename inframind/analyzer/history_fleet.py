"""Seeded synthetic fleets: what node_exporter, ipmi_exporter and smartctl_exporter would have recorded.

Pure, like :mod:`.history` (whose filesystem generator this reuses): profiles in, ``(labels, unix seconds,
values)`` out, no IO and no clock. :mod:`.history_import` loads the result into VictoriaMetrics for tests,
benchmarks and scenario replays.

Each asset yields exactly :data:`SERIES_PER_ASSET` series under the exporters' own names and labels, stamped
with the target labels the generated scrape configs set (tenant, site, rack, role, asset, plus the free label
``cluster``). Fast signals (CPU, memory, disks, network, temperatures, fans, PSUs) are sampled every
``fast_step`` over the last ``fast_hours``; filesystems and SMART every ``slow_step`` over ``slow_days``.
Counters are cumulative, as exporters expose them. :class:`Episode` injects what scenarios need: an iowait
spike, a slow disk, an overheating chassis; :class:`FilesystemSpec` a filesystem that fills in N days;
:class:`DiskHealth` a drive whose reallocated sectors grow.
"""

from __future__ import annotations

import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from inframind.analyzer.history import DAY, Array, Pattern, filesystem_history
from inframind.analyzer.history_host import HostSignals, host_series, host_signals

SeriesData = tuple[dict[str, str], Array, Array]
"""(labels with ``__name__``, unix seconds, values): what :meth:`History.metrics` returns per series too."""
SERIES_PER_ASSET = 50
EpisodeSignal = Literal["iowait", "cpu", "memory", "disk_latency", "temperature", "fan", "network_errors"]


@dataclass(frozen=True)
class Episode:
    """A stretch of time where one signal of an asset takes a given value (a scenario's incident)."""

    signal: EpisodeSignal
    start: float
    end: float
    value: float
    """iowait/cpu/memory: a ratio; disk_latency: seconds per IO; temperature: degrees added; fan: RPM;
    network_errors: errors per second."""


@dataclass(frozen=True)
class FilesystemSpec:
    mountpoint: str
    pattern: Pattern = "flat"
    days_to_full: float | None = None
    """For growing patterns: a plain trend would fill the filesystem this many days after the history ends."""
    device: str = ""


@dataclass(frozen=True)
class DiskHealth:
    """SMART raw counters at the start of the slow history and their growth per day."""

    reallocated: float = 0.0
    reallocated_per_day: float = 0.0
    pending: float = 0.0
    pending_per_day: float = 0.0
    offline_uncorrectable: float = 0.0
    power_on_hours: float = 20_000.0


@dataclass(frozen=True)
class AssetProfile:
    asset: str
    tenant: str = "default"
    site: str = "site-1"
    rack: str = "R1"
    role: str = "app"
    cluster: str = "c1"
    cpus: int = 2
    cpu_busy: float = 0.3
    """Mean CPU busy ratio (user + system); the day adds +-30% of it."""
    iowait: float = 0.01
    memory_used: float = 0.5
    memory_bytes: float = 64 * 2**30
    disk_iops: float = 150.0
    disk_latency_s: float = 0.004
    network_bytes_s: float = 2e7
    link_bytes_s: float = 1.25e9
    inlet_celsius: float = 22.0
    disks: tuple[str, str] = ("sda", "sdb")
    interface: str = "eth0"
    filesystems: tuple[FilesystemSpec, FilesystemSpec] = (
        FilesystemSpec("/", "flat", device="/dev/sda1"),
        FilesystemSpec("/data", "linear", 200.0, device="/dev/sdb1"),
    )
    health: Mapping[str, DiskHealth] = field(default_factory=dict)
    """Per disk (``sda``); healthy when absent."""
    episodes: tuple[Episode, ...] = ()

    def labels(self) -> dict[str, str]:
        """The target labels the scrape config stamps on every series of the asset."""
        return {
            "tenant": self.tenant,
            "site": self.site,
            "rack": self.rack,
            "role": self.role,
            "asset": self.asset,
            "cluster": self.cluster,
        }


def _rng(seed: int, asset: str) -> np.random.Generator:
    return np.random.default_rng([seed, zlib.crc32(asset.encode("utf-8"))])


def grid(end: float, span: float, step: float) -> Array:
    """Timestamps on the step grid ending at (or just before) ``end``, covering ``span`` seconds."""
    last = np.floor(end / step) * step
    count = int(span // step) + 1
    return np.asarray(last - step * np.arange(count - 1, -1, -1), dtype=np.float64)


def asset_series(
    profile: AssetProfile,
    *,
    end: float,
    fast_hours: float = 8.0,
    slow_days: float = 30.0,
    fast_step: float = 60.0,
    slow_step: float = 3600.0,
    seed: int = 0,
) -> list[SeriesData]:
    """The asset's :data:`SERIES_PER_ASSET` series up to ``end`` (unix seconds)."""
    rng = _rng(seed, profile.asset)
    fast = grid(end, fast_hours * 3600.0, fast_step)
    slow = grid(end, slow_days * DAY, slow_step)
    base = profile.labels()
    signals: HostSignals = host_signals(profile, fast, rng)
    out = host_series(profile, signals, base, rng)
    out.extend(_filesystems(profile, slow, base, seed))
    out.extend(_smart(profile, slow, base, rng))
    return out


def _filesystems(profile: AssetProfile, t: Array, base: dict[str, str], seed: int) -> list[SeriesData]:
    out: list[SeriesData] = []
    step = float(t[1] - t[0]) if t.size > 1 else 3600.0
    days = t.size * step / DAY
    for i, fs in enumerate(profile.filesystems):
        hist = filesystem_history(
            fs.pattern,
            seed * 7919 + zlib.crc32(f"{profile.asset}{fs.mountpoint}".encode()) % 100_000 + i,
            days=days,
            step_s=step,
            start=float(t[0]),
            future_days=max(1.0, (fs.days_to_full or 30.0) * 2),
            days_to_full=fs.days_to_full,
        )
        labels = {
            **base,
            "instance": f"{profile.asset}:9100",
            "job": "node",
            "mountpoint": fs.mountpoint,
            "fstype": "ext4",
            "device": fs.device or f"/dev/{profile.disks[i % 2]}1",
        }
        for meta, stamps, values in hist.metrics(labels):
            out.append((meta, stamps[: t.size], values[: t.size]))
    return out


def _smart(profile: AssetProfile, t: Array, base: dict[str, str], rng: np.random.Generator) -> list[SeriesData]:
    out: list[SeriesData] = []
    days = (t - t[0]) / DAY
    for disk in profile.disks:
        h = profile.health.get(disk, DiskHealth())
        labels = {**base, "instance": f"{profile.asset}:9633", "job": "smartctl", "device": disk}
        counters = (
            ("5", "Reallocated_Sector_Ct", h.reallocated + np.floor(h.reallocated_per_day * days)),
            ("197", "Current_Pending_Sector", h.pending + np.floor(h.pending_per_day * days)),
            ("198", "Offline_Uncorrectable", np.full(t.size, h.offline_uncorrectable)),
        )
        for attribute_id, name, values in counters:
            meta = {
                "__name__": "smartctl_device_attribute",
                **labels,
                "attribute_id": attribute_id,
                "attribute_name": name,
                "attribute_value_type": "raw",
            }
            out.append((meta, t, np.asarray(values, dtype=np.float64)))
        hours = h.power_on_hours * 3600.0 + (t - t[0])
        out.append(({"__name__": "smartctl_device_power_on_seconds", **labels}, t, hours))
        temperature = np.round(32.0 + rng.normal(0.0, 0.7, t.size))
        meta = {"__name__": "smartctl_device_temperature", **labels, "temperature_type": "current"}
        out.append((meta, t, temperature))
    return out


def fleet_series(profiles: Sequence[AssetProfile], *, end: float, **options: float) -> list[SeriesData]:
    """Every asset's series (see :func:`asset_series` for the options)."""
    out: list[SeriesData] = []
    for profile in profiles:
        out.extend(asset_series(profile, end=end, **options))  # type: ignore[arg-type]
    return out


def default_fleet(
    count: int, *, tenant: str = "default", per_rack: int = 20, seed: int = 0, racks_per_cluster: int = 5
) -> list[AssetProfile]:
    """``count`` assets in racks of ``per_rack``, roles cycling web/app/db, loads drawn from ``seed``."""
    rng = np.random.default_rng(seed)
    roles = ("web", "app", "db")
    out = []
    for i in range(count):
        rack = i // per_rack
        out.append(
            AssetProfile(
                asset=f"node-{i:04d}",
                tenant=tenant,
                rack=f"R{rack:02d}",
                role=roles[i % 3],
                cluster=f"c{rack // racks_per_cluster}",
                cpu_busy=float(rng.uniform(0.15, 0.55)),
                memory_used=float(rng.uniform(0.3, 0.7)),
                disk_iops=float(rng.uniform(50, 400)),
                network_bytes_s=float(rng.uniform(5e6, 1e8)),
            )
        )
    return out
