"""SNMP notifications to LogEvents: names, levels, message and fields. Pure: no sockets, clock or files.

The receiver (:mod:`inframind.agent.traps`) hands over what it saw: the sender, the SNMP version, the
receive time and the varbinds in SNMPv2 form (pysnmp turns SNMPv1 traps into that form per RFC 3584).
Devices send numeric OIDs and the agent ships no MIBs, so OIDs stay numeric; a small table names the
handful every operator knows, so a linkDown reads as one without a MIB compiler.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Literal

from pyasn1.type import univ  # type: ignore[import-untyped, unused-ignore]
from pysnmp.proto import rfc1902  # type: ignore[import-untyped, unused-ignore]

from inframind.events import Level, LogEvent
from inframind.inventory import Asset
from inframind.secrets import REDACTED

Version = Literal["v1", "v2c", "v3"]
VERSIONS: tuple[Version, ...] = ("v1", "v2c", "v3")

SYS_UPTIME = "1.3.6.1.2.1.1.3.0"
SNMP_TRAP_OID = "1.3.6.1.6.3.1.1.4.1.0"
SNMP_TRAP_ENTERPRISE = "1.3.6.1.6.3.1.1.4.3.0"
SNMP_TRAP_ADDRESS = "1.3.6.1.6.3.18.1.3.0"
SNMP_TRAP_COMMUNITY = "1.3.6.1.6.3.18.1.4.0"
ENVELOPE = frozenset({SYS_UPTIME, SNMP_TRAP_OID, SNMP_TRAP_ENTERPRISE, SNMP_TRAP_ADDRESS, SNMP_TRAP_COMMUNITY})
"""Varbinds that say how the trap travelled rather than what happened: kept in fields, left out of messages."""

OBJECT_NAMES: Mapping[str, str] = {
    "1.3.6.1.2.1.1.1": "sysDescr",
    "1.3.6.1.2.1.1.2": "sysObjectID",
    "1.3.6.1.2.1.1.3": "sysUpTime",
    "1.3.6.1.2.1.1.5": "sysName",
    "1.3.6.1.2.1.1.6": "sysLocation",
    "1.3.6.1.2.1.2.2.1.1": "ifIndex",
    "1.3.6.1.2.1.2.2.1.2": "ifDescr",
    "1.3.6.1.2.1.2.2.1.3": "ifType",
    "1.3.6.1.2.1.2.2.1.7": "ifAdminStatus",
    "1.3.6.1.2.1.2.2.1.8": "ifOperStatus",
    "1.3.6.1.2.1.31.1.1.1.1": "ifName",
    "1.3.6.1.2.1.31.1.1.1.18": "ifAlias",
    "1.3.6.1.6.3.1.1.4.1": "snmpTrapOID",
    "1.3.6.1.6.3.1.1.4.3": "snmpTrapEnterprise",
    "1.3.6.1.6.3.18.1.3": "snmpTrapAddress",
    "1.3.6.1.6.3.18.1.4": "snmpTrapCommunity",
}
"""Well-known objects (without instance suffix) from SNMPv2-MIB, IF-MIB and SNMP-COMMUNITY-MIB."""

STANDARD_TRAPS: Mapping[str, tuple[str, Level]] = {
    "1.3.6.1.6.3.1.1.5.1": ("coldStart", "notice"),
    "1.3.6.1.6.3.1.1.5.2": ("warmStart", "notice"),
    "1.3.6.1.6.3.1.1.5.3": ("linkDown", "warning"),
    "1.3.6.1.6.3.1.1.5.4": ("linkUp", "info"),
    "1.3.6.1.6.3.1.1.5.5": ("authenticationFailure", "warning"),
    "1.3.6.1.6.3.1.1.5.6": ("egpNeighborLoss", "warning"),
}
"""The generic traps of RFC 1215 / SNMPv2-MIB: name and level. A restart is notable, not broken (notice)."""

OTHER = "other"
TRAP_LABELS: tuple[str, ...] = (*(name for name, _ in STANDARD_TRAPS.values()), OTHER)
"""Every value the ``trap`` metric label can take: bounded, whatever devices send."""

DEFAULT_LEVEL: Level = "warning"
"""The level of a trap no table or override classifies.

