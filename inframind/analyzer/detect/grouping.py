"""Repeated errors grouped into one finding per template, across every asset that logs it.

Pure (no clock). An *error* is a hit whose template classifies as one by itself (rank 2 or more in
:mod:`.classify`: an error level or error words), whatever the asset. Hits of one (tenant, source, template) form
a group; the group becomes a ``log.repeated`` finding when at least ``min_count`` (10) of them fall in the last
``window`` (15 min), counted in one-minute buckets. It stays active while any of them still falls in the window,
then resolves; the next episode starts afresh.

One finding, not one per asset: several assets logging the same error (an NFS server gone, a bad config pushed
everywhere) is one problem. Its ``asset_id`` is the asset that logged first in the window when it fired (fixed
for the episode, so the fingerprint is stable while other assets join); the evidence lists every affected asset
with its count, the count, first and last time of the episode, samples and sample parameter values. Severity
is the template's classification with the most critical affected asset's criticality.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from inframind.analyzer.detect.classify import classify_template, with_criticality
from inframind.analyzer.detect.loghits import TemplateHit, add_params, frozen_params, utc
from inframind.analyzer.findings import FactEvidence, Finding, LogEvidence, Window

GroupKey = tuple[str, str, str]
"""(tenant, source, template_id)."""
CRITICALITY_RANK = {"low": 0, "medium": 1, "high": 2, "critical": 3}
MAX_LISTED = 50


@dataclass(frozen=True)
class GroupingSettings:
    window: float = 900.0
    min_count: int = 10
    bucket: float = 60.0
    samples: int = 3
    params: int = 5
    max_groups: int = 10_000


@dataclass
class Group:
    tenant: str
    source: str
    template_id: str
    template: str
    level: str
    provider: str | None = None
    event_id: str | None = None
    buckets: dict[str, dict[int, int]] = field(default_factory=dict)
    """Asset -> bucket index -> events (only buckets that may still be in the window)."""
    firsts: dict[str, float] = field(default_factory=dict)
    """Asset -> its first event of the episode."""
    counts: dict[str, int] = field(default_factory=dict)
    """Asset -> its events of the episode."""
    first: float = math.inf
    last: float = 0.0
    samples: list[str] = field(default_factory=list)
    params: dict[str, list[str]] = field(default_factory=dict)
    anchor: str = ""
    key: str = ""

    def in_window(self, start_bucket: int) -> int:
        return sum(n for per in self.buckets.values() for b, n in per.items() if b >= start_bucket)

    def to_json(self) -> dict[str, Any]:
        data = dict(vars(self))
        data["buckets"] = {a: sorted(per.items()) for a, per in self.buckets.items()}
        data["first"] = None if math.isinf(self.first) else self.first
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Group:
        values = dict(data)
        values["buckets"] = {a: {int(b): int(n) for b, n in per} for a, per in data["buckets"].items()}
        values["first"] = math.inf if data["first"] is None else float(data["first"])
        return cls(**values)


class RepeatedErrors:
    def __init__(self, settings: GroupingSettings | None = None) -> None:
        self.settings = settings or GroupingSettings()
        self.groups: dict[GroupKey, Group] = {}
        self._dirty = False

    def observe(self, hit: TemplateHit) -> None:
        if hit.changed_from:
            self.rename(hit.tenant, hit.source, hit.changed_from, hit.template_id, hit.template)
        if not classify_template(hit.level, hit.template, hit.source, hit.provider, hit.event_id).is_error:
            return
        s = self.settings
        key = (hit.tenant, hit.source, hit.template_id)
        group = self.groups.get(key)
        if group is None:
            if len(self.groups) >= s.max_groups:
                self._forget_one()
            group = Group(hit.tenant, hit.source, hit.template_id, hit.template, hit.level, hit.provider, hit.event_id)
            self.groups[key] = group
        group.template = hit.template
        bucket = int(hit.at // s.bucket)
        per = group.buckets.setdefault(hit.asset, {})
        per[bucket] = per.get(bucket, 0) + 1
        group.firsts[hit.asset] = min(group.firsts.get(hit.asset, hit.at), hit.at)
        group.counts[hit.asset] = group.counts.get(hit.asset, 0) + 1
        group.first, group.last = min(group.first, hit.at), max(group.last, hit.at)
        if len(group.samples) < s.samples:
            group.samples.append(hit.message[:500])
        add_params(group.params, hit.params, s.params)
        self._dirty = True

    def _forget_one(self) -> None:
        idle = [k for k, g in self.groups.items() if not g.key] or list(self.groups)
        del self.groups[min(idle, key=lambda k: self.groups[k].last)]

    def rename(self, tenant: str, source: str, old_ids: tuple[str, ...], new_id: str, template: str) -> None:
        """The miner replaced ``old_ids`` by ``new_id``: their groups become one."""
        for old in old_ids:
            gone = self.groups.pop((tenant, source, old), None)
            if gone is None:
                continue
            self._dirty = True
            gone.template_id, gone.template = new_id, template
            into = self.groups.setdefault((tenant, source, new_id), gone)
            if into is not gone:
                _absorb(into, gone)

    def evaluate(self, now: float, criticality: Mapping[str, str] | None = None) -> list[Finding]:
        """Groups that are active at ``now``; a group with nothing left in the window is forgotten."""
        s, found = self.settings, []
        levels = {} if criticality is None else criticality
        start = int((now - s.window) // s.bucket) + 1
        for key, group in list(self.groups.items()):
            for asset, per in list(group.buckets.items()):
                for b in [b for b in per if b < start]:
                    del per[b]
                    self._dirty = True
                if not per:
                    del group.buckets[asset]
            recent = group.in_window(start)
            if recent == 0:
                del self.groups[key]
                self._dirty = True
                continue
            if not group.key:
                if recent < s.min_count:
                    continue
                group.anchor = min(group.buckets, key=lambda a: (group.firsts[a], a))
                group.key = f"{group.source}:{group.template_id}"
                self._dirty = True
            found.append(self._finding(group, now, levels))
        return found

    def _finding(self, group: Group, now: float, criticality: Mapping[str, str]) -> Finding:
        assets = sorted(group.counts, key=lambda a: (-group.counts[a], a))
        worst = max((criticality.get(a, "medium") for a in assets), key=lambda c: CRITICALITY_RANK.get(c, 1))
        verdict = with_criticality(
            classify_template(group.level, group.template, group.source, group.provider, group.event_id), worst
        )
        total = sum(group.counts.values())
        window = Window(utc(group.first), utc(max(group.last, group.first)))
        where = group.anchor if len(assets) == 1 else f"{len(assets)} assets"
        return Finding(
            kind="log.repeated",
            asset_id=group.anchor,
            tenant=group.tenant,
            severity=verdict.severity,
            title=f"Repeated error on {where}: {total} x '{group.template[:120]}'",
            window=window,
            evidence=(
                LogEvidence(
                    group.template,
                    group.template_id,
                    total,
                    window,
                    utc(group.first),
                    utc(group.last),
                    source=group.source,
                    event_id=group.event_id,
                    samples=tuple(group.samples),
                    parameters=frozen_params(group.params),
                    assets=tuple(sorted(assets[:MAX_LISTED])),
                ),
                FactEvidence("affected_assets", {a: group.counts[a] for a in assets[:MAX_LISTED]}),
            ),
            key=group.key,
            labels={**verdict.labels, "source": group.source, "assets": str(len(assets))},
        )

    # ------------------------------------------------------------ state

    def dirty_parts(self) -> dict[str, Any]:
        return {"groups": self._groups()} if self._dirty else {}

    def mark_clean(self) -> None:
        self._dirty = False

    def _groups(self) -> list[dict[str, Any]]:
        return [group.to_json() for group in self.groups.values()]

    def parts(self) -> dict[str, Any]:
        return {"groups": self._groups()}

    def restore_parts(self, parts: Mapping[str, Any]) -> None:
        self.groups = {}
        for item in parts.get("groups") or []:
            group = Group.from_json(item)
            self.groups[(group.tenant, group.source, group.template_id)] = group
        self._dirty = False

    def to_dict(self) -> dict[str, Any]:
        return {"parts": self.parts()}

    def restore(self, data: Mapping[str, Any]) -> None:
        self.restore_parts(data["parts"])


def _absorb(into: Group, other: Group) -> None:
    for asset, per in other.buckets.items():
        mine = into.buckets.setdefault(asset, {})
        for b, n in per.items():
            mine[b] = mine.get(b, 0) + n
    for asset, n in other.counts.items():
        into.counts[asset] = into.counts.get(asset, 0) + n
    for asset, at in other.firsts.items():
        into.firsts[asset] = min(into.firsts.get(asset, at), at)
    into.first, into.last = min(into.first, other.first), max(into.last, other.last)
    into.samples = (into.samples + other.samples)[: max(len(into.samples), len(other.samples))]
    if not into.key and other.key:
        into.key, into.anchor = other.key, other.anchor
