"""Every PromQL the metric loop asks, on the standard exporters' names.

node_exporter (CPU, memory, disks, network, hwmon, filesystems), ipmi_exporter (temperatures, fans, power),
smartctl_exporter (SMART), snmp_exporter's ``if_mib`` (interface errors and discards) and our Redfish families:
a fleet that runs those exporters is analyzed as ours is. Each query aggregates ``by (tenant, asset)`` (plus the
component that matters: a disk's ``device``, a filesystem's ``mountpoint``), the target labels the generated scrape
configs stamp, so one query returns the whole fleet, and one series per asset and component comes back.

Templates carry two placeholders: ``$SEL`` (extra label matchers inserted into every selector, e.g. to read only
the assets being warmed) and ``$RW`` (the ``rate()`` window); ``$G`` adds the group labels to a ``by`` clause.
Every template is also checked by Prometheus's own engine (``promtool test rules``) in the tests.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from inframind.analyzer.detect.hotcold import Resource


@dataclass(frozen=True)
class SignalQuery:
    signal: str
    """A kind of :data:`inframind.analyzer.detect.anomaly.SIGNALS`."""
    expr: str
    components: tuple[str, ...] = ()
    """Labels besides tenant and asset that tell this signal's series apart."""
    unit: str = ""


_DISK_AWAIT = (
    "max by (tenant, asset, device) ((rate(node_disk_read_time_seconds_total{$SEL}[$RW])"
    " + rate(node_disk_write_time_seconds_total{$SEL}[$RW]))"
    " / (rate(node_disk_reads_completed_total{$SEL}[$RW]) + rate(node_disk_writes_completed_total{$SEL}[$RW])))"
)
_DISK_QUEUE = "max by (tenant, asset, device) (rate(node_disk_io_time_weighted_seconds_total{$SEL}[$RW]))"
_DISK_UTIL = "max by (tenant, asset, device) (rate(node_disk_io_time_seconds_total{$SEL}[$RW]))"


def _both_ways(node_rx: str, node_tx: str, snmp_in: str, snmp_out: str) -> str:
    """Receive plus transmit per asset, from node_exporter or else from SNMP ``if_mib``."""

    def pair(a: str, b: str) -> str:
        return f"sum by (tenant, asset) (rate({a}{{$SEL}}[$RW])) + sum by (tenant, asset) (rate({b}{{$SEL}}[$RW]))"

    return f"({pair(node_rx, node_tx)}) or ({pair(snmp_in, snmp_out)})"


ANOMALY_SIGNALS: tuple[SignalQuery, ...] = (
    SignalQuery(
        "iowait", 'avg by (tenant, asset) (rate(node_cpu_seconds_total{mode="iowait",$SEL}[$RW]))', unit="ratio"
    ),
    SignalQuery(
        "cpu", '1 - avg by (tenant, asset) (rate(node_cpu_seconds_total{mode="idle",$SEL}[$RW]))', unit="ratio"
    ),
    SignalQuery(
        "memory_pressure",
        "1 - sum by (tenant, asset) (node_memory_MemAvailable_bytes{$SEL})"
        " / sum by (tenant, asset) (node_memory_MemTotal_bytes{$SEL})",
        unit="ratio",
    ),
    SignalQuery("disk_await", _DISK_AWAIT, ("device",), "seconds"),
    SignalQuery("disk_queue", _DISK_QUEUE, ("device",), "requests"),
    SignalQuery(
        "network_errors",
        _both_ways("node_network_receive_errs_total", "node_network_transmit_errs_total", "ifInErrors", "ifOutErrors"),
        unit="per second",
    ),
    SignalQuery(
        "network_drops",
        _both_ways(
            "node_network_receive_drop_total", "node_network_transmit_drop_total", "ifInDiscards", "ifOutDiscards"
        ),
        unit="per second",
    ),
    SignalQuery(
        "temperature",
        'max by (tenant, asset) ({__name__=~"node_hwmon_temp_celsius|ipmi_temperature_celsius|'
        'inframind_redfish_temperature_celsius",$SEL})',
        unit="celsius",
    ),
    SignalQuery(
        "fan_speed",
        'min by (tenant, asset) ({__name__=~"ipmi_fan_speed_rpm|inframind_redfish_fan_speed_rpm|node_hwmon_fan_rpm",'
        "$SEL})",
        unit="rpm",
    ),
    SignalQuery(
        "psu_power",
        'sum by (tenant, asset) ({__name__=~"ipmi_power_watts|inframind_redfish_power_supply_input_watts",$SEL})',
        unit="watts",
    ),
)

