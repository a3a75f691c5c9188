"""RFC 3164 (BSD) syslog and the variants real devices send.

RFC 3164 only describes what was common in 2001 (``Mmm dd hh:mm:ss HOST TAG[PID]: MSG``); devices write
many variants of it. Recognized here, each checked against real lines (tests/unit/test_syslog_parse.py):

- BSD, with or without HOST, with fractions, with a year (``Aug 15 2019 13:44:38``), with an ISO 8601 time
  (Junos, rsyslog's high-precision format, Huawei's unpadded ``2018-7-23 01:00:34.270``);
- Cisco IOS/IOS-XE/IOS-XR: ``seq: [host:] [*.]Mmm dd hh:mm:ss.mmm [ZONE]: %FAC-SEV-MNEMONIC: ...``, with
  IOS-XR's node and process (``vmx01 RP/0/RSP1/CPU0:Mar 28 ... UTC: bgp[1051]: ...``) and uptime stamps;
- NX-OS's year-first time (``2018 Apr 20 13:15:07 host %ETHPORT-...``, ``host: 2017 Jul 28 ... UTC: ...``);
- no header at all: Cisco ASA (``%ASA-6-305011: ...``), FortiOS key=value (``date= time= devname=``),
  Opengear (``host port 2018-Nov- 9 15:41:30 ...``).

Anything else keeps its whole text as the message (and gets the receive time).
"""

from __future__ import annotations

import re

from inframind.agent.syslog.header import BSD_STAMP, ISO_STAMP, Header
from inframind.events import FieldValue

_MONTH_NAMES = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_MONTH_NUMBER = {name: f"{i:02d}" for i, name in enumerate(_MONTH_NAMES, start=1)}
_MON = "|".join(_MONTH_NAMES)

_FRAC = r"(?:\.(?P<frac>\d{1,9}))?"
_CISCO_TAIL = r"(?P<cisco>(?: (?P<zone>[A-Z]{2,5}))? ?:(?: +|$))?"
"""A Cisco stamp ends with an optional zone and a colon (``.743 MEST: ``, ``.441 : ``); a BSD one does not."""

_MDY = re.compile(
    rf"(?P<sync>[*.])?(?P<mon>{_MON}) +(?P<day>\d{{1,2}})(?: (?P<year>\d{{4}}))? (?P<hms>\d{{2}}:\d{{2}}:\d{{2}})"
    rf"{_FRAC}{_CISCO_TAIL}"
)
_YMD = re.compile(
    rf"(?P<year>\d{{4}}) (?P<mon>{_MON}) +(?P<day>\d{{1,2}}) (?P<hms>\d{{2}}:\d{{2}}:\d{{2}}){_FRAC}{_CISCO_TAIL}"
)
_ISO = re.compile(
    r"(?P<year>\d{4})-(?P<month>\d{1,2})-(?P<day>\d{1,2})[T ](?P<hms>\d{1,2}:\d{2}:\d{2})(?:[.,](?P<frac>\d{1,9}))?"
    r"(?:\.\d+)*(?P<offset>Z|[+-]\d{2}:?\d{2})?" + _CISCO_TAIL
)
_SEQ = re.compile(r"(?P<seq>\d{1,10}): (?:(?P<host>[A-Za-z][^\s:]*)(?: (?P<node>[A-Z]{2,4}/[^\s:]+))?: ?)?")
_UPTIME = re.compile(r"(?P<uptime>\d+[wdh]\d+[dhm]|\d{1,3}:\d{2}:\d{2}(?:\.\d+)?): ")
_HOST_COLON = re.compile(r"(?P<host>[A-Za-z0-9][\w.-]*): ")
_OPENGEAR = re.compile(
    rf"(?P<host>[^\s:]+) (?P<app>[^\s:]+) (?P<year>\d{{4}})-(?P<mon>{_MON})-(?P<day>[ \d]?\d) "
    rf"(?P<hms>\d{{2}}:\d{{2}}:\d{{2}}){_FRAC} "
)
_FORTINET = re.compile(r"date=(?P<date>\d{4}-\d{2}-\d{2}) time=(?P<hms>\d{2}:\d{2}:\d{2})")
_FORTINET_HOST = re.compile(r'\bdevname="?([^"\s]+)')
_FORTINET_ID = re.compile(r'\blogid="?(\d+)')
_TAG = re.compile(r"(?P<app>[^\s\[\]:%][^\s\[\]:]{0,63})(?:\[(?P<pid>[^\]\s]{0,32})\])?:(?: +|$)")
_PROCESS = re.compile(r"(?P<app>[\w./-]{1,64})\[(?P<pid>\d{1,10})\]: ")
"""A process after a Cisco stamp (IOS-XR ``bgp[1051]: ``); only with a PID, so a mnemonic is never taken."""

