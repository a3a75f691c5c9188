"""Load averages from ``<procfs>/loadavg`` (not ``os.getloadavg``, which ignores ``--path.procfs``)."""

from __future__ import annotations

from prometheus_client.core import GaugeMetricFamily, Metric

from inframind.config import ExporterConfig
from inframind.exporters.host.files import cannot_read, join, read_text


class LoadavgCollector:
    name = "loadavg"

    def __init__(self, procfs: str) -> None:
        self.path = join(procfs, "loadavg")

    def collect(self) -> list[Metric]:
        return self.families(read_text(self.name, self.path))

    def families(self, text: str) -> list[Metric]:
        """The families from the file's text (also used on text read from a remote host)."""
        try:
            one, five, fifteen = (float(v) for v in text.split()[:3])
        except ValueError:
            raise cannot_read(self.name, self.path, f"expected three load averages, got {text.strip()!r}") from None
        return [
            GaugeMetricFamily("node_load1", "Load average over 1 minute.", value=one),
            GaugeMetricFamily("node_load5", "Load average over 5 minutes.", value=five),
            GaugeMetricFamily("node_load15", "Load average over 15 minutes.", value=fifteen),
        ]


def create(config: ExporterConfig) -> LoadavgCollector:
    return LoadavgCollector(config.paths.procfs)
