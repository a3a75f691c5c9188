"""Boot time, context switches and interrupts from ``psutil.boot_time()`` and ``psutil.cpu_stats()``.

Linux: ``btime``, ``ctxt`` and the first ``intr`` column of /proc/stat, as the procfs collector reads
them; BSD and macOS: kern.boottime and the VM counters of context switches and device interrupts;
Windows: boot time from the uptime tick count, context switches and the processors' interrupt counts.
node_exporter's ``node_forks_total`` and ``node_procs_running``/``node_procs_blocked`` have no psutil
source and are not emitted.
"""

from __future__ import annotations

import psutil
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric

from inframind.config import ExporterConfig
from inframind.exporters.portable.common import read, warn_ignored_paths


class StatCollector:
    name = "stat"

    def collect(self) -> list[Metric]:
        boot = read(self.name, "psutil.boot_time()", psutil.boot_time)
        stats = read(self.name, "psutil.cpu_stats()", psutil.cpu_stats)
        return [
            GaugeMetricFamily(
                "node_boot_time_seconds", "When the system booted, in seconds since the epoch.", value=boot
            ),
            CounterMetricFamily(
                "node_context_switches_total", "Context switches since boot.", value=float(stats.ctx_switches)
            ),
            CounterMetricFamily("node_intr_total", "Interrupts serviced since boot.", value=float(stats.interrupts)),
        ]


def create(config: ExporterConfig) -> StatCollector:
    warn_ignored_paths(config)
    return StatCollector()