UTILIZATION: Mapping[Resource, str] = {
    "cpu": '1 - avg by (tenant, asset$G) (rate(node_cpu_seconds_total{mode="idle",$SEL}[$RW]))',
    "memory": "1 - sum by (tenant, asset$G) (node_memory_MemAvailable_bytes{$SEL})"
    " / sum by (tenant, asset$G) (node_memory_MemTotal_bytes{$SEL})",
    "disk_io": "max by (tenant, asset$G) (rate(node_disk_io_time_seconds_total{$SEL}[$RW]))",
    "network": "max by (tenant, asset$G) ((rate(node_network_receive_bytes_total{$SEL}[$RW])"
    " + rate(node_network_transmit_bytes_total{$SEL}[$RW])) / (2 * (node_network_speed_bytes{$SEL} > 0)))",
}
"""Utilization ratio (0-1) per asset; networks as the mean of both directions over the link speed."""

CAPACITY: Mapping[Resource, str] = {
    "cpu": 'count by (tenant, asset) (node_cpu_seconds_total{mode="idle",$SEL})',
    "memory": "max by (tenant, asset) (node_memory_MemTotal_bytes{$SEL})",
    "network": "max by (tenant, asset) (node_network_speed_bytes{$SEL} > 0)",
}
"""What a unit of each resource is worth per asset (cores, bytes, bytes/s), so moves are in absolute load."""

DISK_IO: Mapping[str, str] = {"await": _DISK_AWAIT, "queue": _DISK_QUEUE, "utilization": _DISK_UTIL}

_FS = 'fstype!~"tmpfs|ramfs|devtmpfs|squashfs|overlay|nsfs|iso9660|fuse.*",mountpoint!~"/(run|dev|proc|sys)($|/.*)"'
FILESYSTEM_USED = (
    f"max by (tenant, asset, mountpoint) (node_filesystem_size_bytes{{{_FS},$SEL}}"
    f" - node_filesystem_avail_bytes{{{_FS},$SEL}})"
)
FILESYSTEM_SIZE = f"max by (tenant, asset, mountpoint) (node_filesystem_size_bytes{{{_FS},$SEL}})"
MEMORY_USED = "max by (tenant, asset) (node_memory_MemTotal_bytes{$SEL} - node_memory_MemAvailable_bytes{$SEL})"
MEMORY_TOTAL = "max by (tenant, asset) (node_memory_MemTotal_bytes{$SEL})"

_REGEX_SPECIAL = re.compile(r"([\\.^$|?*+()\[\]{}])")


def quote(value: str) -> str:
    """A PromQL string literal (double quotes, backslash escapes)."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def selector(labels: Mapping[str, str] | None = None, **regex: Iterable[str]) -> str:
    """Matchers for ``$SEL``: ``label="value",`` for each label, ``label=~"a|b",`` for each regex union."""
    parts = [f"{name}={quote(value)}," for name, value in (labels or {}).items()]
    for name, values in regex.items():
        union = "|".join(_REGEX_SPECIAL.sub(r"\\\1", v) for v in sorted(set(values)))
        parts.append(f"{name}=~{quote(union)},")
    return "".join(parts)


def render(template: str, *, sel: str = "", rate_window: float = 300.0, groups: Iterable[str] = ()) -> str:
    """The template with its placeholders filled (and the empty matcher lists they leave tidied)."""
    extra = "".join(f", {g}" for g in groups)
    out = template.replace("$SEL", sel).replace("$RW", f"{rate_window:g}s").replace("$G", extra)
    return out.replace(",}", "}").replace("{}", "")


def series_query(signal: SignalQuery, labels: Mapping[str, str], rate_window: float) -> str:
    """The PromQL of exactly one series of a signal: what a finding about it names as its evidence and key."""
    pinned = {name: labels.get(name, "") for name in ("tenant", "asset", *signal.components)}
    return render(signal.expr, sel=selector(pinned), rate_window=rate_window)
