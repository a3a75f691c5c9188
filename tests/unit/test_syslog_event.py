"""Received syslog bytes to LogEvents: time zones and years, levels, hosts and assets, and every kind of bad input."""

from __future__ import annotations

import datetime as dt

import pytest

from inframind.agent.source import SourceStats
from inframind.agent.syslog.event import SyslogDecoder, Tally, cut_utf8, plain_address
from inframind.events import LogEvent
from inframind.inventory import inventory_from_data
from inframind.normalize import timezone

RECEIVED = dt.datetime(2026, 11, 26, 12, 0, 0, tzinfo=dt.UTC)
SENDER = "10.0.5.7"


def decode(
    data: bytes, decoder: SyslogDecoder | None = None, received: dt.datetime = RECEIVED
) -> tuple[LogEvent, Tally]:
    tally = Tally()
    event = (decoder or SyslogDecoder()).decode(data, SENDER, received.timestamp(), tally)
    assert event is not None
    return event, tally


def test_bsd_line_becomes_a_full_event() -> None:
    event, tally = decode(b"<34>Nov 26 11:59:58 mymachine su[230]: 'su root' failed for lonvick")
    assert event.timestamp == dt.datetime(2026, 11, 26, 11, 59, 58, tzinfo=dt.UTC)
    assert (event.source, event.level, event.host, event.provider) == ("syslog", "critical", "mymachine", "su")
    assert event.message == "'su root' failed for lonvick"
    assert event.fields == {"facility": "auth", "app": "su", "procid": "230", "sender": SENDER, "transport": "udp"}
    assert (tally.read, dict(tally.flagged), dict(tally.rejected)) == (1, {}, {})


@pytest.mark.parametrize(
    ("pri", "facility", "level"),
    [(0, "kern", "critical"), (11, "user", "error"), (28, "daemon", "warning"), (85, "authpriv", "notice"),
     (134, "local0", "info"), (191, "local7", "debug"), (164, "local4", "warning")],
)  # fmt: skip
def test_pri_gives_facility_and_level(pri: int, facility: str, level: str) -> None:
    event, _ = decode(f"<{pri}>Nov 26 11:59:58 h app: x".encode())
    assert (event.fields["facility"], event.level) == (facility, level)


def test_bsd_time_is_in_the_configured_zone() -> None:
    event, _ = decode(b"<13>Nov 26 14:59:58 h app: x", SyslogDecoder(tz=timezone("Europe/Moscow")))
    assert event.timestamp == dt.datetime(2026, 11, 26, 11, 59, 58, tzinfo=dt.UTC)


def test_december_line_received_on_new_year_is_last_year() -> None:
    received = dt.datetime(2027, 1, 1, 0, 0, 5, tzinfo=dt.UTC)
    event, tally = decode(b"<13>Dec 31 23:59:59 h app: x", received=received)
    assert event.timestamp == dt.datetime(2026, 12, 31, 23, 59, 59, tzinfo=dt.UTC)
    assert not tally.flagged


def test_cisco_milliseconds_and_utc_zone_abbreviation() -> None:
    decoder = SyslogDecoder(tz=timezone("Europe/Moscow"))
    event, _ = decode(
        b"<187>94: gw1: Nov 26 11:00:00.250 UTC: %LINK-3-UPDOWN: Interface Te0/1, changed state to down", decoder
    )
    assert event.timestamp == dt.datetime(2026, 11, 26, 11, 0, 0, 250000, tzinfo=dt.UTC)
    assert (event.event_id, event.host, event.level, event.fields["seq"]) == ("LINK-3-UPDOWN", "gw1", "error", 94)


def test_rfc5424_event_fields() -> None:
    line = b'<165>1 2026-11-26T11:59:00.5+03:00 bmc-07 ipmi 42 SEL [origin ip="10.0.100.7"] fan 3 failed'
    event, _ = decode(line)
    assert event.timestamp == dt.datetime(2026, 11, 26, 8, 59, 0, 500000, tzinfo=dt.UTC)
    assert (event.host, event.provider, event.event_id, event.message) == ("bmc-07", "ipmi", "SEL", "fan 3 failed")
    assert event.fields["msgid"] == "SEL"
    assert event.fields["procid"] == "42"
    assert event.fields["sd.origin.ip"] == "10.0.100.7"


