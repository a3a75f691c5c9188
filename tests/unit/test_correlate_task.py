"""The correlation task over real stores: findings in the SQLite state file, incidents in the SQL incident store
and in the dict-backed test double of the same protocol; the thread that runs it until the scheduler does."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from inframind.analyzer.correlation_task import CorrelationTask, CorrelationThread
from inframind.analyzer.incidents import IncidentStore, incident_id
from inframind.analyzer.state import StateDB
from inframind.config.analyzer_sections import CorrelationSettings
from tests.helpers.incidents import (
    IOWAIT_QUERY,
    LUN_QUERY,
    DictIncidentStore,
    active,
    at,
    inventory,
    metric_finding,
    resolved,
)


@pytest.fixture(params=["sql", "dict"])
def stores(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[StateDB, IncidentStore]]:
    db = StateDB(tmp_path / "analysis.db")
    yield db, (db.incidents if request.param == "sql" else DictIncidentStore())
    db.close()


def test_a_pass_opens_updates_and_resolves_incidents(stores: tuple[StateDB, IncidentStore]) -> None:
    db, incidents = stores
    task = CorrelationTask(db.findings, incidents, inventory(), CorrelationSettings(), db.transaction)
    host = active(metric_finding("srv-db-03", "iowait", IOWAIT_QUERY, 29, 8, at(0), at(30), unit="%"), at(30))
    db.findings.upsert(host)
    run = task(at(31))
    assert (run.active_findings, run.opened, run.updated, run.resolved) == (1, 1, 0, 0)
    opened = incidents.get(incident_id(host.fingerprint))
    assert opened is not None and opened.timeline.detected_at == at(30) and opened.timeline.first_signal_at == at(0)
    assert incidents.by_finding(host.fingerprint) == opened

    assert task(at(32)).updated == 0  # nothing new: nothing written

    lun = active(metric_finding("lun-12", "write throughput", LUN_QUERY, 5e8, 8e7, at(-15), at(40)), at(40))
    db.findings.upsert(lun)
    assert task(at(41)).updated == 1
    grown = incidents.get(opened.id, tenant="acme")
    assert grown is not None and grown.causes[0].asset_id == "lun-12" and grown.timeline.first_signal_at == at(-15)
    assert incidents.get(opened.id, tenant="globex") is None

    db.findings.upsert(resolved(lun, at(50)))
    kept = task(at(51))
    assert kept.resolved == 0
    still = incidents.get(opened.id)
    assert still is not None and still.causes[0].asset_id == "lun-12"  # the resolved LUN record was read back

    db.findings.upsert(resolved(host, at(60)))
    assert task(at(61)).resolved == 1
    closed = incidents.get(opened.id)
    assert closed is not None and closed.state == "resolved" and closed.timeline.resolved_at == at(61)
    assert list(incidents.list(state="open")) == []


def test_a_pass_writes_in_one_transaction(tmp_path: Path) -> None:
    """A write failing inside the pass leaves none of its writes behind (the SQLite transaction rolls back)."""
    db = StateDB(tmp_path / "analysis.db")
    host = active(metric_finding("srv-db-03", "iowait", IOWAIT_QUERY, 29, 8, at(0), at(30)), at(30))
    lun = active(metric_finding("lun-12", "write throughput", LUN_QUERY, 5e8, 8e7, at(0), at(30)), at(30))
    db.findings.upsert(host)
    db.findings.upsert(lun)

    class Failing:
        def __init__(self) -> None:
            self.inner = db.incidents

        def __getattr__(self, name: str) -> object:
            return getattr(self.inner, name)

        def upsert(self, incident: object) -> None:
            self.inner.upsert(incident)  # type: ignore[arg-type]
            raise RuntimeError("disk full")

    task = CorrelationTask(db.findings, Failing(), inventory(), transaction=db.transaction)  # type: ignore[arg-type]
    with pytest.raises(RuntimeError):
        task(at(31))
    assert list(db.incidents.list()) == []
    db.close()


def test_the_thread_runs_passes_and_survives_a_failing_one() -> None:
    calls: list[dt.datetime] = []
    done = threading.Event()

    def task(now: dt.datetime) -> None:
        calls.append(now)
        if len(calls) == 1:
            raise RuntimeError("state store unavailable")
        done.set()

    thread = CorrelationThread(task, 0.01, clock=lambda: at(len(calls)))
    thread.start()
    assert done.wait(5)
    thread.stop()
    assert not thread.is_alive() and thread.failures == 1 and calls[:2] == [at(0), at(1)]


def test_findings_of_another_tenant_never_join(stores: tuple[StateDB, IncidentStore]) -> None:
    db, incidents = stores
    acme = active(metric_finding("lun-12", "write throughput", LUN_QUERY, 5e8, 8e7, at(0), at(30)), at(30))
    other = active(metric_finding("srv-db-03", "iowait", IOWAIT_QUERY, 29, 8, at(0), at(30), tenant="globex"))
    db.findings.upsert(acme)
    db.findings.upsert(other)
    assert CorrelationTask(db.findings, incidents, inventory())(at(31)).opened == 2
