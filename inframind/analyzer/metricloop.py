"""The metric analyzer: the metrics store, read incrementally, turned into findings, outputs and risk scores.

One cycle (:meth:`MetricAnalyzer.run_once`), every ``interval``, analyzes up to ``now - delay`` on the step grid:

1. anomalies: each signal kind in one range query from where its detectors stopped; new series are warmed on
   ``backfill`` of history (at most ``max_new_series`` per cycle, ``max_series`` in all) (:mod:`.metricloop_tasks`);
2. hot/cold nodes per group with their moves, and I/O tuning hints; SLO burn rates for the inventory's SLOs;
3. when due: capacity forecasts (``forecast_interval``), disk failure and node risk (``failure_interval``);
4. in **one transaction** of the shared state file: the findings store brought in line with what each task
   judged (:mod:`.metricloop_findings`, the log loop's active/resolve semantics), a share of the detectors'
   checkpoints, the tasks' last runs and their outputs;
5. risk scores from the active findings (every detector's, logs included) and the outputs, published with
   everything else for /metrics and the API.

A failed query costs its task this cycle (counted in ``errors_total{reason="query"}``), never the others' findings.
If anything else fails before the commit, memory is reloaded from the state file, as in the log loop.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
import threading
import time
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any, Literal, cast

from inframind.analyzer.detect.failure import DiskModel
from inframind.analyzer.detect.failure.findings import HORIZON_DAYS
from inframind.analyzer.detect.forecast import Model
from inframind.analyzer.detect.hotcold import GroupRatio
from inframind.analyzer.detect.risk import AssetRisk
from inframind.analyzer.detect.slo import Objective, objectives
from inframind.analyzer.findings import Finding
from inframind.analyzer.metricloop_anomaly import STATE_PREFIX, AnomalyBank
from inframind.analyzer.metricloop_capacity import TimeToFull, capacity_series, forecast_all
from inframind.analyzer.metricloop_disks import DriveProbability, drive_histories, node_risks, predict_disks
from inframind.analyzer.metricloop_findings import Scope, reconcile
from inframind.analyzer.metricloop_metrics import MetricAnalyzerCollector, MetricSnapshot
from inframind.analyzer.metricloop_risk import risk_scores
from inframind.analyzer.metricloop_settings import MetricAnalysisSettings
from inframind.analyzer.metricloop_tasks import run_anomaly, run_hotcold, run_slo
from inframind.analyzer.replicas_shard import Shard
from inframind.analyzer.sources.promql import PromClient, PromError, PromUnavailable
from inframind.analyzer.state import LoopState
from inframind.inventory import Inventory

log = logging.getLogger(__name__)
TASKS_KEY = "metric/tasks"
OUTPUTS_KEY = "metric/outputs"
RISK_ANOMALY_SPAN = 900.0
"""Anomaly scores of the last 15 minutes count towards risk."""
Criticality = Callable[[str], str]
Family = Literal["anomalies", "forecasts", "failure_models"]
"""What the scheduler runs on its own cadence: anomalies (with hot/cold, SLO and node risk), capacity
forecasts, disk failure models (with node risk)."""
FAMILIES: tuple[Family, ...] = ("anomalies", "forecasts", "failure_models")


@dataclass
class _Cycle:
    """What the tasks of one cycle leave for the commit and the outputs."""

    end: float
    at: dt.datetime
    ratios: tuple[GroupRatio, ...]
    scopes: list[Scope] = field(default_factory=list)
    ran: list[str] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)
    analyzed: dict[str, int] = field(default_factory=dict)
    skipped: int = 0
    outputs_changed: bool = False


@dataclass(frozen=True)
class CycleReport:
    ran: tuple[str, ...]
    emitted: tuple[Finding, ...]
    resolved: tuple[Finding, ...]
    active: int
    analyzed_until: float


class MetricAnalyzer:
    def __init__(
        self,
        client: PromClient,
        state: LoopState,
        settings: MetricAnalysisSettings,
        *,
        inventory: Inventory | None = None,
        criticality: Criticality | None = None,
        disk_model: DiskModel | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.client, self.state, self.settings = client, state, settings
        self.inventory, self.disk_model = inventory, disk_model
        self._criticality = criticality or (lambda _asset: "medium")
        self._clock = clock
        self._lock = threading.Lock()
        self.errors: Counter[str] = Counter()
        self.snapshot = MetricSnapshot()
        self.objectives: list[Objective] = []
        for asset in inventory.assets.values() if inventory is not None else ():
            found, problems = objectives(asset.tenant, asset.id, asset.slo)
            self.objectives.extend(found)
            for problem in problems:
                log.warning("metric analysis: inventory SLO ignored: %s", problem)
        self.bank = AnomalyBank(settings)
        self._loaded = False
        self._shard: Shard | None = None

    def _load(self) -> None:
        """(Re)build the detectors, the tasks' last runs and the last outputs from the state file (on the loop's
        thread at its first cycle: thousands of checkpoints take a while and must not hold up the API)."""
        self._loaded = True
        self.bank = AnomalyBank(self.settings)
        self._unusable = self.bank.restore(self.state.items(STATE_PREFIX))
        self.tasks: dict[str, float] = dict(self.state.get(TASKS_KEY) or {})
        outputs: dict[str, Any] = self.state.get(OUTPUTS_KEY) or {}
        self.time_to_full = [TimeToFull(**row) for row in outputs.get("time_to_full", [])]
        self.disks = [DriveProbability(**row) for row in outputs.get("disk_probability", [])]
        self.node_risk: dict[str, float] = {}

    # ------------------------------------------------------------ the cycle

    def reload(self) -> None:
        """Forget memory and read the committed state again at the next cycle (a shard taken back)."""
        with self._lock:
            self._loaded = False

    def run_once(
        self, now: dt.datetime, shard: Shard | None = None, families: Mapping[Family, float] | None = None
    ) -> CycleReport:
        """One cycle; with ``shard`` only its assets' series are analyzed and its assets' findings reconciled (the
        state given to the constructor must be that shard's). With ``families`` (the scheduler's, family -> its
        cadence) only those run: anomalies always, forecasts and failure models when their last run (persisted, so
        a restart does not redo them) is a cadence old. Without, anomalies run, and the others when due."""
        with self._lock:
            if not self._loaded:
                self._load()
            self._shard = shard
            try:
                return self._cycle(now, families)
            except PromUnavailable as exc:
                self.errors["unavailable"] += 1
                log.warning("metric analysis: cycle skipped, the metrics store is unavailable: %s", exc)
                return CycleReport((), (), (), 0, self.snapshot.analyzed_until or 0.0)
            except BaseException:
                self._load()
                raise

    def _due(self, task: str, interval: float, now: float) -> bool:
        return now - self.tasks.get(task, -math.inf) >= interval - 1.0

    def _task(self, name: str, c: _Cycle, work: Callable[[], Scope | None]) -> bool:
        """Run one task, time it, keep its scope; a failed query skips the task (and keeps its findings)."""
        started = time.perf_counter()
        try:
            scope = work()
        except PromError as exc:
            if isinstance(exc, PromUnavailable) and not c.ran:
                raise  # the first task found the store down: the whole cycle is skipped (see run_once)
            self.errors["query"] += 1
            log.warning("metric analysis: %s skipped this cycle: %s", name, exc)
            return False
        finally:
            c.seconds[name] = round(time.perf_counter() - started, 6)
        if scope is not None:
            c.scopes.append(scope)
        c.ran.append(name)
        return True

    def _cycle(self, now: dt.datetime, families: Mapping[Family, float] | None) -> CycleReport:
        s, stamp = self.settings, now.timestamp()
        end = math.floor((stamp - s.delay) / s.step) * s.step
        c = _Cycle(end=end, at=dt.datetime.fromtimestamp(end, dt.UTC), ratios=self.snapshot.hotspot)
        anomalies = families is None or "anomalies" in families
        if anomalies:
            self._task("anomaly", c, lambda: self._anomaly(c))
            self._task("hotcold", c, lambda: self._hotcold(c))
            if self.objectives:
                self._task("slo", c, lambda: Scope(("slo.burn",), run_slo(self.client, self.objectives, end)))
        every = (
            families
            if families is not None
            else {"forecasts": s.forecast_interval, "failure_models": s.failure_interval}
        )
        forecasts = "forecasts" in every and self._due("capacity", every["forecasts"], stamp)
        if forecasts and self._task("capacity", c, lambda: self._capacity(c)):
            self.tasks["capacity"] = stamp
        failures = "failure_models" in every and self._due("disks", every["failure_models"], stamp)
        if failures and self._task("disks", c, lambda: self._disks(c)):
            self.tasks["disks"] = stamp
        if anomalies or failures:
            self._task("node_risk", c, lambda: self._node_risk(c))
        quota = math.ceil(len(self.bank) * s.interval / s.checkpoint_interval) if anomalies else 0
        started = time.perf_counter()
        with self.state.transaction():
            changes = reconcile(self.state.findings, [self._restrict(scope) for scope in c.scopes], now)
            for key, value in self.bank.checkpoint(quota, end).items():
                self._put(key, value, now)
            for key in self._unusable:
                self.state.delete(STATE_PREFIX + key)
            self._unusable = []
            self.state.put(TASKS_KEY, self.tasks, now)
            if c.outputs_changed:
                self.state.put(OUTPUTS_KEY, self._outputs(), now)
        c.seconds["commit"] = round(time.perf_counter() - started, 6)
        self._publish(c)
        return CycleReport(tuple(c.ran), tuple(changes.emitted), tuple(changes.resolved), changes.active, end)

    def _owns(self, tenant: str | None, asset: str) -> bool:
        return self._shard is None or self._shard.owns(tenant, asset)

    def _mine(self, finding: Finding) -> bool:
        return self._owns(finding.tenant, finding.asset_id)

    def _restrict(self, scope: Scope) -> Scope:
        """The scope narrowed to this cycle's shard: only its assets' findings are raised or resolved."""
        if self._shard is None:
            return scope
        owns = scope.owns
        return Scope(scope.families, [f for f in scope.current if self._mine(f)], lambda f: owns(f) and self._mine(f))

    def _anomaly(self, c: _Cycle) -> Scope:
        keep = (
            None if self._shard is None else (lambda x: self._owns(x.labels.get("tenant"), x.labels.get("asset", "")))
        )
        outcome = run_anomaly(self.client, self.bank, self.settings, c.end, self.errors, keep=keep)
        failed = outcome.failed
        c.analyzed["anomaly"], c.skipped = outcome.series, outcome.skipped
        return Scope(("metric.anomaly",), outcome.findings, lambda f: f.labels.get("signal") not in failed)

    def _hotcold(self, c: _Cycle) -> Scope:
        hot = run_hotcold(self.client, self.settings, c.end, self.inventory)
        c.ratios, c.analyzed["hotcold"] = tuple(hot.ratios), hot.usages
        return Scope(("hotspot.",), hot.findings)

    def _capacity(self, c: _Cycle) -> Scope:
        series = capacity_series(self.client, self.settings, c.end)
        result = forecast_all(series, cast(Model, self.settings.forecast_model))
        mine = [t for t in result.time_to_full if self._owns(t.tenant, t.asset)]
        self.time_to_full, c.analyzed["capacity"], c.outputs_changed = mine, result.series, True
        return Scope(("capacity.exhaustion",), result.findings)

    def _put(self, key: str, value: Any, now: dt.datetime) -> None:
        if value is None:
            self.state.delete(key)
        else:
            self.state.put(key, value, now)

    def _disks(self, c: _Cycle) -> Scope | None:
        if self.disk_model is None:
            self.errors["no_disk_model"] += 1
            return None
        histories = drive_histories(self.client, self.settings, c.end)
        result = predict_disks(histories, self.disk_model, c.at, self.settings.disk_window)
        c.analyzed["disks"], c.outputs_changed = len(result.probabilities), True
        self.disks = [d for d in result.probabilities if self._owns(d.tenant, d.asset)]
        return Scope(("disk.failure",), result.findings)

    def _node_risk(self, c: _Cycle) -> Scope:
        """Node risk of every asset with an active finding or a drive (from the findings as the cycle began)."""
        active = [r.finding for r in self.state.findings.list(state="active", limit=1_000_000)]
        assets = {(f.tenant, f.asset_id) for f in active if f.asset_id} | {(d.tenant, d.asset) for d in self.disks}
        assets = {(tenant, asset) for tenant, asset in assets if self._owns(tenant, asset)}
        self.node_risk, found = node_risks(assets, active, self.disks, c.at, self.settings.failure_interval)
        c.analyzed["node_risk"] = len(assets)
        return Scope(("node.risk",), found)

    def _outputs(self) -> dict[str, Any]:
        return {
            "time_to_full": [asdict(t) for t in self.time_to_full],
            "disk_probability": [asdict(d) for d in self.disks],
        }

    # ------------------------------------------------------------ outputs

    def _publish(self, c: _Cycle) -> None:
        started = time.perf_counter()
        risk = risk_scores(
            [r.finding for r in self.state.findings.list(state="active", limit=1_000_000) if self._mine(r.finding)],
            disks=[(d.tenant, d.asset, d.device, d.probability) for d in self.disks],
            disk_horizon_days=HORIZON_DAYS,
            time_to_full=self.time_to_full,
            anomaly=self.bank.peaks(c.end, RISK_ANOMALY_SPAN, self.bank.rule.points),
            node_risk=self.node_risk,
            criticality=self._criticality,
        )
        c.seconds["risk"] = round(time.perf_counter() - started, 6)
        c.analyzed["risk"] = len(risk)
        peaks = self.bank.peaks(c.end, max(self.settings.interval, self.settings.step))
        before = self.snapshot
        self.snapshot = MetricSnapshot(
            risk=risk,
            disk_probability=tuple((d.tenant, d.asset, d.device, d.probability) for d in self.disks),
            time_to_full=tuple(self.time_to_full),
            anomaly=tuple((t, a, sig, round(v, 4)) for (t, a, sig), v in sorted(peaks.items())),
            hotspot=c.ratios,
            cycle_seconds={**before.cycle_seconds, **c.seconds},
            series_analyzed={**before.series_analyzed, **c.analyzed},
            errors=dict(self.errors),
            detectors=len(self.bank),
            skipped=c.skipped,
            analyzed_until=c.end,
        )

    def risk_of(self, asset: str) -> AssetRisk | None:
        """The asset's risk as of the last cycle (None when the loop knows nothing of it)."""
        return self.snapshot.risk.get(asset)

    def risk_as_of(self) -> float | None:
        return self.snapshot.analyzed_until

    def collector(self) -> MetricAnalyzerCollector:
        return MetricAnalyzerCollector(lambda: self.snapshot, self._clock)

    def close(self) -> None:
        self.client.close()
