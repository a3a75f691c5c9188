"""The three promised scenarios as data: metric series, BMC log events and the inventory that names them. Pure.

Series come from :mod:`inframind.analyzer.history_fleet` (node_exporter, ipmi_exporter and smartctl_exporter names
and labels) with what a scenario needs on top, under the real exporters' names too: ``node_disk_info`` with the
device's WWN, ``smartctl_device`` with serials, ``inframind_redfish_drive_*`` with the drive's Redfish location.
Log events are what the agent's Redfish LogService source writes (``source=redfish_log``, the host's asset id).

- ``iowait``: on ``host`` %iowait climbs from ``iowait_from`` to ``iowait_to`` over ``ramp_hours`` while the LUN
  behind one of its devices (found by WWN) takes a write burst;
- ``disk``: a drive in ``shelf`` at ``slot`` (its Redfish enclosure and slot) whose reallocated sectors grow;
- ``thermal``: the BMCs of rack ``rack`` log ``warnings`` thermal warnings over the last day, most on its first
  host, whose inlet runs hot.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from inframind.analyzer.history import DAY
from inframind.analyzer.history_fleet import AssetProfile, DiskHealth, Episode, SeriesData, fleet_series, grid
from inframind.events import LogEvent

HOUR = 3600.0
FAST_STEP = 60.0
SLOW_STEP = 3600.0
PROMISED = ("iowait", "disk", "thermal")
"""The three recommendations the product promises."""
NAMES = (*PROMISED, "backup")
THERMAL_MESSAGE = "The system inlet temperature is greater than the upper warning threshold."
BENIGN_MESSAGE = "The chassis is closed while the power is off."


@dataclass(frozen=True)
class ScenarioParams:
    """The generator's inputs; tests change them and expect the texts to follow."""

    tenant: str = "acme"
    host: str = "srv-db-03"
    lun: str = "LUN-12"
    lun_wwn: str = "0x600a098038304437522b4e6a47596b32"
    lun_device: str = "sdb"
    iowait_from: float = 0.08
    iowait_to: float = 0.29
    ramp_hours: float = 6.0
    writes_before: float = 60.0
    writes_burst: float = 900.0
    write_latency_s: float = 0.02
    storage_host: str = "srv-stor-01"
    shelf: str = "shelf-a2"
    shelf_enclosure: str = "Enclosure.External.0-2"
    slot: int = 7
    reallocated: float = 8.0
    reallocated_per_day: float = 6.0
    pending_per_day: float = 1.0
    rack: str = "R3"
    warnings: int = 12
    hot_share: float = 2.0 / 3.0
    """Share of the warnings logged by the rack's first host (the rest by the second)."""
    hot_inlet: float = 29.0


@dataclass(frozen=True)
class Scenario:
    name: str
    params: ScenarioParams
    end: float
    """Unix time the history ends (the replay's "now")."""
    series: list[SeriesData]
    events: list[LogEvent]
    inventory: dict[str, Any]
    """Inventory YAML data (``inventory_from_data`` builds it)."""
    first_signal: float
    """When the truth began (the ramp's start, the first warning, the first reallocation of the window)."""
    start: float
    """Where the per-minute history begins."""
    truth: tuple[str, ...] = ()
    """The assets of the incident the scenario injects (none for ``backup``: what happens there is expected)."""
    expect: Mapping[str, Any] = field(default_factory=dict)
    """The numbers a recommendation should state, from the generator's inputs."""


def _inventory(p: ScenarioParams, hosts: list[tuple[str, str]]) -> dict[str, Any]:
    assets: list[dict[str, Any]] = [
        {"id": p.lun, "kind": "lun", "labels": {"wwn": p.lun_wwn}},
        {"id": p.shelf, "kind": "shelf", "rack": "R2", "labels": {"redfish_enclosure": p.shelf_enclosure}},
    ]
    for host, rack in hosts:
        asset: dict[str, Any] = {"id": host, "kind": "host", "rack": rack, "role": "app"}
        if host == p.host:
            asset["depends"] = {"uses-lun": [p.lun]}
        assets.append(asset)
    return {"defaults": {"tenant": p.tenant, "site": "site-1"}, "assets": assets}


