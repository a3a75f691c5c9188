"""Root-cause analysis: findings close in time and connected in the dependency graph become one incident.

Pure and incremental: :func:`correlate` takes the open incidents and the findings (every active one, plus the
resolved records of open incidents' members when the caller has them) and returns every incident it touched.
The rules, in order:

- an open incident keeps its findings; one whose findings have all resolved resolves itself;
- an active finding that belongs to no open incident joins the open incidents (and the other new findings)
  it is *related* to: same tenant, activity within ``window`` of each other, and in the graph either on the
  same asset, one upstream of the other (within ``max_hops``, see :mod:`.correlate_graph` for which way each
  edge carries trouble), or sharing a dependency (within ``shared_hops``: two hosts in one rack);
- a finding related to two open incidents merges them into the older (the other resolves, labelled
  ``merged_into``), so R3-01 and R3-02 never end up in two incidents once something joins them;
- findings related to no open incident open a new one whose id is ``incident_id`` of its earliest finding's
  fingerprint: the same trouble gets the same id on every replica and after a restart (and a finding that
  fires again after its incident resolved reopens that id);
- every touched incident gets its causes re-ranked (:mod:`.correlate_rank`), its title from the best cause,
  its severity as the highest of its findings, and its timeline: ``first_signal_at`` the earliest evidence
  window start of its findings, ``detected_at`` when its first finding became active.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from inframind.analyzer.correlate_graph import ImpactGraph
from inframind.analyzer.correlate_rank import Signal, rank
from inframind.analyzer.findings import SEVERITIES, LogEvidence, MetricEvidence
from inframind.analyzer.incidents import Cause, Incident, Timeline, incident_id
from inframind.analyzer.state import FindingRecord
from inframind.config.analyzer_sections import CorrelationSettings

MERGED_INTO = "merged_into"
TITLE_LIMIT = 200


class _Index:
    """Signals by the assets they sit on and the assets above them, so relatedness is a few dict lookups."""

    def __init__(self, graph: ImpactGraph, settings: CorrelationSettings) -> None:
        self.graph, self.settings = graph, settings
        self.on: dict[str, list[Signal]] = {}
        self.below: dict[str, list[Signal]] = {}
        self.sharing: dict[str, list[Signal]] = {}

    def _up(self, signal: Signal, hops: int, links: bool) -> set[str]:
        return {u for a in signal.assets for u in self.graph.upstream(a, hops, links=links)}

    def add(self, signal: Signal) -> None:
        for asset in signal.assets:
            self.on.setdefault(asset, []).append(signal)
        for up in self._up(signal, self.settings.max_hops, True):
            self.below.setdefault(up, []).append(signal)
        for up in self._up(signal, self.settings.shared_hops, False):
            self.sharing.setdefault(up, []).append(signal)

    def related(self, signal: Signal) -> Iterable[Signal]:
        found: dict[str, Signal] = {}
        for asset in signal.assets:
            for other in (*self.on.get(asset, ()), *self.below.get(asset, ())):
                found[other.fingerprint] = other
        for up in self._up(signal, self.settings.max_hops, True):
            found.update((o.fingerprint, o) for o in self.on.get(up, ()))
        for up in self._up(signal, self.settings.shared_hops, False):
            found.update((o.fingerprint, o) for o in self.sharing.get(up, ()))
        window = dt.timedelta(seconds=self.settings.window)
        for other in found.values():
            if (
                other.fingerprint != signal.fingerprint
                and other.finding.tenant == signal.finding.tenant
                and other.onset - window <= signal.last
                and signal.onset - window <= other.last
            ):
                yield other


class _Groups:
    """Union-find over incident ids and new findings' fingerprints."""

    def __init__(self) -> None:
        self.parent: dict[str, str] = {}

    def find(self, key: str) -> str:
        self.parent.setdefault(key, key)
        while self.parent[key] != key:
            self.parent[key] = self.parent[self.parent[key]]
            key = self.parent[key]
        return key

    def union(self, a: str, b: str) -> None:
        self.parent[self.find(a)] = self.find(b)

    def groups(self) -> list[list[str]]:
        out: dict[str, list[str]] = {}
        for key in self.parent:
            out.setdefault(self.find(key), []).append(key)
        return list(out.values())


def _evidence_start(signal: Signal) -> dt.datetime:
    starts = [e.window.start for e in signal.finding.evidence if isinstance(e, MetricEvidence | LogEvidence)]
    return min([*starts, signal.finding.window.start])


