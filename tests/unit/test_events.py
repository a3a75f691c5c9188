"""LogEvent: UTC timestamps, JSON round trip, and a fingerprint stable across processes."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys

import pytest

from inframind.events import LogEvent

MSK = dt.timezone(dt.timedelta(hours=3))


def event(**kw: object) -> LogEvent:
    base: dict[str, object] = {
        "timestamp": dt.datetime(2026, 11, 26, 5, 0, 0, tzinfo=MSK),
        "source": "eventlog",
        "level": "error",
        "message": "Диск \\Device\\Harddisk2 имеет поврежденный блок.",
        "host": "WIN-01",
        "asset_id": "win-01",
        "event_id": "7",
        "provider": "disk",
        "channel": "System",
        "record_id": "48213",
        "fields": {"Data": "x", "count": 3},
    }
    base.update(kw)
    return LogEvent(**base)  # type: ignore[arg-type]


def test_timestamp_is_normalized_to_utc() -> None:
    assert event().timestamp == dt.datetime(2026, 11, 26, 2, 0, tzinfo=dt.UTC)
    assert event().timestamp.tzinfo == dt.UTC


def test_naive_timestamp_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        event(timestamp=dt.datetime(2026, 1, 1))


@pytest.mark.parametrize(("field", "value"), [("source", "carrier-pigeon"), ("level", "fatal")])
def test_unknown_source_or_level_is_refused(field: str, value: str) -> None:
    with pytest.raises(ValueError, match=f"unknown {field}"):
        event(**{field: value})


def test_json_round_trip_keeps_unicode_and_fields() -> None:
    original = event()
    text = original.to_json()
    assert "поврежденный" in text  # not \u-escaped: readable in stores and logs
    assert LogEvent.from_json(text) == original


def test_fingerprint_is_stable_and_content_derived() -> None:
    a, b = event(), event()
    assert a.fingerprint == b.fingerprint and len(a.fingerprint) == 32
    assert event(record_id="48214").fingerprint != a.fingerprint
    # Without a record id the message identifies the event.
    assert event(record_id=None).fingerprint != event(record_id=None, message="other").fingerprint
    # Same instant written in another zone is the same event.
    utc = event(timestamp=dt.datetime(2026, 11, 26, 2, 0, tzinfo=dt.UTC))
    assert utc.fingerprint == a.fingerprint


def test_fingerprint_is_the_same_in_another_process() -> None:
    code = (
        "import datetime as dt; from inframind.events import LogEvent; "
        "print(LogEvent(timestamp=dt.datetime(2026,1,1,tzinfo=dt.UTC), source='syslog', level='info', "
        "message='link down', host='sw1').fingerprint)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env={"PYTHONHASHSEED": "123"}
    )
    here = LogEvent(
        timestamp=dt.datetime(2026, 1, 1, tzinfo=dt.UTC), source="syslog", level="info", message="link down", host="sw1"
    )
    assert out.stdout.strip() == here.fingerprint
