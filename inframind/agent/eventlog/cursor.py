"""Where reading a log stands, and how a gap in it is recognized; pure.

A cursor is the last RecordId read plus the newest TimeCreated seen so far (a high-water mark, not the
last record's own time: Windows writes boot-time events out of time order, so record 3 can be older than
record 1 in a real System log).

Windows numbers records per log, in order. When a log is cleared, the new log starts again from record 1
and its first record is the clearing notice (1102 in Security; 104 in System when System was cleared,
104 is also written to System when another log is cleared). So:

- the newest record is below the cursor (or the log is empty): cleared, fewer records since -> reset;
- the oldest record is at or below the cursor but newer than anything read: cleared and refilled past
  the cursor -> reset (a query for RecordId > cursor alone would silently skip the new log's start);
- a clearing notice for this log among the new records, newer than anything read: cleared (on hosts
  that keep numbering across a clear) -> reading simply goes on from it, the gap is flagged;
- the oldest record is past cursor + 1: the log wrapped and overwrote records not read yet -> flagged.

A reset means reading the log again from its oldest record (RecordId > 0).
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Literal

from inframind.agent.eventlog.report import ChannelReport, RawEvent

GapReason = Literal["cleared", "renumbered", "overwritten"]
GAP_REASONS: tuple[GapReason, ...] = ("cleared", "renumbered", "overwritten")

CLEARING_EVENTS = {("Security", 1102), ("System", 104)}
"""(channel, event id) of the notices the Eventlog service writes into a log it has just cleared."""


@dataclass(frozen=True)
class ChannelCursor:
    record_id: int = 0
    high_water: dt.datetime | None = None

    def advance(self, event: RawEvent) -> ChannelCursor:
        newest = event.time_created
        if self.high_water is not None and self.high_water > newest:
            newest = self.high_water
        return ChannelCursor(max(self.record_id, event.record_id), newest)

    def dump(self) -> str:
        stamp = None if self.high_water is None else self.high_water.isoformat()
        return json.dumps({"record_id": self.record_id, "high_water": stamp}, sort_keys=True)

    @classmethod
    def load(cls, value: str | None) -> ChannelCursor:
        """The stored cursor; a missing or unreadable value starts from the oldest record."""
        if not value:
            return cls()
        try:
            data = json.loads(value)
            stamp = data.get("high_water")
            return cls(int(data["record_id"]), dt.datetime.fromisoformat(stamp) if stamp else None)
        except (ValueError, KeyError, TypeError, AttributeError):
            return cls()


@dataclass(frozen=True)
class Gap:
    reason: GapReason
    detail: str
    reset: bool
    """Read again from the oldest record (the log was renumbered), rather than carry on from the cursor."""


def is_clearing_notice(event: RawEvent, channel: str) -> bool:
    """The Eventlog service's "log cleared" record written into ``channel`` itself."""
    if (channel, event.event_id) not in CLEARING_EVENTS or not event.provider.lower().endswith("eventlog"):
        return False
    if event.event_id == 104 and len(event.properties) >= 3 and event.properties[2]:
        return event.properties[2].lower() == channel.lower()  # 104 names the log it cleared
    return True


def _newer(stamp: dt.datetime | None, cursor: ChannelCursor) -> bool:
    return stamp is not None and cursor.high_water is not None and stamp > cursor.high_water


def find_gap(cursor: ChannelCursor, report: ChannelReport) -> Gap | None:
    """Why reading from ``cursor`` would miss records, judged from one report (see the module doc)."""
    c = cursor.record_id
    if c == 0:
        return None
    newest, oldest = report.newest, report.oldest
    if newest is None:
        return Gap("cleared", f"the log is empty but {c} records were read before", reset=True)
    if newest.record_id < c:
        return Gap("cleared", f"the newest record is {newest.record_id}, below the cursor {c}", reset=True)
    if oldest is not None and oldest.record_id <= c and _newer(oldest.time_created, cursor):
        return Gap(
            "renumbered",
            f"record {oldest.record_id} is newer than everything read up to record {c}: the log restarted",
            reset=True,
        )
    for event in report.events:
        if is_clearing_notice(event, report.channel) and _newer(event.time_created, cursor):
            return Gap("cleared", f"event {event.event_id} (log cleared) at record {event.record_id}", reset=False)
    if oldest is not None and oldest.record_id > c + 1:
        lost = oldest.record_id - c - 1
        return Gap("overwritten", f"records {c + 1}..{oldest.record_id - 1} ({lost}) were overwritten", reset=False)
    return None
