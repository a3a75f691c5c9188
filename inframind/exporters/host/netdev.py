"""Network interface counters from ``<procfs>/net/dev`` with node_exporter 1.5's names.

node_exporter 1.5 reads netlink by default; its ``--no-collector.netdev.netlink`` mode reads this same
file and emits these same 16 counters (netlink adds ``receive_nohandler``, which the file lacks).
psutil's ``net_io_counters`` drops fifo, frame, compressed, multicast, collisions and carrier, so the
file is read directly (see :mod:`.files`).
"""

from __future__ import annotations

from prometheus_client.core import CounterMetricFamily, Metric

from inframind.config import ExporterConfig, NetdevSettings
from inframind.exporters.host.files import cannot_read, join, nonempty, read_text

# The 16 columns of /proc/net/dev, in order, as node_exporter names them.
COLUMNS = (
    "receive_bytes",
    "receive_packets",
    "receive_errs",
    "receive_drop",
    "receive_fifo",
    "receive_frame",
    "receive_compressed",
    "receive_multicast",
    "transmit_bytes",
    "transmit_packets",
    "transmit_errs",
    "transmit_drop",
    "transmit_fifo",
    "transmit_colls",
    "transmit_carrier",
    "transmit_compressed",
)


def parse_net_dev(text: str, path: str) -> dict[str, list[int]]:
    devices: dict[str, list[int]] = {}
    for line in text.splitlines()[2:]:  # two header lines
        if not line.strip():
            continue
        name, sep, rest = line.partition(":")
        values = rest.split()
        if not sep or len(values) != len(COLUMNS):
            raise cannot_read("netdev", path, f"malformed line {line!r}")
        try:
            devices[name.strip()] = [int(v) for v in values]
        except ValueError:
            raise cannot_read("netdev", path, f"malformed line {line!r}") from None
    return devices


class NetdevCollector:
    name = "netdev"

    def __init__(self, procfs: str, settings: NetdevSettings) -> None:
        self.path = join(procfs, "net", "dev")
        self.exclude = settings.device_exclude

    def collect(self) -> list[Metric]:
        return self.families(read_text(self.name, self.path))

    def families(self, text: str) -> list[Metric]:
        """The families from the file's text (also used on text read from a remote host)."""
        devices = parse_net_dev(text, self.path)
        families = [
            CounterMetricFamily(f"node_network_{col}_total", f"Network device statistic {col}.", labels=["device"])
            for col in COLUMNS
        ]
        for device, values in devices.items():
            if self.exclude.search(device):
                continue
            for family, value in zip(families, values, strict=True):
                family.add_metric([device], float(value))
        return nonempty(families)


def create(config: ExporterConfig) -> NetdevCollector:
    return NetdevCollector(config.paths.procfs, config.netdev)
