"""One received syslog message (bytes, sender, receive time) to a LogEvent: time, level, host, asset, flags.

Pure apart from two small caches (header times, assets), so the receiver's hot loop does a dict lookup
instead of a date parse for the many messages that share a second. Bad input never raises:

- no or an invalid PRI: kept whole as the message, level ``notice`` (RFC 3164 4.3.3 has relays assume
  ``user.notice``) and flagged ``malformed``; empty input is the one thing rejected (``empty``);
- invalid UTF-8: decoded with U+FFFD replacement and flagged ``invalid_utf8_replaced``;
- over ``max_message_bytes``: cut at a character boundary and flagged ``truncated``;
- no or an unparseable header time: the receive time, flagged ``clock_missing``; a time more than a day
  ahead of the receive time or older than ``max_age``: kept, flagged ``clock_skew``, with ``received``;
- structured data that does not parse: left in the message, flagged ``malformed_sd``.

Each flag is a boolean field of the event (``fields.truncated``) and a count in the :class:`Tally`.
"""

from __future__ import annotations

import datetime as dt
import functools
import ipaddress
import itertools
import uuid
from collections import Counter
from dataclasses import dataclass, field

from inframind.agent.source import SourceStats
from inframind.agent.syslog.header import BSD_STAMP, ISO_STAMP, Header
from inframind.agent.syslog.parse import FACILITIES, parse_header, split_pri
from inframind.events import FieldValue, Level, LogEvent
from inframind.inventory import Inventory
from inframind.normalize import parse_iso8601, parse_rfc3164_time, resolve_asset, syslog_level

LEVELS: tuple[Level, ...] = tuple(syslog_level(s) for s in range(8))
UTC_ZONES = frozenset({"UTC", "GMT", "UT", "Z"})
_STRIP = b"\r\n\x00 \t"


@dataclass
class Tally:
    """Counts of one batch, added to the source's :class:`SourceStats` under one lock per batch."""

    read: int = 0
    flagged: Counter[str] = field(default_factory=Counter)
    rejected: Counter[str] = field(default_factory=Counter)

    def apply(self, stats: SourceStats) -> None:
        if self.read:
            stats.add_read(self.read)
        for reason, n in self.flagged.items():
            stats.flag(reason, n)
        for reason, n in self.rejected.items():
            stats.reject(reason, n)
        self.read = 0
        self.flagged.clear()
        self.rejected.clear()


def cut_utf8(data: bytes, limit: int) -> bytes:
    """``data[:limit]``, moved back so that no UTF-8 character is split (a cut must not look like bad input)."""
    if len(data) <= limit:
        return data
    end = limit
    while end > max(limit - 3, 0) and (data[end] & 0xC0) == 0x80:  # data[end] continues a character
        end -= 1
    return data[:end]


