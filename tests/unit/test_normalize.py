"""Shared normalization: severities from every source, timestamps to UTC, hosts to assets."""

from __future__ import annotations

import datetime as dt

import pytest

from inframind.inventory import inventory_from_data
from inframind.normalize import (
    journald_level,
    level_from_word,
    parse_iso8601,
    parse_rfc3164_time,
    parse_windows_time,
    resolve_asset,
    syslog_level,
    timezone,
    windows_level,
)

MSK = timezone("Europe/Moscow")


@pytest.mark.parametrize(
    ("severity", "level"),
    [
        (0, "critical"),
        (1, "critical"),
        (2, "critical"),
        (3, "error"),
        (4, "warning"),
        (5, "notice"),
        (6, "info"),
        (7, "debug"),
    ],
)
def test_syslog_and_journald_severities(severity: int, level: str) -> None:
    assert syslog_level(severity) == level
    assert journald_level(str(severity)) == level


def test_bad_syslog_severity() -> None:
    with pytest.raises(ValueError, match="0-7"):
        syslog_level(8)
    assert journald_level(None) == "info"


@pytest.mark.parametrize(
    ("value", "level"),
    [
        (1, "critical"),
        (2, "error"),
        ("3", "warning"),
        (4, "info"),
        (5, "debug"),
        (0, "info"),
        ("Error", "error"),
        ("Information", "info"),
        (None, "info"),
    ],
)
def test_windows_levels(value: int | str | None, level: str) -> None:
    assert windows_level(value) == level


@pytest.mark.parametrize(
    ("word", "level"),
    [
        ("Nominal", "info"),
        ("Warning", "warning"),
        ("Critical", "critical"),
        ("OK", "info"),
        ("err", "error"),
        ("whatever", "info"),
    ],
)
def test_bmc_and_keyword_levels(word: str, level: str) -> None:
    assert level_from_word(word) == level


def test_rfc3164_year_and_zone() -> None:
    now = dt.datetime(2026, 11, 26, 10, 0, tzinfo=dt.UTC)
    assert parse_rfc3164_time("Nov 26 12:59:01 host x", now, MSK) == dt.datetime(2026, 11, 26, 9, 59, 1, tzinfo=dt.UTC)
    assert parse_rfc3164_time("Nov  5 00:00:00", now, dt.UTC) == dt.datetime(2026, 11, 5, tzinfo=dt.UTC)
    new_year = dt.datetime(2027, 1, 1, 0, 5, tzinfo=dt.UTC)
    assert parse_rfc3164_time("Dec 31 23:59:59", new_year, dt.UTC) == dt.datetime(
        2026, 12, 31, 23, 59, 59, tzinfo=dt.UTC
    )
    assert parse_rfc3164_time("Feb 29 10:00:00", now, dt.UTC) is None  # no leap year within one of now
    assert parse_rfc3164_time("Foo 29 10:00:00", now, dt.UTC) is None


def test_iso8601_variants() -> None:
    utc = dt.datetime(2024, 3, 1, 10, 0, 0, 123456, tzinfo=dt.UTC)
    assert parse_iso8601("2024-03-01T10:00:00.1234567Z") == utc
    assert parse_iso8601("2024-03-01T13:00:00.123456+03:00") == utc
    assert parse_iso8601("2024-03-01 13:00:00.123456+0300") == utc
    assert parse_iso8601("2024-03-01T13:00:00.123456", MSK) == utc
    assert parse_iso8601("not a time") is None
    assert parse_iso8601("2024-02-30T00:00:00Z") is None


def test_windows_time_forms() -> None:
    expected = dt.datetime(2023, 11, 14, 22, 13, 20, tzinfo=dt.UTC)
    assert parse_windows_time("/Date(1700000000000)/") == expected
    assert parse_windows_time("2023-11-14T22:13:20.0000000Z") == expected
    assert parse_windows_time(133444736000000000) == expected


def test_timezone_errors() -> None:
    assert timezone("+03:00").utcoffset(None) == dt.timedelta(hours=3)
    with pytest.raises(ValueError, match="unknown time zone 'Mars/Base'"):
        timezone("Mars/Base")


def test_resolve_asset() -> None:
    inventory = inventory_from_data(
        {
            "assets": [
                {
                    "id": "srv-db-03",
                    "kind": "host",
                    "tenant": "acme",
                    "addresses": ["10.0.3.13", "srv-db-03.corp.local"],
                },
            ]
        }
    )
    assert resolve_asset(inventory, "SRV-DB-03.other.domain") == ("srv-db-03", "acme")
    assert resolve_asset(inventory, None, "10.0.3.13") == ("srv-db-03", "acme")
    assert resolve_asset(inventory, "10.9.9.9") == ("", "default")
    assert resolve_asset(None, "srv-db-03") == ("", "default")
