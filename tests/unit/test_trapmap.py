"""Traps to LogEvents: pure mapping on pysnmp values (as the receiver gets them) and plain tuples."""

from __future__ import annotations

import datetime as dt

import pytest
from pysnmp.proto import rfc1902  # type: ignore[import-untyped, unused-ignore]

from inframind.agent.trapmap import (
    DEFAULT_LEVEL,
    MAX_VALUE_IN_MESSAGE,
    SNMP_TRAP_COMMUNITY,
    TRAP_LABELS,
    MalformedTrap,
    Trap,
    enterprise_of,
    object_name,
    render_value,
    render_varbinds,
    sender_host,
    to_event,
    trap_label,
    trap_level,
)
from inframind.events import LogEvent
from inframind.inventory import inventory_from_data

RECEIVED = dt.datetime(2026, 3, 1, 12, 0, 0, 123456, tzinfo=dt.UTC)
LINK_DOWN = "1.3.6.1.6.3.1.1.5.3"


def pysnmp_link_down() -> list[tuple[object, object]]:
    """The varbinds pysnmp hands a notification callback for a v2c linkDown."""
    return [
        (rfc1902.ObjectName("1.3.6.1.2.1.1.3.0"), rfc1902.TimeTicks(123456)),
        (rfc1902.ObjectName("1.3.6.1.6.3.1.1.4.1.0"), rfc1902.ObjectIdentifier(LINK_DOWN)),
        (rfc1902.ObjectName("1.3.6.1.2.1.2.2.1.1.3"), rfc1902.Integer(3)),
        (rfc1902.ObjectName("1.3.6.1.2.1.2.2.1.7.3"), rfc1902.Integer(1)),
        (rfc1902.ObjectName("1.3.6.1.2.1.2.2.1.8.3"), rfc1902.Integer(2)),
    ]


def trap(varbinds: list[tuple[object, object]], version: str = "v2c", sender: str = "10.0.0.5") -> Trap:
    return Trap(version, sender, RECEIVED, render_varbinds(varbinds))  # type: ignore[arg-type]


def test_link_down_maps_to_a_readable_warning() -> None:
    event = to_event(trap(pysnmp_link_down()))
    assert event.message == "linkDown from 10.0.0.5: ifIndex=3 ifAdminStatus=1 ifOperStatus=2"
    assert event.level == "warning"
    assert event.source == "snmp_trap"
    assert event.timestamp == RECEIVED
    assert (event.host, event.asset_id, event.tenant) == ("10.0.0.5", "", "default")
    assert (event.event_id, event.provider, event.channel) == (LINK_DOWN, "SNMPv2-MIB", "v2c")
    assert event.fields == {
        "1.3.6.1.2.1.1.3.0": "123456",
        "1.3.6.1.6.3.1.1.4.1.0": LINK_DOWN,
        "1.3.6.1.2.1.2.2.1.1.3": "3",
        "1.3.6.1.2.1.2.2.1.7.3": "1",
        "1.3.6.1.2.1.2.2.1.8.3": "2",
    }


def test_plain_tuples_map_like_pysnmp_values() -> None:
    plain: list[tuple[object, object]] = [
        ((1, 3, 6, 1, 2, 1, 1, 3, 0), 123456),
        (".1.3.6.1.6.3.1.1.4.1.0", (1, 3, 6, 1, 6, 3, 1, 1, 5, 3)),
        ("1.3.6.1.2.1.2.2.1.1.3", 3),
        ("1.3.6.1.2.1.2.2.1.7.3", 1),
        ("1.3.6.1.2.1.2.2.1.8.3", 2),
    ]
    assert to_event(trap(plain)) == to_event(trap(pysnmp_link_down()))


