"""Block device I/O from ``psutil.disk_io_counters(perdisk=True, nowrap=False)``, with node_exporter's names.

``nowrap=False`` passes the kernel's counters through untouched (psutil's wrap fix-up keeps process-wide
state; Prometheus handles counter resets itself). Field -> family, where the platform has the field:

=====================  ==================================  =========================================
psutil field           node_disk_ family                   platforms
=====================  ==================================  =========================================
read_count             reads_completed_total               all
write_count            writes_completed_total              all
read_bytes             read_bytes_total                    all
write_bytes            written_bytes_total                 all
read_merged_count      reads_merged_total                  Linux
write_merged_count     writes_merged_total                 Linux
read_time (ms)         read_time_seconds_total             Linux, FreeBSD, macOS
write_time (ms)        write_time_seconds_total            Linux, FreeBSD, macOS
busy_time (ms)         io_time_seconds_total               Linux, FreeBSD
=====================  ==================================  =========================================

Windows' read/write times are left out: psutil 7.2 reports them in whole seconds while documenting
milliseconds (giampaolo/psutil#3002), so no scale is right across versions. Devices matching
:attr:`~inframind.config.DiskstatsSettings.device_exclude` are skipped. The in-flight, weighted, discard
and flush columns and the udev identity families are Linux procfs only.
"""

from __future__ import annotations

import sys

import psutil
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric

from inframind.config import DiskstatsSettings, ExporterConfig
from inframind.exporters.host.diskstats import COLUMNS, MS
from inframind.exporters.host.files import nonempty
from inframind.exporters.portable.common import os_family, read, warn_ignored_paths

# psutil field -> (node_disk_ family suffix, scale to the family's unit)
FIELDS: dict[str, tuple[str, float]] = {
    "read_count": ("reads_completed_total", 1.0),
    "read_merged_count": ("reads_merged_total", 1.0),
    "read_bytes": ("read_bytes_total", 1.0),
    "read_time": ("read_time_seconds_total", MS),
    "write_count": ("writes_completed_total", 1.0),
    "write_merged_count": ("writes_merged_total", 1.0),
    "write_bytes": ("written_bytes_total", 1.0),
    "write_time": ("write_time_seconds_total", MS),
    "busy_time": ("io_time_seconds_total", MS),
}
_WINDOWS_UNRELIABLE = frozenset(("read_time", "write_time"))
_HELP = {name: (help_text, counter) for name, help_text, _scale, counter in COLUMNS}


class DiskstatsCollector:
    name = "diskstats"

    def __init__(self, settings: DiskstatsSettings, system: str = sys.platform) -> None:
        self.exclude = settings.device_exclude
        self.skipped = _WINDOWS_UNRELIABLE if os_family(system) == "windows" else frozenset()

    def collect(self) -> list[Metric]:
        disks = read(
            self.name,
            "psutil.disk_io_counters(perdisk=True, nowrap=False)",
            lambda: psutil.disk_io_counters(perdisk=True, nowrap=False),
        )
        families: dict[str, CounterMetricFamily | GaugeMetricFamily] = {}
        for field, (suffix, _scale) in FIELDS.items():
            help_text, counter = _HELP[suffix]
            family = CounterMetricFamily if counter else GaugeMetricFamily
            families[field] = family(f"node_disk_{suffix}", help_text, labels=["device"])
        for device, counters in disks.items():
            if self.exclude.search(device):
                continue
            for field, value in counters._asdict().items():
                if field in families and field not in self.skipped:
                    families[field].add_metric([device], float(value) * FIELDS[field][1])
        return nonempty(families.values())


def create(config: ExporterConfig) -> DiskstatsCollector:
    warn_ignored_paths(config)
    return DiskstatsCollector(config.diskstats)
