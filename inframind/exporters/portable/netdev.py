"""Network interface counters from ``psutil.net_io_counters(pernic=True, nowrap=False)``.

psutil field -> ``node_network_<x>_total``: bytes_recv receive_bytes, packets_recv receive_packets, errin
receive_errs, dropin receive_drop, bytes_sent transmit_bytes, packets_sent transmit_packets, errout
transmit_errs, dropout transmit_drop. On macOS and the BSDs psutil has no outgoing drop counter and
always reports ``dropout`` 0, so ``transmit_drop`` is not emitted there. fifo, frame, compressed,
multicast, colls and carrier are Linux procfs only. ``nowrap=False``: the kernel's counters as they are
(a 32-bit counter that wraps is a counter reset to Prometheus). Devices matching
:attr:`~inframind.config.NetdevSettings.device_exclude` are skipped.
"""

from __future__ import annotations

import sys

import psutil
from prometheus_client.core import CounterMetricFamily, Metric

from inframind.config import ExporterConfig, NetdevSettings
from inframind.exporters.host.files import nonempty
from inframind.exporters.portable.common import os_family, read, warn_ignored_paths

FIELDS = {
    "bytes_recv": "receive_bytes",
    "packets_recv": "receive_packets",
    "errin": "receive_errs",
    "dropin": "receive_drop",
    "bytes_sent": "transmit_bytes",
    "packets_sent": "transmit_packets",
    "errout": "transmit_errs",
    "dropout": "transmit_drop",
}


class NetdevCollector:
    name = "netdev"

    def __init__(self, settings: NetdevSettings, system: str = sys.platform) -> None:
        self.exclude = settings.device_exclude
        no_dropout = os_family(system) in ("bsd", "darwin")
        self.fields = {k: v for k, v in FIELDS.items() if not (no_dropout and k == "dropout")}

    def collect(self) -> list[Metric]:
        nics = read(
            self.name,
            "psutil.net_io_counters(pernic=True, nowrap=False)",
            lambda: psutil.net_io_counters(pernic=True, nowrap=False),
        )
        families = {
            field: CounterMetricFamily(
                f"node_network_{column}_total", f"Network device statistic {column}.", labels=["device"]
            )
            for field, column in self.fields.items()
        }
        for device, counters in nics.items():
            if self.exclude.search(device):
                continue
            values = counters._asdict()
            for field, family in families.items():
                family.add_metric([device], float(values[field]))
        return nonempty(families.values())


def create(config: ExporterConfig) -> NetdevCollector:
    warn_ignored_paths(config)
    return NetdevCollector(config.netdev)
