"""Plain values from pysnmp's types, their text forms, index decoding, sensor scaling and request timeouts."""

from __future__ import annotations

import struct

import pytest
from pyasn1.type import univ
from pysnmp.proto import rfc1902, rfc1905

from inframind.exporters.snmp.credentials import Credentials, plain
from inframind.exporters.snmp.session import request_timeout
from inframind.exporters.snmp.values import (
    COUNTER64_WRAP,
    as_number,
    as_text,
    decode_opaque,
    sensor_value,
    split_index,
)


def test_pysnmp_values_become_plain() -> None:
    assert plain(rfc1902.Integer32(-5)) == -5
    assert plain(rfc1902.Counter32(4294967295)) == 4294967295
    assert plain(rfc1902.Gauge32(10)) == 10
    assert plain(rfc1902.TimeTicks(697202257)) == 697202257
    assert plain(rfc1902.Counter64(COUNTER64_WRAP + 5)) == 5  # wrapped at 2^53 as snmp_exporter does
    assert plain(rfc1902.Counter64(COUNTER64_WRAP - 1)) == COUNTER64_WRAP - 1
    assert plain(rfc1902.OctetString(b"Gi0/1")) == b"Gi0/1"
    assert plain(rfc1902.IpAddress("10.0.0.5")) == b"\x0a\x00\x00\x05"
    assert plain(rfc1902.ObjectName("1.3.6.1.2.1.25.2.1.4")) == (1, 3, 6, 1, 2, 1, 25, 2, 1, 4)
    assert plain(rfc1902.Opaque(bytes.fromhex("9f78043eeb851f"))) == pytest.approx(0.46)
    for nothing in (univ.Null(""), rfc1905.NoSuchObject(""), rfc1905.NoSuchInstance(""), rfc1905.EndOfMibView("")):
        assert plain(nothing) is None


def test_opaque_and_numbers() -> None:
    assert decode_opaque(b"\x9f\x79\x08" + struct.pack(">d", 1.5)) == 1.5
    assert decode_opaque(b"\x01\x02") == b"\x01\x02"
    assert as_number(7) == 7.0 and as_number(0.5) == 0.5
    assert as_number(b"7") is None and as_number((1, 3)) is None


def test_text_forms() -> None:
    assert as_text(b"\x00\x16\xc7\x02\x6e", "PhysAddress48") == "00:16:C7:02:6E:00"
    assert as_text(b"\xc0\xa8\x01\x02", "IpAddress") == "192.168.1.2"
    assert as_text(b"\xff\xfe", "DisplayString") == "\ufffd\ufffd"  # invalid UTF-8 is replaced, never an error
    assert as_text(b"", "OctetString") == ""
    assert as_text((1, 3, 6, 1), "DisplayString") == "1.3.6.1"
    assert as_text(42, "DisplayString") == "42"


def test_index_decoding() -> None:
    assert split_index((7, 1, 2), "gauge") == ("7", (7,), (1, 2))
    assert split_index((3, 97, 98, 99, 9), "DisplayString") == ("abc", (3, 97, 98, 99), (9,))
    assert split_index((2, 1, 171), "OctetString") == ("0x01AB", (2, 1, 171), ())
    assert split_index((10, 0, 0), "IpAddress") == ("10.0.0.0", (10, 0, 0, 0), ())  # trimmed zeros padded back
    assert split_index((), "gauge") == ("0", (0,), ())


@pytest.mark.parametrize(
    ("raw", "scale", "precision", "expected"),
    [
        (235, 9, 1, 23.5),
        (12050, 8, 0, 12.05),
        (125, 10, 2, 1250.0),
        (3, 14, 0, 3e18),  # exa is 14 in RFC 3433, before peta
        (3, 15, 0, 3e15),
        (5, 9, -2, 500.0),
        (5, None, None, 5.0),
        (5, 99, 42, 5.0),  # out-of-range scale and precision: the value as sent
    ],
)
def test_sensor_values(raw: float, scale: int | None, precision: int | None, expected: float) -> None:
    assert sensor_value(raw, scale, precision) == expected


def test_request_timeout_is_bounded_and_rounded() -> None:
    assert request_timeout(10.0, 1) == 5.0
    assert request_timeout(9.73, 1) == 5.0
    assert request_timeout(3.1, 2) == 1.0
    assert request_timeout(0.3, 0) == 0.5
    assert request_timeout(120.0, 0) == 5.0
    seen = {request_timeout(n / 7, retries) for n in range(1, 1000) for retries in range(4)}
    assert seen <= {n / 2 for n in range(1, 11)}  # ten values at most, whatever the deadlines


def test_credentials_hide_secrets_and_pick_engines() -> None:
    v2c = Credentials("2c", community="s3cret-community")
    assert "s3cret" not in repr(v2c)
    assert v2c.engine_key == () == Credentials("1", community="other").engine_key  # one shared engine
    a = Credentials("3", username="mon", auth_protocol="SHA", auth_key="k1", security_level="authNoPriv")
    b = Credentials("3", username="mon", auth_protocol="SHA", auth_key="k2", security_level="authNoPriv")
    assert a.engine_key != b.engine_key  # same user name, other key: kept apart
    assert "k1" not in repr(a)
    data = a.auth_data()
    assert data.userName == "mon"
