"""New log templates: a class of message never seen before on this (tenant, source, asset).

Pure (no clock): the service feeds :class:`TemplateHit` s in storage order and calls :meth:`evaluate` with the
time. The rules that keep it quiet where nothing is new:

- **Renames are followed.** When the miner generalizes or merges templates (``changed_from``), every asset that
  knew an old id knows the new one, so a generalization is never a "new" class.
- **Warm-up.** A (tenant, source) learns silently for ``warmup`` (1 day) after its first event, so a fresh
  install does not report every template it meets; an asset that starts logging into a known source learns
  silently for ``asset_warmup`` (1 hour), so adding a server does not either. Both use event time.
- **Grace.** The miner can split a class at first (a value that held for ten lines then changes shows as
  ``created`` until the split heals), so a candidate waits ``grace`` (5 min); if it merges into a template the
  asset already knew meanwhile, it is dropped. A reported one that merges into a known class later resolves.
- **Stale and minor.** A candidate whose last occurrence is older than ``max_age`` (6 h: a backfill after an
  outage) is learned silently, as is one whose classification is below ``min_severity`` (``warning``): a new
  class of *error* is the signal, a new informational line is not.

A reported template stays active while it keeps occurring and for ``hold`` (6 h) after its last occurrence;
its evidence holds the first occurrences (samples, first seen, parameter values) and the count so far.

State is JSON in two parts: ``known`` (which asset knows which template; changes when classes appear) and
``seen`` (candidates and reported templates; small).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from inframind.analyzer.detect.classify import at_least, classify
from inframind.analyzer.detect.loghits import Key, TemplateHit, add_params, frozen_params, utc
from inframind.analyzer.findings import Finding, LogEvidence, Severity, Window

SeenKey = tuple[str, str, str, str]
"""(tenant, source, asset, template_id)."""


@dataclass(frozen=True)
class NewTemplateSettings:
    warmup: float = 86400.0
    asset_warmup: float = 3600.0
    grace: float = 300.0
    hold: float = 6 * 3600.0
    max_age: float = 6 * 3600.0
    min_severity: Severity = "warning"
    max_templates: int = 20_000
    """Template ids remembered per (tenant, source), least recently seen forgotten first (the miner keeps 5000)."""
    samples: int = 5
    params: int = 5


@dataclass
class Seen:
    """A candidate new template on one asset (``reported`` once its finding is out)."""

    hit: TemplateHit
    """The first occurrence (its template id and text are kept current through renames)."""
    first: float
    last: float
    count: int = 1
    samples: list[str] = field(default_factory=list)
    params: dict[str, list[str]] = field(default_factory=dict)
    reported: bool = False
    key: str = ""

    def to_json(self) -> dict[str, Any]:
        h = self.hit
        return {"hit": [h.tenant, h.source, h.asset, h.at, h.level, h.message, h.template_id, h.template,
                        h.event_id, h.provider],
                "first": self.first, "last": self.last, "count": self.count, "samples": self.samples,
                "params": self.params, "reported": self.reported, "key": self.key}  # fmt: skip

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Seen:
        t, s, a, at, level, message, tid, template, event_id, provider = data["hit"]
        hit = TemplateHit(t, s, a, float(at), level, message, tid, template, event_id=event_id, provider=provider)
        params = {k: list(v) for k, v in data["params"].items()}
        return cls(hit, float(data["first"]), float(data["last"]), int(data["count"]), list(data["samples"]), params,
                   bool(data["reported"]), str(data["key"]))  # fmt: skip


class NewTemplateDetector:
    def __init__(self, settings: NewTemplateSettings | None = None) -> None:
        self.settings = settings or NewTemplateSettings()
        self.streams: dict[Key, float] = {}
        """First event time per (tenant, source)."""
        self.asset_first: dict[tuple[str, str, str], float] = {}
        self.known: dict[Key, OrderedDict[str, set[str]]] = {}
        """Per stream: template id -> assets that know it, least recently seen first."""
        self.seen: dict[SeenKey, Seen] = {}
        self._known_dirty = self._seen_dirty = False

    # ------------------------------------------------------------ feeding

    def observe(self, hit: TemplateHit) -> None:
        stream = hit.stream
        if hit.changed_from:
            self.rename(stream, hit.changed_from, hit.template_id, hit.template)
        templates = self.known.setdefault(stream, OrderedDict())
        holders = templates.get(hit.template_id)
        if holders is not None and hit.asset in holders:
            templates.move_to_end(hit.template_id)
            seen = self.seen.get((*stream, hit.asset, hit.template_id))
            if seen is not None:
                self._again(seen, hit)
            return
        s = self.settings
        started = self.streams.setdefault(stream, hit.at)
        asset_started = self.asset_first.setdefault((*stream, hit.asset), hit.at)
        if hit.at - started < s.warmup or hit.at - asset_started < s.asset_warmup:
            self._learn(stream, hit.template_id, hit.asset)
            return
        key = (*stream, hit.asset, hit.template_id)
        seen = self.seen.get(key)
        if seen is None:
            self.seen[key] = seen = Seen(hit, hit.at, hit.at, 0)
        self._again(seen, hit)

    def _again(self, seen: Seen, hit: TemplateHit) -> None:
        seen.count += 1
        seen.first, seen.last = min(seen.first, hit.at), max(seen.last, hit.at)
        if len(seen.samples) < self.settings.samples:
            seen.samples.append(hit.message[:500])
        add_params(seen.params, hit.params, self.settings.params)
        self._seen_dirty = True

    def _learn(self, stream: Key, template_id: str, asset: str) -> None:
        templates = self.known.setdefault(stream, OrderedDict())
        templates.setdefault(template_id, set()).add(asset)
        templates.move_to_end(template_id)
        while len(templates) > self.settings.max_templates:
            templates.popitem(last=False)
        self._known_dirty = True

    def rename(self, stream: Key, old_ids: tuple[str, ...], new_id: str, template: str = "") -> None:
        """The miner replaced ``old_ids`` by ``new_id``: whoever knew one knows the new; candidates follow."""
        templates = self.known.setdefault(stream, OrderedDict())
        holders = templates.pop(new_id, set())
        for old in old_ids:
            holders |= templates.pop(old, set())
        if holders:
            templates[new_id] = holders
            self._known_dirty = True
        for key in [k for k in self.seen if k[:2] == stream and k[3] in old_ids]:
            seen = self.seen.pop(key)
            self._seen_dirty = True
            if key[2] in holders:
                continue  # it merged into a class this asset already knew: not new after all
            seen.hit = _retitled(seen.hit, new_id, template or seen.hit.template)
            other = self.seen.get((*stream, key[2], new_id))
            if other is not None:
                seen.first, seen.last = min(seen.first, other.first), max(seen.last, other.last)
                seen.count += other.count
                seen.reported = seen.reported or other.reported
                seen.key = seen.key or other.key
            self.seen[(*stream, key[2], new_id)] = seen

    # ------------------------------------------------------------ evaluating

    def evaluate(self, now: float, criticality: Mapping[str, str] | None = None) -> list[Finding]:
        """Reported templates that are still active at ``now``; candidates past their grace are decided."""
        s, found = self.settings, []
        levels = {} if criticality is None else criticality
        for key, seen in list(self.seen.items()):
            verdict = classify(seen.hit, levels.get(key[2], "medium"))
            if not seen.reported:
                if now - seen.first < s.grace:
                    continue
                self._learn(key[:2], key[3], key[2])
                if now - seen.last > s.max_age or not at_least(verdict.severity, s.min_severity):
                    del self.seen[key]
                    self._seen_dirty = True
                    continue
                seen.reported, seen.key = True, f"{key[1]}:{key[3]}"
                self._seen_dirty = True
            if now - seen.last > s.hold:
                del self.seen[key]
                self._seen_dirty = True
                continue
            found.append(self._finding(seen, verdict.severity, verdict.labels))
        return found

    def _finding(self, seen: Seen, severity: Severity, labels: Mapping[str, str]) -> Finding:
        hit = seen.hit
        window = Window(utc(seen.first), utc(seen.last))
        return Finding(
            kind="log.new_template",
            asset_id=hit.asset,
            tenant=hit.tenant,
            severity=severity,
            title=f"New log template on {hit.asset}: {hit.template[:160]}",
            window=window,
            evidence=(
                LogEvidence(
                    hit.template,
                    hit.template_id,
                    seen.count,
                    window,
                    utc(seen.first),
                    utc(seen.last),
                    source=hit.source,
                    event_id=hit.event_id,
                    samples=tuple(seen.samples),
                    parameters=frozen_params(seen.params),
                    assets=(hit.asset,),
                ),
            ),
            key=seen.key,
            labels={**labels, "source": hit.source},
        )

    # ------------------------------------------------------------ state

    def dirty_parts(self) -> dict[str, Any]:
        parts: dict[str, Any] = {}
        if self._known_dirty:
            parts["known"] = self._known()
        if self._seen_dirty:
            parts["seen"] = [seen.to_json() for seen in self.seen.values()]
        return parts

    def mark_clean(self) -> None:
        self._known_dirty = self._seen_dirty = False

    def _known(self) -> dict[str, Any]:
        return {
            "streams": [[t, s, first] for (t, s), first in self.streams.items()],
            "assets": [[t, s, a, first] for (t, s, a), first in self.asset_first.items()],
            "templates": [[t, s, [[tid, sorted(assets)] for tid, assets in ids.items()]]
                          for (t, s), ids in self.known.items()],
        }  # fmt: skip

    def parts(self) -> dict[str, Any]:
        return {"known": self._known(), "seen": [seen.to_json() for seen in self.seen.values()]}

    def restore_parts(self, parts: Mapping[str, Any]) -> None:
        known = parts.get("known") or {"streams": [], "assets": [], "templates": []}
        self.streams = {(t, s): float(first) for t, s, first in known["streams"]}
        self.asset_first = {(t, s, a): float(first) for t, s, a, first in known["assets"]}
        self.known = {(t, s): OrderedDict((tid, set(who)) for tid, who in ids) for t, s, ids in known["templates"]}
        self.seen = {}
        for item in parts.get("seen") or []:
            seen = Seen.from_json(item)
            self.seen[(seen.hit.tenant, seen.hit.source, seen.hit.asset, seen.hit.template_id)] = seen
        self.mark_clean()

    def to_dict(self) -> dict[str, Any]:
        return {"parts": self.parts()}

    def restore(self, data: Mapping[str, Any]) -> None:
        self.restore_parts(data["parts"])


def _retitled(hit: TemplateHit, template_id: str, template: str) -> TemplateHit:
    return TemplateHit(hit.tenant, hit.source, hit.asset, hit.at, hit.level, hit.message, template_id, template,
                       event_id=hit.event_id, provider=hit.provider)  # fmt: skip
