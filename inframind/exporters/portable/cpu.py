"""CPU seconds by mode from ``psutil.cpu_times(percpu=True)``, with node_exporter's names.

Modes are psutil's fields that carry a node_exporter mode name, so each platform emits what it measures:
Linux user, nice, system, idle, iowait, irq, softirq, steal (+ guest, guest_nice as
``node_cpu_guest_seconds_total{mode="user"|"nice"}``); FreeBSD and the other BSDs user, nice, system,
idle, irq; macOS user, nice, system, idle; Windows user, system, idle. Windows' ``interrupt`` and ``dpc``
are left out: Windows counts them inside ``system`` as well, so publishing them would count that time twice
in ``sum by (mode)``.

``cpu`` is psutil's position in its list, not the kernel's number: on Linux with a CPU offline the labels
after it shift (the procfs backend labels by the ``cpuN`` number). Like the procfs collector, a counter
that steps back (Linux iowait) is held at its last value, and a CPU whose idle time fell by
:data:`~inframind.exporters.host.cpu.JUMP_BACK_SECONDS` or more starts afresh (hotplug).
"""

from __future__ import annotations

import threading

import psutil
from prometheus_client.core import CounterMetricFamily, Metric

from inframind.config import ExporterConfig
from inframind.exporters.host.cpu import JUMP_BACK_SECONDS, MODES
from inframind.exporters.host.files import nonempty
from inframind.exporters.portable.common import read, warn_ignored_paths

GUEST_FIELDS = {"guest": "user", "guest_nice": "nice"}
"""psutil's Linux guest fields and the ``mode`` node_exporter gives them."""

Times = dict[str, float]


class NonDecreasing:
    """Per-CPU mode times that never go backwards, except across a hotplug (a large idle drop)."""

    def __init__(self) -> None:
        self._last: dict[str, Times] = {}
        self._lock = threading.Lock()

    def apply(self, cpus: dict[str, Times]) -> dict[str, Times]:
        with self._lock:
            for cpu, new in cpus.items():
                old = self._last.get(cpu)
                if (
                    old is None
                    or old.keys() != new.keys()
                    or old.get("idle", 0.0) - new.get("idle", 0.0) >= JUMP_BACK_SECONDS
                ):
                    self._last[cpu] = dict(new)
                else:
                    self._last[cpu] = {field: max(old[field], value) for field, value in new.items()}
            return {cpu: self._last[cpu] for cpu in cpus}


class CpuCollector:
    name = "cpu"

    def __init__(self) -> None:
        self._times = NonDecreasing()

    def collect(self) -> list[Metric]:
        per_cpu = read(self.name, "psutil.cpu_times(percpu=True)", lambda: psutil.cpu_times(percpu=True))
        wanted = set(MODES) | set(GUEST_FIELDS)
        cpus = self._times.apply(
            {
                str(index): {field: float(value) for field, value in times._asdict().items() if field in wanted}
                for index, times in enumerate(per_cpu)
            }
        )
        seconds = CounterMetricFamily(
            "node_cpu_seconds_total", "Seconds each CPU spent in each mode.", labels=["cpu", "mode"]
        )
        guest = CounterMetricFamily(
            "node_cpu_guest_seconds_total",
            "Seconds each CPU spent running guests (also counted in user and nice).",
            labels=["cpu", "mode"],
        )
        for cpu, times in cpus.items():
            for mode in MODES:
                if mode in times:
                    seconds.add_metric([cpu, mode], times[mode])
            for field, mode in GUEST_FIELDS.items():
                if field in times:
                    guest.add_metric([cpu, mode], times[field])
        return nonempty((seconds, guest))


def create(config: ExporterConfig) -> CpuCollector:
    warn_ignored_paths(config)
    return CpuCollector()
