"""The log analyzer: the log stream, read incrementally, turned into findings, continuously.

One cycle (:meth:`LogAnalyzer.run_once`), every ``interval``:

1. read what the log store holds after the persisted cursor (``read_after``, storage order, all tenants);
2. mine it per (tenant, source) (:mod:`.logloop_feed`; a process pool for big cycles);
3. feed every event to the log rules (``rules/logs/*.yml``) and the template detectors (new template, rates,
   repeated errors), which are pure and keep their own state;
4. ask rules and detectors what holds at ``now``, and bring the findings store in line (:mod:`.logloop_findings`);
5. write the cursor, the changed state (miners when their templates changed, rule states, detector parts) and
   the findings in **one transaction** of the state file (:mod:`.state`).

So a crash loses at most the cycle in flight, which the next start reads again from the old cursor with the old
state; and a restart re-emits nothing, because the findings it already raised are in the same file, active.
If a cycle fails before its commit the in-memory state is reloaded from the file, so memory never runs ahead of
it either.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass
from typing import Any, Protocol

from inframind.analyzer.detect.grouping import RepeatedErrors
from inframind.analyzer.detect.loghits import TemplateHit
from inframind.analyzer.detect.logrules import RuleState
from inframind.analyzer.detect.new_template import NewTemplateDetector
from inframind.analyzer.detect.rates import RateDetector
from inframind.analyzer.detect.templates import MinerSet
from inframind.analyzer.findings import Finding
from inframind.analyzer.logloop_feed import mine
from inframind.analyzer.logloop_findings import reconcile
from inframind.analyzer.logloop_metrics import LogAnalyzerCollector, LoopMetrics, TemplateRates
from inframind.analyzer.logloop_settings import (
    LogAnalysisSettings,
    grouping_settings,
    new_template_settings,
    rate_settings,
)
from inframind.analyzer.replicas_shard import Shard
from inframind.analyzer.rulefiles import RuleGroup
from inframind.analyzer.state import FindingRecord, LoopState
from inframind.events import LogEvent
from inframind.logstore import LogStore

log = logging.getLogger(__name__)
Criticality = Callable[[str], str]
"""Asset id -> its criticality (low, medium, high, critical); ``medium`` when unknown."""


class Detector(Protocol):
    """What the loop needs of a template detector (new template, rates, repeated errors)."""

    def observe(self, hit: TemplateHit) -> None: ...
    def dirty_parts(self) -> dict[str, Any]: ...
    def mark_clean(self) -> None: ...
    def restore_parts(self, parts: Mapping[str, Any]) -> None: ...
    def evaluate(self, now: float, criticality: Mapping[str, str] | None = None) -> list[Finding]: ...


@dataclass(frozen=True)
class CycleReport:
    events: int
    emitted: tuple[Finding, ...]
    resolved: tuple[Finding, ...]
    active: int
    caught_up: bool


class _CriticalityMap(Mapping[str, str]):
    """Criticality as data for the detectors, looked up lazily (once per asset and cycle)."""

    def __init__(self, lookup: Criticality) -> None:
        self._lookup = lookup
        self._seen: dict[str, str] = {}

    def __getitem__(self, asset: str) -> str:
        if asset not in self._seen:
            self._seen[asset] = self._lookup(asset)
        return self._seen[asset]

    def __iter__(self) -> Iterator[str]:
        return iter(self._seen)

    def __len__(self) -> int:
        return len(self._seen)


class LogAnalyzer:
    def __init__(
        self,
        store: LogStore,
        state: LoopState,
        settings: LogAnalysisSettings,
        rules: Sequence[RuleGroup],
        *,
        criticality: Criticality | None = None,
        executor_factory: Callable[[], Executor] | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.store, self.state, self.settings = store, state, settings
        self.findings = state.findings
        self.rules = [rule for group in rules for rule in group.rules]
        self._criticality = criticality or (lambda _asset: "medium")
        self._executor_factory = executor_factory
        self._executor: Executor | None = None
        self._clock = clock
        self._lock = threading.Lock()
        self.metrics = LoopMetrics(caught_up_at=clock())
        self._load()

    def _load(self) -> None:
        """(Re)build every piece of state from the state file."""
        s = self.settings
        self.cursor: str | None = self.state.get("cursor")
        snapshot = self.state.get("miners")
        self.miners = MinerSet.restore(snapshot) if snapshot is not None else MinerSet()
        self._miner_mark = (self._miner_revision(), self._miner_lines(), self._clock())
        self.rule_states = {rule.alert: RuleState(rule) for rule in self.rules}
        stored = self.state.items("rule:")
        self._rule_text: dict[str, str] = {}
        for alert, data in stored.items():
            if alert in self.rule_states:
                self.rule_states[alert].restore(data)
                self._rule_text[alert] = json.dumps(data, sort_keys=True)
        self._stale_rules = set(stored) - set(self.rule_states)
        self.detectors: dict[str, Detector] = {
            "new_template": NewTemplateDetector(new_template_settings(s)),
            "rates": RateDetector(rate_settings(s)),
            "repeated": RepeatedErrors(grouping_settings(s)),
        }
        for name, detector in self.detectors.items():
            detector.restore_parts(self.state.items(f"{name}/"))
        self.gauges = TemplateRates(s.rate_window, s.top_n)

    def _miner_revision(self) -> int:
        return len(self.miners) + sum(self.miners.miner(*key).revision for key in self.miners)

    def _miner_lines(self) -> int:
        return sum(self.miners.miner(*key).lines for key in self.miners)

    # ------------------------------------------------------------ the cycle

    def reload(self) -> None:
        """Forget memory and read the committed state again (a shard taken back from another replica)."""
        with self._lock:
            self._load()

    def run_once(self, now: dt.datetime, shard: Shard | None = None) -> CycleReport:
        """One cycle at ``now`` (read, mine, detect, reconcile, persist); see the module docstring. If anything
        fails before the commit, the in-memory state is reloaded from the file and the error raised: the next cycle
        starts again from the last committed cursor. With ``shard`` only its assets' events are analyzed and only
        its assets' findings reconciled (the state given to the constructor must be that shard's)."""
        with self._lock:
            try:
                return self._cycle(now, shard)
            except BaseException:
                self._load()
                raise

    def _cycle(self, now: dt.datetime, shard: Shard | None) -> CycleReport:
        events, caught_up = self._read()
        if shard is not None:
            events = [e for e in events if shard.owns(e.tenant, e.asset_id)]
        for item in mine(self.miners, events, self._pool(len(events)), self.settings.parallel_lines):
            self._feed(item.event, item.hit.template_id, item.wildcard)
            for detector in self.detectors.values():
                detector.observe(item.hit)
            self.gauges.add(item.hit.tenant, item.hit.asset, item.hit.template_id, item.hit.at)
        t = now.timestamp()
        current: list[Finding] = []
        for rule_state in self.rule_states.values():
            current.extend(rule_state.evaluate(t))
        criticality = _CriticalityMap(self._criticality)
        for detector in self.detectors.values():
            current.extend(detector.evaluate(t, criticality))
        with self.state.transaction():
            owns = None if shard is None else (lambda f: shard.owns(f.tenant, f.asset_id))
            changes = reconcile(self.findings, current, self._rule_firing, now, owns)
            self._persist(now)
        for detector in self.detectors.values():
            detector.mark_clean()
        self._publish(t, len(events), caught_up)
        return CycleReport(len(events), tuple(changes.emitted), tuple(changes.resolved), changes.active, caught_up)

    def _read(self) -> tuple[list[LogEvent], bool]:
        s = self.settings
        events: list[LogEvent] = []
        while len(events) < s.max_cycle_events:
            limit = min(s.batch, s.max_cycle_events - len(events))
            page, position = self.store.read_after(self.cursor, limit)
            events.extend(page)
            self.cursor = position
            if len(page) < limit:
                return events, True
        return events, False

    def _pool(self, lines: int) -> Executor | None:
        if self._executor_factory is None or lines < self.settings.parallel_lines:
            return None
        if self._executor is None:
            self._executor = self._executor_factory()
        return self._executor

    def _feed(self, event: LogEvent, template_id: str, wildcard: str) -> None:
        for rule_state in self.rule_states.values():
            rule_state.observe(event, wildcard, template_id)

    def _rule_firing(self, record: FindingRecord) -> bool:
        state = self.rule_states.get(record.finding.labels.get("alertname", ""))
        if state is None:
            return False
        group = state.groups.get(record.finding.key.split("|", 1)[-1])
        return group is not None and group.fired

    def _persist(self, now: dt.datetime) -> None:
        put = self.state.put
        put("cursor", self.cursor, now)
        revision, lines = self._miner_revision(), self._miner_lines()
        old_revision, old_lines, written = self._miner_mark
        clock = self._clock()
        if revision != old_revision or (lines != old_lines and clock - written >= self.settings.snapshot_every):
            put("miners", self.miners.snapshot(), now)
            self._miner_mark = (revision, lines, clock)
        for alert, rule_state in self.rule_states.items():
            data = rule_state.to_dict()
            text = json.dumps(data, sort_keys=True)
            if self._rule_text.get(alert) != text:
                put(f"rule:{alert}", data, now)
                self._rule_text[alert] = text
        for alert in self._stale_rules:
            self.state.delete(f"rule:{alert}")
        self._stale_rules = set()
        for name, detector in self.detectors.items():
            for part, value in detector.dirty_parts().items():
                if value is None:
                    self.state.delete(f"{name}/{part}")
                else:
                    put(f"{name}/{part}", value, now)

    def _publish(self, now: float, events: int, caught_up: bool) -> None:
        evicted = sum(self.miners.miner(*key).evictions for key in self.miners)
        before = self.metrics
        self.metrics = LoopMetrics(
            rates=tuple(self.gauges.top(now)),
            evicted=evicted,
            events=before.events + events,
            caught_up_at=self._clock() if caught_up else before.caught_up_at,
        )

    # ------------------------------------------------------------ wiring

    def collector(self) -> LogAnalyzerCollector:
        return LogAnalyzerCollector(lambda: self.metrics, self._clock)

    def close(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=True, cancel_futures=True)
            self._executor = None
