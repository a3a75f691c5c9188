"""Finding: the one result type every detector returns (DESIGN §3).

A finding says what is wrong, where, how sure we are, and *why*: its evidence holds the signals and the
numbers that caused it (a metric over a window with observed and expected values, a log template with its
counts and samples). Correlation groups findings into incidents, recommendations render them, sinks send
them; explainability comes from the evidence, never from prose alone.

The fingerprint identifies *the problem*, not one observation of it: kind, tenant, asset and the detector's
``key`` (a template id, a rule name, a metric's labels). The same problem seen again updates the same
finding instead of paging twice.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, cast

Severity = Literal["info", "warning", "critical"]
SEVERITIES: tuple[Severity, ...] = ("info", "warning", "critical")
JSON = str | int | float | bool | None


def _iso(stamp: dt.datetime) -> str:
    return stamp.astimezone(dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _parse(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(dt.UTC)


@dataclass(frozen=True)
class Window:
    start: dt.datetime
    end: dt.datetime

    def __post_init__(self) -> None:
        if self.start.tzinfo is None or self.end.tzinfo is None:
            raise ValueError("Window bounds must be timezone-aware")
        if self.end < self.start:
            raise ValueError("Window end is before its start")

    def to_dict(self) -> dict[str, str]:
        return {"start": _iso(self.start), "end": _iso(self.end)}

    @classmethod
    def from_dict(cls, data: Mapping[str, str]) -> Window:
        return cls(_parse(data["start"]), _parse(data["end"]))


@dataclass(frozen=True)
class MetricEvidence:
    """A series over a window: what was observed against what was expected (and the band around it)."""

    query: str
    """The series as PromQL (``node_cpu_seconds_total{mode="iowait",instance="srv-db-03"}``) or an expression."""
    window: Window
    observed: float
    expected: float | None = None
    lower: float | None = None
    upper: float | None = None
    unit: str = ""
    labels: Mapping[str, str] = field(default_factory=dict)
    points: tuple[tuple[float, float], ...] = ()
    """A few (unix time, value) points that show the shape, not the whole series."""
    kind: Literal["metric"] = "metric"


@dataclass(frozen=True)
class LogEvidence:
    """A log template over a window: how often, since when, and what it looked like."""

    template: str
    template_id: str
    count: int
    window: Window
    first_seen: dt.datetime
    last_seen: dt.datetime
    source: str = ""
    event_id: str | None = None
    samples: tuple[str, ...] = ()
    """A few raw messages (the first occurrences for a new template)."""
    parameters: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    """Sample values per placeholder (``<IP>: 10.0.0.5, 10.0.0.7``)."""
    assets: tuple[str, ...] = ()
    """Every asset that logged it, when a finding groups several."""
    kind: Literal["log"] = "log"


@dataclass(frozen=True)
class FactEvidence:
    """Anything else a detector relied on, as named values (a SMART attribute, an inventory edge, a rule)."""

    name: str
    values: Mapping[str, JSON] = field(default_factory=dict)
    kind: Literal["fact"] = "fact"


Evidence = MetricEvidence | LogEvidence | FactEvidence


def fingerprint(kind: str, tenant: str, asset_id: str, key: str) -> str:
    return hashlib.sha256("\x1f".join((kind, tenant, asset_id, key)).encode("utf-8")).hexdigest()[:32]


@dataclass(frozen=True)
class Finding:
    kind: str
    """Dotted detector family and case: ``log.new_template``, ``log.burst``, ``log.rule``, ``metric.anomaly``,
    ``capacity.exhaustion``, ``disk.failure`` ..."""
    asset_id: str
    tenant: str
    severity: Severity
    title: str
    """One English line for lists; recommendations render the full text from the evidence."""
    window: Window
    evidence: tuple[Evidence, ...]
    key: str
    """What makes this problem this problem within kind/tenant/asset (a template id, a rule name ...)."""
    score: float | None = None
    """Strength in [0, 1] (anomaly detectors)."""
    probability: float | None = None
    """Probability in [0, 1] of the predicted event (failure, exhaustion) within the finding's horizon."""
    labels: Mapping[str, str] = field(default_factory=dict)
    links: Mapping[str, str] = field(default_factory=dict)
    """``dashboard`` and ``runbook`` URLs."""
    fingerprint: str = ""

    def __post_init__(self) -> None:
        if self.severity not in SEVERITIES:
            raise ValueError(f"unknown severity {self.severity!r}; expected one of {', '.join(SEVERITIES)}")
        for name in ("score", "probability"):
            value = getattr(self, name)
            if value is not None and not 0.0 <= value <= 1.0:
                raise ValueError(f"Finding.{name} must be within [0, 1], got {value}")
        if not self.evidence:
            raise ValueError("a finding needs evidence: the signals and values that caused it")
        expected = fingerprint(self.kind, self.tenant, self.asset_id, self.key)
        if not self.fingerprint:
            object.__setattr__(self, "fingerprint", expected)
        elif self.fingerprint != expected:
            raise ValueError("Finding.fingerprint does not match its kind, tenant, asset and key")

    # ------------------------------------------------------------ JSON

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "asset_id": self.asset_id,
            "tenant": self.tenant,
            "severity": self.severity,
            "title": self.title,
            "window": self.window.to_dict(),
            "evidence": [_evidence_to_dict(e) for e in self.evidence],
            "key": self.key,
            "score": self.score,
            "probability": self.probability,
            "labels": dict(self.labels),
            "links": dict(self.links),
            "fingerprint": self.fingerprint,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Finding:
        return cls(
            kind=str(data["kind"]),
            asset_id=str(data["asset_id"]),
            tenant=str(data["tenant"]),
            severity=cast(Severity, data["severity"]),
            title=str(data["title"]),
            window=Window.from_dict(data["window"]),
            evidence=tuple(_evidence_from_dict(e) for e in data["evidence"]),
            key=str(data["key"]),
            score=data.get("score"),
            probability=data.get("probability"),
            labels=dict(data.get("labels") or {}),
            links=dict(data.get("links") or {}),
            fingerprint=str(data.get("fingerprint") or ""),
        )