_MNEMONIC = re.compile(r"%([A-Z][A-Z0-9_]*(?:-[A-Z0-9_]+)*?-[0-7]-[A-Z0-9_]+) ?:|%%\d\d([A-Z0-9_]+/\d/[A-Z0-9_]+)")
"""Cisco ``%FACILITY[-SUB]-SEVERITY-MNEMONIC:`` (IOS, IOS-XR, NX-OS, ASA, EOS), Huawei ``%%01MODULE/SEV/BRIEF``."""
MNEMONIC_WITHIN = 100
_JUNOS_TAG = re.compile(r"([A-Z][A-Z0-9]*_[A-Z0-9_]+): ")
"""Junos ``RPD_BGP_NEIGHBOR_STATE_CHANGED: ...`` (upper case with at least one underscore)."""


def message_event_id(message: str) -> str | None:
    """The event id a network device writes near the start of its message (``LINK-3-UPDOWN``), if any; a
    mnemonic is also found behind a prefix we did not recognize (a cut or unusual stamp, ``7:04: %LINK-...``)."""
    percent = message.find("%", 0, MNEMONIC_WITHIN)
    if percent >= 0:
        m = _MNEMONIC.search(message, percent, MNEMONIC_WITHIN + 100)
        if m and (m.start() == 0 or message[m.start() - 1] == " "):
            return m.group(1) or m.group(2)
    if message[:1].isupper():
        m = _JUNOS_TAG.match(message)
        return m.group(1) if m else None
    return None


def parse_bsd(text: str) -> Header:
    """The header of the text after PRI, in the first form that fits (first character decides)."""
    first = text[:1]
    if first.isdigit():
        return _starts_with_digits(text)
    if first in ("*", ".") or text[:3] in _MONTH_NUMBER:
        m = _MDY.match(text)
        if m:
            return _after_stamp(text, m)
    if first == "%":
        return Header(message=text, event_id=message_event_id(text))
    if text.startswith("date="):
        return _fortinet(text)
    return _host_first(text) or _untimed(text)


def _starts_with_digits(text: str) -> Header:
    for form in (_ISO, _YMD):
        m = form.match(text)
        if m:
            return _after_stamp(text, m)
    m = _SEQ.match(text)
    if m is None:
        return _untimed(text)
    extra: dict[str, FieldValue] = {"seq": int(m.group("seq"))}
    if m.group("node"):
        extra["node"] = m.group("node")
    host = m.group("host") or ""
    stamp = _MDY.match(text, m.end())
    if stamp:
        return _after_stamp(text, stamp, host, extra)
    rest = text[m.end() :]
    uptime = _UPTIME.match(rest)
    if uptime:
        extra["uptime"] = uptime.group("uptime")
        rest = rest[uptime.end() :]
    return _cisco_body(Header(message=rest, host=host, extra=extra))


