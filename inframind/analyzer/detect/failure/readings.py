"""Exporter samples -> one :class:`DiskReading` per drive, by smartctl_exporter's and our Redfish names.

The analyzer queries the metrics store and hands over plain ``(metric name, labels, value)`` samples of one
moment. Drives are told apart by their serial number where the exporter gives one, so the SMART view (from
the host) and the Redfish view (from the BMC) of one drive become one reading when both carry the same group
label (by default ``instance``; pass ``asset_id`` when the scrape stamps it, so host and BMC meet).

Mapping onto the model's vocabulary:

- ATA ``smartctl_device_attribute{attribute_value_type="raw"}``: ids 5, 187, 188, 197, 198, 199 (188 unpacked,
  see :func:`~.features.timeout_count`); 9 and 194 only when the dedicated families are absent;
- ``smartctl_device_power_on_seconds`` -> hours; ``smartctl_device_temperature{temperature_type="current"}``;
- ``smartctl_device_smart_status`` 0 -> the drive predicts its failure;
- NVMe ``smartctl_device_media_errors``, ``smartctl_device_percentage_used``;
- SCSI ``smartctl_scsi_grown_defect_list`` as reallocated (blocks remapped since manufacture), and
  ``smartctl_{read,write}_total_uncorrected_errors`` summed as reported uncorrectable;
- Redfish ``inframind_redfish_drive_failure_predicted`` and ``inframind_redfish_drive_life_left_ratio`` (ignored
  for ``media_type="HDD"``: some BMCs fill it with 0 for disks that have no such estimate).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from inframind.analyzer.detect.failure.features import ATA_IDS, DiskReading, timeout_count

Sample = tuple[str, Mapping[str, str], float]
"""(metric name, labels, value) of one series at one moment."""
SCSI_UNCORRECTED = ("smartctl_read_total_uncorrected_errors", "smartctl_write_total_uncorrected_errors")


@dataclass(frozen=True, order=True)
class DiskKey:
    group: str
    """The value of the group label (``instance`` or ``asset_id``)."""
    disk: str
    """Serial number when known, else the smartctl device or the Redfish ``system/storage/drive`` path."""


@dataclass(frozen=True)
class Drive:
    key: DiskKey
    reading: DiskReading
    labels: Mapping[str, str] = field(default_factory=dict)
    """What names the drive to a person: ``device``, ``model``, ``serial``, ``media_type`` where known."""


@dataclass
class _Acc:
    counts: dict[str, float] = field(default_factory=dict)
    values: dict[str, float] = field(default_factory=dict)
    fallback: dict[str, float] = field(default_factory=dict)
    verdicts: list[bool] = field(default_factory=list)
    labels: dict[str, str] = field(default_factory=dict)


def _serials(samples: list[Sample], group_label: str) -> dict[tuple[str, str], tuple[str, str]]:
    """(group, device) -> (serial, model) from ``smartctl_device``'s info labels."""
    out = {}
    for name, labels, _ in samples:
        if name == "smartctl_device" and labels.get("serial_number"):
            key = (labels.get(group_label, ""), labels.get("device", ""))
            out[key] = (labels["serial_number"], labels.get("model_name", ""))
    return out


def readings_from_samples(samples: Iterable[Sample], group_label: str = "instance") -> dict[DiskKey, Drive]:
    """Every drive the samples speak of, keyed by (group, serial or path)."""
    listed = list(samples)
    serials = _serials(listed, group_label)
    drives: dict[DiskKey, _Acc] = {}
    for name, labels, value in listed:
        group = labels.get(group_label, "")
        if name.startswith("smartctl_") and "device" in labels:
            device = labels["device"]
            serial, model = serials.get((group, device), ("", ""))
            acc = drives.setdefault(DiskKey(group, serial or device), _Acc())
            acc.labels.update({"device": device, **({"serial": serial, "model": model} if serial else {})})
            _smartctl(acc, name, labels, value)
        elif name.startswith("inframind_redfish_drive_"):
            path = "/".join(labels.get(k, "") for k in ("system", "storage", "drive"))
            serial = labels.get("serial", "")
            acc = drives.setdefault(DiskKey(group, serial or path), _Acc())
            acc.labels.update({k: labels[k] for k in ("model", "serial", "media_type") if labels.get(k)})
            _redfish(acc, name, labels, value)
    return {key: Drive(key, _reading(acc), dict(acc.labels)) for key, acc in sorted(drives.items())}


def _smartctl(acc: _Acc, name: str, labels: Mapping[str, str], value: float) -> None:
    if name == "smartctl_device_attribute":
        if labels.get("attribute_value_type") != "raw":
            return
        ident = labels.get("attribute_id", "")
        if ident in ATA_IDS:
            counter = ATA_IDS[ident]
            acc.counts[counter] = timeout_count(value) if counter == "command_timeouts" else value
        elif ident == "9":
            acc.fallback["power_on_hours"] = float(int(value) & 0xFFFFFFFF)
        elif ident == "194":
            acc.fallback["temperature_celsius"] = float(int(value) & 0xFF) if value > 255 else value
    elif name == "smartctl_device_power_on_seconds":
        acc.values["power_on_hours"] = value / 3600.0
    elif name == "smartctl_device_temperature" and labels.get("temperature_type") == "current":
        acc.values["temperature_celsius"] = value
    elif name == "smartctl_device_smart_status":
        acc.verdicts.append(value == 0)
    elif name == "smartctl_device_media_errors":
        acc.counts["media_errors"] = value
    elif name == "smartctl_device_percentage_used":
        acc.values["percentage_used"] = value
    elif name == "smartctl_scsi_grown_defect_list":
        acc.counts["reallocated"] = value
    elif name in SCSI_UNCORRECTED:
        acc.counts["reported_uncorrectable"] = acc.counts.get("reported_uncorrectable", 0.0) + value


def _redfish(acc: _Acc, name: str, labels: Mapping[str, str], value: float) -> None:
    if name == "inframind_redfish_drive_failure_predicted":
        acc.verdicts.append(value != 0)
    elif name == "inframind_redfish_drive_life_left_ratio" and labels.get("media_type", "").upper() != "HDD":
        acc.values["life_left_ratio"] = value


def _reading(acc: _Acc) -> DiskReading:
    values: dict[str, Any] = {**acc.fallback, **acc.values}
    return DiskReading(
        counts=dict(acc.counts),
        power_on_hours=values.get("power_on_hours"),
        temperature_celsius=values.get("temperature_celsius"),
        percentage_used=values.get("percentage_used"),
        life_left_ratio=values.get("life_left_ratio"),
        failure_predicted=any(acc.verdicts) if acc.verdicts else None,
    )
