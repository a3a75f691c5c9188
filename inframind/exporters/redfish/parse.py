"""Redfish JSON -> readings for the service root, systems, chassis, managers, logs and firmware. Pure.

BMC firmware is loose with the schema (nulls, numbers as the wrong type, ``HealthRollUp``, padded
strings), so every field goes through a tolerant accessor: a value of the wrong kind reads as absent.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from typing import Any

from inframind.exporters.redfish.readings import (
    ChassisReading,
    FirmwareReading,
    LogServiceReading,
    ManagerReading,
    MemoryReading,
    ProcessorReading,
    ServiceInfo,
    Status,
    SystemReading,
)

Json = dict[str, Any]

HEALTH = {"ok": "OK", "warning": "Warning", "critical": "Critical"}
STATES = (
    "Enabled",
    "Disabled",
    "StandbyOffline",
    "StandbySpare",
    "InTest",
    "Starting",
    "Absent",
    "UnavailableOffline",
    "Deferring",
    "Quiesced",
    "Updating",
    "Qualified",
    "Degraded",
)
_STATE_BY_LOWER = {s.lower(): s for s in STATES}
ENTRY_TYPES = {"event": "Event", "sel": "SEL", "oem": "Oem"}
ROOT = "/redfish/v1"

# ---------------------------------------------------------------- tolerant accessors


def obj(value: Any, key: str) -> Json:
    found = value.get(key) if isinstance(value, dict) else None
    return found if isinstance(found, dict) else {}


def items(value: Any, key: str) -> list[Json]:
    found = value.get(key) if isinstance(value, dict) else None
    return [x for x in found if isinstance(x, dict)] if isinstance(found, list) else []


def text(value: Any, key: str) -> str:
    found = value.get(key) if isinstance(value, dict) else None
    if isinstance(found, str):
        return " ".join(found.split())
    if isinstance(found, int | float) and not isinstance(found, bool):
        return str(found)
    return ""


def number(value: Any, key: str) -> float | None:
    found = value.get(key) if isinstance(value, dict) else None
    if isinstance(found, int | float) and not isinstance(found, bool):
        return float(found)
    return None


def flag(value: Any, key: str) -> bool | None:
    found = value.get(key) if isinstance(value, dict) else None
    return found if isinstance(found, bool) else None


def link(value: Any, key: str) -> str | None:
    target = obj(value, key).get("@odata.id")
    return target if isinstance(target, str) and target else None


def links(value: Any, key: str) -> list[str]:
    """``@odata.id`` of one link or of a list of links (vendors use both shapes for Links.Chassis)."""
    found = value.get(key) if isinstance(value, dict) else None
    refs = found if isinstance(found, list) else [found]
    return [r["@odata.id"] for r in refs if isinstance(r, dict) and isinstance(r.get("@odata.id"), str)]


def last_segment(path: str) -> str:
    return path.split("#", 1)[0].rstrip("/").rsplit("/", 1)[-1]


def relative(path: str) -> str:
    """A URI without the ``/redfish/v1/`` prefix and trailing slash, as a label value."""
    clean = path.split("#", 1)[0].rstrip("/")
    return clean[len(ROOT) + 1 :] if clean.lower().startswith(ROOT.lower() + "/") else clean.lstrip("/")


def ident(resource: Json, fallback: str = "") -> str:
    return text(resource, "Id") or text(resource, "MemberId") or last_segment(text(resource, "@odata.id")) or fallback


def health(value: Any) -> str | None:
    return HEALTH.get(value.lower()) if isinstance(value, str) else None


def status(resource: Json) -> Status:
    raw = obj(resource, "Status")
    state = raw.get("State")
    return Status(
        health=health(raw.get("Health")),
        rollup=health(raw.get("HealthRollup", raw.get("HealthRollUp"))),
        state=_STATE_BY_LOWER.get(state.lower(), "Unknown") if isinstance(state, str) else None,
    )


def is_error(body: Json) -> bool:
    """A Redfish error body (some BMCs, and captures of them, answer 200 with one)."""
    return isinstance(body.get("error"), dict) and "@odata.id" not in body


def missing_error(body: Json) -> bool:
    infos = items(obj(body, "error"), "@Message.ExtendedInfo")
    return any(re.search(r"ResourceMissing|ResourceNotFound", text(i, "MessageId")) for i in infos)


# ---------------------------------------------------------------- resources


def service_info(root: Json) -> ServiceInfo:
    vendor = text(root, "Vendor") or next(iter(obj(root, "Oem")), "")
    return ServiceInfo(vendor, text(root, "Product"), text(root, "RedfishVersion"))


def system(resource: Json) -> SystemReading:
    power = text(resource, "PowerState")
    return SystemReading(
        id=ident(resource),
        manufacturer=text(resource, "Manufacturer"),
        model=text(resource, "Model"),
        serial=text(resource, "SerialNumber"),
        bios_version=text(resource, "BiosVersion"),
        power_on=(power == "On") if power else None,
        status=status(resource),
    )


def processor(system_id: str, resource: Json) -> ProcessorReading:
    pid = ident(resource)
    return ProcessorReading(system_id, pid, text(resource, "Name") or pid, text(resource, "Model"), status(resource))


def memory(system_id: str, resource: Json) -> MemoryReading:
    mid = ident(resource)
    place = obj(resource, "MemoryLocation")
    locator = text(resource, "DeviceLocator") or " ".join(f"{k} {text(place, k)}" for k in place if text(place, k))
    mib = number(resource, "CapacityMiB")
    return MemoryReading(
        system_id, mid, text(resource, "Name") or mid, locator, None if mib is None else mib * 2**20, status(resource)
    )


def chassis(resource: Json) -> ChassisReading:
    return ChassisReading(
        id=ident(resource),
        chassis_type=text(resource, "ChassisType"),
        manufacturer=text(resource, "Manufacturer"),
        model=text(resource, "Model"),
        serial=text(resource, "SerialNumber"),
        status=status(resource),
    )


def manager(resource: Json) -> ManagerReading:
    return ManagerReading(ident(resource), text(resource, "Model"), text(resource, "FirmwareVersion"), status(resource))


def firmware(resource: Json) -> FirmwareReading:
    fid = ident(resource)
    return FirmwareReading(fid, text(resource, "Name") or fid, text(resource, "Version"))


def _severity(entry: Json) -> str:
    value = text(entry, "Severity") or text(entry, "MessageSeverity")
    return HEALTH.get(value.lower(), "Unknown")


def log_service(path: str, reported: float | None, entries: Iterable[Json]) -> LogServiceReading:
    """Counts by severity and entry type only: turning entries into events is the log agent's job."""
    counts = Counter((_severity(e), ENTRY_TYPES.get(text(e, "EntryType").lower(), "Unknown")) for e in entries)
    return LogServiceReading(relative(path), reported, tuple((s, t, n) for (s, t), n in sorted(counts.items())))