@pytest.mark.parametrize(
    ("oid", "label", "level"),
    [
        ("1.3.6.1.6.3.1.1.5.1", "coldStart", "notice"),
        ("1.3.6.1.6.3.1.1.5.2", "warmStart", "notice"),
        ("1.3.6.1.6.3.1.1.5.3", "linkDown", "warning"),
        ("1.3.6.1.6.3.1.1.5.4", "linkUp", "info"),
        ("1.3.6.1.6.3.1.1.5.5", "authenticationFailure", "warning"),
        ("1.3.6.1.4.1.9.9.41.2.0.1", "other", DEFAULT_LEVEL),
        ("1.3.6.1.6.3.1.1.5.30", "other", DEFAULT_LEVEL),
    ],
)
def test_generic_traps_have_names_and_levels(oid: str, label: str, level: str) -> None:
    assert trap_label(oid) == label
    assert label in TRAP_LABELS
    assert trap_level(oid) == level


def test_enterprise_prefix_overrides_pick_the_longest_match() -> None:
    overrides = {"1.3.6.1.4.1.9": "notice", "1.3.6.1.4.1.9.9.41": "error", "1.3.6.1.6.3.1.1.5.4": "notice"}
    assert trap_level("1.3.6.1.4.1.9.9.41.2.0.1", overrides) == "error"  # type: ignore[arg-type]
    assert trap_level("1.3.6.1.4.1.9.9.43.2.0.1", overrides) == "notice"  # type: ignore[arg-type]
    assert trap_level("1.3.6.1.4.1.99.1", overrides) == DEFAULT_LEVEL  # type: ignore[arg-type]  # 99 is not 9
    assert trap_level("1.3.6.1.6.3.1.1.5.4", overrides) == "notice"  # type: ignore[arg-type]


def test_cyrillic_octet_string_arrives_intact() -> None:
    alias = "Аплинк к ядру: порт 5"
    varbinds = [
        *pysnmp_link_down()[:2],
        (rfc1902.ObjectName("1.3.6.1.2.1.31.1.1.1.18.5"), rfc1902.OctetString(alias.encode("utf-8"))),
    ]
    event = to_event(trap(varbinds))
    assert event.fields["1.3.6.1.2.1.31.1.1.1.18.5"] == alias
    assert event.message == f'linkDown from 10.0.0.5: ifAlias="{alias}"'
    again = LogEvent.from_json(event.to_json())
    assert again == event
    assert alias in event.to_json()  # UTF-8 in the spool, not \u escapes


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (rfc1902.OctetString(b"eth0\x00"), "eth0"),
        (rfc1902.OctetString(b"\x00\x1a\x2b\x3c\x4d\x5e"), "0x001a2b3c4d5e"),
        (rfc1902.OctetString(b"\xff\xfe"), "0xfffe"),
        (rfc1902.OctetString(b""), ""),
        (rfc1902.IpAddress("192.0.2.7"), "192.0.2.7"),
        (rfc1902.Counter64(2**64 - 1), "18446744073709551615"),
        (rfc1902.Gauge32(7), "7"),
        (rfc1902.Opaque(b"ab"), "0x6162"),
        (rfc1902.ObjectIdentifier("1.3.6.1.4.1.8072"), "1.3.6.1.4.1.8072"),
        (b"line one\nline two", "line one\nline two"),
        ("already text", "already text"),
    ],
)
def test_values_render_as_text(value: object, text: str) -> None:
    assert render_value(value) == text


def test_v1_trap_names_its_enterprise_and_redacts_the_community() -> None:
    """pysnmp's RFC 3584 conversion of a v1 linkDown: the enterprise and the community arrive as varbinds."""
    varbinds: list[tuple[object, object]] = [
        ("1.3.6.1.2.1.1.3.0", rfc1902.TimeTicks(5)),
        ("1.3.6.1.6.3.1.1.4.1.0", rfc1902.ObjectIdentifier(LINK_DOWN)),
        ("1.3.6.1.6.3.18.1.3.0", rfc1902.IpAddress("192.0.2.2")),
        (SNMP_TRAP_COMMUNITY, rfc1902.OctetString(b"s3cret-community")),
        ("1.3.6.1.6.3.1.1.4.3.0", rfc1902.ObjectIdentifier("1.3.6.1.4.1.8072.2.3")),
        ("1.3.6.1.2.1.2.2.1.1.3", rfc1902.Integer32(3)),
    ]
    event = to_event(trap(varbinds, version="v1"))
    assert event.provider == "1.3.6.1.4.1.8072.2.3"
    assert event.fields[SNMP_TRAP_COMMUNITY] == "<redacted>"
    assert "s3cret" not in event.to_json()
    assert event.message == "linkDown from 10.0.0.5: ifIndex=3"
    assert event.channel == "v1"


