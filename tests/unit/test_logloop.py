"""The log analyzer loop on a real SQLite log store: cursor, one-transaction cycles, restarts, metrics, thread."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterator
from concurrent.futures import Executor, ProcessPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from prometheus_client import CollectorRegistry

from inframind.analyzer.detect.logrules import LogRule, Match
from inframind.analyzer.logloop import LogAnalyzer
from inframind.analyzer.logloop_feed import wildcards
from inframind.analyzer.logloop_runner import LogAnalyzerThread, process_pool
from inframind.analyzer.logloop_settings import LogAnalysisSettings
from inframind.analyzer.rulefiles import RuleGroup
from inframind.analyzer.service import open_deps, start_log_analysis
from inframind.analyzer.state import StateDB, StateError
from inframind.config import AnalyzerConfig, Config, LogStoreConfig, SQLiteStoreSettings
from inframind.events import LogEvent
from inframind.logstore.sqlite import SQLiteStore
from inframind.schema import ConfigError, Regex

T0 = dt.datetime(2026, 11, 2, tzinfo=dt.UTC)
SETTINGS = LogAnalysisSettings(warmup=3600, asset_warmup=600, grace=120, batch=50, top_n=2, rate_window=300)
RULES = [RuleGroup("t", (LogRule("DiskIO", Match(regex=Regex("I/O error")), threshold=2, window=600),))]


@dataclass
class Rig:
    path: Path
    store: SQLiteStore
    db: StateDB
    clock: list[float]

    def analyzer(self, settings: LogAnalysisSettings = SETTINGS, rules: list[RuleGroup] = RULES) -> LogAnalyzer:
        return LogAnalyzer(self.store, self.db, settings, rules, clock=lambda: self.clock[0])

    def write(self, at: dt.datetime, message: str, asset: str = "srv-1", level: str = "info", n: int = 1) -> None:
        self.store.write([LogEvent(at + dt.timedelta(milliseconds=i), "journald", level, message, host=asset,  # type: ignore[arg-type]
                                   asset_id=asset, tenant="acme") for i in range(n)])  # fmt: skip

    def reopen(self) -> None:
        self.db.close()
        self.db = StateDB(self.path / "analysis.db")


@pytest.fixture
def rig(tmp_path: Path) -> Iterator[Rig]:
    rig = Rig(tmp_path, SQLiteStore(SQLiteStoreSettings(path=str(tmp_path / "logs.db"))),
              StateDB(tmp_path / "analysis.db"), [T0.timestamp()])  # fmt: skip
    yield rig
    rig.store.close()
    rig.db.close()


def routine(rig: Rig, hours: int = 2) -> None:
    for minute in range(0, 60 * hours, 5):
        at = T0 + dt.timedelta(minutes=minute)
        rig.write(at, f"eth0: link up, speed {minute % 3} Gbps")
        rig.write(at + dt.timedelta(seconds=1), f"Accepted publickey for deploy from 10.0.0.{minute % 9} port 22 ssh2")


def io_errors(rig: Rig, at: dt.datetime, n: int = 3) -> None:
    for i in range(n):
        rig.write(at + dt.timedelta(seconds=10 * i), f"blk_update_request: I/O error, dev sda, sector {100 + 8 * i}",
                  level="error")  # fmt: skip


def test_reads_incrementally_and_a_restart_re_emits_nothing(rig: Rig) -> None:
    analyzer = rig.analyzer()
    routine(rig)
    report = analyzer.run_once(T0 + dt.timedelta(hours=2))
    assert report.events == 48 and report.caught_up and report.emitted == ()
    assert rig.db.get("cursor") == rig.store.end_position()
    start = T0 + dt.timedelta(hours=2, minutes=1)
    io_errors(rig, start)
    first = analyzer.run_once(start + dt.timedelta(minutes=1))
    assert [f.kind for f in first.emitted] == ["log.rule"] and first.events == 3
    second = analyzer.run_once(start + dt.timedelta(minutes=3))
    assert [f.kind for f in second.emitted] == ["log.new_template"] and second.active == 2
    rig.reopen()
    restarted = rig.analyzer()
    assert restarted.cursor == analyzer.cursor
    again = restarted.run_once(start + dt.timedelta(minutes=4))
    assert again.emitted == () and again.events == 0 and again.active == 2
    later = restarted.run_once(start + dt.timedelta(minutes=12))  # the rule's 10 min window has passed
    assert [f.kind for f in later.resolved] == ["log.rule"] and later.active == 1
    [record] = rig.db.findings.list(state="resolved")
    assert record.finding.labels["alertname"] == "DiskIO" and record.resolved_at is not None


def test_the_assets_criticality_reaches_the_detectors(rig: Rig) -> None:
    analyzer = LogAnalyzer(rig.store, rig.db, SETTINGS, [], criticality=lambda asset: "high")
    routine(rig)
    analyzer.run_once(T0 + dt.timedelta(hours=2))
    rig.write(
        T0 + dt.timedelta(hours=2, minutes=1), "connect to 10.0.0.5 port 5432 failed: Connection refused", level="error"
    )
    [finding] = analyzer.run_once(T0 + dt.timedelta(hours=2, minutes=4)).emitted
    assert finding.kind == "log.new_template" and finding.severity == "critical"  # an error, on a high asset


def test_a_failed_commit_reloads_state_and_the_retry_emits_once(rig: Rig, monkeypatch: pytest.MonkeyPatch) -> None:
    analyzer = rig.analyzer()
    routine(rig)
    analyzer.run_once(T0 + dt.timedelta(hours=2))
    cursor = analyzer.cursor
    io_errors(rig, T0 + dt.timedelta(hours=2, minutes=1))
    real_put = rig.db.put

    def failing_put(key: str, value: object, now: dt.datetime) -> None:
        if key == "cursor":
            raise StateError("disk full")
        real_put(key, value, now)

    monkeypatch.setattr(rig.db, "put", failing_put)
    with pytest.raises(StateError):
        analyzer.run_once(T0 + dt.timedelta(hours=2, minutes=2))
    assert analyzer.cursor == cursor and rig.db.findings.list() == []  # memory back in step with the file
    monkeypatch.setattr(rig.db, "put", real_put)
    retry = analyzer.run_once(T0 + dt.timedelta(hours=2, minutes=2))
    assert retry.events == 3 and [f.kind for f in retry.emitted] == ["log.rule"]


def test_template_rules_match_the_mined_wildcard_template(rig: Rig) -> None:
    """A rule written against a template (``<*>`` for variable parts) matches what the miner made of the lines."""
    rule = LogRule("IOTemplate", Match(template="blk_update_request: I/O error, dev <*>, sector <*>"), threshold=3)
    analyzer = rig.analyzer(rules=[RuleGroup("t", (rule,))])
    io_errors(rig, T0, n=3)
    [finding] = analyzer.run_once(T0 + dt.timedelta(minutes=1)).emitted
    logs = finding.evidence[0]
    assert finding.labels["alertname"] == "IOTemplate" and logs.template_id  # type: ignore[union-attr]
    assert wildcards("sector <NUM> of <PATH><BLK> by <*>") == "sector <*> of <*> by <*>"


def test_a_rule_taken_out_of_the_config_resolves_its_finding_and_forgets_its_state(rig: Rig) -> None:
    routine(rig, 1)
    io_errors(rig, T0 + dt.timedelta(minutes=61))
    fired = rig.analyzer().run_once(T0 + dt.timedelta(minutes=62))
    assert [f.labels["alertname"] for f in fired.emitted] == ["DiskIO"] and set(rig.db.items("rule:")) == {"DiskIO"}
    without = rig.analyzer(rules=[]).run_once(T0 + dt.timedelta(minutes=63))
    assert [f.labels["alertname"] for f in without.resolved] == ["DiskIO"]
    assert [f.kind for f in without.emitted] == ["log.new_template"]  # the detectors carry on without rules
    assert rig.db.items("rule:") == {}


def test_parallel_mining_gives_the_same_findings(tmp_path: Path) -> None:
    emitted: list[list[tuple[str, str, str]]] = []
    miners: list[Any] = []
    for name, factory in (("inline", None), ("pool", process_pool(2))):
        store = SQLiteStore(SQLiteStoreSettings(path=str(tmp_path / f"{name}-logs.db")))
        db = StateDB(tmp_path / f"{name}-analysis.db")
        settings = LogAnalysisSettings(warmup=600, asset_warmup=60, grace=60, parallel_lines=100)
        analyzer = LogAnalyzer(store, db, settings, RULES, executor_factory=factory)
        for i in range(200):
            at = T0 + dt.timedelta(seconds=10 * i)
            store.write([LogEvent(at, "journald", "info", f"session opened for user u{i % 4}", host="a", asset_id="a"),
                         LogEvent(at, "syslog", "error", f"disk sd{'ab'[i % 2]} sector {i} I/O error", host="b",
                                  asset_id="b")])  # fmt: skip
        report = analyzer.run_once(T0 + dt.timedelta(seconds=2100))
        assert (name == "pool") == (analyzer._executor is not None)
        emitted.append(sorted((f.kind, f.asset_id, f.key) for f in report.emitted))
        miners.append(db.get("miners"))
        analyzer.close()
        store.close()
        db.close()
    assert emitted[0] and emitted[0] == emitted[1] and miners[0] == miners[1]


def test_metrics_are_bounded_and_series_leave_the_top(rig: Rig) -> None:
    registry = CollectorRegistry()
    analyzer = rig.analyzer()
    registry.register(analyzer.collector())
    for i, message in enumerate(["alpha job ran", "beta job ran twice", "gamma job ran thrice"]):
        rig.write(T0 + dt.timedelta(seconds=10), message, n=10 * (i + 1))
    rig.clock[0] = T0.timestamp() + 60
    analyzer.run_once(T0 + dt.timedelta(seconds=60))
    rates = [s for m in registry.collect() if m.name == "inframind_log_template_rate" for s in m.samples]
    assert sorted(round(s.value * 300) for s in rates) == [20, 30]  # top 2 of 3 templates
    assert {s.labels["asset"] for s in rates} == {"srv-1"}
    assert registry.get_sample_value("inframind_log_analyzer_events_total") == 60
    assert registry.get_sample_value("inframind_log_analyzer_lag_seconds") == 0
    assert registry.get_sample_value("inframind_log_templates_evicted_total") == 0
    rig.clock[0] += 600
    analyzer.run_once(T0 + dt.timedelta(seconds=660))
    assert [m.samples for m in registry.collect() if m.name == "inframind_log_template_rate"] == [[]]


def test_lag_grows_while_a_backlog_remains(rig: Rig) -> None:
    settings = LogAnalysisSettings(batch=10, max_cycle_events=10)
    registry = CollectorRegistry()
    analyzer = rig.analyzer(settings)
    registry.register(analyzer.collector())
    rig.write(T0, "one line", n=25)
    rig.clock[0] += 30
    assert not analyzer.run_once(T0).caught_up
    assert registry.get_sample_value("inframind_log_analyzer_lag_seconds") == 30
    analyzer.run_once(T0)
    assert analyzer.run_once(T0).caught_up
    assert registry.get_sample_value("inframind_log_analyzer_lag_seconds") == 0


def test_the_thread_runs_cycles_and_stops_cleanly(rig: Rig) -> None:
    analyzer = rig.analyzer()
    rig.write(T0, "hello", n=3)
    thread = LogAnalyzerThread(analyzer, interval=0.05, clock=lambda: T0)
    thread.start()
    deadline = time.monotonic() + 10
    while thread.cycles < 2 and time.monotonic() < deadline:
        time.sleep(0.02)
    thread.stop(timeout=10)
    assert thread.cycles >= 2 and not thread._thread.is_alive()
    assert rig.db.get("cursor") == rig.store.end_position()


def test_the_analyzer_process_wiring_starts_and_stops_the_loop(tmp_path: Path) -> None:
    """What run_analyzer does around the API: open the stores, start the loop on them, stop it before closing."""
    config = Config(
        analyzer=AnalyzerConfig(state_dir=str(tmp_path / "state")),
        logstore=LogStoreConfig(sqlite=SQLiteStoreSettings(path=str(tmp_path / "logs.db"))),
    )
    with ExitStack() as resources:
        deps = open_deps(config, resources)
        assert deps.logstore is not None and deps.findings is not None
        deps.logstore.write([LogEvent(T0, "journald", "info", "hello", host="a", asset_id="a")] * 1)
        thread = start_log_analysis(config, deps, resources)
        assert thread is not None
        deadline = time.monotonic() + 10
        while thread.cycles < 1 and time.monotonic() < deadline:
            time.sleep(0.02)
        assert deps.registry.get_sample_value("inframind_log_analyzer_events_total") == 1
    assert not thread._thread.is_alive()
    assert StateDB(tmp_path / "state" / "analysis.db").get("cursor") == "1"


def test_logs_settings_live_in_the_config(tmp_path: Path) -> None:
    from inframind.config import load_config

    cfg = tmp_path / "c.yml"
    cfg.write_text("analyzer:\n  logs: {interval: 5s, rules: [x/*.yml], batch: 0}\n")
    with pytest.raises(ConfigError, match=r"analyzer\.logs\.batch: must be at least 1"):
        load_config(cfg, env={})
    cfg.write_text("analyzer:\n  logs: {interval: 5s, rules: [x/*.yml]}\n")
    assert load_config(cfg, env={}).analyzer.logs == LogAnalysisSettings(interval=5.0, rules=("x/*.yml",))
    problems = dict(LogAnalysisSettings(batch=0, interval=0, rules=()).check())
    assert set(problems) == {("batch",), ("interval",), ("rules",)}


def test_process_pool_factory_makes_a_spawn_pool() -> None:
    pool: Executor = process_pool(1)()
    try:
        assert isinstance(pool, ProcessPoolExecutor) and pool.submit(abs, -3).result(timeout=60) == 3
    finally:
        pool.shutdown()