A device sends a trap unasked because its firmware judged something worth telling; routine state is
polled, not trapped. Filing an unknown trap as info would hide it below the warning level that log
rules and dashboards filter on; filing it as error would page people for every chatty vendor
notification. Warning keeps it in sight without alarming anyone until its prefix gets a level of its own.
"""

MAX_VALUE_IN_MESSAGE = 200
"""Characters of one value shown in the message; fields keep the whole value."""


class MalformedTrap(ValueError):
    """A notification without snmpTrapOID.0 (RFC 3416 4.2.6 makes it the second varbind of every trap)."""


@dataclass(frozen=True)
class Trap:
    """One accepted notification, decoded: varbinds as (numeric OID, value as text) in arrival order."""

    version: Version
    sender: str
    received: dt.datetime
    varbinds: tuple[tuple[str, str], ...]


def oid_text(oid: object) -> str:
    """Dotted numeric form of a pysnmp OID, a tuple of ints or a string (a leading dot is dropped)."""
    if isinstance(oid, tuple):
        return ".".join(str(int(part)) for part in oid)
    if isinstance(oid, univ.ObjectIdentifier):
        return ".".join(str(part) for part in oid.asTuple())
    return str(oid).lstrip(".")


def octets_text(raw: bytes) -> str:
    """UTF-8 text when the bytes are printable text (one trailing NUL of C strings forgiven), else 0x-hex."""
    try:
        text = raw.rstrip(b"\x00").decode("utf-8")
    except UnicodeDecodeError:
        return "0x" + raw.hex()
    if all(ch.isprintable() or ch in "\t\r\n" for ch in text):
        return text
    return "0x" + raw.hex()


def render_value(value: object) -> str:
    """A varbind value as text: numbers in decimal, OIDs dotted, IP addresses dotted-quad, octets per octets_text.

    Takes pysnmp/pyasn1 values as they arrive and plain Python values (str, bytes, int, OID tuples) alike.
    """
    if isinstance(value, univ.OctetString):
        raw = bytes(value.asOctets())
        if value.tagSet == rfc1902.IpAddress.tagSet and len(raw) == 4:
            return ".".join(str(b) for b in raw)
        if value.tagSet == rfc1902.Opaque.tagSet or isinstance(value, rfc1902.Bits):
            return "0x" + raw.hex()  # BER-wrapped data and bit strings are never text
        return octets_text(raw)
    if isinstance(value, univ.ObjectIdentifier):
        return oid_text(value)
    if isinstance(value, univ.Integer):
        return str(int(value))
    if isinstance(value, univ.Null):
        return ""  # also noSuchObject, noSuchInstance, endOfMibView: there is no value to show
    if isinstance(value, bytes):
        return octets_text(value)
    if isinstance(value, bool):
        return str(int(value))
    if isinstance(value, tuple):
        return oid_text(value)
    return str(value)


def render_varbinds(varbinds: Iterable[tuple[object, object]]) -> tuple[tuple[str, str], ...]:
    return tuple((oid_text(oid), render_value(value)) for oid, value in varbinds)


def object_name(oid: str) -> str | None:
    """The well-known name of ``oid`` or of the object it is an instance of (``ifIndex`` for ...2.2.1.1.3)."""
    parts = oid.split(".")
    for end in range(len(parts), 0, -1):
        name = OBJECT_NAMES.get(".".join(parts[:end]))
        if name is not None:
            return name
    return None


def trap_label(trap_oid: str) -> str:
    """The metric label for a trap: a generic trap's name, else ``other`` (enterprise OIDs are unbounded)."""
    known = STANDARD_TRAPS.get(trap_oid)
    return known[0] if known else OTHER


