"""IPMI SEL listings from FreeIPMI's ``ipmi-sel`` -> LogEvents, and where to resume. Pure: no tool runs here.

The cursor is the last record id handed out with the date and time ``ipmi-sel`` printed for it (a record
id alone is ambiguous once a BMC reuses ids after a clear), plus the ``--info`` figures of that read
(entry count, last addition and erase times): a poll that finds them unchanged after the source caught
up lists nothing, and a moved erase time means a clear.

Resuming, in the SEL's own order (which is the order entries were added, whatever their ids):
- The cursor's entry is still there (same id, same stamp): everything after it is new.
- It is gone and every entry has a higher id: the SEL wrapped (a full SEL overwrote its oldest entries,
  the cursor's among them), so every entry is new; flagged ``log_wrapped`` (some may have been lost).
- It is gone otherwise, or the erase time in ``--info`` changed: the SEL was cleared; every entry is new,
  flagged ``log_cleared``. Re-delivering a survivor is harmless: its fingerprint repeats.

Times: the SEL stores the BMC's clock without a zone. They are read as UTC (what BMCs synced by NTP keep)
unless the asset names another zone. Entries stamped before the BMC clock was set print ``PostInit`` and
take the time of the entry before them (or of the cursor), flagged ``invalid_timestamp``.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from dataclasses import asdict, dataclass, replace

from inframind.agent.bmclogs.polled import AssetRef
from inframind.events import LogEvent
from inframind.exporters.ipmi.readings import colon_fields, field_of
from inframind.normalize import level_from_word

LISTING_ARGS = ("--comma-separated-output", "--no-header-output", "--output-event-state", "--verbose")
"""Columns: record id, date, time, sensor name, sensor type, event state, event direction, event text."""
RANGE_END = 65534
"""The highest record id ``--display-range`` takes (FFFFh means "last entry" in IPMI)."""
PROVIDER = "ipmi-sel"
_ROW_TIME = "%b-%d-%Y %H:%M:%S"
_INFO_TIME = "%m/%d/%Y - %H:%M:%S"


@dataclass(frozen=True)
class SelRow:
    record_id: int
    date: str
    time: str
    name: str
    sensor_type: str
    state: str
    direction: str
    event: str

    @property
    def stamp(self) -> str:
        return f"{self.date} {self.time}"


@dataclass(frozen=True)
class SelInfo:
    """``ipmi-sel --info``: when any of these moves, the SEL changed."""

    entries: int
    last_add: str
    last_erase: str


@dataclass(frozen=True)
class SelCursor:
    record_id: int
    """0 (a record id IPMI reserves) before the first entry: the SEL was empty when last read."""
    stamp: str
    time: str | None = None
    """ISO time given to the last event: the stand-in for a following entry printed without one."""
    info: SelInfo | None = None
    """``--info`` at the read that handed this entry out: its erase time tells a later clear."""
    caught_up: bool = False
    """Nothing was left unread after this entry: while ``--info`` stays the same, nothing need be listed."""

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str | None) -> SelCursor | None:
        """The stored cursor; None when there is none or it is unreadable (the SEL is read from its start)."""
        if not text:
            return None
        try:
            data = json.loads(text)
            info = SelInfo(**data["info"]) if data.get("info") else None
            return cls(int(data["record_id"]), str(data["stamp"]), data.get("time"), info, bool(data.get("caught_up")))
        except (ValueError, KeyError, TypeError):
            return None


@dataclass(frozen=True)
class Selection:
    rows: list[SelRow]
    """The new entries, in SEL order."""
    reset: str | None = None
    """``log_cleared`` or ``log_wrapped`` when the cursor's entry was gone."""


def parse_listing(text: str) -> tuple[list[SelRow], int]:
    """Rows of a listing made with :data:`LISTING_ARGS`, and how many lines could not be read.

    The event text is the last column and may itself hold commas (FreeIPMI does not quote)."""
    rows: list[SelRow] = []
    malformed = 0
    for cells in csv.reader(io.StringIO(text)):
        if not cells:
            continue
        if len(cells) < 8 or not cells[0].strip().isdigit():
            malformed += 1
            continue
        rid, date, time, name, kind, state, direction = (c.strip() for c in cells[:7])
        rows.append(SelRow(int(rid), date, time, name, kind, state, direction, ",".join(cells[7:]).strip()))
    return rows, malformed


def parse_info(text: str) -> SelInfo:
    """``ipmi-sel --info``; OutputError (a ValueError) when a line is missing."""
    fields = colon_fields(text)
    return SelInfo(
        entries=int(field_of(fields, "Number of log entries")),
        last_add=field_of(fields, "Recent addition timestamp"),
        last_erase=field_of(fields, "Recent erase timestamp"),
    )


