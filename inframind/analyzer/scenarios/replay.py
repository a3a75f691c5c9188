"""Replay a scenario: load its history into VictoriaMetrics (``/api/v1/import``) and the log store, step the real
metric and log loops through it in simulated time, and render the recommendation of the finding it is about.

The loops are the analyzer's own (:class:`~inframind.analyzer.metricloop.MetricAnalyzer`,
:class:`~inframind.analyzer.logloop.LogAnalyzer` with the shipped log rules) on fresh state files; the
recommendation comes from :class:`~inframind.analyzer.recommend.Recommender` with a
:class:`~inframind.analyzer.recommend_context.StoreContext` that measures in the same stores at the end of the
replay. Each finding's first emission is kept as its detection time (for :mod:`inframind.analyzer.outcomes`).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import requests

from inframind.analyzer.correlation_task import CorrelationTask
from inframind.analyzer.detect.failure import shipped_model
from inframind.analyzer.detect.logrules import LogRule
from inframind.analyzer.findings import Finding
from inframind.analyzer.history_import import HistoryImportError, import_history
from inframind.analyzer.incidents import Incident
from inframind.analyzer.logloop import CycleReport as LogReport
from inframind.analyzer.logloop import LogAnalyzer
from inframind.analyzer.metricloop import CycleReport as MetricReport
from inframind.analyzer.metricloop import MetricAnalyzer
from inframind.analyzer.metricloop_settings import MetricAnalysisSettings
from inframind.analyzer.recommend import Recommender
from inframind.analyzer.recommend_context import StoreContext
from inframind.analyzer.recommendation import LANGUAGES, Language, Recommendation
from inframind.analyzer.rulefiles import load_log_rules
from inframind.analyzer.scenarios.build import HOUR, Scenario
from inframind.analyzer.sources.promql import PromClient, PromSettings
from inframind.analyzer.state import StateDB
from inframind.config import LogAnalysisSettings
from inframind.inventory import Inventory, inventory_from_data
from inframind.logstore.base import LogStore

METRIC_SETTINGS = MetricAnalysisSettings(groups_by=("rack",), hotcold_window=3600.0, backfill=3 * HOUR)
METRIC_CYCLE = 900.0
"""Simulated time between two metric cycles (each reads everything since the last, so wider is only coarser)."""
LOG_CYCLE = 600.0
RESET_CACHE = "/internal/resetRollupResultCache"
PRIMARY = {
    "iowait": ("metric.anomaly", "iowait"),
    "disk": ("disk.failure", ""),
    "thermal": ("log.rule", "BMCThermalEvents"),
}
"""The finding each scenario is about: its kind and its anomaly signal or log rule alert name."""


@dataclass(frozen=True)
class CycleReport:
    emitted: tuple[Finding, ...]


@dataclass
class ReplayResult:
    scenario: Scenario
    findings: dict[str, Finding] = field(default_factory=dict)
    """Every finding emitted, by fingerprint (its latest version)."""
    detected: dict[str, float] = field(default_factory=dict)
    """Fingerprint -> simulated time of its first emission."""
    emissions: list[tuple[float, Finding]] = field(default_factory=list)
    """Every emission (a finding that fires again after resolving is emitted again)."""
    incidents: list[Incident] = field(default_factory=list)
    """What correlation made of the findings, as of the end."""
    judged_from: float = 0.0
    """Simulated time of the loops' first cycle (what a comparison should judge from)."""
    openings: list[tuple[float, Incident]] = field(default_factory=list)
    """Each time an incident opened (or reopened): what delivery notifies people of, with its findings then."""
    primary: Finding | None = None
    recommendation: Recommendation | None = None
    """In the language asked for."""
    rendered: dict[str, Recommendation] = field(default_factory=dict)
    """The same recommendation in every language (``ru``, ``en``)."""
    inventory: Inventory | None = None

    @property
    def detected_at(self) -> float | None:
        return None if self.primary is None else self.detected.get(self.primary.fingerprint)


def load(scenario: Scenario, vm_url: str, logs: LogStore) -> None:
    """The scenario's series into VictoriaMetrics and its events into the log store.

    History lands inside time ranges VictoriaMetrics may already have answered and cached (an earlier replay over
    the same hours): its rollup result cache is reset after the import, as its docs ask after a backfill, or the
    next queries would miss the new samples."""
    import_history(vm_url, scenario.series)
    try:
        requests.get(vm_url.rstrip("/") + RESET_CACHE, timeout=30).raise_for_status()
    except requests.RequestException as exc:
        raise HistoryImportError(f"cannot reset the query cache of VictoriaMetrics at {vm_url}: {exc}") from None
    if scenario.events:
        logs.write(scenario.events)


def _keep(result: ReplayResult, emitted: Sequence[Finding], at: float) -> None:
    for finding in emitted:
        result.findings[finding.fingerprint] = finding
        result.detected.setdefault(finding.fingerprint, at)
        result.emissions.append((at, finding))