READ_ERROR = "Ошибка чтения диска"


def test_bom_is_dropped_and_cyrillic_kept() -> None:
    event, tally = decode(f"<14>1 2026-11-26T11:59:00Z h app - - - \ufeff{READ_ERROR}".encode())
    assert event.message == READ_ERROR
    assert not tally.flagged


def test_bom_before_a_bsd_message_is_dropped() -> None:
    event, _ = decode(f"<14>Nov 26 11:59:58 h app: \ufeff{READ_ERROR}".encode())
    assert event.message == READ_ERROR


def test_host_missing_from_header_is_the_sender() -> None:
    event, _ = decode(b"<13>Nov 26 11:59:58 sshd[1]: hello")
    assert event.host == SENDER


def test_assets_resolve_by_host_name_then_sender_address() -> None:
    inventory = inventory_from_data(
        {"defaults": {"tenant": "acme"}, "assets": [
            {"id": "sw-01", "kind": "switch", "addresses": ["10.0.5.7"]},
            {"id": "srv-db-03", "kind": "host", "tenant": "bank", "addresses": ["srv-db-03.example.net"]},
        ]}
    )  # fmt: skip
    decoder = SyslogDecoder(inventory=inventory)
    by_host, _ = decode(b"<13>Nov 26 11:59:58 srv-db-03 app: x", decoder)
    by_sender, _ = decode(b"<13>Nov 26 11:59:58 unknown-name app: x", decoder)
    assert (by_host.asset_id, by_host.tenant) == ("srv-db-03", "bank")
    assert (by_sender.asset_id, by_sender.tenant, by_sender.host) == ("sw-01", "acme", "unknown-name")


# ---------------------------------------------------------------- clocks


def test_missing_time_uses_receive_time_and_flags() -> None:
    event, tally = decode(b"<13>no header here")
    assert event.timestamp == RECEIVED
    assert event.fields["clock_missing"] is True
    assert tally.flagged == {"clock_missing": 1}


def test_impossible_date_keeps_the_device_text() -> None:
    event, _ = decode(b"<13>Feb 30 10:00:00 h app: x")
    assert event.timestamp == RECEIVED
    assert event.fields["clock_missing"] is True
    assert event.fields["device_time"] == "Feb 30 10:00:00"


@pytest.mark.parametrize(
    "stamp", ["2026-11-28T12:00:00Z", "2026-11-01T12:00:00Z", "1970-01-01T00:00:00Z", "2000-01-01T00:00:00Z"]
)
def test_far_future_or_old_time_is_kept_and_flagged(stamp: str) -> None:
    event, tally = decode(f"<13>1 {stamp} h app - - - x".encode())
    assert event.timestamp == dt.datetime.fromisoformat(stamp)
    assert event.fields["clock_skew"] is True
    assert event.fields["received"] == "2026-11-26T12:00:00.000000+00:00"
    assert tally.flagged == {"clock_skew": 1}


def test_slightly_off_time_is_not_skew() -> None:
    for stamp in ("2026-11-27T11:00:00Z", "2026-11-20T12:00:00Z"):
        event, tally = decode(f"<13>1 {stamp} h app - - - x".encode())
        assert "clock_skew" not in event.fields
        assert not tally.flagged


# ---------------------------------------------------------------- bad input


@pytest.mark.parametrize("data", [b"<999>x y", b"<abc>x y", b"x y", b"<13 x y", b"<>x y", b"<1000000>x y"])
def test_bad_pri_is_kept_raw_as_notice(data: bytes) -> None:
    event, tally = decode(data)
    assert (event.level, event.message, event.fields["malformed"]) == ("notice", data.decode(), True)
    assert event.fields["facility"] == "user"
    assert tally.flagged["malformed"] == 1


@pytest.mark.parametrize("data", [b"", b"\n", b"\r\n\x00", b"   "])
def test_empty_input_is_rejected(data: bytes) -> None:
    tally = Tally()
    assert SyslogDecoder().decode(data, SENDER, RECEIVED.timestamp(), tally) is None
    assert (tally.read, dict(tally.rejected)) == (0, {"empty": 1})


