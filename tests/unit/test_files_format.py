"""File lines to LogEvents: raw, syslog and JSON lines, times, levels, flags and the re-read-stable identity."""

from __future__ import annotations

import datetime as dt

import pytest

from inframind.agent.files_format import LineFormatter, file_fingerprint, leading_time, sniff_level
from inframind.agent.files_lines import Line
from inframind.events import LogEvent

NOW = dt.datetime(2026, 3, 1, 12, 0, 0, tzinfo=dt.UTC)
MOSCOW = dt.timezone(dt.timedelta(hours=3))


def resolve(host: str) -> tuple[str, str]:
    return ("srv-01", "lab") if host == "web01" else ("", "default")


def event(fmt: str, text: str, start: int = 0, tz: dt.tzinfo = dt.UTC, now: dt.datetime = NOW) -> LogEvent:
    formatter = LineFormatter(fmt, tz, "agent-host", resolve)  # type: ignore[arg-type]
    return formatter.event(Line(text, start, start + len(text) + 1), "f00d", "/var/log/app.log", now)[0]


@pytest.mark.parametrize(
    ("text", "level"),
    [
        ("2026-03-01 12:00:00 ERROR disk full", "error"),
        ("WARN [pool] slow", "warning"),
        ("time=1 level=error msg=x", "error"),
        ("[Sun Mar 01 12:00:00 2026] [crit] child died", "critical"),
        ("FATAL: cannot start", "critical"),
        ("TRACE entering", "debug"),
        ("no error was found, all good", "info"),  # a word in prose is not a level
        ("ERRORS=0 ok", "info"),  # nor part of a longer word
    ],
)
def test_raw_levels_come_from_level_words_only(text: str, level: str) -> None:
    assert sniff_level(text) == level


def test_raw_line_keeps_the_text_and_takes_its_leading_time() -> None:
    e = event("raw", "2026-03-01T11:59:58.250+03:00 INFO Запуск службы")
    assert e.message == "2026-03-01T11:59:58.250+03:00 INFO Запуск службы"
    assert e.timestamp == dt.datetime(2026, 3, 1, 8, 59, 58, 250000, tzinfo=dt.UTC)
    assert (e.source, e.level, e.host, e.channel, e.record_id) == (
        "file",
        "info",
        "agent-host",
        "/var/log/app.log",
        "f00d:0",
    )
    assert not e.fields


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-03-01 10:00:00,123 x", dt.datetime(2026, 3, 1, 7, 0, 0, 123000, tzinfo=dt.UTC)),  # zone from config
        ("2026-03-01T10:00:00Z x", dt.datetime(2026, 3, 1, 10, 0, tzinfo=dt.UTC)),
        ("2026-03-01T10:00:00.1234567Z x", dt.datetime(2026, 3, 1, 10, 0, 0, 123456, tzinfo=dt.UTC)),
        ("Mar  1 10:00:00 host x", dt.datetime(2026, 3, 1, 7, 0, tzinfo=dt.UTC)),
        ("Dec 31 23:59:59 host x", dt.datetime(2026, 2, 28, 20, 59, 59, tzinfo=dt.UTC) - dt.timedelta(days=59)),
        ("Nov 20 10:00:00 host x", dt.datetime(2025, 11, 20, 7, 0, tzinfo=dt.UTC)),  # a file's past, not next week
        ("plain text", None),
        ("2026-13-45T99:00:00 not a date", None),
    ],
)
def test_leading_times_in_the_configured_zone(text: str, expected: dt.datetime | None) -> None:
    assert leading_time(text, NOW, MOSCOW) == expected


def test_a_line_without_time_is_stamped_when_read_and_keeps_its_fingerprint_on_a_re_read() -> None:
    first = event("raw", "no time here", start=4096)
    again = event("raw", "no time here", start=4096, now=NOW + dt.timedelta(hours=5))
    assert first.timestamp == NOW and again.timestamp != first.timestamp
    assert first.fingerprint == again.fingerprint == file_fingerprint("default", "agent-host", "f00d:4096")
    assert event("raw", "no time here", start=4097).fingerprint != first.fingerprint


@pytest.mark.parametrize(
    "text", ["2027-03-01T00:00:00Z from the future", "1970-01-01T00:00:05Z dead RTC", "Dec  1 00:00:00 x"]
)
def test_skewed_times_are_replaced_by_the_read_time_and_flagged(text: str) -> None:
    now = dt.datetime(1999, 12, 31, 12, tzinfo=dt.UTC) if text.startswith("Dec") else NOW
    e = event("raw", text, now=now)
    assert e.timestamp == now
    assert e.fields["clock_skew"] is True
    assert isinstance(e.fields["device_time"], str)


def test_flags_from_reading_become_fields() -> None:
    formatter = LineFormatter("raw", dt.UTC, "h", resolve)
    e, flags = formatter.event(Line("x\ufffd", 0, 3, ("truncated", "invalid_utf8_replaced")), "id", "/a", NOW)
    assert flags == ("truncated", "invalid_utf8_replaced")
    assert (e.fields["truncated"], e.fields["invalid_utf8_replaced"]) == (True, True)


def test_syslog_file_lines_without_pri() -> None:
    e = event("syslog", "Mar  1 14:03:07 web01 sshd[812]: error: maximum authentication attempts exceeded", tz=MOSCOW)
    assert e.message == "error: maximum authentication attempts exceeded"
    assert (e.host, e.asset_id, e.tenant, e.provider) == ("web01", "srv-01", "lab", "sshd")
    assert e.fields["procid"] == "812"
    assert e.timestamp == dt.datetime(2026, 3, 1, 11, 3, 7, tzinfo=dt.UTC)
    assert e.level == "info"  # "error:" in lower case prose is not a level word


def test_syslog_file_lines_with_pri_and_rfc3339_time() -> None:
    e = event("syslog", "<11>2026-03-01T11:00:00.5+00:00 db02 postgres[77]: could not write block")
    assert (e.level, e.host, e.provider, e.message) == ("error", "db02", "postgres", "could not write block")
    assert e.timestamp == dt.datetime(2026, 3, 1, 11, 0, 0, 500000, tzinfo=dt.UTC)


def test_json_lines_take_known_keys_and_keep_the_rest_as_fields() -> None:
    text = (
        '{"ts": 1772362800.5, "level": "warn", "msg": "Диск почти заполнен", "host": "web01", '
        '"disk": "/dev/sda", "used": 0.97, "tags": ["a", "b"]}'
    )
    e = event("json", text)
    assert (e.message, e.level, e.host, e.asset_id) == ("Диск почти заполнен", "warning", "web01", "srv-01")
    assert e.timestamp == dt.datetime.fromtimestamp(1772362800.5, dt.UTC)
    assert dict(e.fields) == {"disk": "/dev/sda", "used": 0.97, "tags": '["a", "b"]'}
    assert event("json", '{"@timestamp": "2026-03-01T10:00:00Z", "message": "m", "severity": 3}').level == "error"
    millis = event("json", '{"time": 1772362800000, "log": "x"}')
    assert millis.timestamp == dt.datetime(2026, 3, 1, 11, 0, tzinfo=dt.UTC)


@pytest.mark.parametrize("text", ['{"message": "cut in half', "[1, 2, 3]", "plain ERROR text"])
def test_json_lines_that_are_not_objects_are_kept_whole_and_flagged(text: str) -> None:
    e = event("json", text)
    assert e.message == text
    assert e.fields["malformed"] is True
    assert e.timestamp == NOW
