"""The state-store contract, run against SQLite and PostgreSQL alike (see conftest ``state_backend``).

What the loops, correlation, delivery and the API rely on: key -> JSON, all-or-nothing transactions across every
store, the findings queries, incidents, feedback, tickets, the audit hash chain, leases with fencing tokens and
replica heartbeats, and the shard view that refuses to commit once its lease moved.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
import threading
import time

import pytest

from inframind.analyzer.findings import Finding, LogEvidence, Window
from inframind.analyzer.incidents import Incident
from inframind.analyzer.state import (
    AuditEvent,
    FeedbackRecord,
    FindingRecord,
    LeaseLost,
    ShardState,
    StateError,
    StateStore,
    Ticket,
)
from inframind.analyzer.state.sql import SQLState
from tests.contract.conftest import StateBackend

NOW = dt.datetime(2026, 11, 26, 12, 0, tzinfo=dt.UTC)
WINDOW = Window(NOW - dt.timedelta(minutes=5), NOW)
TTL = 0.6


def finding(kind: str, tenant: str, asset: str, key: str = "k", assets: tuple[str, ...] = ()) -> Finding:
    evidence = LogEvidence("t <*>", "tid", 3, WINDOW, WINDOW.start, WINDOW.end, assets=assets or (asset,))
    return Finding(kind, asset, tenant, "warning", f"{kind} on {asset}", WINDOW, (evidence,), key)


def incident(first: str, tenant: str = "acme", *, minutes: int = 0, state: str = "open",
             findings: tuple[str, ...] = ()) -> Incident:  # fmt: skip
    at = NOW + dt.timedelta(minutes=minutes)
    return Incident.from_dict({
        "id": f"inc-{first}", "tenant": tenant, "title": f"trouble {first}", "severity": "warning", "state": state,
        "findings": list(findings or (first,)), "assets": ["srv-1"],
        "timeline": {"first_signal_at": at.isoformat(), "detected_at": at.isoformat()},
    })  # fmt: skip


def raw(state: StateStore) -> SQLState:
    assert isinstance(state, SQLState)
    return state


def test_key_values_round_trip_and_survive_reopening(state_backend: StateBackend) -> None:
    state = state_backend.open()
    state.put("cursor", "42", NOW)
    state.put("rates/cur", {"series": [[1, 2.5, "x"]], "name": "ß"}, NOW)
    state.put("rates/hist:acme:a", [["syslog"]], NOW)
    state.put("Rates/upper", 1, NOW)
    state.put("other", None, NOW)
    assert state.get("cursor") == "42" and state.get("missing") is None and state.get("other") is None
    assert state.items("rates/") == {"cur": {"series": [[1, 2.5, "x"]], "name": "ß"}, "hist:acme:a": [["syslog"]]}
    state.delete("rates/cur")
    state.close()
    again = state_backend.open()
    assert again.items("rates/") == {"hist:acme:a": [["syslog"]]} and again.get("cursor") == "42"
    assert again.items("%") == {} and again.items("").keys() == {"cursor", "rates/hist:acme:a", "Rates/upper", "other"}


def test_a_failed_transaction_leaves_nothing_behind_in_any_store(state: StateStore) -> None:
    state.put("cursor", "1", NOW)
    with pytest.raises(RuntimeError), state.transaction():
        state.put("cursor", "2", NOW)
        state.findings.upsert(FindingRecord(finding("log.burst", "acme", "a"), "active", NOW, NOW))
        state.incidents.upsert(incident("fp1"))  # a nested transaction joins the outer one
        state.tickets.upsert(Ticket("inc-fp1", "jira", "OPS-1", "https://jira/OPS-1", "open", NOW))
        raise RuntimeError("crash in the middle of a cycle")
    assert state.get("cursor") == "1" and state.findings.list() == []
    assert state.incidents.get("inc-fp1") is None and state.tickets.get("inc-fp1", "jira") is None
    with state.transaction():
        state.put("cursor", "3", NOW)
        with state.transaction():
            state.put("nested", True, NOW)
    assert state.get("cursor") == "3" and state.get("nested") is True


def test_findings_are_listed_by_tenant_state_kind_and_asset(state: StateStore) -> None:
    store = state.findings
    records = [
        FindingRecord(finding("log.burst", "acme", "srv-1"), "active", NOW, NOW),
        FindingRecord(finding("log.repeated", "acme", "srv-2", assets=("srv-2", "srv-3")), "active", NOW, NOW),
        FindingRecord(finding("log.rule", "acme", "srv-1"), "resolved", NOW, NOW, 2, NOW),
        FindingRecord(finding("metric.anomaly", "globex", "srv-9"), "active", NOW, NOW + dt.timedelta(seconds=1)),
        FindingRecord(finding("logs", "acme", "srv-1"), "active", NOW, NOW - dt.timedelta(seconds=1)),
    ]
    for record in records:
        store.upsert(record)

    def kinds(found: list[FindingRecord]) -> list[str]:
        return [r.finding.kind for r in found]

    assert kinds(store.list()) == ["metric.anomaly", "log.burst", "log.repeated", "log.rule", "logs"]
    assert kinds(store.list(limit=2)) == ["metric.anomaly", "log.burst"]
    assert kinds(store.list(tenant="acme", state="active")) == ["log.burst", "log.repeated", "logs"]
    assert kinds(store.list(kind="log.")) == ["log.burst", "log.repeated", "log.rule"]
    assert kinds(store.list(kind="log.rule")) == ["log.rule"]
    assert kinds(store.list(asset="srv-3")) == ["log.repeated"]
    assert kinds(store.list(asset="srv-1", state="resolved")) == ["log.rule"]
    assert store.active_counts() == {("log.burst", "warning"): 1, ("log.repeated", "warning"): 1,
                                     ("metric.anomaly", "warning"): 1, ("logs", "warning"): 1}  # fmt: skip
    burst = records[0].finding.fingerprint
    assert store.get(burst) == records[0] and store.get(burst, "globex") is None and store.get(burst, "acme")
    resolved = store.get(records[2].finding.fingerprint)
    assert resolved is not None and resolved.count == 2 and resolved.resolved_at == NOW
    again = dataclasses.replace(records[0], state="resolved", resolved_at=NOW, count=3)
    store.upsert(again)
    assert store.get(burst) == again and len(store.list()) == len(records)


def test_incidents_by_id_finding_tenant_and_state(state: StateStore) -> None:
    store = state.incidents
    first = incident("fp1", findings=("fp1", "fp2"))
    store.upsert(first)
    store.upsert(incident("fp3", "globex", minutes=5))
    store.upsert(incident("fp4", minutes=10, state="resolved"))
    assert store.get("inc-fp1") == first and store.get("inc-fp1", "globex") is None
    by_finding = store.by_finding("fp2")
    assert by_finding is not None and by_finding.id == "inc-fp1" and store.by_finding("nope") is None
    assert [i.id for i in store.list()] == ["inc-fp4", "inc-fp3", "inc-fp1"]
    assert [i.id for i in store.list(tenant="acme")] == ["inc-fp4", "inc-fp1"]
    assert [i.id for i in store.list(state="open")] == ["inc-fp3", "inc-fp1"]
    assert [i.id for i in store.list(limit=1, offset=1)] == ["inc-fp3"]
    regrouped = dataclasses.replace(first, findings=("fp1",)).with_timeline(notified_at=NOW)
    store.upsert(regrouped)
    assert store.by_finding("fp2") is None and store.get("inc-fp1") == regrouped


def test_feedback_is_append_only_and_filtered(state: StateStore) -> None:
    store = state.feedback
    ack = FeedbackRecord("fb-1", "ack", "alice", "acme", NOW, fingerprint="fp1")
    fp = FeedbackRecord("fb-2", "false_positive", "bob", "acme", NOW + dt.timedelta(seconds=1), fingerprint="fp1",
                        note="maintenance")  # fmt: skip
    silence = FeedbackRecord("fb-3", "silence", "carol", "globex", NOW + dt.timedelta(seconds=2),
                             incident_id="inc-1", until=NOW + dt.timedelta(hours=4))  # fmt: skip
    for record in (ack, fp, silence):
        store.add(record)
    with pytest.raises(StateError, match="fb-1"):
        store.add(dataclasses.replace(ack, actor="mallory"))
    assert store.get("fb-1") == ack and store.get("fb-3", "acme") is None and store.get("fb-3") == silence
    assert [r.id for r in store.list()] == ["fb-3", "fb-2", "fb-1"]
    assert [r.id for r in store.list(fingerprint="fp1", action="false_positive")] == ["fb-2"]
    assert [r.id for r in store.list(tenant="acme", limit=1, offset=1)] == ["fb-1"]
    assert store.list(incident_id="inc-1") == [silence]
    with pytest.raises(ValueError, match="fingerprint or an incident"):
        FeedbackRecord("fb-4", "ack", "alice", "acme", NOW)
    with pytest.raises(ValueError, match="unknown feedback action"):
        FeedbackRecord("fb-5", "like", "alice", "acme", NOW, fingerprint="fp")  # type: ignore[arg-type]


def test_one_ticket_per_incident_and_system(state: StateStore) -> None:
    store = state.tickets
    jira = Ticket("inc-1", "jira", "OPS-1", "https://jira.test/browse/OPS-1", "open", NOW)
    snow = Ticket("inc-1", "servicenow", "INC001", "https://sn.test/INC001", "new", NOW + dt.timedelta(seconds=1))
    store.upsert(jira)
    store.upsert(snow)
    store.upsert(Ticket("inc-2", "jira", "OPS-2", "https://jira.test/browse/OPS-2", "open", NOW))
    resolved = dataclasses.replace(jira, state="resolved", updated_at=NOW + dt.timedelta(minutes=1))
    store.upsert(resolved)
    assert store.get("inc-1", "jira") == resolved and store.get("inc-1", "email") is None
    assert store.for_incident("inc-1") == [resolved, snow]
    assert [t.key for t in store.list()] == ["OPS-1", "INC001", "OPS-2"]
    assert [t.key for t in store.list(system="jira", state="open")] == ["OPS-2"]


def audit_event(i: int, tenant: str = "acme") -> AuditEvent:
    return AuditEvent(f"token-{i % 2}", tenant, "POST /api/v1/targets", f"/api/v1/targets/t{i}", "ok",
                      NOW + dt.timedelta(seconds=i), "127.0.0.1", "operator", 201, "")  # fmt: skip


def test_audit_is_a_hash_chain_that_finds_edits_and_gaps(state: StateStore) -> None:
    entries = [state.audit.append(audit_event(i, "globex" if i == 3 else "acme")) for i in range(1, 6)]
    assert [e.seq for e in entries] == [1, 2, 3, 4, 5] and entries[0].prev_hash == "0" * 64
    assert all(later.prev_hash == earlier.hash for earlier, later in itertools.pairwise(entries))
    assert [e.seq for e in state.audit.list()] == [5, 4, 3, 2, 1]
    assert [e.seq for e in state.audit.list(tenant="acme", actor="token-1", limit=1)] == [5]
    assert [e.seq for e in state.audit.list(offset=3)] == [2, 1] and state.audit.list(action="DELETE") == []
    assert state.audit.list(tenant="globex")[0].event == audit_event(3, "globex")
    check = state.audit.verify_chain()
    assert check.ok and check.checked == 5
    raw(state).execute("UPDATE audit SET outcome = ? WHERE seq = ?", ("denied", 3))
    edited = state.audit.verify_chain()
    assert not edited.ok and edited.first_bad == 3 and "content" in edited.reason
    raw(state).execute("UPDATE audit SET outcome = ? WHERE seq = ?", ("ok", 3))
    raw(state).execute("DELETE FROM audit WHERE seq = ?", (2,))
    gap = state.audit.verify_chain(page=2)
    assert not gap.ok and gap.first_bad == 2 and gap.checked == 1


def test_audit_appends_from_two_replicas_keep_one_chain(state_backend: StateBackend) -> None:
    replicas = [state_backend.open(), state_backend.open()]
    errors: list[BaseException] = []

    def append(store: StateStore, base: int) -> None:
        try:
            for i in range(15):
                store.audit.append(audit_event(base + i))
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=append, args=(store, 100 * n)) for n, store in enumerate(replicas)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    check = replicas[0].audit.verify_chain()
    assert check.ok and check.checked == 30


def test_a_lease_has_one_holder_and_its_token_only_grows(state_backend: StateBackend) -> None:
    a, b = state_backend.open().leases, state_backend.open().leases
    first = a.acquire("leader", "r1", TTL)
    assert first is not None and first.token == 1 and first.holder == "r1"
    assert b.acquire("leader", "r2", TTL) is None
    again = a.acquire("leader", "r1", TTL)
    assert again is not None and again.token == 1 and again.expires_at >= first.expires_at
    renewed = a.renew(first, TTL)
    assert renewed is not None and renewed.token == 1
    assert a.check("leader", "r1", 1) and not a.check("leader", "r2", 1) and not a.check("nope", "r1", 1)
    a.release(first)
    taken = b.acquire("leader", "r2", TTL)
    assert taken is not None and taken.token == 2 and b.get("leader") == taken
    assert a.renew(first, TTL) is None and a.acquire("leader", "r1", TTL) is None
    a.release(first)  # a lost lease: releasing it changes nothing
    assert b.get("leader") == taken
    time.sleep(TTL + 0.2)  # r2 stops renewing: the lease expires and r1 takes it with a new token
    assert b.renew(taken, TTL) is None
    back = a.acquire("leader", "r1", TTL)
    assert back is not None and back.token == 3 and not b.check("leader", "r2", 2)
    assert a.get("missing") is None and abs(a.now() - time.time()) < 5
    with pytest.raises(ValueError, match="positive ttl"):
        a.acquire("leader", "r1", 0)


def test_racing_replicas_get_exactly_one_lease(state_backend: StateBackend) -> None:
    stores = [state_backend.open() for _ in range(4)]
    won: list[int] = []
    barrier = threading.Barrier(len(stores))

    def race(i: int) -> None:
        barrier.wait()
        if stores[i].leases.acquire("shard/0of1", f"r{i}", 30.0) is not None:
            won.append(i)

    threads = [threading.Thread(target=race, args=(i,)) for i in range(len(stores))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert len(won) == 1


def test_heartbeats_list_the_live_replicas(state: StateStore) -> None:
    first = state.members.beat("r1", 30.0)
    state.members.beat("r2", TTL)
    assert [m.replica for m in state.members.live()] == ["r1", "r2"]
    assert state.members.beat("r1", 30.0).started_at == first.started_at
    time.sleep(TTL + 0.2)
    assert [m.replica for m in state.members.live()] == ["r1"]
    assert state.members.beat("r2", 30.0).started_at > first.started_at  # back after expiring: a new start
    state.members.leave("r2")
    assert [m.replica for m in state.members.live()] == ["r1"]


def test_a_shard_view_keeps_its_keys_apart_and_commits_only_under_its_lease(state_backend: StateBackend) -> None:
    one, two = state_backend.open(), state_backend.open()
    lease = one.leases.acquire("shard/1of2", "r1", TTL)
    assert lease is not None
    view = ShardState(one, "shard/1of2/", ("shard/1of2", "r1", lease.token))
    with view.transaction():
        view.put("cursor", "10", NOW)
        view.findings.upsert(FindingRecord(finding("log.burst", "acme", "a"), "active", NOW, NOW))
    assert view.get("cursor") == "10" and one.get("cursor") is None and one.get("shard/1of2/cursor") == "10"
    assert view.items("") == {"cursor": "10"}
    time.sleep(TTL + 0.2)
    taken = two.leases.acquire("shard/1of2", "r2", 30.0)
    assert taken is not None and taken.token == lease.token + 1
    with pytest.raises(LeaseLost, match="shard/1of2"), view.transaction():
        view.put("cursor", "11", NOW)
        view.delete("cursor")
    assert two.get("shard/1of2/cursor") == "10"
    successor = ShardState(two, "shard/1of2/", ("shard/1of2", "r2", taken.token))
    with successor.transaction():
        successor.put("cursor", "12", NOW)
    assert view.get("cursor") == "12"
