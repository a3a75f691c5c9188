"""What a scrape shows: the latest refresh snapshot -> metric families, built fresh on every collect.

Names and labels are smartctl_exporter's, so its dashboards and alerts work on ours. Every family is a
gauge, including the few smartctl_exporter types as counters (power-on seconds, power cycles, NVMe
health): client_python would rename a counter's samples to ``*_total`` (always in OpenMetrics, which
Prometheus negotiates), and the series names are what dashboards and alerts match on. Our own additions
use the ``inframind_smart_`` namespace.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric

from inframind.exporters.smart.readings import INFO_LABELS, DeviceReadings, DeviceRef, SmartctlVersion

D = ("device",)
FAMILIES: Mapping[str, tuple[str, tuple[str, ...]]] = {
    "smartctl_version": (
        "smartctl that produced the readings, always 1.",
        ("json_format_version", "smartctl_version", "svn_revision", "build_info"),
    ),
    "smartctl_devices": ("Devices configured, or found by smartctl --scan-open.", ()),
    "smartctl_device": ("Device identity from smartctl --info, always 1.", ("device", *INFO_LABELS)),
    "smartctl_device_smartctl_exit_status": (
        "Exit status bitmask of the last smartctl run on the device (bits 0-1: no readings; 2-7: findings).",
        D,
    ),
    "smartctl_device_capacity_blocks": ("User capacity in logical blocks.", D),
    "smartctl_device_capacity_bytes": ("User capacity in bytes.", D),
    "smartctl_device_nvme_capacity_bytes": ("Total NVM capacity of an NVMe device in bytes.", D),
    "smartctl_device_block_size": ("Logical or physical block size in bytes.", ("device", "blocks_type")),
    "smartctl_device_interface_speed": ("Maximum or current link speed in bits per second.", ("device", "speed_type")),
    "smartctl_device_attribute": (
        "ATA SMART attribute: normalized value, worst, threshold or raw value (attribute_value_type).",
        (
            "device",
            "attribute_name",
            "attribute_flags_short",
            "attribute_flags_long",
            "attribute_value_type",
            "attribute_id",
        ),
    ),
    "smartctl_device_power_on_seconds": ("Time the device has been powered on, in seconds.", D),
    "smartctl_device_rotation_rate": ("Rotation rate in revolutions per minute (absent for solid state).", D),
    "smartctl_device_temperature": ("Temperature in degrees Celsius by kind.", ("device", "temperature_type")),
    "smartctl_device_power_cycle_count": ("Power cycles (start-stop cycles for SCSI devices).", D),
    "smartctl_device_smart_status": ("SMART overall health self-assessment: 1 passed, 0 failed.", D),
    "smartctl_device_error_log_count": ("Errors recorded in the ATA SMART error log.", ("device", "error_log_type")),
    "smartctl_device_percentage_used": ("NVMe estimate of the life used, in percent (may exceed 100).", D),
    "smartctl_device_available_spare": ("NVMe spare capacity left, in percent.", D),
    "smartctl_device_available_spare_threshold": ("NVMe spare level, in percent, below which it warns.", D),
    "smartctl_device_critical_warning": ("NVMe critical warning bitmask; not 0 means the controller warns.", D),
    "smartctl_device_media_errors": ("NVMe unrecovered data integrity errors.", D),
    "smartctl_device_num_err_log_entries": ("NVMe error information log entries over the device's life.", D),
    "smartctl_device_bytes_read": ("Bytes read by the host (NVMe data units, SCSI gigabytes processed).", D),
    "smartctl_device_bytes_written": ("Bytes written by the host (NVMe data units, SCSI gigabytes processed).", D),
    "smartctl_scsi_grown_defect_list": ("SCSI grown defect list entries (blocks remapped since manufacture).", D),
    "smartctl_read_errors_corrected_by_rereads_rewrites": ("SCSI read errors corrected by rereads.", D),
    "smartctl_read_errors_corrected_by_eccfast": ("SCSI read errors corrected by fast ECC.", D),
    "smartctl_read_errors_corrected_by_eccdelayed": ("SCSI read errors corrected by delayed ECC.", D),
    "smartctl_read_total_uncorrected_errors": ("SCSI read errors not corrected.", D),
    "smartctl_write_errors_corrected_by_rereads_rewrites": ("SCSI write errors corrected by rewrites.", D),
    "smartctl_write_errors_corrected_by_eccfast": ("SCSI write errors corrected by fast ECC.", D),
    "smartctl_write_errors_corrected_by_eccdelayed": ("SCSI write errors corrected by delayed ECC.", D),
    "smartctl_write_total_uncorrected_errors": ("SCSI write errors not corrected.", D),
    "inframind_smart_device_refresh_success": (
        "Whether the last smartctl run on the device gave readings (1) or not (0).",
        D,
    ),
    "inframind_smart_device_refresh_errors_total": (
        "smartctl runs on the device that gave no readings, by reason.",
        ("device", "reason"),
    ),
    "inframind_smart_last_refresh_timestamp_seconds": (
        "Unix time the background smartctl refresh last finished; readings are as old as this.",
        (),
    ),
}
COUNTERS = frozenset({"inframind_smart_device_refresh_errors_total"})


@dataclass(frozen=True)
class DeviceState:
    """One device after the last refresh: readings, or the reason there are none."""

    device: DeviceRef
    exit_status: int | None = None
    readings: DeviceReadings | None = None
    reason: str | None = None
    detail: str = ""


@dataclass(frozen=True)
class Snapshot:
    devices: tuple[DeviceState, ...] | None = None
    """None until the first refresh has found the devices."""
    version: SmartctlVersion | None = None
    errors: Mapping[tuple[str, str], int] = field(default_factory=dict)
    """(device label, reason) -> failed runs since start."""
    refreshed_at: float | None = None
    fatal: str | None = None
    """Why nothing can be read at all (no smartctl, no permission): the collector fails with this."""


class _Builder:
    def __init__(self) -> None:
        self._families: dict[str, GaugeMetricFamily | CounterMetricFamily] = {}

    def add(self, name: str, labels: tuple[str, ...], value: float | None) -> None:
        if value is None:
            return
        family = self._families.get(name)
        if family is None:
            help_text, label_names = FAMILIES[name]
            kind = CounterMetricFamily if name in COUNTERS else GaugeMetricFamily
            family = self._families[name] = kind(name, help_text, labels=list(label_names))
        family.add_metric(list(labels), value)

    def families(self) -> list[Metric]:
        return [self._families[name] for name in FAMILIES if name in self._families]


def build_families(snapshot: Snapshot) -> list[Metric]:
    out = _Builder()
    if snapshot.devices is not None:
        out.add("smartctl_devices", (), float(len(snapshot.devices)))
    if snapshot.version is not None:
        v = snapshot.version
        out.add("smartctl_version", (v.json_format_version, v.smartctl_version, v.svn_revision, v.build_info), 1.0)
    seen: set[str] = set()
    for state in snapshot.devices or ():
        device = state.device.label
        if device in seen:  # two paths to one label (a typo in config): one set of series, not a clash
            continue
        seen.add(device)
        if state.exit_status is not None:
            out.add("smartctl_device_smartctl_exit_status", (device,), float(state.exit_status))
        out.add("inframind_smart_device_refresh_success", (device,), 0.0 if state.readings is None else 1.0)
        if state.readings is not None:
            _add_readings(out, device, state.readings)
    for (device, reason), count in sorted(snapshot.errors.items()):
        out.add("inframind_smart_device_refresh_errors_total", (device, reason), float(count))
    out.add("inframind_smart_last_refresh_timestamp_seconds", (), snapshot.refreshed_at)
    return out.families()


def _bool(value: bool | None) -> float | None:
    return None if value is None else float(value)


def _add_readings(out: _Builder, device: str, r: DeviceReadings) -> None:
    d = (device,)
    out.add("smartctl_device", (device, *(r.info[label] for label in INFO_LABELS)), 1.0)
    out.add("smartctl_device_capacity_blocks", d, r.capacity_blocks)
    out.add("smartctl_device_capacity_bytes", d, r.capacity_bytes)
    out.add("smartctl_device_nvme_capacity_bytes", d, r.nvme_capacity_bytes)
    for kind, size in r.block_sizes.items():
        out.add("smartctl_device_block_size", (device, kind), size)
    for kind, speed in r.interface_speeds.items():
        out.add("smartctl_device_interface_speed", (device, kind), speed)
    rows: set[tuple[str, ...]] = set()
    for a in r.attributes:
        for value_type, value in a.values.items():
            labels = (device, a.name, a.flags_short, a.flags_long, value_type, a.id)
            if labels not in rows:  # a firmware listing one attribute twice must not break the scrape
                rows.add(labels)
                out.add("smartctl_device_attribute", labels, value)
    out.add("smartctl_device_power_on_seconds", d, r.power_on_seconds)
    out.add("smartctl_device_rotation_rate", d, r.rotation_rate)
    for kind, celsius in r.temperatures.items():
        out.add("smartctl_device_temperature", (device, kind), celsius)
    out.add("smartctl_device_power_cycle_count", d, r.power_cycle_count)
    out.add("smartctl_device_smart_status", d, _bool(r.smart_passed))
    for kind, count in r.error_log_counts.items():
        out.add("smartctl_device_error_log_count", (device, kind), count)
    if r.nvme is not None:
        out.add("smartctl_device_percentage_used", d, r.nvme.percentage_used)
        out.add("smartctl_device_available_spare", d, r.nvme.available_spare)
        out.add("smartctl_device_available_spare_threshold", d, r.nvme.available_spare_threshold)
        out.add("smartctl_device_critical_warning", d, r.nvme.critical_warning)
        out.add("smartctl_device_media_errors", d, r.nvme.media_errors)
        out.add("smartctl_device_num_err_log_entries", d, r.nvme.num_err_log_entries)
        out.add("smartctl_device_bytes_read", d, r.nvme.bytes_read)
        out.add("smartctl_device_bytes_written", d, r.nvme.bytes_written)
    if r.scsi is not None:
        out.add("smartctl_scsi_grown_defect_list", d, r.scsi.grown_defect_list)
        for (direction, counter), count in r.scsi.errors.items():
            out.add(f"smartctl_{direction}_{counter}", d, count)
        out.add("smartctl_device_bytes_read", d, r.scsi.bytes_read)
        out.add("smartctl_device_bytes_written", d, r.scsi.bytes_written)
