"""Plain var-bind values and how they read as numbers and labels (pure; the pysnmp types stop at the session).

A value is an ``int`` (INTEGER, counters, gauges, TimeTicks), a ``float`` (an Opaque-wrapped float, as
net-snmp sends ``laLoadFloat``), ``bytes`` (OCTET STRING, IpAddress, other Opaque) or a tuple of ints (an
OBJECT IDENTIFIER). Text forms follow snmp_exporter so labels match between the two exporters.
"""

from __future__ import annotations

import struct

from inframind.exporters.snmp.oids import OidTuple, format_oid

Value = int | float | bytes | OidTuple

COUNTER64_WRAP = 2**53
"""Counter64 values wrap here, as snmp_exporter does by default: a float64 holds every integer below 2^53
exactly, and Prometheus' rate() handles the wrap like any counter reset."""

_OPAQUE_FLOAT = b"\x9f\x78\x04"
_OPAQUE_DOUBLE = b"\x9f\x79\x08"

SENSOR_EXPONENT = {1: -24, 2: -21, 3: -18, 4: -15, 5: -12, 6: -9, 7: -6, 8: -3, 9: 0, 10: 3, 11: 6, 12: 9, 13: 12}
SENSOR_EXPONENT.update({14: 18, 15: 15, 16: 21, 17: 24})
"""ENTITY-SENSOR-MIB SensorDataScale -> power of ten; RFC 3433 numbers exa(14) before peta(15)."""


def decode_opaque(raw: bytes) -> float | bytes:
    """The float inside an Opaque (net-snmp's float/double wrapping), or the bytes as they came."""
    if raw[:3] == _OPAQUE_FLOAT and len(raw) == 7:
        return float(struct.unpack(">f", raw[3:])[0])
    if raw[:3] == _OPAQUE_DOUBLE and len(raw) == 11:
        return float(struct.unpack(">d", raw[3:])[0])
    return raw


def as_number(value: Value) -> float | None:
    """The sample value of a numeric var-bind; None for strings and OIDs (no sample is made)."""
    if isinstance(value, int | float):
        return float(value)
    return None


def as_text(value: Value, kind: str) -> str:
    """A var-bind as label text, formatted as ``kind`` (DisplayString, OctetString, PhysAddress48, ...)."""
    if isinstance(value, bytes):
        return bytes_text(value, kind)
    if isinstance(value, tuple):
        return format_oid(value)
    if isinstance(value, float):
        return repr(value)
    return str(value)


def bytes_text(raw: bytes, kind: str) -> str:
    if kind == "DisplayString":
        return raw.decode("utf-8", "replace")
    if kind == "PhysAddress48":  # six octets, zero-filled as snmp_exporter shows an empty address
        return ":".join(f"{b:02X}" for b in raw.ljust(6, b"\0"))
    if kind == "IpAddress" and len(raw) == 4:
        return ".".join(str(b) for b in raw)
    return f"0x{raw.hex().upper()}" if raw else ""


def _take(arcs: OidTuple, count: int) -> tuple[OidTuple, OidTuple]:
    """The first ``count`` arcs (zero-padded when the agent trimmed trailing zeros) and the rest."""
    head = arcs[:count]
    return head + (0,) * (count - len(head)), arcs[count:]


def split_index(arcs: OidTuple, kind: str) -> tuple[str, OidTuple, OidTuple]:
    """Decode one index from the front of an instance suffix: (label text, its arcs, remaining arcs)."""
    if kind in ("DisplayString", "OctetString"):
        (length,), rest = _take(arcs, 1)
        content, rest = _take(rest, length)
        raw = bytes(a & 0xFF for a in content)
        return bytes_text(raw, kind), (length, *content), rest
    width = {"PhysAddress48": 6, "IpAddress": 4}.get(kind, 1)
    taken, rest = _take(arcs, width)
    if width == 1:
        return str(taken[0]), taken, rest
    return bytes_text(bytes(a & 0xFF for a in taken), kind), taken, rest


def sensor_value(raw: float, scale: Value | None, precision: Value | None) -> float:
    """An entPhySensorValue in base units: its SI prefix applied and its decimal digits moved.

    Divides for negative powers so ``235`` with precision 1 is exactly ``23.5``, not ``23.500000000000004``.
    """
    exponent = SENSOR_EXPONENT.get(scale, 0) if isinstance(scale, int) else 0
    digits = precision if isinstance(precision, int) and -8 <= precision <= 9 else 0
    power = exponent - digits
    return raw * float(10**power) if power >= 0 else raw / float(10 ** (-power))