@pytest.mark.parametrize(
    ("trap_oid", "enterprise"),
    [
        ("1.3.6.1.4.1.9.9.41.2.0.1", "1.3.6.1.4.1.9.9.41.2"),  # SMIv1-style enterprise.0.specific
        ("1.3.6.1.4.1.8072.4.1", "1.3.6.1.4.1.8072.4"),  # SMIv2 NOTIFICATION-TYPE
        ("1.3.6.1.6.3.1.1.5.4", "SNMPv2-MIB"),
    ],
)
def test_enterprise_follows_rfc3584(trap_oid: str, enterprise: str) -> None:
    assert enterprise_of(trap_oid, {}) == enterprise


def test_unknown_trap_keeps_numeric_names_and_quotes_values() -> None:
    varbinds: list[tuple[object, object]] = [
        ("1.3.6.1.6.3.1.1.4.1.0", "1.3.6.1.4.1.8072.2.3.0.1"),
        ("1.3.6.1.4.1.8072.2.3.2.1", "disk sdb failed"),
        ("1.3.6.1.2.1.1.5.0", "srv-db-03"),
        ("1.3.6.1.4.1.8072.2.3.2.2", "x" * (MAX_VALUE_IN_MESSAGE + 50)),
    ]
    event = to_event(trap(varbinds))
    assert event.message.startswith(
        '1.3.6.1.4.1.8072.2.3.0.1 from 10.0.0.5: 1.3.6.1.4.1.8072.2.3.2.1="disk sdb failed" sysName=srv-db-03 '
    )
    assert event.message.endswith("x" * MAX_VALUE_IN_MESSAGE + "…")
    assert event.fields["1.3.6.1.4.1.8072.2.3.2.2"] == "x" * (MAX_VALUE_IN_MESSAGE + 50)
    assert (event.level, event.provider) == (DEFAULT_LEVEL, "1.3.6.1.4.1.8072.2.3")


def test_trap_without_trap_oid_is_malformed() -> None:
    with pytest.raises(MalformedTrap, match=r"10\.0\.0\.5"):
        to_event(trap([("1.3.6.1.2.1.1.3.0", 5), ("1.3.6.1.2.1.2.2.1.1.3", 3)]))


def test_inventory_asset_gives_asset_id_and_tenant() -> None:
    inventory = inventory_from_data(
        {"defaults": {"tenant": "acme"}, "assets": [{"id": "sw-core-1", "kind": "switch", "addresses": ["10.0.0.5"]}]}
    )
    event = to_event(trap(pysnmp_link_down()), inventory.by_address("10.0.0.5"))
    assert (event.asset_id, event.tenant, event.host) == ("sw-core-1", "acme", "10.0.0.5")


def test_names_cover_instances_and_sender_is_normalized() -> None:
    assert object_name("1.3.6.1.2.1.2.2.1.2.17") == "ifDescr"
    assert object_name("1.3.6.1.2.1.2.2.1.20.1") is None  # ifOutErrors: not in the small table
    assert object_name("1.3.6.1.2.1.1.3.0") == "sysUpTime"
    assert sender_host("::ffff:10.0.0.5") == "10.0.0.5"
    assert sender_host("2001:db8::1") == "2001:db8::1"
    assert sender_host("10.0.0.5") == "10.0.0.5"
