"""Normalization every log source shares: severities to one scale, timestamps to UTC, hosts to assets.

Pure functions (the clock and the time zone are arguments), so every source maps the same way and the
mapping is tested once. Levels are LogEvent's: debug, info, notice, warning, error, critical.
"""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from inframind.events import Level
from inframind.inventory import Inventory

_SYSLOG: tuple[Level, ...] = ("critical", "critical", "critical", "error", "warning", "notice", "info", "debug")
"""RFC 5424 severities 0-7 (emerg, alert, crit, err, warning, notice, info, debug); the three most urgent
collapse to critical, since nothing downstream treats them differently."""

_WINDOWS: dict[int, Level] = {0: "info", 1: "critical", 2: "error", 3: "warning", 4: "info", 5: "debug"}
"""Windows event Level: 0 LogAlways, 1 Critical, 2 Error, 3 Warning, 4 Information, 5 Verbose."""

_WORDS: dict[str, Level] = {
    # Windows LevelDisplayName and common spellings
    "critical": "critical", "error": "error", "warning": "warning", "information": "info", "verbose": "debug",
    # syslog keywords
    "emerg": "critical", "emergency": "critical", "panic": "critical", "alert": "critical", "crit": "critical",
    "err": "error", "warn": "warning", "notice": "notice", "info": "info", "debug": "debug",
    # BMCs: IPMI SEL event states, Redfish Severity/Health
    "nominal": "info", "ok": "info", "fatal": "critical",
}  # fmt: skip


def syslog_level(severity: int) -> Level:
    """RFC 3164/5424 severity (the PRI value modulo 8)."""
    if not 0 <= severity <= 7:
        raise ValueError(f"syslog severity must be 0-7, got {severity}")
    return _SYSLOG[severity]


def journald_level(priority: int | str | None) -> Level:
    """journald PRIORITY uses syslog's numbers; a missing priority is info (journald's own default)."""
    if priority is None or priority == "":
        return "info"
    return syslog_level(int(priority))


def windows_level(level: int | str | None) -> Level:
    """Windows ``Level`` number (or its display name, which is localized only in the UI we never read)."""
    if level is None or level == "":
        return "info"
    if isinstance(level, int) or str(level).isdigit():
        return _WINDOWS.get(int(level), "info")
    return level_from_word(str(level))


def level_from_word(word: str, default: Level = "info") -> Level:
    """A level from a severity word (``Warning``, ``err``, ``Critical``, ``OK``, ``Nominal`` ...)."""
    return _WORDS.get(word.strip().lower(), default)


# ---------------------------------------------------------------- time


def timezone(name: str | None) -> dt.tzinfo:
    """A zone by IANA name (``Europe/Moscow``), ``UTC`` or a fixed offset (``+03:00``); errors name the value."""
    if not name or name.upper() == "UTC":
        return dt.UTC
    m = re.fullmatch(r"([+-])(\d{2}):?(\d{2})", name)
    if m:
        sign = 1 if m.group(1) == "+" else -1
        return dt.timezone(sign * dt.timedelta(hours=int(m.group(2)), minutes=int(m.group(3))))
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {name!r}; use an IANA name such as Europe/Moscow or +03:00") from None


_MONTHS = {m: i for i, m in enumerate(("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov",
                                       "Dec"), start=1)}  # fmt: skip
_RFC3164 = re.compile(r"([A-Z][a-z]{2}) {1,2}(\d{1,2}) (\d{2}):(\d{2}):(\d{2})")


def parse_rfc3164_time(text: str, now: dt.datetime, tz: dt.tzinfo) -> dt.datetime | None:
    """``Nov  5 14:03:07``: no year, no zone. The year is the one that puts the stamp nearest ``now``
    (a December line read on January 1st belongs to last year); the zone is the device's, from config."""
    m = _RFC3164.match(text)
    if not m or m.group(1) not in _MONTHS:
        return None
    month, day = _MONTHS[m.group(1)], int(m.group(2))
    hour, minute, second = int(m.group(3)), int(m.group(4)), int(m.group(5))
    local_now = now.astimezone(tz)
    candidates = []
    for year in (local_now.year - 1, local_now.year, local_now.year + 1):
        try:
            candidates.append(dt.datetime(year, month, day, hour, minute, second, tzinfo=tz))
        except ValueError:  # Feb 29 in a non-leap year
            continue
    if not candidates:
        return None
    return min(candidates, key=lambda c: abs((c - now).total_seconds())).astimezone(dt.UTC)


_ISO = re.compile(r"(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(?:[.,](\d+))?\s*(Z|z|[+-]\d{2}:?\d{2})?")


def parse_iso8601(text: str, tz: dt.tzinfo = dt.UTC) -> dt.datetime | None:
    """RFC 3339 / RFC 5424 / ISO 8601 stamps, any number of fraction digits (Windows writes 7; Python
    keeps 6). A stamp without an offset is in ``tz``. Returns UTC, or None if ``text`` is not one."""
    m = _ISO.match(text.strip())
    if not m:
        return None
    year, month, day, hour, minute, second = (int(g) for g in m.groups()[:6])
    fraction = m.group(7) or "0"
    micro = int(fraction[:6].ljust(6, "0"))
    zone = m.group(8)
    if zone is None:
        zone_info = tz
    elif zone in ("Z", "z"):
        zone_info = dt.UTC
    else:
        zone_info = timezone(zone if ":" in zone else f"{zone[:3]}:{zone[3:]}")
    try:
        return dt.datetime(year, month, day, hour, minute, second, micro, tzinfo=zone_info).astimezone(dt.UTC)
    except (ValueError, OverflowError):  # Feb 30th; year 1 shifted below datetime.min by its offset
        return None


_MS_JSON_DATE = re.compile(r"/Date\((-?\d+)([+-]\d{4})?\)/")


def parse_windows_time(value: str | int | float) -> dt.datetime | None:
    """Windows ``TimeCreated`` as PowerShell serializes it: ISO 8601 (``2024-03-01T10:00:00.1234567Z``,
    ``ConvertTo-Json`` in PowerShell 7 or ``.ToUniversalTime().ToString('o')``), or ``/Date(ms)/`` from
    Windows PowerShell 5.1's ``ConvertTo-Json``, or a FILETIME integer (100 ns ticks since 1601)."""
    if isinstance(value, int | float):
        return dt.datetime(1601, 1, 1, tzinfo=dt.UTC) + dt.timedelta(microseconds=int(value) // 10)
    m = _MS_JSON_DATE.fullmatch(value.strip())
    if m:
        return dt.datetime.fromtimestamp(int(m.group(1)) / 1000, tz=dt.UTC)
    return parse_iso8601(value)


# ---------------------------------------------------------------- assets


def resolve_asset(inventory: Inventory | None, *names: str | None) -> tuple[str, str]:
    """``(asset_id, tenant)`` for the first of ``names`` (host name, FQDN's short name, address) the
    inventory knows; ``("", "default")`` when none matches (the event is kept, just unattributed)."""
    if inventory is not None:
        for name in names:
            if not name:
                continue
            for candidate in (name, name.split(".")[0]) if not name[:1].isdigit() else (name,):
                asset = inventory.by_address(candidate)
                if asset is not None:
                    return asset.id, asset.tenant
    return "", "default"
