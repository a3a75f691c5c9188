"""A Windows host's event logs, filled with real recorded events, answering our Get-WinEvent query script.

The events are the real ones in ``shared/fixtures/eventlog`` (omerbenamram/evtx samples, flattened), turned
into the objects the query script prints for them: Id, RecordId, Level, LevelDisplayName, Keywords,
ProviderName, LogName, MachineName, TimeCreated (ISO 8601 UTC with 7 digits), Message and Properties (the
EventData values in order). ``Message`` is rendered from a message template when one is given (English
from the shared templates, Russian from ``tests/fixtures/eventlog/ru_messages.tsv`` for a ru-RU host), else
it is null, as Get-WinEvent leaves it when a provider's DLL is missing.

:meth:`WindowsHost.run` plays the query script: it reads the three values our fixed template inserts
(channel, after, max) from the script text, and prints what the script would print on such a host. With
``style="ps51"`` it writes the report the way Windows PowerShell 5.1 can: arrays wrapped as
``{"value": [...], "Count": n}``, one-element arrays collapsed to the element, edge times as
``\\/Date(ms)\\/`` and non-ASCII escaped as ``\\uXXXX``.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from inframind.normalize import parse_windows_time
from tests.helpers.wsman import CommandOutput

SHARED = Path(__file__).resolve().parents[3] / "shared" / "fixtures" / "eventlog"
SAMPLES = SHARED / "omerbenamram-evtx"
OWN = Path(__file__).resolve().parents[1] / "fixtures" / "eventlog"
LEVEL_NAMES = {
    "en": {0: "Information", 1: "Critical", 2: "Error", 3: "Warning", 4: "Information", 5: "Verbose"},
    "ru": {0: "Сведения", 1: "Критический", 2: "Ошибка", 3: "Предупреждение", 4: "Сведения", 5: "Подробности"},
}
Record = dict[str, Any]
Templates = Mapping[tuple[str, int], str]


def load_jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def templates(language: Literal["en", "ru"]) -> dict[tuple[str, int], str]:
    path = SHARED / "message-templates" / "message_templates.tsv" if language == "en" else OWN / "ru_messages.tsv"
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t"))
    return {(row["provider"], int(row["event_id"])): row["template"] for row in rows}


def render(template: str, data: Mapping[str, str] | list[str]) -> str:
    named = dict(data) if isinstance(data, Mapping) else {f"param{i}": v for i, v in enumerate(data, start=1)}
    return re.sub(r"\{(\w+)\}", lambda m: named.get(m.group(1), m.group(0)), template)


def to_record(flat: Mapping[str, Any], messages: Templates | None = None, language: str = "en") -> Record:
    """One flattened fixture event as the query script prints it."""
    data = flat.get("EventData") or []
    values = list(data.values()) if isinstance(data, Mapping) else list(data)
    level = int(flat["Level"]) if flat.get("Level") is not None else None
    template = (messages or {}).get((flat["Provider"], int(flat["EventID"])))
    return {
        "Id": int(flat["EventID"]),
        "RecordId": int(flat["RecordId"]),
        "Level": level,
        "LevelDisplayName": LEVEL_NAMES[language].get(level or 0),
        "Keywords": str(flat.get("Keywords") or "").lower() or None,
        "ProviderName": flat["Provider"],
        "LogName": flat["Channel"],
        "MachineName": flat["Computer"],
        "TimeCreated": flat["TimeCreated"],
        "Message": render(template, data) if template else None,
        "Properties": values,
    }


def records(name: str, messages: Templates | None = None, language: str = "en") -> list[Record]:
    """The events of a shared sample (``system_all``, ``security_logons`` ...) as script records."""
    return [to_record(flat, messages, language) for flat in load_jsonl(SAMPLES / f"{name}.jsonl")]


def clearing_notice(channel: Literal["Security", "System"], when: dt.datetime, record_id: int = 1) -> Record:
    """The 1102/104 notice from ``tests/fixtures/eventlog/cleared.jsonl``, at ``when`` and ``record_id``."""
    flat = next(f for f in load_jsonl(OWN / "cleared.jsonl") if f["Channel"] == channel)
    record = to_record(flat, templates("ru"), "ru")
    record.update(RecordId=record_id, TimeCreated=when.strftime("%Y-%m-%dT%H:%M:%S.%f0Z"))
    return record


_VALUE = {
    "channel": re.compile(r"^\$channel = '((?:[^']|'')*)'$", re.M),
    "after": re.compile(r"^\$after = (\d+)$", re.M),
    "max": re.compile(r"^\$max = (\d+)$", re.M),
}


@dataclass
class WindowsHost:
    logs: dict[str, list[Record]] = field(default_factory=dict)
    style: Literal["ps7", "ps51"] = "ps7"
    queries: list[tuple[str, int, int]] = field(default_factory=list)
    """(channel, after, max) of every query script run, in order."""

    def append(self, channel: str, new: Iterable[Record]) -> None:
        self.logs.setdefault(channel, []).extend(new)

    def clear(self, channel: str, notice: Record | None = None) -> None:
        """Clear a log as Windows does: the new log restarts at record 1 (with its clearing notice, if any)."""
        self.logs[channel] = [notice] if notice is not None else []

    def run(self, script: str) -> CommandOutput:
        found = {name: pattern.search(script) for name, pattern in _VALUE.items()}
        if "Get-WinEvent" not in script or not all(found.values()):
            return CommandOutput(b"", b'#< CLIXML\r\n<Objs><S S="Error">not the query script</S></Objs>', 1)
        channel = found["channel"].group(1).replace("''", "'")  # type: ignore[union-attr]
        after, limit = int(found["after"].group(1)), int(found["max"].group(1))  # type: ignore[union-attr]
        self.queries.append((channel, after, limit))
        if channel not in self.logs:
            message = f'There is not an event log on the localhost computer that matches "{channel}".'
            stderr = f'#< CLIXML\r\n<Objs Version="1.1.0.1"><S S="Error">{message}_x000D__x000A_</S></Objs>'
            return CommandOutput(b"", stderr.encode(), 1)
        log = sorted(self.logs[channel], key=lambda r: int(r["RecordId"]))
        new = [r for r in log if int(r["RecordId"]) > after][:limit]
        events = [self._event(r) for r in new]
        report: dict[str, Any] = {
            "schema": 1,
            "channel": channel,
            "after": after,
            "newest": self._edge(log[-1]) if log else None,
            "oldest": self._edge(log[0]) if log else None,
            "events": events,
        }
        if self.style == "ps51":
            report["events"] = {"value": events, "Count": len(events)} if len(events) != 1 else events[0]
            return CommandOutput(json.dumps(report, ensure_ascii=True).replace("/", "\\/").encode("ascii"))
        return CommandOutput(json.dumps(report, ensure_ascii=False).encode("utf-8"))

    def _edge(self, record: Record) -> dict[str, Any]:
        stamp: Any = record["TimeCreated"]
        if self.style == "ps51":
            parsed = parse_windows_time(stamp)
            assert parsed is not None
            stamp = f"/Date({int(parsed.timestamp() * 1000)})/"
        return {"RecordId": record["RecordId"], "TimeCreated": stamp}

    def _event(self, record: Record) -> Record:
        if self.style == "ps51" and len(record["Properties"]) == 1:
            return {**record, "Properties": record["Properties"][0]}
        return record
