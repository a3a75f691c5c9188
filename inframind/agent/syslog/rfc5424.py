"""RFC 5424: ``1 TIMESTAMP HOST APP PROCID MSGID SD [MSG]``, structured data into ``sd.*`` fields."""

from __future__ import annotations

import re

from inframind.agent.syslog.header import ISO_STAMP, NO_STAMP, Header

_NAME = r'[^\s\]="]{1,32}'
_SD_ELEMENT = re.compile(rf'\[({_NAME})((?: +{_NAME}="(?:[^"\\]|\\.)*")*) *\]')
_SD_PARAM = re.compile(rf'({_NAME})="((?:[^"\\]|\\.)*)"')
_SD_ESCAPE = re.compile(r'\\(["\\\]])')


def _nil(value: str) -> str:
    return "" if value == "-" else value


def parse_rfc5424(text: str) -> Header | None:
    """The header of the text after PRI; None when it has fewer than the six header fields (the caller
    then tries the BSD forms). A UTF-8 BOM opening MSG is dropped (RFC 5424 6.4)."""
    parts = text.split(" ", 6)
    if len(parts) < 6:
        return None
    stamp = _nil(parts[1])
    header = Header(
        message="",
        stamp=stamp,
        stamp_kind=ISO_STAMP if stamp else NO_STAMP,
        host=_nil(parts[2]),
        app=_nil(parts[3]),
        procid=_nil(parts[4]),
        msgid=_nil(parts[5]),
    )
    rest = parts[6] if len(parts) == 7 else ""
    if rest.startswith("-"):
        message = rest[1:]
    elif rest.startswith("["):
        message = _structured_data(rest, header)
    else:  # a sender that left SD out entirely: everything is the message
        header.malformed_sd = bool(rest)
        message = rest
    message = message.lstrip(" ")
    header.message = message[1:] if message.startswith("\ufeff") else message
    header.event_id = header.msgid or None
    return header


def _structured_data(rest: str, header: Header) -> str:
    """Fill ``header.extra`` with ``sd.<SD-ID>.<name>`` fields and return the MSG after the SD.

    A repeated param name gets ``#2``, ``#3`` ... so nothing is lost; an element without params is
    ``sd.<SD-ID>: True``. SD that does not parse stays in the message and is flagged."""
    pos = 0
    fields = header.extra
    while pos < len(rest) and rest[pos] == "[":
        m = _SD_ELEMENT.match(rest, pos)
        if m is None:
            header.malformed_sd = True
            return rest[pos:]
        sd_id, params = m.group(1), m.group(2)
        if not params:
            fields[f"sd.{sd_id}"] = True
        for name, raw in _SD_PARAM.findall(params):
            key = f"sd.{sd_id}.{name}"
            n = 2
            while key in fields:
                key = f"sd.{sd_id}.{name}#{n}"
                n += 1
            fields[key] = _SD_ESCAPE.sub(r"\1", raw) if "\\" in raw else raw
        pos = m.end()
    return rest[pos:]
