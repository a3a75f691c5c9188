"""The audit log over the state store's ``audit`` table: tampering anywhere is found, retention keeps the kept part
verifiable from its anchor, filters and export see what they should, and the state store's own chain check agrees."""

from __future__ import annotations

import datetime as dt
import itertools
import sqlite3
from pathlib import Path

import pytest

from inframind.analyzer.audit import GENESIS, AuditEvent, outcome_of, verify
from inframind.analyzer.audit_store import AuditFilter, StateAuditLog
from inframind.analyzer.state import StateDB

T0 = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)


def event(n: int, actor: str = "ops", action: str = "POST /api/v1/targets", outcome: str = "ok") -> AuditEvent:
    return AuditEvent(actor, "acme", action, f"/x/{n}", outcome, T0 + dt.timedelta(days=n), "127.0.0.1", "admin", 201)


@pytest.fixture
def log(tmp_path: Path) -> StateAuditLog:
    store = StateAuditLog(StateDB(tmp_path / "state.db"), clock=lambda: T0 + dt.timedelta(days=10), owns=True)
    for n in range(5):
        store.append(event(n, actor="anna" if n % 2 else "ops", outcome="denied" if n == 3 else "ok"))
    return store


def test_outcomes() -> None:
    assert [outcome_of(s) for s in (200, 201, 401, 403, 404, 422, 500)] == [
        "ok", "ok", "denied", "denied", "failed", "failed", "error",
    ]  # fmt: skip


def test_chain_holds_and_links(log: StateAuditLog) -> None:
    records = list(log.export(AuditFilter()))
    assert [r.seq for r in records] == [1, 2, 3, 4, 5]
    assert records[0].prev_hash == GENESIS and all(b.prev_hash == a.hash for a, b in itertools.pairwise(records))
    check = log.verify()
    assert check.ok and check.records == 5 and check.head == records[-1].hash
    assert log.db.audit.verify_chain().ok, "the state store's own check agrees"


@pytest.mark.parametrize(
    ("sql", "problem"),
    [
        ("UPDATE audit SET actor = 'mallory' WHERE seq = 3", "record 3: content does not match its hash"),
        ("DELETE FROM audit WHERE seq = 2", "record 3: expected sequence 2"),
        ("DELETE FROM audit WHERE seq = 1", "record 2: expected sequence 1"),
    ],
)
def test_tampering_is_found(tmp_path: Path, log: StateAuditLog, sql: str, problem: str) -> None:
    db = sqlite3.connect(tmp_path / "state.db")
    db.execute(sql)
    db.commit()
    db.close()
    check = log.verify()
    assert not check.ok and check.problem == problem
    assert not log.db.audit.verify_chain().ok


def test_retention_moves_the_anchor_and_the_rest_still_verifies(tmp_path: Path) -> None:
    now = [T0 + dt.timedelta(days=4)]
    log = StateAuditLog.open_file(tmp_path / "a.db", retention=2 * 86400, clock=lambda: now[0])
    for n in range(5):
        log.append(event(n))
    now[0] = T0 + dt.timedelta(days=5)
    assert log.apply_retention() == 3
    check = log.verify()
    assert check.ok and check.first_seq == 4 and check.anchor.seq == 4 and check.records == 2
    log.append(event(6))
    assert log.verify().ok and log.verify().last_seq == 6
    db = sqlite3.connect(tmp_path / "a.db")
    db.execute("DELETE FROM audit WHERE seq = 4")
    db.commit()
    assert not log.verify().ok, "deleting from the head without moving the anchor is a gap"


def test_filters_pages_and_export(log: StateAuditLog) -> None:
    records, total = log.query(AuditFilter(actor="anna"), 10, 0)
    assert total == 2 and [r.seq for r in records] == [4, 2]
    assert log.query(AuditFilter(outcome="denied"), 10, 0)[1] == 1
    assert log.query(AuditFilter(action="POST "), 10, 0)[1] == 5
    assert log.query(AuditFilter(action="POST"), 10, 0)[1] == 0
    since = AuditFilter(since=T0 + dt.timedelta(days=2), until=T0 + dt.timedelta(days=4))
    assert [r.seq for r in log.export(since)] == [3, 4]
    page, total = log.query(AuditFilter(), 2, 2)
    assert total == 5 and [r.seq for r in page] == [3, 2]
    exported = list(log.export(AuditFilter()))
    assert verify(exported, log.anchor()).ok


def test_reopening_continues_the_chain(tmp_path: Path, log: StateAuditLog) -> None:
    log.close()
    again = StateAuditLog.open_file(tmp_path / "state.db")
    assert again.append(event(9)).seq == 6
    assert again.verify().ok and again.verify().records == 6


def test_retention_of_everything_keeps_the_newest_so_appends_still_chain(tmp_path: Path) -> None:
    now = [T0 + dt.timedelta(days=2)]
    log = StateAuditLog.open_file(tmp_path / "b.db", retention=86400, clock=lambda: now[0])
    for n in range(3):
        log.append(event(n))
    now[0] = T0 + dt.timedelta(days=30)
    assert log.apply_retention() == 2
    assert log.append(event(30)).seq == 4
    check = log.verify()
    assert check.ok and check.first_seq == 3 and check.records == 2
