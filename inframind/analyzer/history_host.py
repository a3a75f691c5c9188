"""The fast host signals of a synthetic asset (CPU, memory, disks, network, sensors) as exporter series.

First the *rates and gauges* a person would describe (busy ratio, iowait, IOPS, latency per IO ...), with a
daily rhythm, noise and the profile's episodes; then the series the exporters expose, counters as running sums
of those rates, so ``rate()`` over them gives the described values back. Pure, used by :mod:`.history_fleet`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from inframind.analyzer.history import DAY, Array

if TYPE_CHECKING:
    from inframind.analyzer.history_fleet import AssetProfile, SeriesData

UPTIME_S = 30 * DAY
"""Counters start as if the host had been up this long at the first sample."""


@dataclass(frozen=True, eq=False)
class HostSignals:
    t: Array
    busy: Array
    iowait: Array
    memory_used: Array
    iops: Array
    latency_s: Array
    network_bytes_s: Array
    temperature_add: Array
    fan_rpm: Array
    """FAN1's speed where a fan episode forces it, NaN elsewhere."""
    network_errors_s: Array


def _daily(t: Array) -> Array:
    """-1 at 04:00 UTC, +1 at 16:00: the load curve of a working day."""
    return np.asarray(np.sin(2 * np.pi * ((t % DAY) / DAY - 10.0 / 24.0)), dtype=np.float64)


def host_signals(profile: AssetProfile, t: Array, rng: np.random.Generator) -> HostSignals:
    n = t.size
    day = _daily(t)
    busy = np.clip(profile.cpu_busy * (1 + 0.3 * day) + rng.normal(0, 0.015, n), 0.01, 0.97)
    iowait = np.clip(profile.iowait + rng.normal(0, profile.iowait * 0.15, n), 0.0, 1.0)
    memory = np.clip(profile.memory_used + 0.03 * day + rng.normal(0, 0.005, n), 0.02, 0.99)
    iops = profile.disk_iops * (1 + 0.4 * day) * rng.lognormal(0, 0.1, n)
    latency = profile.disk_latency_s * rng.lognormal(0, 0.08, n)
    net = profile.network_bytes_s * (1 + 0.5 * day) * rng.lognormal(0, 0.1, n)
    temperature = np.zeros(n)
    fan = np.full(n, np.nan)
    errors = np.full(n, 0.001)
    for e in profile.episodes:
        inside = (t >= e.start) & (t < e.end)
        if e.signal == "iowait":
            iowait = np.where(inside, e.value + rng.normal(0, e.value * 0.05, n), iowait)
        elif e.signal == "cpu":
            busy = np.where(inside, e.value, busy)
        elif e.signal == "memory":
            memory = np.where(inside, e.value, memory)
        elif e.signal == "disk_latency":
            latency = np.where(inside, e.value * rng.lognormal(0, 0.05, n), latency)
        elif e.signal == "temperature":
            temperature = np.where(inside, e.value, temperature)
        elif e.signal == "fan":
            fan = np.where(inside, e.value, fan)
        elif e.signal == "network_errors":
            errors = np.where(inside, e.value, errors)
    busy = np.minimum(busy, 1.0 - iowait)
    return HostSignals(t, busy, iowait, memory, iops, latency, net, temperature, fan, errors)


def _counter(rate: Array, t: Array, start: float = 0.0) -> Array:
    """Cumulative value of a per-second rate sampled at ``t`` (the first sample already holds ``start``)."""
    step = np.diff(t, prepend=t[0] - (t[1] - t[0] if t.size > 1 else 60.0))
    return np.asarray(start + np.cumsum(rate * step), dtype=np.float64)