def _evidence_to_dict(evidence: Evidence) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, value in vars(evidence).items():
        if isinstance(value, Window):
            out[name] = value.to_dict()
        elif isinstance(value, dt.datetime):
            out[name] = _iso(value)
        elif isinstance(value, tuple):
            out[name] = [list(v) if isinstance(v, tuple) else v for v in value]
        elif isinstance(value, Mapping):
            out[name] = {k: list(v) if isinstance(v, tuple) else v for k, v in value.items()}
        else:
            out[name] = value
    return out


def _evidence_from_dict(data: Mapping[str, Any]) -> Evidence:
    kind = data.get("kind")
    if kind == "metric":
        return MetricEvidence(
            query=data["query"], window=Window.from_dict(data["window"]), observed=data["observed"],
            expected=data.get("expected"), lower=data.get("lower"), upper=data.get("upper"),
            unit=data.get("unit", ""), labels=dict(data.get("labels") or {}),
            points=tuple((float(t), float(v)) for t, v in data.get("points") or ()),
        )  # fmt: skip
    if kind == "log":
        return LogEvidence(
            template=data["template"], template_id=data["template_id"], count=int(data["count"]),
            window=Window.from_dict(data["window"]), first_seen=_parse(data["first_seen"]),
            last_seen=_parse(data["last_seen"]), source=data.get("source", ""), event_id=data.get("event_id"),
            samples=tuple(data.get("samples") or ()),
            parameters={k: tuple(v) for k, v in (data.get("parameters") or {}).items()},
            assets=tuple(data.get("assets") or ()),
        )  # fmt: skip
    if kind == "fact":
        return FactEvidence(name=data["name"], values=dict(data.get("values") or {}))
    raise ValueError(f"unknown evidence kind {kind!r}")