@functools.lru_cache(maxsize=4096)
def plain_address(address: str) -> str:
    """A sender address as inventories list it: an IPv4-mapped IPv6 address (a dual-stack socket's view
    of an IPv4 sender) back to IPv4, a link-local scope dropped."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return address
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return str(ip.ipv4_mapped)
    return str(ip)


class SyslogDecoder:
    """Maps received messages to LogEvents; one per listener thread (the caches are not locked)."""

    def __init__(
        self,
        *,
        tz: dt.tzinfo = dt.UTC,
        inventory: Inventory | None = None,
        max_message_bytes: int = 1 << 20,
        max_future: dt.timedelta = dt.timedelta(days=1),
        max_age: dt.timedelta = dt.timedelta(days=7),
    ) -> None:
        self.tz = tz
        self.inventory = inventory
        self.max_message_bytes = max_message_bytes
        self.max_future = max_future
        self.max_age = max_age
        self._times: dict[tuple[str, str], dt.datetime | None] = {}
        self._times_minute = 0
        self._assets: dict[tuple[str, str], tuple[str, str]] = {}
        # Syslog carries no record id: each received message gets one, so two identical lines from one host
        # within a second stay two events (a replay from the agent's buffer keeps its stored fingerprint).
        self._instance = uuid.uuid4().hex[:12]
        self._seq = itertools.count(1)

    def decode(
        self,
        data: bytes,
        sender: str,
        received: float,
        tally: Tally,
        *,
        transport: str = "udp",
        peer: str = "",
        truncated: bool = False,
    ) -> LogEvent | None:
        """The event for one message, or None when it is rejected (counted in ``tally``). ``peer`` is the
        sender's verified TLS name; ``truncated`` says the framing already cut the message."""
        data = data.rstrip(_STRIP)
        if not data:
            tally.rejected["empty"] += 1
            return None
        flags: list[str] = ["truncated"] if truncated else []
        text = self._text(data, flags)
        now = dt.datetime.fromtimestamp(received, dt.UTC)
        fields: dict[str, FieldValue] = {}
        split = split_pri(text)
        if split is None:
            header = Header(message=text)
            level: Level = "notice"
            fields["facility"] = "user"
            flags.append("malformed")
        else:
            header = parse_header(split[1])
            level = LEVELS[split[0] & 7]
            fields["facility"] = FACILITIES[split[0] >> 3]
            if header.malformed_sd:
                flags.append("malformed_sd")
        stamp = self._stamp(header, now, fields, flags)
        if header.app:
            fields["app"] = header.app
        if header.procid:
            fields["procid"] = header.procid
        if header.msgid:
            fields["msgid"] = header.msgid
        fields["sender"] = sender
        fields["transport"] = transport
        if peer:
            fields["tls_peer"] = peer
        if header.extra:
            fields.update(header.extra)
        for flag in flags:
            fields[flag] = True
            tally.flagged[flag] += 1
        tally.read += 1
        asset_id, tenant = self._asset(header.host, sender)
        message = header.message
        return LogEvent(
            timestamp=stamp,
            source="syslog",
            level=level,
            message=message[1:] if message.startswith("\ufeff") else message,
            host=header.host or sender,
            asset_id=asset_id,
            tenant=tenant,
            event_id=header.event_id,
            provider=header.app or None,
            record_id=f"{self._instance}:{next(self._seq)}",
            fields=fields,
        )

    def _text(self, data: bytes, flags: list[str]) -> str:
        if len(data) > self.max_message_bytes:
            data = cut_utf8(data, self.max_message_bytes)
            flags.append("truncated")
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            flags.append("invalid_utf8_replaced")
            return data.decode("utf-8", errors="replace")

    def _stamp(self, header: Header, now: dt.datetime, fields: dict[str, FieldValue], flags: list[str]) -> dt.datetime:
        stamp = self._header_time(header, now)
        if stamp is None:
            if header.stamp:
                fields["device_time"] = header.stamp
            flags.append("clock_missing")
            return now
        if stamp - now > self.max_future or now - stamp > self.max_age:
            fields["received"] = now.isoformat(timespec="microseconds")
            flags.append("clock_skew")
        return stamp

    def _asset(self, host: str, sender: str) -> tuple[str, str]:
        key = (host, sender)
        resolved = self._assets.get(key)
        if resolved is None:
            resolved = resolve_asset(self.inventory, host, sender)
            if len(self._assets) > 4096:
                self._assets.clear()
            self._assets[key] = resolved
        return resolved

    def _header_time(self, header: Header, now: dt.datetime) -> dt.datetime | None:
        """The header time in UTC (None if absent or not a date), cached by its text for a minute: the
        cache must not outlive the ``now`` that chose an RFC 3164 stamp's year."""
        if not header.stamp:
            return None
        minute = int(now.timestamp()) // 60
        if minute != self._times_minute or len(self._times) > 4096:
            self._times.clear()
            self._times_minute = minute
        key = (header.stamp, header.zone)
        if key in self._times:
            stamp = self._times[key]
        else:
            zone = dt.UTC if header.zone in UTC_ZONES else self.tz
            if header.stamp_kind == BSD_STAMP:
                stamp = parse_rfc3164_time(header.stamp, now, zone)
            elif header.stamp_kind == ISO_STAMP:
                stamp = parse_iso8601(header.stamp, zone)
            else:
                stamp = None
            self._times[key] = stamp
        if stamp is not None and header.frac:
            stamp = stamp.replace(microsecond=int(header.frac[:6].ljust(6, "0")))
        return stamp