def host_series(
    profile: AssetProfile, s: HostSignals, base: dict[str, str], rng: np.random.Generator
) -> list[SeriesData]:
    t, n = s.t, s.t.size
    node = {**base, "instance": f"{profile.asset}:9100", "job": "node"}
    bmc = {**base, "instance": f"bmc-{profile.asset}", "job": "probe_ipmi"}
    out: list[SeriesData] = []

    def add(name: str, labels: dict[str, str], values: Array) -> None:
        out.append(({"__name__": name, **labels}, t, np.asarray(values, dtype=np.float64)))

    for cpu in range(profile.cpus):
        jitter = np.clip(s.busy + rng.normal(0, 0.01, n), 0.0, 1.0 - s.iowait)
        modes = {
            "user": 0.75 * jitter,
            "system": 0.25 * jitter,
            "iowait": s.iowait,
            "idle": np.clip(1.0 - jitter - s.iowait, 0.0, 1.0),
        }
        for mode, ratio in modes.items():
            add("node_cpu_seconds_total", {**node, "cpu": str(cpu), "mode": mode}, _counter(ratio, t, UPTIME_S * 0.25))
    add("node_memory_MemTotal_bytes", node, np.full(n, profile.memory_bytes))
    add("node_memory_MemAvailable_bytes", node, np.round(profile.memory_bytes * (1.0 - s.memory_used)))
    for k, disk in enumerate(profile.disks):
        share = 1.0 if k == 0 else 0.6
        iops = s.iops * share
        queue = iops * s.latency_s
        util = 1.0 - np.exp(-queue)
        labels = {**node, "device": disk}
        add("node_disk_reads_completed_total", labels, np.floor(_counter(0.6 * iops, t, 1e7)))
        add("node_disk_writes_completed_total", labels, np.floor(_counter(0.4 * iops, t, 1e7)))
        add("node_disk_read_time_seconds_total", labels, _counter(0.6 * iops * s.latency_s, t, 4e4))
        add("node_disk_write_time_seconds_total", labels, _counter(0.4 * iops * s.latency_s, t, 4e4))
        add("node_disk_io_time_seconds_total", labels, _counter(util, t, 6e4))
        add("node_disk_io_time_weighted_seconds_total", labels, _counter(queue, t, 8e4))
    nic = {**node, "device": profile.interface}
    add("node_network_receive_bytes_total", nic, np.floor(_counter(s.network_bytes_s, t, 1e12)))
    add("node_network_transmit_bytes_total", nic, np.floor(_counter(0.6 * s.network_bytes_s, t, 6e11)))
    add("node_network_receive_errs_total", nic, np.floor(_counter(s.network_errors_s, t)))
    add("node_network_transmit_errs_total", nic, np.floor(_counter(s.network_errors_s * 0.5, t)))
    add("node_network_receive_drop_total", nic, np.floor(_counter(np.full(n, 0.01), t, 100.0)))
    add("node_network_transmit_drop_total", nic, np.floor(_counter(np.full(n, 0.002), t, 10.0)))
    add("node_network_speed_bytes", nic, np.full(n, profile.link_bytes_s))
    core = 40.0 + 30.0 * s.busy + s.temperature_add
    add(
        "node_hwmon_temp_celsius",
        {**node, "chip": "platform_coretemp_0", "sensor": "temp1"},
        np.round(core + rng.normal(0, 0.5, n), 1),
    )
    inlet = profile.inlet_celsius + 0.8 * _daily(t) + s.temperature_add * 0.5
    add("ipmi_temperature_celsius", {**bmc, "id": "1", "name": "Inlet Temp"}, np.round(inlet + rng.normal(0, 0.2, n)))
    add("ipmi_temperature_celsius", {**bmc, "id": "2", "name": "CPU1 Temp"}, np.round(core + 5.0))
    fans = 5000.0 + 4000.0 * s.busy + 40.0 * s.temperature_add
    for i in (1, 2):
        rpm = np.where(np.isnan(s.fan_rpm), fans, s.fan_rpm) if i == 1 else fans
        add(
            "ipmi_fan_speed_rpm",
            {**bmc, "id": str(10 + i), "name": f"FAN{i}"},
            np.round(rpm + rng.normal(0, 60, n), -1),
        )
    for i in (1, 2):
        watts = 120.0 + 180.0 * s.busy + rng.normal(0, 3, n)
        add("ipmi_power_watts", {**bmc, "id": str(20 + i), "name": f"PSU{i} Input"}, np.round(watts))
    return out