def _counter(rate: np.ndarray, t: np.ndarray, start: float) -> np.ndarray:
    step = np.diff(t, prepend=t[0] - FAST_STEP)
    return np.asarray(start + np.cumsum(rate * step), dtype=np.float64)


def _replace_disk(series: list[SeriesData], asset: str, device: str, new: list[SeriesData]) -> list[SeriesData]:
    names = {labels["__name__"] for labels, _, _ in new}
    kept = [s for s in series if not (s[0].get("asset") == asset and s[0].get("device") == device
                                      and s[0]["__name__"] in names)]  # fmt: skip
    return kept + new


def burst_shape(t: np.ndarray | float, start: float, end: float) -> np.ndarray:
    """Share of the way from the old level to the new one: a write burst starts abruptly (a third of the rise in
    its first 20 minutes), then the queue builds up steadily until the top, reached 20 minutes before ``end``."""
    u = np.clip((np.asarray(t, dtype=np.float64) - start) / (end - start), 0.0, 1.0)
    quick = min(1.0, 1200.0 / (end - start))
    top = 1.0 - quick
    return np.asarray(np.where(u <= 0.0, 0.0, np.minimum(1.0, 0.3 * np.minimum(1.0, u / quick) + 0.7 * u / top)))


def iowait(p: ScenarioParams, end: float, seed: int = 0) -> Scenario:
    """%iowait ramps on ``p.host`` while its LUN (by WWN) takes a write burst."""
    ramp_start = end - p.ramp_hours * HOUR
    steps = 36
    width = p.ramp_hours * HOUR / steps
    ramp = tuple(
        Episode("iowait", ramp_start + i * width, ramp_start + (i + 1) * width if i < steps - 1 else math.inf,
                p.iowait_from + (p.iowait_to - p.iowait_from) * float(burst_shape(ramp_start + (i + 1) * width,
                                                                                  ramp_start, end)))
        for i in range(steps)
    )  # fmt: skip
    profiles = [
        AssetProfile(p.host, tenant=p.tenant, rack="R1", role="db", iowait=p.iowait_from, episodes=ramp),
        AssetProfile("srv-db-04", tenant=p.tenant, rack="R1", role="db", iowait=p.iowait_from),
    ]
    fast_hours = p.ramp_hours + 4.0
    series = fleet_series(profiles, end=end, fast_hours=fast_hours, slow_days=2.0, seed=seed)
    t = grid(end, fast_hours * HOUR, FAST_STEP)
    rng = np.random.default_rng(seed + 12)
    progress = burst_shape(t, ramp_start, end)
    writes = (p.writes_before + (p.writes_burst - p.writes_before) * progress) * rng.lognormal(0, 0.05, t.size)
    reads = np.full(t.size, 80.0) * rng.lognormal(0, 0.05, t.size)
    latency = 0.004 + (p.write_latency_s - 0.004) * progress
    node = {"tenant": p.tenant, "site": "site-1", "rack": "R1", "role": "db", "asset": p.host, "cluster": "c1",
            "instance": f"{p.host}:9100", "job": "node", "device": p.lun_device}  # fmt: skip
    disk = [
        ({"__name__": "node_disk_writes_completed_total", **node}, t, np.floor(_counter(writes, t, 1e7))),
        ({"__name__": "node_disk_reads_completed_total", **node}, t, np.floor(_counter(reads, t, 1e7))),
        ({"__name__": "node_disk_write_time_seconds_total", **node}, t, _counter(writes * latency, t, 4e4)),
        ({"__name__": "node_disk_read_time_seconds_total", **node}, t, _counter(reads * 0.004, t, 4e4)),
        ({"__name__": "node_disk_io_time_weighted_seconds_total", **node}, t,
         _counter((writes * latency + reads * 0.004), t, 8e4)),
        ({"__name__": "node_disk_io_time_seconds_total", **node}, t,
         _counter(1.0 - np.exp(-(writes * latency + reads * 0.004)), t, 6e4)),
    ]  # fmt: skip
    series = _replace_disk(series, p.host, p.lun_device, disk)
    info = {**node, "__name__": "node_disk_info", "major": "8", "minor": "16", "path": "pci-0000:3b:00.0-fc-0x1",
            "wwn": p.lun_wwn, "model": "LUN C-Mode", "serial": "80iFp$JYkr2", "revision": "9800"}  # fmt: skip
    series.append((info, t, np.ones(t.size)))
    inventory = _inventory(p, [(p.host, "R1"), ("srv-db-04", "R1")])
    expect = {"host": p.host, "lun": p.lun, "from_pct": p.iowait_from * 100, "to_pct": p.iowait_to * 100,
              "hours": p.ramp_hours}  # fmt: skip
    return Scenario("iowait", p, end, series, [], inventory, ramp_start, float(t[0]), (p.host, p.lun), expect)


