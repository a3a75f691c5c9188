"""CPU seconds by mode from ``<procfs>/stat``, as node_exporter's ``cpu`` collector names them.

Per-CPU lines are labelled by the number in ``cpuN`` (an offline CPU is absent, not a row of zeros).
The kernel's per-CPU counters can step backwards (iowait notably); like node_exporter we never publish
a smaller value than the last one, and forget a CPU whose idle time dropped by 3 s or more (a hotplug).
psutil is not used: its per-CPU list is positional (see :mod:`.files`).
"""

from __future__ import annotations

import threading

from prometheus_client.core import CounterMetricFamily, Metric

from inframind.config import ExporterConfig
from inframind.exporters.host.files import cannot_read, join, read_text

USER_HZ = 100.0
"""Ticks per second in /proc/stat: USER_HZ is 100 on mainstream architectures; node_exporter assumes it too."""
MODES = ("user", "nice", "system", "idle", "iowait", "irq", "softirq", "steal")
GUEST_MODES = ("user", "nice")
JUMP_BACK_SECONDS = 3.0
_FIELDS = len(MODES) + len(GUEST_MODES)
_IDLE = MODES.index("idle")


def parse_cpu_lines(text: str, path: str) -> dict[str, list[float]]:
    """``{"0": [user, nice, ..., guest, guest_nice], ...}`` in seconds; missing trailing columns are 0."""
    cpus: dict[str, list[float]] = {}
    for line in text.splitlines():
        if not line.startswith("cpu") or line.startswith("cpu "):
            continue
        parts = line.split()
        number = parts[0][3:]
        if not number.isdigit():
            continue
        try:
            values = [int(v) / USER_HZ for v in parts[1 : _FIELDS + 1]]
        except ValueError:
            raise cannot_read("cpu", path, f"malformed line {line!r}") from None
        values.extend([0.0] * (_FIELDS - len(values)))
        cpus[str(int(number))] = values
    if not cpus:
        raise cannot_read("cpu", path, "no cpuN lines")
    return cpus


class CpuCollector:
    name = "cpu"

    def __init__(self, procfs: str) -> None:
        self.path = join(procfs, "stat")
        self._last: dict[str, list[float]] = {}
        self._lock = threading.Lock()

    def _monotonic(self, cpus: dict[str, list[float]]) -> dict[str, list[float]]:
        with self._lock:
            for cpu, new in cpus.items():
                old = self._last.get(cpu)
                if old is None or old[_IDLE] - new[_IDLE] >= JUMP_BACK_SECONDS:
                    self._last[cpu] = list(new)
                else:
                    self._last[cpu] = [max(o, n) for o, n in zip(old, new, strict=True)]
            return {cpu: self._last[cpu] for cpu in cpus}

    def collect(self) -> list[Metric]:
        return self.families(read_text(self.name, self.path))

    def families(self, text: str) -> list[Metric]:
        """The families from the file's text (also used on text read from a remote host)."""
        cpus = self._monotonic(parse_cpu_lines(text, self.path))
        seconds = CounterMetricFamily(
            "node_cpu_seconds_total", "Seconds each CPU spent in each mode.", labels=["cpu", "mode"]
        )
        guest = CounterMetricFamily(
            "node_cpu_guest_seconds_total",
            "Seconds each CPU spent running guests (also counted in user and nice).",
            labels=["cpu", "mode"],
        )
        for cpu, values in sorted(cpus.items(), key=lambda kv: int(kv[0])):
            for mode, value in zip(MODES, values, strict=False):
                seconds.add_metric([cpu, mode], value)
            guest.add_metric([cpu, "user"], values[-2])
            guest.add_metric([cpu, "nice"], values[-1])
        return [seconds, guest]


def create(config: ExporterConfig) -> CpuCollector:
    return CpuCollector(config.paths.procfs)