def trap_level(trap_oid: str, overrides: Mapping[str, Level] | None = None) -> Level:
    """The level of a trap: the longest matching override prefix, else the generic table, else DEFAULT_LEVEL."""
    if overrides:
        best = max((p for p in overrides if oid_within(trap_oid, p)), key=len, default=None)
        if best is not None:
            return overrides[best]
    known = STANDARD_TRAPS.get(trap_oid)
    return known[1] if known else DEFAULT_LEVEL


def oid_within(oid: str, prefix: str) -> bool:
    prefix = prefix.strip(".")
    return oid == prefix or oid.startswith(prefix + ".")


def enterprise_of(trap_oid: str, varbinds: Mapping[str, str]) -> str:
    """Who defines the trap: snmpTrapEnterprise.0 if sent, "SNMPv2-MIB" for generic traps, else per RFC 3584 3.2.

    RFC 3584 turns an SNMPv2 trap OID back into an SNMPv1 enterprise by dropping the last sub-identifier,
    and the ``.0`` before it when present (``enterprise.0.specific``).
    """
    sent = varbinds.get(SNMP_TRAP_ENTERPRISE)
    if sent:
        return sent
    if trap_oid in STANDARD_TRAPS:
        return "SNMPv2-MIB"
    parts = trap_oid.split(".")
    if len(parts) > 2 and parts[-2] == "0":
        return ".".join(parts[:-2])
    return ".".join(parts[:-1]) or trap_oid


def sender_host(address: str) -> str:
    """The sender as inventories list it: IPv4-mapped IPv6 (from dual-stack sockets) back to plain IPv4."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return address
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return str(ip.ipv4_mapped)
    return address


def _show(value: str) -> str:
    if len(value) > MAX_VALUE_IN_MESSAGE:
        value = value[:MAX_VALUE_IN_MESSAGE] + "…"
    if not value or any(ch.isspace() or ch in '="' for ch in value):
        return json.dumps(value, ensure_ascii=False)
    return value


def message_of(trap_oid: str, sender: str, varbinds: Iterable[tuple[str, str]]) -> str:
    """``linkDown from 10.0.0.5: ifIndex=3 ifAdminStatus=1 ifOperStatus=2``: the payload, named where known."""
    head = f"{trap_label(trap_oid) if trap_oid in STANDARD_TRAPS else trap_oid} from {sender}"
    parts = [f"{object_name(oid) or oid}={_show(value)}" for oid, value in varbinds if oid not in ENVELOPE]
    return f"{head}: {' '.join(parts)}" if parts else head


def to_event(trap: Trap, asset: Asset | None = None, levels: Mapping[str, Level] | None = None) -> LogEvent:
    """The LogEvent for one trap; raises MalformedTrap when it names no trap OID.

    ``channel`` carries the SNMP version; the community a v1 trap arrived with (which pysnmp adds as
    snmpTrapCommunity.0) is a secret and is kept only as ``<redacted>``.
    """
    fields = {oid: (REDACTED if oid == SNMP_TRAP_COMMUNITY else value) for oid, value in trap.varbinds}
    trap_oid = fields.get(SNMP_TRAP_OID, "")
    if not trap_oid:
        raise MalformedTrap(f"trap from {trap.sender} has no snmpTrapOID.0 varbind")
    return LogEvent(
        timestamp=trap.received,
        source="snmp_trap",
        level=trap_level(trap_oid, levels),
        message=message_of(trap_oid, trap.sender, trap.varbinds),
        host=trap.sender,
        asset_id=asset.id if asset else "",
        tenant=(asset.tenant if asset and asset.tenant else "default"),
        event_id=trap_oid,
        provider=enterprise_of(trap_oid, fields),
        channel=trap.version,
        fields=fields,
    )
