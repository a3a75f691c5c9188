"""Incident: findings that belong together (connected in the dependency graph, close in time), with the
ranked root-cause candidates, the causal chain, and the timeline that measures how well we did.

Correlation (:mod:`inframind.analyzer.correlate`) builds incidents from findings; recommendations, delivery
(Alertmanager, Telegram, ITSM) and the API work on them. An incident's id is stable across restarts and
replicas: it is derived from its first finding's fingerprint, so the same trouble is one incident everywhere.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal, Protocol

from inframind.analyzer.findings import SEVERITIES, Severity

IncidentState = Literal["open", "resolved"]


def incident_id(first_fingerprint: str) -> str:
    """``inc-`` + 12 hex digits, derived from the fingerprint of the finding that opened the incident."""
    return "inc-" + hashlib.sha256(first_fingerprint.encode()).hexdigest()[:12]


def _iso(stamp: dt.datetime | None) -> str | None:
    return None if stamp is None else stamp.astimezone(dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _parse(text: str | None) -> dt.datetime | None:
    return None if not text else dt.datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(dt.UTC)


@dataclass(frozen=True)
class Cause:
    """A root-cause candidate: a finding, why it ranks where it does, and what it explains downstream."""

    fingerprint: str
    asset_id: str
    kind: str
    score: float
    """Ranking score in [0, 1] (upstream in the graph, earliest, explains most)."""
    path: tuple[str, ...] = ()
    """The dependency path from the candidate to the affected assets (asset ids, with edge kinds between)."""
    explains: tuple[str, ...] = ()
    """Fingerprints of the incident's findings this cause explains."""
    reasons: tuple[str, ...] = ()


@dataclass(frozen=True)
class Timeline:
    """When the first signal appeared, and when we detected, notified, were acknowledged, and resolved."""

    first_signal_at: dt.datetime
    detected_at: dt.datetime
    notified_at: dt.datetime | None = None
    acknowledged_at: dt.datetime | None = None
    resolved_at: dt.datetime | None = None


@dataclass(frozen=True)
class Incident:
    id: str
    tenant: str
    title: str
    severity: Severity
    state: IncidentState
    findings: tuple[str, ...]
    """Fingerprints of its findings, oldest first."""
    assets: tuple[str, ...]
    timeline: Timeline
    causes: tuple[Cause, ...] = ()
    """Root-cause candidates, best first."""
    labels: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.severity not in SEVERITIES:
            raise ValueError(f"unknown severity {self.severity!r}")
        if not self.findings:
            raise ValueError("an incident groups at least one finding")

    def with_timeline(
        self,
        *,
        notified_at: dt.datetime | None = None,
        acknowledged_at: dt.datetime | None = None,
        resolved_at: dt.datetime | None = None,
    ) -> Incident:
        """A copy with the given timeline moments set (the others kept)."""
        t = self.timeline
        timeline = replace(
            t,
            notified_at=notified_at or t.notified_at,
            acknowledged_at=acknowledged_at or t.acknowledged_at,
            resolved_at=resolved_at or t.resolved_at,
        )
        return replace(self, timeline=timeline)

    def to_dict(self) -> dict[str, Any]:
        t = self.timeline
        return {
            "id": self.id, "tenant": self.tenant, "title": self.title, "severity": self.severity,
            "state": self.state, "findings": list(self.findings), "assets": list(self.assets),
            "timeline": {name: _iso(getattr(t, name)) for name in
                         ("first_signal_at", "detected_at", "notified_at", "acknowledged_at", "resolved_at")},
            "causes": [{"fingerprint": c.fingerprint, "asset_id": c.asset_id, "kind": c.kind, "score": c.score,
                        "path": list(c.path), "explains": list(c.explains), "reasons": list(c.reasons)}
                       for c in self.causes],
            "labels": dict(self.labels),
        }  # fmt: skip

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Incident:
        t = data["timeline"]
        first, detected = _parse(t["first_signal_at"]), _parse(t["detected_at"])
        if first is None or detected is None:
            raise ValueError("an incident timeline needs first_signal_at and detected_at")
        return cls(
            id=str(data["id"]),
            tenant=str(data["tenant"]),
            title=str(data["title"]),
            severity=data["severity"],
            state=data["state"],
            findings=tuple(data["findings"]),
            assets=tuple(data["assets"]),
            timeline=Timeline(
                first,
                detected,
                _parse(t.get("notified_at")),
                _parse(t.get("acknowledged_at")),
                _parse(t.get("resolved_at")),
            ),
            causes=tuple(
                Cause(
                    c["fingerprint"],
                    c["asset_id"],
                    c["kind"],
                    float(c["score"]),
                    tuple(c.get("path") or ()),
                    tuple(c.get("explains") or ()),
                    tuple(c.get("reasons") or ()),
                )
                for c in data.get("causes") or ()
            ),
            labels=dict(data.get("labels") or {}),
        )


class IncidentStore(Protocol):
    """Where incidents live (the analyzer's state store: SQLite, or PostgreSQL for replicas)."""

    def upsert(self, incident: Incident) -> None: ...

    def get(self, incident_id: str, tenant: str | None = None) -> Incident | None:
        """None for an unknown id, and for another tenant's incident when ``tenant`` is given."""
        ...

    def by_finding(self, fingerprint: str) -> Incident | None:
        """The incident a finding belongs to, if any."""
        ...

    def list(self, tenant: str | None = None, state: IncidentState | None = None, limit: int = 100,
             offset: int = 0) -> Sequence[Incident]:  # fmt: skip
        """Most recently detected first."""
        ...
