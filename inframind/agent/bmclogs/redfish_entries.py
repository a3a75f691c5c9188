"""Redfish LogEntry resources -> LogEvents, and which entries of a log service are new. Pure.

A service's cursor is the last entry handed out: its ``Id`` and its ``Created`` as the BMC wrote it. Ids
order the entries where they are all numbers (iLO IML/IEL/SL, iDRAC, AMI and Intel SELs: new entries get
higher ids, whatever order the collection lists them in); elsewhere (OpenBMC journal ids such as
``1692215013470810_1``) ``Created`` does, then the id. An entry is new when it orders after the cursor.

- The cursor's Id is still there with the same ``Created``: the entries after it are new.
- The Id is there with another ``Created``, or every entry orders before the cursor: the log was
  cleared and its ids restarted; every entry is new, flagged ``log_cleared``.
- The Id is gone and every entry orders after it: the log wrapped past the cursor (or more entries came
  than one read reaches); every entry is new, flagged ``log_wrapped``.
- Otherwise the cursor's own entry was deleted: the entries after it are new.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

from inframind.agent.bmclogs.polled import AssetRef
from inframind.events import FieldValue, LogEvent
from inframind.exporters.redfish.parse import Json, last_segment, obj, relative, text
from inframind.normalize import level_from_word, parse_iso8601

Key = tuple[int, dt.datetime, str]
_NEVER = dt.datetime.min.replace(tzinfo=dt.UTC)


@dataclass(frozen=True)
class ServiceCursor:
    id: str
    """The last entry handed out; "" when the service was empty when last read."""
    created: str
    time: str | None = None
    """ISO time given to that entry: the stand-in for a following entry whose ``Created`` is not a time."""
    newest_first: bool | None = None
    """How the service lists its entries, once seen (None: not known yet)."""
    page: str | None = None
    """The page that entry was on, where an oldest-first service's next read starts."""

    @classmethod
    def from_dict(cls, data: Any) -> ServiceCursor | None:
        if not isinstance(data, dict) or not isinstance(data.get("id"), str):
            return None
        fields = {k: data.get(k) for k in ("created", "time", "newest_first", "page")}
        return cls(data["id"], str(fields["created"] or ""), fields["time"], fields["newest_first"], fields["page"])

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Selection:
    entries: list[Json]
    """New entries, oldest first."""
    reset: str | None = None


def entry_id(entry: Json) -> str:
    return text(entry, "Id") or last_segment(text(entry, "@odata.id"))


def created(entry: Json) -> dt.datetime | None:
    """``Created`` (with its offset), else ``EventTimestamp``; None for iLO's ``0000-00-00T00:00:00Z``."""
    for name in ("Created", "EventTimestamp"):
        stamp = parse_iso8601(text(entry, name))
        if stamp is not None:
            return stamp
    return None


def numbered(ids: Sequence[str]) -> bool:
    return all(i.isdigit() for i in ids)


def key(ident: str, stamp: dt.datetime | None, by_number: bool) -> Key:
    if by_number:
        return (int(ident), _NEVER, "")
    return (0, stamp or _NEVER, ident)


def entry_key(entry: Json, by_number: bool) -> Key:
    return key(entry_id(entry), created(entry), by_number)


def cursor_key(cursor: ServiceCursor, by_number: bool) -> Key:
    return key(cursor.id, parse_iso8601(cursor.created), by_number)


def lists_newest_first(entries: Sequence[Json], by_number: bool) -> bool | None:
    """From one page: True when its first entry orders after its last; None when it cannot tell."""
    if len(entries) < 2:
        return None
    first, last = entry_key(entries[0], by_number), entry_key(entries[-1], by_number)
    return None if first == last else first > last


def select(entries: list[Json], cursor: ServiceCursor | None, by_number: bool) -> Selection:
    """The new entries of ``entries`` (in log order, oldest first), per the rules of the module docstring."""
    ordered = sorted(entries, key=lambda e: entry_key(e, by_number))
    if cursor is None or not cursor.id:
        return Selection(ordered)
    mark = cursor_key(cursor, by_number)
    same_id = [e for e in ordered if entry_id(e) == cursor.id]
    if same_id and all(text(e, "Created") != cursor.created for e in same_id):
        return Selection(ordered, "log_cleared")
    keys = [entry_key(e, by_number) for e in ordered]
    if not same_id and keys and all(k < mark for k in keys):
        return Selection(ordered, "log_cleared")
    if not same_id and keys and all(k > mark for k in keys):
        return Selection(ordered, "log_wrapped")
    return Selection([e for e, k in zip(ordered, keys, strict=True) if k > mark])


def message(entry: Json) -> str:
    """``Message``, else the ``MessageId`` with its arguments (XL675d Event log entries carry only those)."""
    found = text(entry, "Message")
    if found:
        return found
    args = [str(a) for a in entry.get("MessageArgs") or [] if isinstance(a, str | int | float)]
    return text(entry, "MessageId") + (f" ({', '.join(args)})" if args else "") or text(entry, "Name")


def event_id(entry: Json) -> str | None:
    """``MessageId``; HPE IML/IEL entries have none, but their OEM class and code name the kind of event."""
    found = text(entry, "MessageId")
    if found:
        return found
    hpe = obj(obj(entry, "Oem"), "Hpe")
    if text(hpe, "Class") and text(hpe, "Code"):
        return f"Hpe.{text(hpe, 'Class')}.{text(hpe, 'Code')}"
    return None


def raw_fields(entry: Json) -> dict[str, FieldValue]:
    """The entry's own details: standard scalar properties and each vendor's OEM scalars (lists joined)."""
    fields: dict[str, FieldValue] = {}
    for name in ("EntryType", "Severity", "MessageSeverity", "Created", "EventTimestamp", "EventType", "EventId",
                 "SensorType", "SensorNumber", "EntryCode", "OemRecordFormat", "MessageId", "Name"):  # fmt: skip
        value = entry.get(name)
        if isinstance(value, str | int | float | bool):
            fields[name] = value
    args = entry.get("MessageArgs")
    if isinstance(args, list) and args:
        fields["MessageArgs"] = "; ".join(str(a) for a in args)
    for vendor, details in obj(entry, "Oem").items():
        for name, value in details.items() if isinstance(details, dict) else ():
            if name.startswith("@odata."):
                continue
            joined = ", ".join(value) if isinstance(value, list) and all(isinstance(v, str) for v in value) else value
            if isinstance(joined, str | int | float | bool):
                fields[f"Oem.{vendor}.{name}"] = joined
    return fields


def to_event(entry: Json, service: str, stamp: dt.datetime, asset: AssetRef, reset: str | None) -> LogEvent:
    """One entry; ``service`` is the log service's ``@odata.id``, ``stamp`` the time chosen for the entry."""
    fields = raw_fields(entry)
    if reset:
        fields["cursor_reset"] = reset
    severity = text(entry, "Severity") or text(entry, "MessageSeverity")
    return LogEvent(
        timestamp=stamp,
        source="redfish_log",
        level=level_from_word(severity) if severity else "info",
        message=message(entry),
        host=asset.host,
        asset_id=asset.asset_id,
        tenant=asset.tenant,
        event_id=event_id(entry),
        provider=last_segment(service),
        channel=relative(service),
        record_id=text(entry, "@odata.id") or f"{service}/Entries/{entry_id(entry)}",
        fields=fields,
    )
