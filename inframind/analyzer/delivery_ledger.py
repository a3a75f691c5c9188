"""What each Alertmanager peer has been told: one record per alert, kept in the analyzer's state.

A record holds the alert as last decided (labels, annotations, active or ended) and, per peer, when that
peer last accepted it and which version (a digest). The delivery task resends from it after a restart or
an outage instead of re-deciding, so a restart re-fires nothing and a peer that was down catches up.

Stored as JSON values under ``delivery/alert/<key>`` in the state store's key -> JSON part
(:class:`inframind.analyzer.state.KV`), so it moves with the state store to PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from inframind.analyzer.state import KV

PREFIX = "delivery/alert/"


def _iso(stamp: dt.datetime) -> str:
    return stamp.astimezone(dt.UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def _stamp(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))


def digest(labels: Mapping[str, str], annotations: Mapping[str, str], active: bool) -> str:
    body = json.dumps([sorted(labels.items()), sorted(annotations.items()), active], separators=(",", ":"))
    return hashlib.sha256(body.encode("utf-8")).hexdigest()[:16]


@dataclass(frozen=True)
class Sent:
    at: dt.datetime
    digest: str


@dataclass(frozen=True)
class AlertRecord:
    key: str
    """The finding's fingerprint (or an incident id for incident alerts); ``@...`` for a retired label set."""
    labels: Mapping[str, str]
    annotations: Mapping[str, str]
    starts_at: dt.datetime
    active: bool = True
    ended_at: dt.datetime | None = None
    sent: Mapping[str, Sent] = field(default_factory=dict)
    """Peer URL -> when it last accepted this alert, and which version."""

    @property
    def digest(self) -> str:
        return digest(self.labels, self.annotations, self.active)

    def to_dict(self) -> dict[str, Any]:
        return {
            "labels": dict(self.labels),
            "annotations": dict(self.annotations),
            "starts_at": _iso(self.starts_at),
            "active": self.active,
            "ended_at": _iso(self.ended_at) if self.ended_at else None,
            "sent": {peer: {"at": _iso(s.at), "digest": s.digest} for peer, s in self.sent.items()},
        }

    @classmethod
    def from_dict(cls, key: str, data: Mapping[str, Any]) -> AlertRecord:
        return cls(
            key=key,
            labels=dict(data["labels"]),
            annotations=dict(data["annotations"]),
            starts_at=_stamp(data["starts_at"]),
            active=bool(data["active"]),
            ended_at=_stamp(data["ended_at"]) if data.get("ended_at") else None,
            sent={peer: Sent(_stamp(s["at"]), str(s["digest"])) for peer, s in (data.get("sent") or {}).items()},
        )


class DeliveryLedger(Protocol):
    def load(self) -> dict[str, AlertRecord]: ...

    def save(self, records: Iterable[AlertRecord], now: dt.datetime) -> None: ...

    def delete(self, keys: Iterable[str]) -> None: ...


class KeyValueLedger:
    """:class:`DeliveryLedger` over a key -> JSON store."""

    def __init__(self, store: KV) -> None:
        self.store = store

    def load(self) -> dict[str, AlertRecord]:
        return {key: AlertRecord.from_dict(key, value) for key, value in self.store.items(PREFIX).items()}

    def save(self, records: Iterable[AlertRecord], now: dt.datetime) -> None:
        for record in records:
            self.store.put(PREFIX + record.key, record.to_dict(), now)

    def delete(self, keys: Iterable[str]) -> None:
        for key in keys:
            self.store.delete(PREFIX + key)


class MemoryKeyValue:
    """A :class:`~inframind.analyzer.state.KV` in memory (replays and tests that need no state file)."""

    def __init__(self) -> None:
        self.data: dict[str, Any] = {}

    def get(self, key: str) -> Any | None:
        return self.data.get(key)

    def items(self, prefix: str) -> dict[str, Any]:
        return {k[len(prefix) :]: v for k, v in self.data.items() if k.startswith(prefix)}

    def put(self, key: str, value: Any, now: dt.datetime) -> None:
        self.data[key] = json.loads(json.dumps(value))

    def delete(self, key: str) -> None:
        self.data.pop(key, None)