def _title(causes: Sequence[Cause], known: Sequence[Signal], by_fp: dict[str, Signal]) -> str:
    assets = list(dict.fromkeys(a for s in known for a in s.assets))
    top = causes[0] if causes else None
    if top is not None and top.fingerprint in by_fp:
        lead = by_fp[top.fingerprint]
        others = [a for a in assets if a not in lead.assets]
        more = f" (+{len(known) - 1} related" + (f" on {', '.join(others[:3])}" if others else "") + ")"
        title = lead.finding.title + (more if len(known) > 1 else "")
    elif top is not None:
        title = f"{len(known)} findings on {', '.join(assets[:4])} share {top.asset_id}"
    else:
        title = known[0].finding.title
    return title if len(title) <= TITLE_LIMIT else title[: TITLE_LIMIT - 1] + "…"


@dataclass(frozen=True)
class _Run:
    by_fp: dict[str, Signal]
    graph: ImpactGraph
    now: dt.datetime
    settings: CorrelationSettings


def _build(prev: Incident | None, fps: Sequence[str], run: _Run) -> Incident:
    by_fp, now, settings = run.by_fp, run.now, run.settings
    known = sorted((by_fp[fp] for fp in fps if fp in by_fp), key=lambda s: (s.onset, s.fingerprint))
    if not known:  # nothing left to judge by: every member resolved and none was passed in
        assert prev is not None
        return dataclasses.replace(prev, state="resolved").with_timeline(resolved_at=now)
    causes = rank(known, run.graph, settings.max_hops, settings.shared_hops, settings.max_causes)
    first_signal = min(_evidence_start(s) for s in known)
    if prev is None:
        timeline = Timeline(first_signal, min(*(s.record.first_seen for s in known), now))
    else:
        timeline = dataclasses.replace(prev.timeline, first_signal_at=min(first_signal, prev.timeline.first_signal_at))
    labels = dict(prev.labels) if prev else {}
    if causes:
        labels.update(cause_asset=causes[0].asset_id, cause_kind=causes[0].kind)
    incident = Incident(
        id=prev.id if prev else incident_id(fps[0]),
        tenant=known[0].finding.tenant,
        title=_title(causes, known, by_fp),
        severity=max((s.finding.severity for s in known), key=SEVERITIES.index),
        state="open" if any(s.active for s in known) else "resolved",
        findings=tuple(fps),
        assets=tuple(dict.fromkeys([*(prev.assets if prev else ()), *(a for s in known for a in s.assets)])),
        timeline=timeline,
        causes=causes,
        labels=labels,
    )
    return incident.with_timeline(resolved_at=now) if incident.state == "resolved" else incident


def correlate(
    incidents: Sequence[Incident],
    findings: Sequence[FindingRecord],
    graph: ImpactGraph,
    now: dt.datetime,
    settings: CorrelationSettings | None = None,
) -> list[Incident]:
    """Every open incident of ``incidents`` brought up to date with ``findings``, and the new incidents they open
    (see the module docstring). Resolved incidents passed in are history and are not returned."""
    settings = settings or CorrelationSettings()
    by_fp = {r.fingerprint: Signal.of(r) for r in findings}
    opened = sorted((i for i in incidents if i.state == "open"), key=lambda i: (i.timeline.detected_at, i.id))
    owner: dict[str, str] = {}
    for incident in opened:
        for fp in incident.findings:
            owner.setdefault(fp, incident.id)
    active = [s for s in by_fp.values() if s.active]
    new = sorted((s for s in active if s.fingerprint not in owner), key=lambda s: (s.onset, s.fingerprint))
    index = _Index(graph, settings)
    for signal in active:
        index.add(signal)
    groups = _Groups()
    for incident in opened:
        groups.find(incident.id)
    for signal in new:
        groups.find(signal.fingerprint)
        for other in index.related(signal):
            groups.union(signal.fingerprint, owner.get(other.fingerprint, other.fingerprint))
    run = _Run(by_fp, graph, now, settings)
    rank_of = {i.id: n for n, i in enumerate(opened)}
    by_id = {i.id: i for i in opened}
    out: list[Incident] = []
    for keys in groups.groups():
        ids = sorted((k for k in keys if k in by_id), key=rank_of.__getitem__)
        joined = [s.fingerprint for s in new if s.fingerprint in keys]
        if not ids:
            out.append(_build(None, joined, run))
            continue
        survivor = by_id[ids[0]]
        fps = list(survivor.findings)
        for absorbed in (by_id[i] for i in ids[1:]):
            fps.extend(fp for fp in absorbed.findings if fp not in fps)
            labels = {**absorbed.labels, MERGED_INTO: survivor.id}
            out.append(dataclasses.replace(absorbed, state="resolved", labels=labels).with_timeline(resolved_at=now))
        out.append(_build(survivor, [*fps, *joined], run))
    return sorted(out, key=lambda i: i.id)
