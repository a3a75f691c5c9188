"""smartctl ``--json`` output -> plain readings, choosing the fields smartctl_exporter reads.

Pure functions over decoded JSON (no IO, no clock), so every recorded smartctl output can be checked in a
unit test. The field choices follow prometheus-community/smartctl_exporter, so the families built from
these readings carry its series. A field smartctl did not print stays ``None`` and its series is left out,
rather than being reported as a misleading 0.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from inframind.exporters.smart.readings import (
    ATTRIBUTE_FLAGS,
    NVME_DATA_UNIT_BYTES,
    SCSI_ERROR_FIELDS,
    Attribute,
    DeviceReadings,
    DeviceRef,
    NvmeHealth,
    ScanEntry,
    ScsiHealth,
    SmartctlVersion,
)

FATAL_EXIT_BITS = 0b11
"""Exit bits 0 (command line did not parse) and 1 (open failed, or disk asleep): there are no readings.
Bits 2-7 are what smartctl found on the disk (failing status, logged errors); the readings still hold."""

EXIT_BIT_MEANINGS = (
    "the command line did not parse",
    "the device could not be opened, or it is in a low-power mode",
    "a SMART or ATA command failed, or SMART data had a checksum error",
    "the SMART status says DISK FAILING",
    "prefail attributes are at or below their threshold",
    "some attributes were at or below their threshold in the past",
    "the device error log has entries",
    "the self-test log has errors",
)

# Why a device has no readings after a refresh: the bounded ``reason`` label of the error counter.
TIMEOUT = "timeout"
EXEC_FAILED = "exec_failed"
INVALID_JSON = "invalid_json"
FATAL_EXIT = "fatal_exit"
PERMISSION_DENIED = "permission_denied"
STANDBY = "standby"

_PERMISSION = re.compile(r"permission denied|operation not permitted", re.IGNORECASE)
_LOW_POWER = re.compile(r"\bis in (?:STANDBY|SLEEP|IDLE\w*) mode", re.IGNORECASE)
_PRE_73_PREFIX = "  Pending defect count:"
"""smartctl < 7.3 could print this line ahead of the JSON document."""


# ---------------------------------------------------------------- small readers


def _get(node: Any, *path: str) -> Any:
    for key in path:
        if not isinstance(node, Mapping):
            return None
        node = node.get(key)
    return node


def _obj(node: Any, *path: str) -> Mapping[str, Any]:
    found = _get(node, *path)
    return found if isinstance(found, Mapping) else {}


def _num(value: Any) -> float | None:
    """A number from smartctl JSON; some counters (SCSI gigabytes processed) come as decimal strings."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return None
    return None


def _text(value: Any) -> str:
    if isinstance(value, bool) or value is None or isinstance(value, Mapping | list):
        return ""
    return str(value).strip()


# ---------------------------------------------------------------- documents


def decode(stdout: str) -> Mapping[str, Any] | None:
    """The JSON object smartctl printed, or None when it printed none (smartctl < 7.0, a crash)."""
    text = stdout.strip()
    text = text.removeprefix(_PRE_73_PREFIX.strip()).strip()
    try:
        doc = json.loads(text)
    except ValueError:
        return None
    return doc if isinstance(doc, dict) else None


def exit_status(doc: Mapping[str, Any]) -> int | None:
    status = _get(doc, "smartctl", "exit_status")
    return status if isinstance(status, int) and not isinstance(status, bool) else None


def describe_exit_status(status: int) -> str:
    return "; ".join(text for bit, text in enumerate(EXIT_BIT_MEANINGS) if status & (1 << bit)) or "no problem"


