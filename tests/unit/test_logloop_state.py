"""The analysis state file: key -> JSON, all-or-nothing transactions, and the findings store's queries."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from inframind.analyzer.findings import Finding, LogEvidence, Window
from inframind.analyzer.state import FindingRecord, StateDB, StateError

NOW = dt.datetime(2026, 11, 26, 12, 0, tzinfo=dt.UTC)
WINDOW = Window(NOW - dt.timedelta(minutes=5), NOW)


def finding(kind: str, tenant: str, asset: str, key: str = "k", assets: tuple[str, ...] = ()) -> Finding:
    evidence = LogEvidence("t <*>", "tid", 3, WINDOW, WINDOW.start, WINDOW.end, assets=assets or (asset,))
    return Finding(kind, asset, tenant, "warning", f"{kind} on {asset}", WINDOW, (evidence,), key)


@pytest.fixture
def db(tmp_path: Path) -> StateDB:
    return StateDB(tmp_path / "analysis.db")


def test_key_values_round_trip_and_survive_reopening(db: StateDB, tmp_path: Path) -> None:
    db.put("cursor", "42", NOW)
    db.put("rates/cur", {"series": [[1, 2.5, "x"]]}, NOW)
    db.put("rates/hist:acme:a", [["syslog"]], NOW)
    db.put("other", None, NOW)
    assert db.get("cursor") == "42" and db.get("missing") is None
    assert db.items("rates/") == {"cur": {"series": [[1, 2.5, "x"]]}, "hist:acme:a": [["syslog"]]}
    db.delete("rates/cur")
    db.close()
    again = StateDB(tmp_path / "analysis.db")
    assert again.items("rates/") == {"hist:acme:a": [["syslog"]]} and again.get("cursor") == "42"


def test_a_failed_transaction_leaves_nothing_behind(db: StateDB) -> None:
    db.put("cursor", "1", NOW)
    with pytest.raises(RuntimeError), db.transaction():
        db.put("cursor", "2", NOW)
        db.findings.upsert(FindingRecord(finding("log.burst", "acme", "a"), "active", NOW, NOW))
        raise RuntimeError("crash in the middle of a cycle")
    assert db.get("cursor") == "1" and db.findings.list() == []
    with db.transaction():
        db.put("cursor", "3", NOW)
    assert db.get("cursor") == "3"


def test_findings_are_listed_by_tenant_state_kind_and_asset(db: StateDB) -> None:
    store = db.findings
    records = [
        FindingRecord(finding("log.burst", "acme", "srv-1"), "active", NOW, NOW),
        FindingRecord(finding("log.repeated", "acme", "srv-2", assets=("srv-2", "srv-3")), "active", NOW, NOW),
        FindingRecord(finding("log.rule", "acme", "srv-1"), "resolved", NOW, NOW, 2, NOW),
        FindingRecord(finding("metric.anomaly", "globex", "srv-9"), "active", NOW, NOW + dt.timedelta(seconds=1)),
    ]
    for record in records:
        store.upsert(record)

    def fingerprints(found: list[FindingRecord]) -> list[str]:
        return [r.finding.kind for r in found]

    assert fingerprints(store.list()) == ["metric.anomaly", "log.burst", "log.repeated", "log.rule"]
    assert fingerprints(store.list(tenant="acme", state="active")) == ["log.burst", "log.repeated"]
    assert fingerprints(store.list(kind="log.")) == ["log.burst", "log.repeated", "log.rule"]
    assert fingerprints(store.list(kind="log.rule")) == ["log.rule"]
    assert fingerprints(store.list(asset="srv-3")) == ["log.repeated"]
    assert fingerprints(store.list(asset="srv-1", state="resolved")) == ["log.rule"]
    assert store.active_counts() == {("log.burst", "warning"): 1, ("log.repeated", "warning"): 1,
                                     ("metric.anomaly", "warning"): 1}  # fmt: skip
    burst = records[0].finding.fingerprint
    got = store.get(burst)
    assert got == records[0] and store.get(burst, "globex") is None and store.get(burst, "acme") == records[0]
    resolved = store.get(records[2].finding.fingerprint)
    assert resolved is not None and resolved.count == 2 and resolved.resolved_at == NOW
    assert resolved.to_dict()["finding"]["kind"] == "log.rule" and resolved.to_dict()["resolved_at"].endswith("Z")


def test_an_unusable_state_path_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("not a directory")
    with pytest.raises(StateError, match="cannot open the analyzer state"):
        StateDB(tmp_path / "file" / "analysis.db")
