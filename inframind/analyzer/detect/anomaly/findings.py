"""Sustained, agreed anomalies as findings: one bad sample does not page, one voter alone does not either.

A finding needs *persistence* (``points`` consecutive scores at or above ``threshold``) and *agreement* (at least
``votes`` voters at or above ``vote_threshold`` somewhere in that run); on an event-rate series (errors, drops)
also a count that is unlikely under the expected rate somewhere in the run (:class:`.events.EventTest`); with
``band_excess``, a value clearly outside the explained band somewhere in the run. Its
evidence is the series over the run: the value at the peak against the expected value and band, a few points
that show the shape, and the votes.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from inframind.analyzer.detect.anomaly.events import EventTest
from inframind.analyzer.detect.anomaly.stream import Score
from inframind.analyzer.findings import JSON, FactEvidence, Finding, MetricEvidence, Window

KIND = "metric.anomaly"


@dataclass(frozen=True)
class SeriesRef:
    """The series the scores are about, as findings name it."""

    query: str
    """PromQL selecting exactly this series (``node_cpu_seconds_total{mode="iowait",instance="db-3"}``)."""
    asset_id: str
    tenant: str = "default"
    signal: str = ""
    """A kind from ``config.SIGNALS`` (``iowait``, ``temperature`` ...), or empty."""
    unit: str = ""
    labels: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Persistence:
    threshold: float = 0.7
    points: int = 3
    votes: int = 2
    vote_threshold: float = 0.5
    band_excess: float | None = None
    """If set, the run must also hold a value outside its explained band (``lower``-``upper``) by at least this
    share of the band's width: a score saturated by a tiny residual scale is not a material change."""
    critical: float = 0.99
    """A peak at or above this, with three voters or more agreeing, makes the finding critical."""
    shape_points: int = 12
    """At most this many (time, value) points in the evidence: some before the run, its first, its peak, and
    the run thinned evenly."""

    def __post_init__(self) -> None:
        if self.points < 1 or self.votes < 1 or self.shape_points < 3:
            raise ValueError("persistence needs points >= 1, votes >= 1 and shape_points >= 3")


def findings(
    ref: SeriesRef,
    timestamps: Sequence[float],
    values: Sequence[float],
    scores: Sequence[Score],
    rule: Persistence | None = None,
    *,
    events: EventTest | None = None,
) -> list[Finding]:
    """The most recent run of scores that persisted and agreed, as a finding (none if no run qualifies).
    With ``events`` (the series is a rate of discrete events), the run must also hold a point whose count is a
    significant excess over the expected one: a rate that moves by one event is not an anomaly.

    One finding per series: its fingerprint is the series' query, so evaluating the same window again updates
    the finding instead of raising a second one.
    """
    rule = rule or Persistence()
    if not len(timestamps) == len(values) == len(scores):
        raise ValueError("timestamps, values and scores must be equally long")
    for start, end in reversed(_runs(scores, rule.threshold)):
        if end - start < rule.points:
            continue
        if rule.band_excess is not None and not any(
            _outside(values[i], scores[i], rule.band_excess) for i in range(start, end)
        ):
            continue
        if events is not None and not any(events.significant(values[i], scores[i].expected) for i in range(start, end)):
            continue
        strongest = {name: max(s.votes.get(name, 0.0) for s in scores[start:end]) for name in scores[start].votes}
        agreeing = sorted(name for name, v in strongest.items() if v >= rule.vote_threshold)
        if len(agreeing) >= rule.votes:
            return [
                _finding(
                    ref,
                    timestamps=timestamps,
                    values=values,
                    scores=scores,
                    run=(start, end),
                    strongest=strongest,
                    agreeing=agreeing,
                    rule=rule,
                )
            ]
    return []


def _outside(value: float, score: Score, share: float) -> bool:
    """``value`` lies beyond ``score``'s band by more than ``share`` of the band's width."""
    width = score.upper - score.lower
    if not math.isfinite(width):
        return False
    return max(value - score.upper, score.lower - value) > share * width


def _runs(scores: Sequence[Score], threshold: float) -> list[tuple[int, int]]:
    runs: list[tuple[int, int]] = []
    start = None
    for i, score in enumerate(scores):
        if score.score >= threshold and start is None:
            start = i
        elif score.score < threshold and start is not None:
            runs.append((start, i))
            start = None
    if start is not None:
        runs.append((start, len(scores)))
    return runs


def _utc(stamp: float) -> dt.datetime:
    return dt.datetime.fromtimestamp(stamp, dt.UTC)


def _finding(
    ref: SeriesRef,
    *,
    timestamps: Sequence[float],
    values: Sequence[float],
    scores: Sequence[Score],
    run: tuple[int, int],
    strongest: dict[str, float],
    agreeing: list[str],
    rule: Persistence,
) -> Finding:
    start, end = run
    peak = max(range(start, end), key=lambda i: scores[i].score)
    at = scores[peak]
    window = Window(_utc(timestamps[start]), _utc(timestamps[end - 1]))
    before = max(0, start - rule.shape_points // 3)
    shown = list(range(before, end))
    if len(shown) > rule.shape_points:
        stride = -(-len(shown) // (rule.shape_points - 2))
        shown = sorted({*shown[::stride], start, peak})
    evidence = MetricEvidence(
        query=ref.query,
        window=window,
        observed=float(values[peak]),
        expected=round(at.expected, 6),
        lower=round(at.lower, 6),
        upper=round(at.upper, 6),
        unit=ref.unit,
        labels=dict(ref.labels),
        points=tuple((float(timestamps[i]), float(values[i])) for i in shown),
    )
    facts: dict[str, JSON] = {
        "score": round(at.score, 4),
        "model": at.model,
        "points": end - start,
        "ongoing": end == len(scores),
        "agreeing": ", ".join(agreeing),
        **{f"vote_{name}": round(v, 4) for name, v in strongest.items()},
    }
    critical = at.score >= rule.critical and len(agreeing) >= 3
    what = ref.signal or "metric"
    unit = f" {ref.unit}" if ref.unit else ""
    return Finding(
        kind=KIND,
        asset_id=ref.asset_id,
        tenant=ref.tenant,
        severity="critical" if critical else "warning",
        title=(
            f"{what} anomaly on {ref.asset_id}: {values[peak]:.4g}{unit}, expected {at.expected:.4g} "
            f"({at.lower:.4g} to {at.upper:.4g}) for {end - start} points"
        ),
        window=window,
        evidence=(evidence, FactEvidence("anomaly_votes", facts)),
        key=ref.query,
        score=min(1.0, max(0.0, at.score)),
        labels={"signal": what, "model": at.model},
    )
