"""Active findings per task scope: emit once, refresh, resolve only what the task owns and judged."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from inframind.analyzer.findings import FactEvidence, Finding, Window
from inframind.analyzer.metricloop_findings import Scope, reconcile
from inframind.analyzer.state import StateDB

T = dt.datetime(2026, 11, 26, 12, tzinfo=dt.UTC)
WINDOW = Window(T - dt.timedelta(minutes=5), T)


def anomaly(asset: str, signal: str) -> Finding:
    return Finding("metric.anomaly", asset, "acme", "warning", f"{signal} on {asset}", WINDOW,
                   (FactEvidence("x"),), f"{signal}:{asset}", labels={"signal": signal})  # fmt: skip


def capacity(asset: str) -> Finding:
    return Finding("capacity.exhaustion", asset, "acme", "info", "fills", WINDOW, (FactEvidence("x"),), "/data")


@pytest.fixture
def db(tmp_path: Path) -> StateDB:
    return StateDB(tmp_path / "analysis.db")


def test_emit_refresh_resolve_and_emit_again(db: StateDB) -> None:
    iowait = anomaly("db-1", "iowait")
    first = reconcile(db.findings, [Scope(("metric.anomaly",), [iowait])], T)
    assert first.emitted == [iowait] and first.active == 1
    again = reconcile(db.findings, [Scope(("metric.anomaly",), [iowait])], T + dt.timedelta(minutes=1))
    assert again.emitted == [] and again.active == 1
    record = db.findings.get(iowait.fingerprint)
    assert record is not None and record.last_seen == T + dt.timedelta(minutes=1) and record.first_seen == T
    gone = reconcile(db.findings, [Scope(("metric.anomaly",), [])], T + dt.timedelta(minutes=2))
    assert gone.resolved == [iowait]
    back = reconcile(db.findings, [Scope(("metric.anomaly",), [iowait])], T + dt.timedelta(minutes=3))
    assert back.emitted == [iowait]
    record = db.findings.get(iowait.fingerprint)
    assert record is not None and (record.state, record.count) == ("active", 2)


def test_a_task_resolves_only_what_it_owns(db: StateDB) -> None:
    iowait, temperature, fills = anomaly("db-1", "iowait"), anomaly("db-1", "temperature"), capacity("db-1")
    reconcile(db.findings, [Scope(("metric.anomaly",), [iowait, temperature]), Scope(("capacity.",), [fills])], T)
    # this cycle the temperature query failed: its finding stands; the hourly forecast did not run at all
    failed = {"temperature"}
    changes = reconcile(
        db.findings, [Scope(("metric.anomaly",), [], lambda f: f.labels.get("signal") not in failed)], T
    )
    assert changes.resolved == [iowait]
    active = {r.finding.title for r in db.findings.list(state="active")}
    assert active == {"temperature on db-1", "fills"}