def test_invalid_utf8_is_replaced_and_flagged() -> None:
    event, tally = decode(b"<13>Nov 26 11:59:58 h app: caf\xe9 \xff\xfe ok")
    assert event.message == "caf\ufffd \ufffd\ufffd ok"
    assert event.fields["invalid_utf8_replaced"] is True
    assert tally.flagged == {"invalid_utf8_replaced": 1}


def test_cp1251_cyrillic_is_replaced_not_mistaken() -> None:
    event, _ = decode(b"<13>Nov 26 11:59:58 h app: " + "ошибка".encode("cp1251"))
    assert event.message == "\ufffd" * 6
    assert event.fields["invalid_utf8_replaced"] is True


def test_long_message_is_cut_on_a_character_boundary() -> None:
    decoder = SyslogDecoder(max_message_bytes=40)
    event, tally = decode("<13>Nov 26 11:59:58 h app: жжжжжжжжжжжж".encode(), decoder)
    assert event.message == "жжжжжж"  # 27 header bytes + 13 allowed: six 2-byte letters, the 7th would be cut
    assert event.fields["truncated"] is True
    assert "invalid_utf8_replaced" not in event.fields
    assert tally.flagged == {"truncated": 1}


def test_cut_utf8() -> None:
    data = "aж€😀".encode()  # 1 + 2 + 3 + 4 bytes
    assert [cut_utf8(data, n) for n in range(11)] == [
        b"", b"a", b"a", "aж".encode(), "aж".encode(), "aж".encode(), "aж€".encode(), "aж€".encode(),
        "aж€".encode(), "aж€".encode(), data,
    ]  # fmt: skip


def test_malformed_structured_data_is_flagged() -> None:
    event, tally = decode(b'<13>1 2026-11-26T11:59:00Z h app - - [bad x="1" text')
    assert event.message == '[bad x="1" text'
    assert tally.flagged == {"malformed_sd": 1}


def test_truncation_reported_by_framing_is_flagged() -> None:
    tally = Tally()
    event = SyslogDecoder().decode(b"<13>x", SENDER, RECEIVED.timestamp(), tally, transport="tcp", truncated=True)
    assert event is not None and event.fields["truncated"] is True and event.fields["transport"] == "tcp"


def test_identical_messages_stay_separate_events() -> None:
    """Syslog has no record id: two identical lines in one second are two events, each with its own
    fingerprint (a replay of one event from the agent's buffer keeps the fingerprint it was stored with)."""
    decoder = SyslogDecoder()
    first = decoder.decode(b"<13>Nov 26 11:59:58 h app: same", SENDER, RECEIVED.timestamp(), Tally())
    again = decoder.decode(b"<13>Nov 26 11:59:58 h app: same", SENDER, RECEIVED.timestamp(), Tally())
    assert first is not None and again is not None
    assert first.fingerprint != again.fingerprint
    assert LogEvent.from_json(first.to_json()).fingerprint == first.fingerprint


def test_tally_applies_to_stats_once_and_resets() -> None:
    tally, decoder, stats = Tally(), SyslogDecoder(), SourceStats()
    for data in (b"<13>Nov 26 11:59:58 h a: x", b"bad", b"", b"<13>\xff"):
        decoder.decode(data, SENDER, RECEIVED.timestamp(), tally)
    tally.apply(stats)
    tally.apply(stats)
    snap = stats.snapshot()
    assert snap.read == 3
    assert snap.rejected == {"empty": 1}
    assert snap.flagged == {"malformed": 1, "clock_missing": 2, "invalid_utf8_replaced": 1}


@pytest.mark.parametrize(
    ("address", "plain"),
    [("10.0.5.7", "10.0.5.7"), ("::ffff:10.0.5.7", "10.0.5.7"), ("fe80::1%eth0", "fe80::1"),
     ("2001:DB8::1", "2001:db8::1"), ("not-an-ip", "not-an-ip")],
)  # fmt: skip
def test_plain_address(address: str, plain: str) -> None:
    assert plain_address(address) == plain
