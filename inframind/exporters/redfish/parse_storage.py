"""Redfish Storage, StorageController, Drive and Volume JSON -> readings. Pure.

A drive's place is what an operator needs to pull the right one ("slot 7 in shelf a2"), and BMCs say it
in different ways: ``PhysicalLocation.PartLocation`` (Drive 1.4+), ``Location.PartLocation``, the old
``Location`` list of ``{InfoFormat, Info}``, HPE's ``Slot=25:Port=1I:Box=3:Bay=4`` service labels, and
``Links.Chassis`` or a ``/Chassis/<id>/Drives/`` URI for the enclosure. :func:`drive_place` reads them all.
"""

from __future__ import annotations

import re

from inframind.exporters.redfish.parse import (
    Json,
    flag,
    ident,
    items,
    last_segment,
    links,
    number,
    obj,
    status,
    text,
)
from inframind.exporters.redfish.readings import ControllerReading, DriveReading, StorageReading, VolumeReading

_UNKNOWN = {"", "unknown", "n/a", "na", "none"}
_CHASSIS_IN_PATH = re.compile(r"/Chassis/([^/]+)/Drives/", re.IGNORECASE)


def storage(system_id: str, resource: Json) -> StorageReading:
    sid = ident(resource)
    return StorageReading(system_id, sid, text(resource, "Name") or sid, status(resource))


def controller(system_id: str, storage_id: str, resource: Json, fallback: str = "") -> ControllerReading:
    """One StorageController, inline in ``StorageControllers`` (MemberId) or a ``Controllers`` member (Id)."""
    cid = ident(resource, fallback)
    return ControllerReading(
        system_id, storage_id, cid, text(resource, "Name") or cid, text(resource, "Model"), status(resource)
    )


def _label_pairs(label: str) -> dict[str, str]:
    """``Slot=25:Port=1I:Box=3:Bay=4`` -> {'slot': '25', 'port': '1I', 'box': '3', 'bay': '4'}."""
    pairs: dict[str, str] = {}
    for part in re.split(r"[:,;]", label):
        key, sep, value = part.partition("=")
        if sep and value.strip().lower() not in _UNKNOWN:
            pairs[key.strip().lower()] = value.strip()
    return pairs


def drive_place(resource: Json) -> tuple[str, str, str]:
    """(enclosure, slot, service label) of a drive; empty strings where the BMC does not say."""
    place = obj(resource, "PhysicalLocation") or obj(resource, "Location")
    part = obj(place, "PartLocation")
    label = text(part, "ServiceLabel")
    ordinal = number(part, "LocationOrdinalValue")
    slot = "" if ordinal is None else str(int(ordinal))
    old = [i for i in items(resource, "Location") if "slot" in text(i, "InfoFormat").lower()]
    if not label and old:
        label = text(old[0], "Info")
    pairs = _label_pairs(label)
    if not slot:
        digits = re.findall(r"\d+", label) if old else []
        slot = pairs.get("bay") or pairs.get("slot") or (digits[-1] if digits else "")
    enclosure = ""
    chassis = links(obj(resource, "Links"), "Chassis")
    in_path = _CHASSIS_IN_PATH.search(text(resource, "@odata.id"))
    if chassis:
        enclosure = last_segment(chassis[0])
    elif in_path:
        enclosure = in_path.group(1)
    else:
        enclosure = pairs.get("box") or pairs.get("enclosure") or pairs.get("shelf") or ""
    return enclosure, slot, label


def drive(system_id: str, storage_id: str, resource: Json) -> DriveReading:
    did = ident(resource)
    enclosure, slot, label = drive_place(resource)
    return DriveReading(
        system=system_id,
        storage=storage_id,
        id=did,
        name=text(resource, "Name") or did,
        model=text(resource, "Model"),
        serial=text(resource, "SerialNumber"),
        media_type=text(resource, "MediaType"),
        protocol=text(resource, "Protocol"),
        enclosure=enclosure,
        slot=slot,
        location=label,
        failure_predicted=flag(resource, "FailurePredicted"),
        life_left_percent=number(resource, "PredictedMediaLifeLeftPercent"),
        capacity_bytes=number(resource, "CapacityBytes"),
        status=status(resource),
    )


def volume(system_id: str, storage_id: str, resource: Json) -> VolumeReading:
    vid = ident(resource)
    operations = tuple(
        (text(op, "OperationName") or text(op, "Operation") or "Unknown", number(op, "PercentageComplete"))
        for op in items(resource, "Operations")
    )
    return VolumeReading(
        system=system_id,
        storage=storage_id,
        id=vid,
        name=text(resource, "Name") or vid,
        raid_type=text(resource, "RAIDType") or text(resource, "VolumeType"),
        capacity_bytes=number(resource, "CapacityBytes"),
        operations=operations,
        status=status(resource),
    )