def disk(p: ScenarioParams, end: float, seed: int = 0, days: float = 21.0) -> Scenario:
    """A shelf drive (seen by ``p.storage_host``) whose reallocated sectors grow ``p.reallocated_per_day``."""
    health = {
        "sdb": DiskHealth(
            reallocated=p.reallocated, reallocated_per_day=p.reallocated_per_day, pending_per_day=p.pending_per_day
        )
    }
    profile = AssetProfile(p.storage_host, tenant=p.tenant, rack="R2", role="storage", health=health)
    series = fleet_series([profile], end=end, fast_hours=1.0, slow_days=days, seed=seed)
    t = grid(end, days * DAY, SLOW_STEP)
    base = profile.labels()
    serials = {"sda": ("ZA1A0001", 3), "sdb": ("ZA1A0B07", p.slot)}
    for device, (serial, slot) in serials.items():
        smart = {**base, "__name__": "smartctl_device", "instance": f"{p.storage_host}:9633", "job": "smartctl",
                 "device": device, "serial_number": serial, "model_name": "ST8000NM0055",
                 "interface": "sat"}  # fmt: skip
        series.append((smart, t, np.ones(t.size)))
        redfish = {**base, "__name__": "inframind_redfish_drive_failure_predicted", "instance": f"bmc-{p.storage_host}",
                   "job": "probe_redfish", "system": "System.Embedded.1", "storage": "RAID.SL.3-1",
                   "drive": f"Disk.Bay.{slot}:{p.shelf_enclosure}:RAID.SL.3-1", "name": f"Physical Disk 0:2:{slot}",
                   "model": "ST8000NM0055", "serial": serial, "media_type": "HDD", "protocol": "SAS",
                   "enclosure": p.shelf_enclosure, "slot": str(slot), "location": f"Slot {slot}"}  # fmt: skip
        series.append((redfish, t, np.zeros(t.size)))
    inventory = _inventory(p, [(p.storage_host, "R2")])
    expect = {"shelf": p.shelf, "slot": f"slot-{p.slot}", "serial": serials["sdb"][0]}
    return Scenario("disk", p, end, series, [], inventory, float(t[0]), end - HOUR, (p.storage_host, p.shelf),
                    expect)  # fmt: skip


