"""Ranking root-cause candidates of one incident: upstream in the dependency graph, earliest, explains most.

Candidates are the incident's findings and, when two or more affected assets share a dependency that has no
finding of its own (the rack both hot hosts stand in, the CRAC that cools it), that shared asset as an
*inferred* cause (``Cause.fingerprint`` empty, ``Cause.kind`` ``"inferred"``). Each candidate gets a score in
[0, 1] from five terms, weighted so that a finding which explains everything beats an inferred asset that
explains the same (it has evidence), and an inferred asset that explains two findings beats a finding that
explains none:

- explains: the share of the other findings it can reach down the graph (or, on its own asset, that began
  after it);
- upstream: no other finding sits above it in the graph;
- earliest: how early its signal began within the incident;
- evidence: it is a finding, not an inferred asset;
- relevance: the edges on its paths fit the symptoms (a ``cooled-by`` path for thermal findings, ``uses-lun``
  for I/O ...; see :func:`inframind.analyzer.correlate_graph.edge_relevance`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from inframind.analyzer.correlate_graph import ImpactGraph, Path, path_relevance
from inframind.analyzer.findings import Finding, LogEvidence, MetricEvidence
from inframind.analyzer.incidents import Cause
from inframind.analyzer.state import FindingRecord

WEIGHTS = {"explains": 0.35, "upstream": 0.25, "earliest": 0.15, "evidence": 0.15, "relevance": 0.10}
INFERRED = "inferred"


@dataclass(frozen=True)
class Signal:
    """A finding as correlation sees it: where (its assets), and when its trouble was active."""

    record: FindingRecord
    assets: tuple[str, ...]
    onset: dt.datetime
    last: dt.datetime

    @classmethod
    def of(cls, record: FindingRecord) -> Signal:
        f = record.finding
        listed = [f.asset_id] if f.asset_id else []
        for evidence in f.evidence:
            if isinstance(evidence, LogEvidence):
                listed.extend(evidence.assets)
        onset = min(f.window.start, record.first_seen)
        last = max(f.window.end, record.last_seen, record.resolved_at or record.last_seen)
        return cls(record, tuple(dict.fromkeys(listed)), onset, last)

    @property
    def finding(self) -> Finding:
        return self.record.finding

    @property
    def fingerprint(self) -> str:
        return self.record.finding.fingerprint

    @property
    def active(self) -> bool:
        return self.record.state == "active"

    @property
    def symptoms(self) -> str:
        """The words edge relevance is judged on: kind, title, labels, series and templates."""
        f = self.finding
        parts = [f.kind, f.key, f.title, *f.labels.values()]
        for e in f.evidence:
            parts.append(e.query if isinstance(e, MetricEvidence) else e.template if isinstance(e, LogEvidence) else "")
        return " ".join(parts)


def path_text(path: Path) -> str:
    """``crac-3 -[cooled-by]-> R3 -[in-rack]-> R3-01``: the arrows point the way trouble flows."""
    out = path[0]
    for i in range(1, len(path), 2):
        out += f" -[{path[i]}]-> {path[i + 1]}"
    return out


def _reach(graph: ImpactGraph, cause: str, target: Signal, max_hops: int) -> Path | None:
    paths = [p for a in target.assets if (p := graph.path(cause, a, max_hops)) is not None and len(p) > 1]
    return min(paths, key=len) if paths else None


@dataclass
class _Candidate:
    asset: str
    signal: Signal | None
    explained: list[tuple[Signal, Path]]
    score: float = 0.0
    reasons: tuple[str, ...] = ()

    def sort_key(self) -> tuple[float, int, dt.datetime, int, str, str]:
        onset = self.signal.onset if self.signal else dt.datetime.max.replace(tzinfo=dt.UTC)
        shortest = min((len(p) for _, p in self.explained), default=0)
        fp = self.signal.fingerprint if self.signal else ""
        return (-self.score, 0 if self.signal else 1, onset, shortest, self.asset, fp)


def _explained(graph: ImpactGraph, asset: str, own: Signal | None, signals: Sequence[Signal], hops: int) -> list[
    tuple[Signal, Path]
]:  # fmt: skip
    found: list[tuple[Signal, Path]] = []
    for other in signals:
        if other is own:
            continue
        if asset in other.assets:
            if own is not None and other.onset > own.onset:
                found.append((other, (asset,)))
        elif (path := _reach(graph, asset, other, hops)) is not None:
            found.append((other, path))
    return sorted(found, key=lambda item: (item[0].onset, item[0].fingerprint))


def _score(cand: _Candidate, signals: Sequence[Signal], graph: ImpactGraph, hops: int) -> None:
    others = len(signals) - (1 if cand.signal else 0)
    t0 = min(s.onset for s in signals)
    span = (max(s.onset for s in signals) - t0).total_seconds()
    above = [s for s in signals if s is not cand.signal and cand.asset not in s.assets
             and any(graph.path(a, cand.asset, hops) for a in s.assets)]  # fmt: skip
    late = 0.0 if cand.signal is None or not span else (cand.signal.onset - t0).total_seconds() / span
    terms = {
        "explains": len(cand.explained) / others if others else 1.0,
        "upstream": 0.0 if above else 1.0,
        "earliest": 0.0 if cand.signal is None else 1.0 - late,
        "evidence": 1.0 if cand.signal else 0.0,
        "relevance": (
            sum(path_relevance(p, s.symptoms) for s, p in cand.explained) / len(cand.explained)
            if cand.explained else (1.0 if not others else 0.0)
        ),
    }  # fmt: skip
    cand.score = round(sum(WEIGHTS[name] * value for name, value in terms.items()), 4)
    reasons = []
    if cand.signal is None:
        kind = graph.kind_of(cand.asset) or "asset"
        reasons.append(f"no finding of its own: {len(cand.explained)} affected findings share this {kind}")
    if others and not above:
        reasons.append("upstream: no other finding of the incident sits above it in the dependency graph")
    if cand.signal is not None and others and terms["earliest"] == 1.0:
        reasons.append("earliest signal of the incident")
    if others:
        reasons.append(f"explains {len(cand.explained)} of {others} {'other ' if cand.signal else ''}findings")
    reasons += [f"{s.finding.kind} on {path[-1]}: {path_text(path)}" for s, path in cand.explained if len(path) > 1]
    cand.reasons = tuple(reasons)


def rank(signals: Sequence[Signal], graph: ImpactGraph, max_hops: int, shared_hops: int, limit: int) -> tuple[
    Cause, ...
]:  # fmt: skip
    """The incident's root-cause candidates, best first (at most ``limit``)."""
    if not signals:
        return ()
    candidates = []
    for s in signals:
        if s.assets:
            asset = s.finding.asset_id or s.assets[0]
            candidates.append(_Candidate(asset, s, _explained(graph, asset, s, signals, max_hops)))
    covered = {a for s in signals for a in s.assets}
    for asset in graph.common_upstream(covered, shared_hops):
        explained = _explained(graph, asset, None, signals, max_hops)
        if len({path[-1] for _, path in explained}) >= 2:
            candidates.append(_Candidate(asset, None, explained))
    for cand in candidates:
        _score(cand, signals, graph, max_hops)
    candidates.sort(key=_Candidate.sort_key)
    causes = []
    for cand in candidates[:limit]:
        first = cand.explained[0][1] if cand.explained else (cand.asset,)
        causes.append(
            Cause(
                fingerprint=cand.signal.fingerprint if cand.signal else "",
                asset_id=cand.asset,
                kind=cand.signal.finding.kind if cand.signal else INFERRED,
                score=cand.score,
                path=first,
                explains=tuple(s.fingerprint for s, _ in cand.explained),
                reasons=cand.reasons,
            )
        )
    return tuple(causes)
