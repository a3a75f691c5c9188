"""The system clock, its time zone and the kernel clocksources, as node_exporter's ``time`` collector.

Uptime is not a metric of its own (nor is it in node_exporter): it is ``node_time_seconds -
node_boot_time_seconds``, both taken at the same scrape. Clocksources come from
``<sysfs>/devices/system/clocksource/clocksource*/{available,current}_clocksource``; ``device`` is the
position in that sorted list, as node_exporter numbers it.
"""

from __future__ import annotations

import glob
import time

from prometheus_client.core import GaugeMetricFamily, Metric

from inframind.config import ExporterConfig
from inframind.exporters.host.files import join, nonempty, read_text


class TimeCollector:
    name = "time"

    def __init__(self, sysfs: str) -> None:
        self.clocksources = join(sysfs, "devices", "system", "clocksource")

    def collect(self) -> list[Metric]:
        now = time.time()
        local = time.localtime(now)
        families: list[Metric] = [
            GaugeMetricFamily("node_time_seconds", "System time in seconds since the epoch.", value=now),
        ]
        zone = GaugeMetricFamily(
            "node_time_zone_offset_seconds", "Offset of the local time zone from UTC.", labels=["time_zone"]
        )
        zone.add_metric([local.tm_zone], float(local.tm_gmtoff))
        families.append(zone)
        available = GaugeMetricFamily(
            "node_time_clocksource_available_info",
            "Clocksources the kernel can use; always 1.",
            labels=["clocksource", "device"],
        )
        current = GaugeMetricFamily(
            "node_time_clocksource_current_info",
            "Clocksource the kernel uses; always 1.",
            labels=["clocksource", "device"],
        )
        pattern = join(glob.escape(self.clocksources), "clocksource[0-9]*")
        for index, directory in enumerate(sorted(glob.glob(pattern))):
            device = str(index)
            for source in read_text(self.name, join(directory, "available_clocksource")).split():
                available.add_metric([source, device], 1.0)
            current.add_metric([read_text(self.name, join(directory, "current_clocksource")).strip(), device], 1.0)
        families.extend(nonempty((available, current)))
        return families


def create(config: ExporterConfig) -> TimeCollector:
    return TimeCollector(config.paths.sysfs)