def _after_stamp(text: str, m: re.Match[str], host: str = "", extra: dict[str, FieldValue] | None = None) -> Header:
    """Everything after a matched stamp: a Cisco message, or BSD's ``HOST TAG[PID]: MSG``."""
    groups = m.groupdict()
    header = Header(message="", host=host, extra=extra if extra is not None else {}, zone=groups["zone"] or "")
    if "month" in groups:  # ISO: pad Huawei's 2018-7-23 1:00:34 so parse_iso8601 takes it
        frac = f".{groups['frac']}" if groups["frac"] else ""
        header.stamp = (
            f"{groups['year']}-{groups['month']:0>2}-{groups['day']:0>2}T{groups['hms']:0>8}{frac}"
            f"{groups['offset'] or ''}"
        )
        header.stamp_kind = ISO_STAMP
    elif groups["year"]:
        frac = f".{groups['frac']}" if groups["frac"] else ""
        header.stamp = f"{groups['year']}-{_MONTH_NUMBER[groups['mon']]}-{groups['day']:0>2}T{groups['hms']}{frac}"
        header.stamp_kind = ISO_STAMP
    else:
        header.stamp = f"{groups['mon']} {groups['day']} {groups['hms']}"
        header.stamp_kind = BSD_STAMP
        header.frac = groups["frac"] or ""
    if groups.get("sync"):
        header.extra["clock_unsynced"] = True  # Cisco: '*' not authoritative, '.' lost its time source
    rest = text[m.end() :]
    if groups["cisco"] is not None:
        header.message = rest
        return _cisco_body(header)
    header.host, header.app, header.procid, header.message = _host_tag(rest.lstrip(" "), host)
    header.event_id = message_event_id(header.message)
    return header


def _cisco_body(header: Header) -> Header:
    process = _PROCESS.match(header.message)
    if process:
        header.app, header.procid = process.group("app"), process.group("pid")
        header.message = header.message[process.end() :]
    header.event_id = message_event_id(header.message)
    return header


def _host_tag(rest: str, host: str) -> tuple[str, str, str, str]:
    """``(host, app, pid, message)`` from ``HOST TAG[PID]: MSG``; HOST is absent when the first word is
    already a tag (ends with ``:`` or has ``[``) or a mnemonic, as in ``sshd[42]: ...``."""
    if not host:
        space = rest.find(" ")
        word = rest if space < 0 else rest[:space]
        if word and not word.endswith(":") and "[" not in word and not word.startswith("%"):
            host = word
            rest = "" if space < 0 else rest[space + 1 :].lstrip(" ")
    m = _TAG.match(rest)
    if m:
        return host, m.group("app"), m.group("pid") or "", rest[m.end() :]
    return host, "", "", rest


def _host_first(text: str) -> Header | None:
    """NX-OS ``host: 2017 Jul 28 14:42:46 UTC: ...`` and Opengear ``host port 2018-Nov- 9 15:41:30 ...``."""
    m = _HOST_COLON.match(text)
    if m:
        stamp = _YMD.match(text, m.end()) or _MDY.match(text, m.end())
        if stamp:
            return _after_stamp(text, stamp, m.group("host"))
    m = _OPENGEAR.match(text)
    if m:
        frac = f".{m.group('frac')}" if m.group("frac") else ""
        day = m.group("day").strip()
        message = text[m.end() :]
        return Header(
            message=message,
            stamp=f"{m.group('year')}-{_MONTH_NUMBER[m.group('mon')]}-{day:0>2}T{m.group('hms')}{frac}",
            stamp_kind=ISO_STAMP,
            host=m.group("host"),
            app=m.group("app"),
            event_id=message_event_id(message),
        )
    return None


def _fortinet(text: str) -> Header:
    m = _FORTINET.match(text)
    if m is None:
        return _untimed(text)
    host = _FORTINET_HOST.search(text)
    logid = _FORTINET_ID.search(text)
    return Header(
        message=text,
        stamp=f"{m.group('date')}T{m.group('hms')}",
        stamp_kind=ISO_STAMP,
        host=host.group(1) if host else "",
        event_id=logid.group(1) if logid else None,
    )


def _untimed(text: str) -> Header:
    """No time in the header: ``TAG[PID]: MSG`` if it looks like that, else the whole text."""
    m = _TAG.match(text)
    if m and not text[:1].isdigit():
        message = text[m.end() :]
        return Header(
            message=message, app=m.group("app"), procid=m.group("pid") or "", event_id=message_event_id(message)
        )
    return Header(message=text, event_id=message_event_id(text))