def thermal(p: ScenarioParams, end: float, seed: int = 0) -> Scenario:
    """``p.warnings`` thermal warnings over the last day from the BMCs of rack ``p.rack``'s first two hosts."""
    hosts = [f"{p.rack}-{i:02d}" for i in (1, 2)]
    profiles = [
        AssetProfile(h, tenant=p.tenant, rack=p.rack, role="app", inlet_celsius=p.hot_inlet if i == 0 else 21.0 + i)
        for i, h in enumerate(hosts)
    ]
    series = fleet_series(profiles, end=end, fast_hours=2.0, slow_days=1.0, seed=seed)
    rng = np.random.default_rng(seed + 3)
    hot = max(1, round(p.warnings * p.hot_share)) if p.warnings > 1 else p.warnings
    owners = [hosts[0]] * hot + [hosts[1]] * (p.warnings - hot)
    stamps = np.sort(end - rng.uniform(0.5 * HOUR, 23.5 * HOUR, p.warnings))
    events = [
        _bmc_event(p, host, float(at), THERMAL_MESSAGE, "warning") for host, at in zip(owners, stamps, strict=True)
    ]
    events += [_bmc_event(p, hosts[1], end - k * 5 * HOUR, BENIGN_MESSAGE, "info") for k in range(1, 4)]
    inventory = _inventory(replace(p, host=""), [(h, p.rack) for h in hosts])
    expect = {"rack": p.rack, "count": p.warnings, "move_from": hosts[0], "move_to": hosts[1]}
    return Scenario("thermal", p, end, series, sorted(events, key=lambda e: e.timestamp), inventory,
                    float(stamps[0]), end - 2 * HOUR, tuple(hosts), expect)  # fmt: skip


def _bmc_event(p: ScenarioParams, host: str, at: float, message: str, level: str) -> LogEvent:
    """What the agent's Redfish LogService source writes for an iDRAC SEL entry."""
    bmc = f"idrac-{host.lower()}"
    return LogEvent(
        timestamp=dt.datetime.fromtimestamp(at, dt.UTC), source="redfish_log", level=level,  # type: ignore[arg-type]
        message=message, host=bmc, asset_id=host, tenant=p.tenant,
        event_id="TMP0120" if level == "warning" else "SEC0033",
        provider="Sel", channel="Managers/iDRAC.Embedded.1/LogServices/Sel",
        record_id=f"/redfish/v1/Managers/iDRAC.Embedded.1/LogServices/Sel/Entries/{int(at)}",
    )  # fmt: skip


def backup(p: ScenarioParams, end: float, seed: int = 0, nights: int = 3) -> Scenario:
    """No incident: a nightly backup on ``srv-app-07`` keeps %iowait at 30% from 02:00 to 02:40 UTC each night
    (as ``HostHighIowait`` would page about every night), next to a calm ``srv-app-08``; ``nights`` nights and
    the day after the last one."""
    hours = 24.0 * nights + 6.0
    first = math.floor((end - hours * HOUR) / DAY) * DAY + DAY + 2 * HOUR
    runs = tuple(Episode("iowait", first + k * DAY, first + k * DAY + 2400.0, 0.30) for k in range(nights + 1)
                 if first + k * DAY < end)  # fmt: skip
    profiles = [
        AssetProfile("srv-app-07", tenant=p.tenant, rack="R4", role="app", iowait=0.02, episodes=runs),
        AssetProfile("srv-app-08", tenant=p.tenant, rack="R4", role="app", iowait=0.02),
    ]
    series = fleet_series(profiles, end=end, fast_hours=hours, slow_days=2.0, seed=seed)
    inventory = _inventory(replace(p, host=""), [("srv-app-07", "R4"), ("srv-app-08", "R4")])
    return Scenario("backup", p, end, series, [], inventory, first, end - hours * HOUR, ())


BUILDERS = {"iowait": iowait, "disk": disk, "thermal": thermal, "backup": backup}


def build(name: str, end: float, params: ScenarioParams | None = None, seed: int = 0) -> Scenario:
    """The scenario ``name`` (one of :data:`NAMES`) ending at ``end``."""
    if name not in BUILDERS:
        raise ValueError(f"unknown scenario {name!r}; expected one of {', '.join(NAMES)}")
    return BUILDERS[name](params or ScenarioParams(), end, seed)