def _drive(
    result: ReplayResult, db: StateDB, run_once: Callable[[dt.datetime], CycleReport], times: Sequence[float]
) -> None:
    """Run the loop at each simulated time, correlating after each cycle as the leader's task would; then keep
    each finding as the loop last updated it and every incident."""
    correlation = CorrelationTask(db.findings, db.incidents, result.inventory, transaction=db.transaction)
    result.judged_from = times[0]
    try:
        was_open: set[str] = set()
        for at in times:
            _keep(result, run_once(dt.datetime.fromtimestamp(at, dt.UTC)).emitted, at)
            correlation(dt.datetime.fromtimestamp(at, dt.UTC))
            now_open = {i.id: i for i in db.incidents.list(state="open", limit=100_000)}
            result.openings.extend((at, now_open[i]) for i in sorted(set(now_open) - was_open))
            was_open = set(now_open)
        for fingerprint in list(result.findings):
            record = db.findings.get(fingerprint, None)
            if record is not None:
                result.findings[fingerprint] = record.finding
        result.incidents.extend(db.incidents.list(limit=100_000))
    finally:
        db.close()


def _times(start: float, end: float, every: float) -> list[float]:
    steps = max(1, math.ceil((end - start) / every))
    return [min(end, start + k * every) for k in range(steps + 1)]


def _metric_cycles(scenario: Scenario, client: PromClient, state: Path, result: ReplayResult) -> None:
    """Every quarter hour from the first signal (every hour over the days of ``backup``); a drive's history is
    judged once a simulated day instead (the loop's ``failure_interval``), from two days into it."""
    settings = METRIC_SETTINGS
    if scenario.name == "disk":
        times = _times(scenario.first_signal + 2 * settings.failure_interval, scenario.end, settings.failure_interval)
    elif scenario.name == "backup":
        times = _times(scenario.start + settings.backfill, scenario.end, 3600.0)
    else:
        times = _times(scenario.first_signal, scenario.end, METRIC_CYCLE)
    db = StateDB(state / "metric.db")
    analyzer = MetricAnalyzer(client, db, settings, inventory=result.inventory, disk_model=shipped_model())
    delay = dt.timedelta(seconds=settings.delay)
    _drive(result, db, lambda now: _report(analyzer.run_once(now + delay)), times)


def _log_cycles(
    scenario: Scenario, logs: LogStore, rules_glob: Sequence[str], state: Path, result: ReplayResult
) -> None:
    settings = LogAnalysisSettings(rules=tuple(rules_glob))
    db = StateDB(state / "logs-state.db")
    analyzer = LogAnalyzer(logs, db, settings, load_log_rules(settings.rules), clock=lambda: scenario.end)
    times = _times(scenario.first_signal - LOG_CYCLE, scenario.end, LOG_CYCLE)
    _drive(result, db, lambda now: _report(analyzer.run_once(now)), times)


def _report(report: MetricReport | LogReport) -> CycleReport:
    return CycleReport(tuple(report.emitted))


def _primary(scenario: Scenario, result: ReplayResult) -> Finding | None:
    if scenario.name not in PRIMARY:
        return None
    kind, signal = PRIMARY[scenario.name]
    host = scenario.params.host if scenario.name == "iowait" else ""
    tenant = scenario.params.tenant
    found = [f for f in result.findings.values() if f.kind == kind and f.tenant == tenant
             and (not signal or signal in (f.labels.get("signal"), f.labels.get("alertname")))
             and (not host or f.asset_id == host)]  # fmt: skip
    found.sort(key=lambda f: (result.detected[f.fingerprint], f.fingerprint))
    return found[0] if found else None


def replay(
    scenario: Scenario,
    vm_url: str,
    logs: LogStore,
    state_dir: Path,
    *,
    language: Language = "en",
    rules: Sequence[str] = ("rules/logs/*.yml",),
    loaded: bool = False,
) -> ReplayResult:
    """Load (unless ``loaded``), analyze and recommend; ``state_dir`` receives the loops' fresh state files."""
    if not loaded:
        load(scenario, vm_url, logs)
    state_dir.mkdir(parents=True, exist_ok=True)
    inventory = inventory_from_data(scenario.inventory)
    result = ReplayResult(scenario, inventory=inventory)
    client = PromClient(PromSettings(vm_url))
    try:
        if scenario.name in ("iowait", "disk", "backup"):
            _metric_cycles(scenario, client, state_dir, result)
        else:
            _log_cycles(scenario, logs, rules, state_dir, result)
        result.primary = _primary(scenario, result)
        if result.primary is not None:
            context = StoreContext(client, logs, inventory, _rules(rules), clock=lambda: scenario.end)
            recommender = Recommender(language=language, inventory=inventory)
            measured = context(result.primary)
            for lang in LANGUAGES:
                result.rendered[lang] = recommender.recommend(result.primary, language=lang, context=measured)
            result.recommendation = result.rendered[language]
    finally:
        client.close()
    return result


def _rules(patterns: Sequence[str]) -> list[LogRule]:
    return [rule for group in load_log_rules(patterns) for rule in group.rules]