def messages(doc: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(severity, text) of smartctl's own messages, such as why a device could not be opened."""
    out = []
    for item in _get(doc, "smartctl", "messages") or ():
        if isinstance(item, Mapping) and _text(item.get("string")):
            out.append((_text(item.get("severity")), _text(item.get("string"))))
    return out


def classify(doc: Mapping[str, Any], returncode: int) -> tuple[int, str | None, str]:
    """(exit status, reason there are no readings or None, detail for people) of one device report."""
    status = exit_status(doc)
    if status is None:
        status = returncode
    if not status & FATAL_EXIT_BITS:
        return status, None, ""
    said = [text for severity, text in messages(doc) if severity == "error"] or [t for _, t in messages(doc)]
    detail = "; ".join(said) or describe_exit_status(status)
    if _PERMISSION.search(detail):
        return status, PERMISSION_DENIED, detail
    if _LOW_POWER.search(detail):
        return status, STANDBY, detail
    return status, FATAL_EXIT, detail


def parse_version(doc: Mapping[str, Any]) -> SmartctlVersion | None:
    smartctl = _obj(doc, "smartctl")
    version, json_version = smartctl.get("version"), doc.get("json_format_version")
    if not (isinstance(version, list) and isinstance(json_version, list)):
        return None
    if len(version) < 2 or len(json_version) < 2:
        return None
    return SmartctlVersion(
        f"{_text(json_version[0])}.{_text(json_version[1])}",
        f"{_text(version[0])}.{_text(version[1])}",
        _text(smartctl.get("svn_revision")),
        _text(smartctl.get("build_info")),
    )


def parse_scan(doc: Mapping[str, Any]) -> list[ScanEntry]:
    """Devices of ``smartctl --scan-open --json``; ``open_error`` says why one could not be opened."""
    entries = []
    for item in doc.get("devices") or ():
        if isinstance(item, Mapping) and _text(item.get("name")):
            device = DeviceRef(_text(item["name"]), _text(item.get("type")) or None)
            entries.append(ScanEntry(device, _text(item.get("open_error")) or None))
    return entries


def is_permission_error(text: str) -> bool:
    return _PERMISSION.search(text) is not None


# ---------------------------------------------------------------- one device


def parse_device(doc: Mapping[str, Any]) -> DeviceReadings:
    """Readings of one ``smartctl --json --info --health --attributes ...`` report."""
    kind = _text(_get(doc, "device", "type")).lower()
    protocol = _text(_get(doc, "device", "protocol")).lower()
    power_on = doc.get("power_on_time")
    rotation = _num(doc.get("rotation_rate"))
    passed = _get(doc, "smart_status", "passed")
    return DeviceReadings(
        info=_info(doc),
        exit_status=exit_status(doc) or 0,
        smart_passed=passed if isinstance(passed, bool) else None,
        capacity_blocks=_num(_get(doc, "user_capacity", "blocks")),
        capacity_bytes=_num(_get(doc, "user_capacity", "bytes")),
        nvme_capacity_bytes=_num(doc.get("nvme_total_capacity")),
        block_sizes=_present({kind: _num(doc.get(f"{kind}_block_size")) for kind in ("logical", "physical")}),
        interface_speeds=_present({kind: _speed(_obj(doc, "interface_speed", kind)) for kind in ("max", "current")}),
        attributes=_attributes(doc),
        power_on_seconds=(
            (_num(power_on.get("hours")) or 0.0) * 3600 + (_num(power_on.get("minutes")) or 0.0) * 60
            if isinstance(power_on, Mapping)
            else None
        ),
        rotation_rate=rotation if rotation else None,
        temperatures=_present({str(key): _num(value) for key, value in _obj(doc, "temperature").items()}),
        power_cycle_count=_first(
            _num(doc.get("power_cycle_count")),
            _num(_get(doc, "scsi_start_stop_cycle_counter", "accumulated_start_stop_cycles")),
        ),
        error_log_counts=_present(
            {str(key): _num(_get(log, "count")) for key, log in _obj(doc, "ata_smart_error_log").items()}
        ),
        nvme=_nvme(doc) if "nvme" in (kind, protocol) else None,
        scsi=_scsi(doc) if "scsi" in (kind, protocol) else None,
        version=parse_version(doc),
    )


def _info(doc: Mapping[str, Any]) -> dict[str, str]:
    return {
        "interface": _text(_get(doc, "device", "type")),
        "protocol": _text(_get(doc, "device", "protocol")),
        "model_family": _text(doc.get("model_family")) or "unknown",
        "model_name": _text(doc.get("model_name")) or _text(doc.get("scsi_model_name")) or "unknown",
        "serial_number": _text(doc.get("serial_number")),
        "ata_additional_product_id": _text(doc.get("ata_additional_product_id")) or "unknown",
        "firmware_version": _text(doc.get("firmware_version")),
        "ata_version": _text(_get(doc, "ata_version", "string")),
        "sata_version": _text(_get(doc, "sata_version", "string")),
        "form_factor": _text(_get(doc, "form_factor", "name")),
        "scsi_vendor": _text(doc.get("scsi_vendor")),
        "scsi_product": _text(doc.get("scsi_product")),
        "scsi_revision": _text(doc.get("scsi_revision")),
        "scsi_version": _text(doc.get("scsi_version")),
    }


def _present(values: Mapping[str, float | None]) -> dict[str, float]:
    return {key: value for key, value in values.items() if value is not None}


def _first(*values: float | None) -> float | None:
    return next((value for value in values if value is not None), None)


def _speed(speed: Mapping[str, Any]) -> float | None:
    units, bits = _num(speed.get("units_per_second")), _num(speed.get("bits_per_unit"))
    return units * bits if units is not None and bits is not None else None


def _attributes(doc: Mapping[str, Any]) -> tuple[Attribute, ...]:
    out = []
    for row in _get(doc, "ata_smart_attributes", "table") or ():
        if not isinstance(row, Mapping):
            continue
        flags = _obj(row, "flags")
        values = {"value": row.get("value"), "worst": row.get("worst"), "thresh": row.get("thresh")}
        values["raw"] = _get(row, "raw", "value")
        out.append(
            Attribute(
                id=_text(row.get("id")),
                name=_text(row.get("name")),
                flags_short=_text(flags.get("string")),
                flags_long=",".join(flag for flag in ATTRIBUTE_FLAGS if flags.get(flag) is True),
                values=_present({key: _num(value) for key, value in values.items()}),
            )
        )
    return tuple(out)


def _nvme(doc: Mapping[str, Any]) -> NvmeHealth | None:
    log = _obj(doc, "nvme_smart_health_information_log")
    if not log:
        return None

    def data_bytes(key: str) -> float | None:
        units = _num(log.get(key))
        return units * NVME_DATA_UNIT_BYTES if units else None  # 0 means "not reported" in NVMe

    return NvmeHealth(
        percentage_used=_num(log.get("percentage_used")),
        available_spare=_num(log.get("available_spare")),
        available_spare_threshold=_num(log.get("available_spare_threshold")),
        critical_warning=_num(log.get("critical_warning")),
        media_errors=_num(log.get("media_errors")),
        num_err_log_entries=_num(log.get("num_err_log_entries")),
        bytes_read=data_bytes("data_units_read"),
        bytes_written=data_bytes("data_units_written"),
    )


def _scsi(doc: Mapping[str, Any]) -> ScsiHealth:
    log = _obj(doc, "scsi_error_counter_log")
    errors = {
        (direction, name): value
        for direction in ("read", "write")
        for name in SCSI_ERROR_FIELDS
        if (value := _num(_get(log, direction, name))) is not None
    }

    def gigabytes(direction: str) -> float | None:
        value = _num(_get(log, direction, "gigabytes_processed"))
        return value * 1e9 if value is not None else None

    return ScsiHealth(_num(doc.get("scsi_grown_defect_list")), errors, gigabytes("read"), gigabytes("write"))
