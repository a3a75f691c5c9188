"""journalctl JSON entries to LogEvents: MESSAGE in all its JSON shapes, PRIORITY, time, provider, cursor."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from inframind.agent.journald import entry_event, field_text
from inframind.inventory import inventory_from_data

CURSOR = "s=3b5dd376cffd412897fd035849caa9e6;i=4;b=0123456789abcdef0123456789abcdef;m=4;t=66125e0a2efa5;x=36"


def entry(**overrides: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "__CURSOR": CURSOR,
        "__REALTIME_TIMESTAMP": "1795665170722725",
        "__MONOTONIC_TIMESTAMP": "4",
        "_BOOT_ID": "0123456789abcdef0123456789abcdef",
        "_HOSTNAME": "db-01",
        "PRIORITY": "3",
        "SYSLOG_IDENTIFIER": "postgres",
        "_COMM": "postmaster",
        "_PID": "811",
        "_SYSTEMD_UNIT": "postgresql@15-main.service",
        "MESSAGE": "could not write block 7 of base/16384/2619",
    }
    base.update(overrides)
    return {k: v for k, v in base.items() if v is not None}


def test_entry_becomes_an_event() -> None:
    event, flags = entry_event(entry(), hostname="agent-host")
    assert event.timestamp == dt.datetime(2026, 11, 26, 3, 52, 50, 722725, tzinfo=dt.UTC)
    assert (event.source, event.level, event.host, event.provider) == ("journald", "error", "db-01", "postgres")
    assert event.message == "could not write block 7 of base/16384/2619"
    assert event.record_id == CURSOR
    assert event.fields == {
        "_BOOT_ID": "0123456789abcdef0123456789abcdef",
        "_HOSTNAME": "db-01",
        "PRIORITY": "3",
        "SYSLOG_IDENTIFIER": "postgres",
        "_COMM": "postmaster",
        "_PID": "811",
        "_SYSTEMD_UNIT": "postgresql@15-main.service",
    }
    assert flags == []


def test_timestamp_keeps_every_microsecond() -> None:
    event, _ = entry_event(entry(__REALTIME_TIMESTAMP="1700000000000001"), hostname="h")
    assert event.timestamp == dt.datetime(2023, 11, 14, 22, 13, 20, 1, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("priority", "level"), [("0", "critical"), ("2", "critical"), ("4", "warning"), ("5", "notice"), ("7", "debug")]
)
def test_priority(priority: str, level: str) -> None:
    assert entry_event(entry(PRIORITY=priority), hostname="h")[0].level == level


def test_missing_priority_is_info() -> None:
    event, flags = entry_event(entry(PRIORITY=None), hostname="h")
    assert (event.level, flags) == ("info", [])


@pytest.mark.parametrize("priority", ["9", "warning", "-1"])
def test_bad_priority_is_info_and_flagged(priority: str) -> None:
    event, flags = entry_event(entry(PRIORITY=priority), hostname="h")
    assert (event.level, flags, event.fields["malformed"]) == ("info", ["malformed"], True)


def test_binary_message_in_utf8_is_decoded() -> None:
    data = list("Ошибка: диск sda\x01".encode())
    event, flags = entry_event(entry(MESSAGE=data), hostname="h")
    assert (event.message, flags) == ("Ошибка: диск sda\x01", [])


def test_binary_message_with_invalid_utf8_is_replaced() -> None:
    event, flags = entry_event(entry(MESSAGE=[98, 105, 110, 0, 255, 32, 109]), hostname="h")
    assert event.message == "bin\x00\ufffd m"
    assert flags == ["invalid_utf8_replaced"]
    assert event.fields["invalid_utf8_replaced"] is True


def test_repeated_field_is_joined() -> None:
    event, _ = entry_event(entry(MESSAGE=["first", [115, 101, 99]], TAG=["a", "b"]), hostname="h")
    assert event.message == "first\nsec"
    assert event.fields["TAG"] == "a\nb"


def test_field_text_shapes() -> None:
    assert field_text(None) == ("", False)
    assert field_text("x") == ("x", False)
    assert field_text([]) == ("", False)
    assert field_text([208, 175]) == ("Я", False)
    assert field_text(["a", [255]]) == ("a\n\ufffd", True)
    assert field_text(42) == ("42", False)


def test_provider_falls_back_to_comm_and_host_to_ours() -> None:
    event, _ = entry_event(entry(SYSLOG_IDENTIFIER=None, _HOSTNAME=None), hostname="agent-host")
    assert (event.provider, event.host) == ("postmaster", "agent-host")


def test_message_id_is_the_event_id() -> None:
    event, _ = entry_event(entry(MESSAGE_ID="fc2e22bc6ee647b6b90729ab34a250b1"), hostname="h")
    assert event.event_id == "fc2e22bc6ee647b6b90729ab34a250b1"


def test_missing_message_and_time() -> None:
    received = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    event, flags = entry_event(entry(MESSAGE=None, __REALTIME_TIMESTAMP=None), hostname="h", received=received)
    assert (event.message, event.timestamp, flags) == ("", received, ["clock_missing"])


def test_long_message_is_truncated_on_a_character() -> None:
    event, flags = entry_event(entry(MESSAGE="я" * 10), hostname="h", max_message_bytes=7)
    assert (event.message, flags) == ("яяя", ["truncated"])


def test_asset_from_inventory() -> None:
    inventory = inventory_from_data({"assets": [{"id": "db-01", "kind": "host", "tenant": "bank"}]})
    event, _ = entry_event(entry(), hostname="h", inventory=inventory)
    assert (event.asset_id, event.tenant) == ("db-01", "bank")


def test_reread_entry_has_the_same_fingerprint() -> None:
    first, _ = entry_event(entry(), hostname="h")
    again, _ = entry_event(entry(), hostname="h")
    other, _ = entry_event(entry(__CURSOR=CURSOR.replace("i=4", "i=5")), hostname="h")
    assert first.fingerprint == again.fingerprint != other.fingerprint


def test_extra_flags_are_recorded() -> None:
    event, flags = entry_event(entry(), hostname="h", flags=("cursor_lost",))
    assert flags == ["cursor_lost"] and event.fields["cursor_lost"] is True
