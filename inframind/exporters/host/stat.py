"""Kernel activity counters from ``<procfs>/stat``: boot time, context switches, interrupts, forks, processes.

Read directly rather than through psutil: psutil's ``boot_time``/``cpu_stats`` would read the same file
twice and still lack forks and the running/blocked process counts (see :mod:`.files`).
"""

from __future__ import annotations

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric

from inframind.config import ExporterConfig
from inframind.exporters.host.files import cannot_read, join, read_text, to_int

# /proc/stat key -> (metric, help, counter?)
_FIELDS: dict[str, tuple[str, str, bool]] = {
    "btime": ("node_boot_time_seconds", "When the system booted, in seconds since the epoch.", False),
    "ctxt": ("node_context_switches_total", "Context switches since boot.", True),
    "intr": ("node_intr_total", "Interrupts serviced since boot.", True),
    "processes": ("node_forks_total", "Processes and threads created since boot.", True),
    "procs_running": ("node_procs_running", "Processes in a runnable state.", False),
    "procs_blocked": ("node_procs_blocked", "Processes blocked waiting for I/O to complete.", False),
}


class StatCollector:
    name = "stat"

    def __init__(self, procfs: str) -> None:
        self.path = join(procfs, "stat")

    def collect(self) -> list[Metric]:
        return self.families(read_text(self.name, self.path))

    def families(self, text: str) -> list[Metric]:
        """The families from the file's text (also used on text read from a remote host)."""
        values: dict[str, int] = {}
        for line in text.splitlines():
            key, _, rest = line.partition(" ")
            if key in _FIELDS:
                first = rest.split(maxsplit=1)[0] if rest.strip() else ""
                values[key] = to_int(self.name, self.path, first, f"field {key}")
        missing = [key for key in _FIELDS if key not in values]
        if missing:
            raise cannot_read(self.name, self.path, f"missing field(s) {', '.join(missing)}")
        families: list[Metric] = []
        for key, (metric, help_text, counter) in _FIELDS.items():
            family = CounterMetricFamily if counter else GaugeMetricFamily
            families.append(family(metric, help_text, value=float(values[key])))
        return families


def create(config: ExporterConfig) -> StatCollector:
    return StatCollector(config.paths.procfs)
