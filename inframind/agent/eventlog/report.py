"""What the query script printed, parsed into plain records; pure, so every quirk is tested without Windows.

Windows PowerShell 5.1 and PowerShell 7 serialize the same objects differently, and a host may run
either: 5.1 writes dates as ``/Date(ms)/``, may wrap arrays as ``{"value": [...], "Count": n}`` (its
ETS ``System.Array`` type data, which the script removes but a locked-down host may keep), and a pipeline
of one object collapses to that object. All of these are accepted here; anything else is a ReportError
naming what was wrong, never a half-read batch.
"""

from __future__ import annotations

import datetime as dt
import html
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from inframind.agent.eventlog.script import SCHEMA
from inframind.normalize import parse_windows_time


class ReportError(ValueError):
    """The script's output is not a report this version understands."""


@dataclass(frozen=True)
class RawEvent:
    """One Windows event as Get-WinEvent described it (before normalization)."""

    record_id: int
    event_id: int
    time_created: dt.datetime
    provider: str
    channel: str
    machine: str = ""
    level: int | None = None
    level_name: str | None = None
    keywords: int | None = None
    message: str | None = None
    properties: tuple[str | None, ...] = ()


@dataclass(frozen=True)
class Edge:
    """The newest or oldest record of a log: how a cleared or overwritten log is recognized."""

    record_id: int
    time_created: dt.datetime | None


@dataclass(frozen=True)
class ChannelReport:
    channel: str
    after: int
    newest: Edge | None
    oldest: Edge | None
    events: tuple[RawEvent, ...]
    malformed: int = 0
    """Entries that could not become a RawEvent (counted, not fatal: one bad record must not stall a log)."""
    replaced_utf8: bool = False
    """The output was not valid UTF-8 and was decoded with replacement characters."""


def as_list(value: Any) -> list[Any]:
    """An array as either PowerShell wrote it: null, one object, a list, or 5.1's ``{"value", "Count"}``."""
    if value is None:
        return []
    if isinstance(value, Mapping) and set(value) == {"value", "Count"} and isinstance(value["value"], list):
        return list(value["value"])
    if isinstance(value, list):
        return value
    return [value]


def _int(value: Any) -> int | None:
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    text = str(value).strip()
    try:
        return int(text, 16) if text.lower().startswith("0x") else int(text)
    except ValueError:
        return None


def _time(value: Any) -> dt.datetime | None:
    if isinstance(value, Mapping) and "value" in value:  # 5.1 may serialize a DateTime with its ETS notes
        value = value["value"]
    if isinstance(value, str | int | float) and not isinstance(value, bool):
        return parse_windows_time(value)
    return None


def _text(value: Any) -> str | None:
    if value is None:
        return None
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def _edge(value: Any) -> Edge | None:
    if not isinstance(value, Mapping):
        return None
    record_id = _int(value.get("RecordId"))
    return None if record_id is None else Edge(record_id, _time(value.get("TimeCreated")))


def parse_event(item: Any, channel: str) -> RawEvent | None:
    """One entry of ``events``; None when it lacks what makes an event (record id, event id, time)."""
    if not isinstance(item, Mapping):
        return None
    record_id, event_id, stamp = _int(item.get("RecordId")), _int(item.get("Id")), _time(item.get("TimeCreated"))
    if record_id is None or event_id is None or stamp is None:
        return None
    keywords = _int(item.get("Keywords"))
    return RawEvent(
        record_id=record_id,
        event_id=event_id,
        time_created=stamp,
        provider=_text(item.get("ProviderName")) or "",
        channel=_text(item.get("LogName")) or channel,
        machine=_text(item.get("MachineName")) or "",
        level=_int(item.get("Level")),
        level_name=_text(item.get("LevelDisplayName")),
        keywords=None if keywords is None else keywords & 0xFFFFFFFFFFFFFFFF,
        message=_text(item.get("Message")),
        properties=tuple(_text(v) for v in as_list(item.get("Properties"))),
    )


def parse_report(stdout: bytes, channel: str) -> ChannelReport:
    """The report for ``channel`` from the raw stdout bytes of the query script."""
    try:
        text, replaced = stdout.decode("utf-8"), False
    except UnicodeDecodeError:
        text, replaced = stdout.decode("utf-8", errors="replace"), True
    text = text.lstrip("\ufeff").strip()
    if not text:
        raise ReportError("the script printed nothing (was PowerShell stopped, or its stdout redirected?)")
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ReportError(
            f"the script's output is not JSON ({exc.msg} at character {exc.pos}): {text[:120]!r}"
        ) from None
    if not isinstance(data, Mapping):
        raise ReportError(f"expected a JSON object from the script, got {type(data).__name__}")
    if data.get("schema") != SCHEMA:
        raise ReportError(f"report schema {data.get('schema')!r}, expected {SCHEMA}")
    if data.get("channel") != channel:
        raise ReportError(f"report for channel {data.get('channel')!r}, expected {channel!r}")
    after = _int(data.get("after"))
    events: list[RawEvent] = []
    malformed = 0
    for item in as_list(data.get("events")):
        event = parse_event(item, channel)
        if event is None:
            malformed += 1
        else:
            events.append(event)
    events.sort(key=lambda e: e.record_id)
    return ChannelReport(
        channel=channel,
        after=after if after is not None else 0,
        newest=_edge(data.get("newest")),
        oldest=_edge(data.get("oldest")),
        events=tuple(events),
        malformed=malformed,
        replaced_utf8=replaced,
    )


_CLIXML_ERROR = re.compile(r'<S S="Error">(.*?)</S>', re.DOTALL)


def stderr_text(stderr: bytes, limit: int = 500) -> str:
    """PowerShell's stderr made readable: the error lines of a ``#< CLIXML`` stream, else the text itself.

    A regular expression, not an XML parser: the stream comes from the remote host, and only the error
    strings are wanted."""
    text = stderr.decode("utf-8", errors="replace")
    if text.startswith("#< CLIXML"):
        parts = [html.unescape(p).replace("_x000D__x000A_", "\n") for p in _CLIXML_ERROR.findall(text)]
        text = "".join(parts)
    return " ".join(text.split())[:limit]
