"""LogEvent: the one schema every log source produces (file, journald, syslog, traps, EventLog, SEL, ...).

Sources map into it once; the log stores, the template miner and the analyzer only ever see this type.
The fingerprint is derived from content, not arrival, so the same event shipped twice (at-least-once
delivery, an agent restart, two agents on one file) deduplicates in any store.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, cast, get_args

Source = Literal["file", "journald", "syslog", "snmp_trap", "eventlog", "sel", "redfish_log", "http"]
Level = Literal["debug", "info", "notice", "warning", "error", "critical"]
SOURCES: tuple[str, ...] = get_args(Source)
LEVELS: tuple[str, ...] = get_args(Level)
FieldValue = str | int | float | bool | None
_FINGERPRINT = re.compile(r"[0-9a-f]{32}")


def _utc(stamp: dt.datetime) -> dt.datetime:
    if stamp.tzinfo is None:
        raise ValueError("LogEvent.timestamp must be timezone-aware (convert to UTC at the source)")
    return stamp.astimezone(dt.UTC)


@dataclass(frozen=True)
class LogEvent:
    timestamp: dt.datetime
    source: Source
    level: Level
    message: str
    host: str = ""
    asset_id: str = ""
    tenant: str = "default"
    event_id: str | None = None
    provider: str | None = None
    channel: str | None = None
    record_id: str | None = None
    fields: Mapping[str, FieldValue] = field(default_factory=dict)
    fingerprint: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "timestamp", _utc(self.timestamp))
        if self.source not in SOURCES:
            raise ValueError(f"unknown source {self.source!r}; expected one of {', '.join(SOURCES)}")
        if self.level not in LEVELS:
            raise ValueError(f"unknown level {self.level!r}; expected one of {', '.join(LEVELS)}")
        object.__setattr__(self, "fields", dict(self.fields))
        if not self.fingerprint:
            object.__setattr__(self, "fingerprint", self.compute_fingerprint())
        elif not _FINGERPRINT.fullmatch(self.fingerprint):
            raise ValueError("LogEvent.fingerprint must be 32 lowercase hex digits (or empty to derive it)")

    def compute_fingerprint(self) -> str:
        """SHA-256 (first 128 bits, hex) over the identity of the event: where, when, what.

        A record id (EventLog RecordID, SEL entry id, journald cursor) identifies an event better than its
        text, so when present it replaces the message in the key.
        """
        identity = [
            self.tenant,
            self.asset_id or self.host,
            self.source,
            self.channel or "",
            self.provider or "",
            self.timestamp.isoformat(timespec="microseconds"),
            self.record_id if self.record_id is not None else self.message,
        ]
        return hashlib.sha256("\x1f".join(identity).encode("utf-8")).hexdigest()[:32]

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "timestamp": self.timestamp.isoformat(timespec="microseconds").replace("+00:00", "Z"),
            "source": self.source,
            "level": self.level,
            "message": self.message,
            "host": self.host,
            "asset_id": self.asset_id,
            "tenant": self.tenant,
            "fingerprint": self.fingerprint,
        }
        for name in ("event_id", "provider", "channel", "record_id"):
            value = getattr(self, name)
            if value is not None:
                out[name] = value
        if self.fields:
            out["fields"] = dict(self.fields)
        return out

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, sort_keys=True)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> LogEvent:
        stamp = data["timestamp"]
        if isinstance(stamp, str):
            stamp = dt.datetime.fromisoformat(stamp.replace("Z", "+00:00"))
        return cls(
            timestamp=stamp,
            source=cast(Source, data["source"]),
            level=cast(Level, data["level"]),
            message=str(data["message"]),
            host=str(data.get("host", "")),
            asset_id=str(data.get("asset_id", "")),
            tenant=str(data.get("tenant", "default")),
            event_id=data.get("event_id"),
            provider=data.get("provider"),
            channel=data.get("channel"),
            record_id=data.get("record_id"),
            fields=dict(data.get("fields") or {}),
            fingerprint=str(data.get("fingerprint", "")),
        )

    @classmethod
    def from_json(cls, text: str) -> LogEvent:
        return cls.from_dict(json.loads(text))
