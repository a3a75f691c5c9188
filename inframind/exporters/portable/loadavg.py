"""Load averages from ``psutil.getloadavg()``: getloadavg(3) on Unix, psutil's emulation on Windows.

Windows has no load average; psutil derives one from the processor queue length on a background thread
that needs about 5 s before its first real value, so :func:`create` starts it rather than the first scrape.
"""

from __future__ import annotations

import logging
import sys

import psutil
from prometheus_client.core import GaugeMetricFamily, Metric

from inframind.config import ExporterConfig
from inframind.exporters.portable.common import read, warn_ignored_paths

log = logging.getLogger(__name__)


class LoadavgCollector:
    name = "loadavg"

    def collect(self) -> list[Metric]:
        one, five, fifteen = read(self.name, "psutil.getloadavg()", psutil.getloadavg)
        return [
            GaugeMetricFamily("node_load1", "Load average over 1 minute.", value=one),
            GaugeMetricFamily("node_load5", "Load average over 5 minutes.", value=five),
            GaugeMetricFamily("node_load15", "Load average over 15 minutes.", value=fifteen),
        ]


def create(config: ExporterConfig) -> LoadavgCollector:
    warn_ignored_paths(config)
    if sys.platform == "win32":  # start psutil's sampling thread now, not at the first scrape
        try:
            psutil.getloadavg()
        except Exception as exc:  # noqa: BLE001 - each scrape reports it again, as success 0
            log.warning("loadavg: cannot start psutil's load sampling: %s", exc)
    return LoadavgCollector()