def row_time(row: SelRow, tz: dt.tzinfo) -> dt.datetime | None:
    """The entry's time in UTC; None for ``PostInit`` and other stamps that are not a calendar time."""
    try:
        return dt.datetime.strptime(row.stamp, _ROW_TIME).replace(tzinfo=tz).astimezone(dt.UTC)
    except ValueError:
        return None


def info_time(info: SelInfo, tz: dt.tzinfo) -> dt.datetime | None:
    try:
        return dt.datetime.strptime(info.last_add, _INFO_TIME).replace(tzinfo=tz).astimezone(dt.UTC)
    except ValueError:
        return None


def after_range(rows: list[SelRow], cursor: SelCursor, info: SelInfo, tz: dt.tzinfo) -> list[SelRow] | None:
    """The new rows of a listing from the cursor's record id on, or None if it cannot be trusted.

    Trusted when it starts with the cursor's own entry and reaches the newest addition ``--info`` reports
    (a BMC whose ids wrapped past FFFFh puts new entries below the cursor, out of the range)."""
    if not rows or rows[0].record_id != cursor.record_id or rows[0].stamp != cursor.stamp:
        return None
    newest = info_time(info, tz)
    times = [t for t in (row_time(r, tz) for r in rows) if t is not None]
    if newest is not None and (not times or max(times) < newest):
        return None
    return rows[1:]


def resume(rows: list[SelRow], cursor: SelCursor | None, erased: bool = False) -> Selection:
    """The new rows of a whole-SEL listing (see the module docstring for the cases)."""
    if cursor is None:
        return Selection(rows)
    if erased:
        return Selection(rows, "log_cleared")
    if cursor.record_id == 0:
        return Selection(rows)
    for i, row in enumerate(rows):
        if row.record_id == cursor.record_id and row.stamp == cursor.stamp:
            return Selection(rows[i + 1 :])
    if rows and all(r.record_id > cursor.record_id for r in rows):
        return Selection(rows, "log_wrapped")
    return Selection(rows, "log_cleared")


def unchanged(cursor: SelCursor | None, info: SelInfo) -> bool:
    """Nothing to list: the source had caught up and the SEL's figures have not moved since."""
    return cursor is not None and cursor.caught_up and cursor.info == info


def erased_since(cursor: SelCursor | None, info: SelInfo) -> bool:
    return cursor is not None and cursor.info is not None and cursor.info.last_erase != info.last_erase


def to_events(
    selection: Selection,
    cursor: SelCursor | None,
    info: SelInfo,
    *,
    limit: int,
    asset: AssetRef,
    tz: dt.tzinfo,
    now: dt.datetime,
) -> tuple[list[tuple[LogEvent, str]], SelCursor, int]:
    """Up to ``limit`` events with the cursor after each, the cursor after them all, and how many got a
    stand-in time. Only the last cursor is ``caught_up``, and only when nothing is left unread."""
    rows = selection.rows[:limit]
    if not rows:
        same_place = cursor is not None and not selection.reset
        start = SelCursor(0, "", None, info, caught_up=True)
        return [], replace(cursor, info=info, caught_up=True) if cursor and same_place else start, 0
    last_time = cursor.time if cursor and not selection.reset else None
    items: list[tuple[LogEvent, str]] = []
    stand_ins = 0
    for row in rows:
        stamp = row_time(row, tz)
        if stamp is None:
            stand_ins += 1
            stamp = dt.datetime.fromisoformat(last_time) if last_time else now
        last_time = stamp.isoformat()
        after = SelCursor(row.record_id, row.stamp, last_time, info)
        items.append((to_event(row, stamp, asset, selection.reset), after.to_json()))
    if len(rows) == len(selection.rows):  # caught up: the next poll may skip listing if --info stays put
        after = replace(after, caught_up=True)
        items[-1] = (items[-1][0], after.to_json())
    return items, after, stand_ins


def to_event(row: SelRow, stamp: dt.datetime, asset: AssetRef, reset: str | None = None) -> LogEvent:
    """One SEL entry: sensor and event text as the message, the sensor type and event as its id."""
    what, _, details = row.event.partition(" ; ")
    deasserted = row.direction.lower().startswith("deassert")
    message = f"{row.name}: {what}" + (" (deasserted)" if deasserted else "") + (f" ; {details}" if details else "")
    fields: dict[str, str | int | bool | None] = {
        "sensor_name": row.name,
        "sensor_type": row.sensor_type,
        "event_state": row.state,
        "event_direction": row.direction,
        "event": row.event,
        "sel_stamp": row.stamp,
        "sel_record_id": row.record_id,
    }
    if reset:
        fields["cursor_reset"] = reset
    return LogEvent(
        timestamp=stamp,
        source="sel",
        level=level_from_word(row.state),
        message=message,
        host=asset.host,
        asset_id=asset.asset_id,
        tenant=asset.tenant,
        event_id=f"{row.sensor_type}/{what}",
        provider=PROVIDER,
        record_id=str(row.record_id),
        fields=fields,
    )
