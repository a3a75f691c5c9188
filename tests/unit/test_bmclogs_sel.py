"""SEL listings -> LogEvents and where to resume, on ``ipmi-sel`` output recorded from ipmi_sim.

The recordings (tests/fixtures/bmclogs, see its README) hold real PostInit stamps, deassertions, a
ranged listing, a clear and ipmi_sim's habit of counting record ids on across it. Wraps, id restarts
and record ids past FFFFh cannot be made on the simulator; those cases reuse recorded rows with
other ids, marked as such.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

import pytest

from inframind.agent.bmclogs import sel
from inframind.agent.bmclogs.sel import SelCursor, Selection, SelInfo, SelRow
from inframind.exporters.ipmi.readings import OutputError
from inframind.normalize import timezone
from tests.helpers.bmclogs import ASSET

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "bmclogs"
NOW = dt.datetime(2026, 3, 15, 12, 0, tzinfo=dt.UTC)


def rows(name: str) -> list[SelRow]:
    found, malformed = sel.parse_listing((FIXTURES / f"sel-listing.{name}.txt").read_text())
    assert malformed == 0
    return found


def info(name: str) -> SelInfo:
    return sel.parse_info((FIXTURES / f"sel-info.{name}.txt").read_text())


def cursor_at(row: SelRow, info: SelInfo | None = None) -> SelCursor:
    return SelCursor(row.record_id, row.stamp, None, info)


def renumbered(row: SelRow, record_id: int) -> SelRow:
    return dataclasses.replace(row, record_id=record_id)


def test_a_recorded_listing_parses_into_rows() -> None:
    full = rows("full")
    assert [r.record_id for r in full] == [1, 2, 3, 4, 5, 6, 7]
    assert full[0] == SelRow(
        1, "PostInit", "PostInit", "CPU Temp", "Temperature", "Warning", "Assertion Event",
        "Upper Non-critical - going high ; Sensor Reading = 88.00 C ; Threshold = 75.00 C",
    )  # fmt: skip
    assert [r.state for r in full] == ["Warning", "Critical", "Nominal", "Warning", "Warning", "Critical", "Critical"]
    assert full[2].direction == "Deassertion Event"
    assert full[6].stamp == "Mar-14-2026 09:26:55"


def test_event_text_with_commas_and_garbage_lines() -> None:
    text = "12,Mar-14-2026,09:26:55,PS1 Status,Power Supply,Critical,Assertion Event,Power Supply AC lost, input 1\n"
    text += "garbage line\nID,Date\n"
    found, malformed = sel.parse_listing(text)
    assert [r.event for r in found] == ["Power Supply AC lost, input 1"]
    assert malformed == 2


def test_info_figures() -> None:
    assert info("empty") == SelInfo(0, "Post-Init 0 s", "Post-Init 0 s")
    assert info("full") == SelInfo(7, "03/14/2026 - 09:26:55", "Post-Init 0 s")
    assert info("cleared").last_erase == "03/14/2026 - 09:26:55"
    with pytest.raises(OutputError):
        sel.parse_info("SEL version : 1.5\n")


def test_an_entry_becomes_an_event() -> None:
    row = rows("full")[5]
    event = sel.to_event(row, sel.row_time(row, dt.UTC) or NOW, ASSET)
    assert event.timestamp == dt.datetime(2026, 3, 14, 9, 26, 55, tzinfo=dt.UTC)
    assert (event.source, event.level, event.provider, event.record_id) == ("sel", "critical", "ipmi-sel", "6")
    assert event.message == "CPU Temp: Upper Critical - going high ; Sensor Reading = 97.00 C ; Threshold = 85.00 C"
    assert event.event_id == "Temperature/Upper Critical - going high"
    assert (event.host, event.asset_id, event.tenant) == ("127.0.0.1", "bmc-sim", "acme")
    assert event.fields["sensor_name"] == "CPU Temp"
    assert event.fields["event_direction"] == "Assertion Event"
    assert event.fields["sel_stamp"] == "Mar-14-2026 09:26:55"


def test_levels_follow_the_event_state_and_deassertions_say_so() -> None:
    events = [sel.to_event(r, NOW, ASSET) for r in rows("full")]
    assert [e.level for e in events] == ["warning", "critical", "info", "warning", "warning", "critical", "critical"]
    assert events[2].message.startswith("CPU Temp: Upper Non-critical - going high (deasserted) ;")


def test_sel_times_are_utc_unless_the_bmc_clock_has_another_zone() -> None:
    row = rows("full")[4]
    assert sel.row_time(row, dt.UTC) == dt.datetime(2026, 3, 14, 9, 26, 55, tzinfo=dt.UTC)
    assert sel.row_time(row, timezone("+03:00")) == dt.datetime(2026, 3, 14, 6, 26, 55, tzinfo=dt.UTC)
    assert sel.row_time(rows("full")[0], dt.UTC) is None  # PostInit


def test_postinit_entries_take_the_time_before_them() -> None:
    full = rows("full")
    items, _, stand_ins = sel.to_events(Selection(full), None, info("full"), limit=100, asset=ASSET, tz=dt.UTC, now=NOW)
    assert stand_ins == 2
    assert [e.timestamp for e, _ in items[:2]] == [NOW, NOW]  # nothing earlier is known: the time of reading
    cursor = SelCursor(2, "PostInit PostInit", "2026-03-14T09:00:00+00:00")
    items, _, stand_ins = sel.to_events(
        Selection([full[1], full[2]]), cursor, info("full"), limit=100, asset=ASSET, tz=dt.UTC, now=NOW
    )
    assert items[0][0].timestamp == dt.datetime(2026, 3, 14, 9, 0, tzinfo=dt.UTC)
    assert items[1][0].timestamp == dt.datetime(2026, 3, 14, 9, 26, 54, tzinfo=dt.UTC)


def test_each_event_carries_the_cursor_after_it_and_only_the_last_is_caught_up() -> None:
    items, after, _ = sel.to_events(
        Selection(rows("full")), None, info("full"), limit=100, asset=ASSET, tz=dt.UTC, now=NOW
    )
    cursors = [SelCursor.from_json(c) for _, c in items]
    assert [c.record_id for c in cursors if c] == [1, 2, 3, 4, 5, 6, 7]
    assert all(c is not None and c.info == info("full") and not c.caught_up for c in cursors[:-1])
    stamp, when = "Mar-14-2026 09:26:55", "2026-03-14T09:26:55+00:00"
    assert cursors[-1] == after == SelCursor(7, stamp, when, info("full"), caught_up=True)


def test_max_entries_leaves_the_rest_for_the_next_read() -> None:
    items, after, _ = sel.to_events(
        Selection(rows("full")), None, info("full"), limit=3, asset=ASSET, tz=dt.UTC, now=NOW
    )
    assert [e.record_id for e, _ in items] == ["1", "2", "3"]
    assert after.record_id == 3 and not after.caught_up  # the next read lists again, --info or not
    assert not sel.unchanged(after, info("full"))


def test_nothing_new_keeps_the_place_and_records_the_info() -> None:
    cursor = cursor_at(rows("full")[-1])
    items, after, _ = sel.to_events(Selection([]), cursor, info("full"), limit=10, asset=ASSET, tz=dt.UTC, now=NOW)
    assert items == [] and after == dataclasses.replace(cursor, info=info("full"), caught_up=True)
    assert sel.unchanged(after, info("full")) and not sel.unchanged(after, info("after-clear"))


def test_cursor_json_round_trip_and_unreadable_cursors() -> None:
    cursor = SelCursor(7, "Mar-14-2026 09:26:55", "2026-03-14T09:26:55+00:00", info("full"), caught_up=True)
    assert SelCursor.from_json(cursor.to_json()) == cursor
    assert SelCursor.from_json(None) is None
    assert SelCursor.from_json("not json") is None
    assert SelCursor.from_json('{"stamp": "x"}') is None


def test_a_ranged_listing_is_trusted_when_it_starts_at_the_cursor_and_reaches_the_newest() -> None:
    full, ranged = rows("full"), rows("from-5")
    assert sel.after_range(ranged, cursor_at(full[4]), info("full"), dt.UTC) == full[5:]
    assert sel.after_range(rows("from-99"), SelCursor(99, "x", None), info("full"), dt.UTC) is None
    moved = SelCursor(5, "Mar-14-2026 08:00:00", None)  # same id, another entry: ids were reused
    assert sel.after_range(ranged, moved, info("full"), dt.UTC) is None
    later = dataclasses.replace(info("full"), last_add="03/14/2026 - 10:00:00")  # newer than any row read
    assert sel.after_range(ranged, cursor_at(full[4]), later, dt.UTC) is None


def test_resume_after_the_cursor_in_sel_order() -> None:
    full = rows("full")
    assert sel.resume(full, cursor_at(full[3])) == Selection(full[4:])
    assert sel.resume(full, cursor_at(full[-1])) == Selection([])
    assert sel.resume(full, None) == Selection(full)
    assert sel.resume(full, SelCursor(0, "", None, info("empty"))) == Selection(full)


def test_a_clear_is_seen_in_the_erase_time_even_when_ids_go_on() -> None:
    mid_read = SelCursor(5, "Mar-14-2026 09:26:55", None, info("full"), caught_up=False)  # not caught up yet
    assert sel.erased_since(mid_read, info("after-clear"))
    before = SelCursor(7, "Mar-14-2026 09:26:55", None, info("full"))
    after = rows("after-clear")  # ids 8-10: ipmi_sim counts on across a clear
    assert sel.erased_since(before, info("after-clear"))
    assert sel.resume(after, before, erased=True) == Selection(after, "log_cleared")
    assert not sel.erased_since(before, info("full"))
    assert not sel.erased_since(None, info("after-clear"))


def test_ids_restarting_below_the_cursor_mean_a_clear() -> None:
    restarted = [renumbered(r, i) for i, r in enumerate(rows("after-clear"), start=1)]  # as most BMCs number
    assert sel.resume(restarted, cursor_at(rows("full")[-1])) == Selection(restarted, "log_cleared")
    reused = [renumbered(r, 7) for r in rows("after-clear")[:1]]  # id 7 again, another stamp
    assert sel.resume(reused, cursor_at(rows("full")[-1])).reset == "log_cleared"


def test_a_wrapped_sel_lost_the_cursor_entry_and_every_entry_is_new() -> None:
    full = rows("full")
    survivors = full[4:]  # a full SEL overwrote entries 1-4, the cursor's (3) among them
    assert sel.resume(survivors, cursor_at(full[2])) == Selection(survivors, "log_wrapped")


def test_record_ids_past_ffff_start_again_low_and_sel_order_still_holds() -> None:
    full = rows("full")
    ids = [65532, 65533, 65534, 1, 2, 3, 4]
    wrapped = [renumbered(r, i) for r, i in zip(full, ids, strict=True)]
    assert sel.resume(wrapped, cursor_at(wrapped[2])) == Selection(wrapped[3:])
    ranged = wrapped[2:3]  # --display-range=65534-65534 holds the cursor alone; --info says more came later
    assert sel.after_range(ranged, cursor_at(wrapped[2]), info("full"), dt.UTC) is None


def test_a_cleared_and_empty_sel_resets_the_cursor_to_its_start() -> None:
    before = SelCursor(7, "Mar-14-2026 09:26:55", None, info("full"))
    selection = sel.resume([], before, erased=True)
    items, after, _ = sel.to_events(selection, before, info("cleared"), limit=5, asset=ASSET, tz=dt.UTC, now=NOW)
    assert (items, after) == ([], SelCursor(0, "", None, info("cleared"), caught_up=True))
    events, _, _ = sel.to_events(
        sel.resume(rows("after-clear"), after), after, info("after-clear"), limit=5, asset=ASSET, tz=dt.UTC, now=NOW
    )
    assert [e.record_id for e, _ in events] == ["8", "9", "10"]


def test_events_read_after_a_reset_say_so() -> None:
    selection = Selection(rows("after-clear"), "log_cleared")
    items, _, _ = sel.to_events(selection, None, info("after-clear"), limit=5, asset=ASSET, tz=dt.UTC, now=NOW)
    assert {e.fields["cursor_reset"] for e, _ in items} == {"log_cleared"}


def test_the_same_entry_read_twice_has_the_same_fingerprint() -> None:
    row = rows("full")[4]
    first = sel.to_event(row, sel.row_time(row, dt.UTC) or NOW, ASSET)
    again = sel.to_event(row, sel.row_time(row, dt.UTC) or NOW, ASSET)
    other = sel.to_event(rows("full")[5], sel.row_time(rows("full")[5], dt.UTC) or NOW, ASSET)
    assert first.fingerprint == again.fingerprint != other.fingerprint
