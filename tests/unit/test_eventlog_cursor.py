"""Cursor gaps: a cleared log (renumbered from record 1), a clearing notice, an overwritten log, and no false
alarm on a real System log whose boot-time records are out of time order."""

from __future__ import annotations

import datetime as dt

import pytest

from inframind.agent.eventlog.cursor import ChannelCursor, find_gap, is_clearing_notice
from inframind.agent.eventlog.report import ChannelReport, parse_report
from inframind.agent.eventlog.script import query_script
from tests.helpers.winhost import WindowsHost, clearing_notice, records

LATER = dt.datetime(2017, 7, 13, 9, 0, tzinfo=dt.UTC)


def read(host: WindowsHost, channel: str, after: int, limit: int = 500) -> ChannelReport:
    return parse_report(host.run(query_script(channel, after, limit)).stdout, channel)


def cursor_after(host: WindowsHost, channel: str, upto: int) -> ChannelCursor:
    cursor = ChannelCursor()
    for event in read(host, channel, 0, upto).events:
        cursor = cursor.advance(event)
    return cursor


def system_host() -> WindowsHost:
    return WindowsHost({"System": records("system_all"), "Security": records("security_logons")})


def test_cursor_round_trips_and_bad_values_start_over() -> None:
    cursor = ChannelCursor(326, dt.datetime(2017, 7, 12, 17, 20, 34, 199430, tzinfo=dt.UTC))
    assert ChannelCursor.load(cursor.dump()) == cursor
    for junk in (None, "", "{", '{"record_id": "x"}', "[]", '{"high_water": "2017"}'):
        assert ChannelCursor.load(junk) == ChannelCursor()


def test_high_water_survives_out_of_order_boot_records() -> None:
    """Real System log: record 3 (17:16:05) is older than record 1 (17:16:28)."""
    cursor = cursor_after(system_host(), "System", 3)
    assert cursor.record_id == 3
    assert cursor.high_water == dt.datetime(2017, 7, 12, 17, 16, 28, 214161, tzinfo=dt.UTC)


@pytest.mark.parametrize("upto", [1, 3, 60, 200, 326])
def test_no_gap_while_the_real_log_only_grows(upto: int) -> None:
    host = system_host()
    cursor = cursor_after(host, "System", upto)
    assert find_gap(cursor, read(host, "System", cursor.record_id)) is None


def test_cleared_log_with_fewer_records_than_the_cursor_is_reset() -> None:
    host = system_host()
    cursor = cursor_after(host, "Security", 91)
    host.clear("Security", clearing_notice("Security", LATER))
    gap = find_gap(cursor, read(host, "Security", cursor.record_id))
    assert gap is not None and gap.reason == "cleared" and gap.reset
    assert "newest record is 1, below the cursor" in gap.detail
    host.clear("Security")
    gap = find_gap(cursor, read(host, "Security", cursor.record_id))
    assert gap is not None and gap.reset and "empty" in gap.detail


def test_cleared_and_refilled_past_the_cursor_is_seen_as_renumbered() -> None:
    host = system_host()
    cursor = cursor_after(host, "System", 20)
    host.clear("System", clearing_notice("System", LATER))
    refill = [{**r, "RecordId": i, "TimeCreated": LATER.strftime("%Y-%m-%dT%H:%M:%S.%f0Z")}
              for i, r in enumerate(records("system_all")[:40], start=2)]  # fmt: skip
    host.append("System", refill)
    report = read(host, "System", cursor.record_id)
    assert report.events[0].record_id == 21  # a naive "RecordId > cursor" would skip records 1..20
    gap = find_gap(cursor, report)
    assert gap is not None and gap.reason == "renumbered" and gap.reset


def test_clearing_notice_on_a_host_that_keeps_numbering_is_flagged_without_reset() -> None:
    host = system_host()
    cursor = cursor_after(host, "System", 326)
    host.append("System", [clearing_notice("System", LATER, record_id=400)])
    host.logs["System"] = [r for r in host.logs["System"] if r["RecordId"] >= 400]
    gap = find_gap(cursor, read(host, "System", cursor.record_id))
    assert gap is not None and gap.reason == "cleared" and not gap.reset
    assert "event 104 (log cleared) at record 400" in gap.detail


def test_overwritten_records_are_flagged() -> None:
    host = system_host()
    cursor = cursor_after(host, "System", 100)
    host.logs["System"] = [r for r in host.logs["System"] if r["RecordId"] > 150]
    gap = find_gap(cursor, read(host, "System", cursor.record_id))
    assert gap is not None and gap.reason == "overwritten" and not gap.reset
    assert "records 101..150 (50)" in gap.detail


def test_clearing_notices_are_recognized_per_log() -> None:
    host = WindowsHost({"Security": [clearing_notice("Security", LATER)], "System": [clearing_notice("System", LATER)]})
    security, system = read(host, "Security", 0).events[0], read(host, "System", 0).events[0]
    assert is_clearing_notice(security, "Security") and is_clearing_notice(system, "System")
    assert not is_clearing_notice(system, "Application")
    application_cleared = type(system)(**{**system.__dict__, "properties": ("admin", "HOST", "Application", "")})
    assert not is_clearing_notice(application_cleared, "System")  # 104 in System about another log
    assert not is_clearing_notice(read(system_host(), "System", 0, 1).events[0], "System")  # 6009, not a notice
