"""Alert labels stay stable while annotations carry what changes; the ledger plan starts, updates, retires,
resolves and forgets alerts; the ledger survives a reopened state file (a restart)."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

from inframind.analyzer.delivery_alerts import (
    alert_annotations,
    alert_labels,
    alertname,
    category,
    placement,
    rack_incident_labels,
)
from inframind.analyzer.delivery_ledger import AlertRecord, KeyValueLedger
from inframind.analyzer.delivery_plan import Wanted, accepted, alert_for, due, reconcile, settled
from inframind.analyzer.incidents import Cause, Incident, Timeline
from inframind.analyzer.recommendation import Recommendation
from inframind.analyzer.state import StateDB
from tests.helpers.incidents import IOWAIT_QUERY, THERMAL, at, inventory, log_finding, metric_finding

NOW = at(60)
PEER = "http://127.0.0.1:9093"


def test_labels_are_stable_when_numbers_and_incident_change() -> None:
    first = metric_finding("srv-db-03", "cpu_iowait", IOWAIT_QUERY, 29.0, 8.0, at(0), at(30), unit="%")
    later = metric_finding("srv-db-03", "cpu_iowait", IOWAIT_QUERY, 35.0, 8.0, at(0), at(45), unit="%")
    where = placement("srv-db-03", inventory())
    assert alert_labels(first, where) == alert_labels(later, where)
    labels = alert_labels(first, where)
    assert labels == {
        "alertname": "InfraMindMetricAnomaly",
        "tenant": "acme",
        "asset": "srv-db-03",
        "severity": "warning",
        "category": "performance",
        "finding": first.fingerprint,
        "asset_kind": "host",
        "host": "srv-db-03",
    }
    text = "Check the queue <now> & re-measure"
    rec = Recommendation(first.fingerprint, first.kind, "en", "iowait on srv-db-03", text, "Re-measure latency", 0.8,
                         "https://runbooks/iowait", "https://grafana/d/x")  # fmt: skip
    incident = Incident("inc-1", "acme", "iowait", "warning", "open", (first.fingerprint,), ("srv-db-03",),
                        Timeline(at(0), at(30)))  # fmt: skip
    notes = alert_annotations(first, incident, rec)
    assert notes["incident"] == "inc-1"
    assert notes["recommendation"] == "Check the queue <now> & re-measure"
    assert notes["runbook_url"] == "https://runbooks/iowait" and notes["dashboard_url"] == "https://grafana/d/x"
    assert "= 29" in notes["evidence"] and "expected 8" in notes["evidence"]
    assert notes["score"] == "0.90"
    assert "incident" not in alert_annotations(first)


def test_alertname_category_and_placement() -> None:
    thermal = log_finding("R3-01", THERMAL, 12, at(0), at(60))
    assert alertname(thermal) == "BmcThermalWarnings"
    assert category(thermal) == "thermal"
    assert placement("R3-01", inventory()).rack == "R3"
    lun = placement("lun-12", inventory())
    assert (lun.kind, lun.host) == ("lun", "")
    assert placement("unknown", inventory()) == placement("unknown", None)


def test_rack_incident_alert_only_for_rack_power_or_thermal_causes() -> None:
    incident = Incident("inc-r3", "acme", "thermal in R3", "critical", "open", ("f1",), ("R3", "R3-01", "R3-02"),
                        Timeline(at(0), at(5)), causes=(Cause("f1", "crac-3", "log.rule", 0.9),))  # fmt: skip
    assert rack_incident_labels(incident, inventory(), "performance") is None
    assert rack_incident_labels(incident, inventory(), "thermal") is None  # crac-3 stands in no rack
    in_rack = dataclasses.replace(incident, causes=(Cause("f1", "R3", "log.rule", 0.9),))
    labels = rack_incident_labels(in_rack, inventory(), "thermal")
    assert labels is not None
    assert (labels["alertname"], labels["rack"], labels["category"]) == ("InfraMindRackIncident", "R3", "thermal")


def _want(key: str, severity: str = "warning", note: str = "a") -> Wanted:
    return Wanted(key, {"alertname": "X", "finding": key, "severity": severity}, {"summary": note}, at(0))


def test_reconcile_starts_updates_retires_and_ends() -> None:
    plan = reconcile({}, [_want("a")], NOW, 600)
    record = plan.changed["a"]
    assert record.active and not record.sent
    assert due(record, PEER, NOW, 60)
    sent = accepted(record, PEER, NOW)
    assert not due(sent, PEER, NOW + dt.timedelta(seconds=59), 60)
    assert due(sent, PEER, NOW + dt.timedelta(seconds=60), 60)  # resent before endsAt passes

    updated = reconcile({"a": sent}, [_want("a", note="b")], NOW, 600).changed["a"]
    assert updated.annotations == {"summary": "b"} and due(updated, PEER, NOW, 60)  # a changed version goes now

    escalated = reconcile({"a": sent}, [_want("a", severity="critical")], NOW, 600).changed
    retired = next(r for k, r in escalated.items() if k.startswith("a@"))
    assert not retired.active and retired.labels["severity"] == "warning"
    assert escalated["a"].labels["severity"] == "critical"

    ended = reconcile({"a": sent}, [], NOW, 600).changed["a"]
    assert not ended.active and ended.ended_at == NOW
    alert = alert_for(ended, NOW + dt.timedelta(seconds=5), 240)
    assert alert["endsAt"] == "2026-11-26T07:00:00.000Z"  # resolved at the moment it ended
    assert due(ended, PEER, NOW, 60) and not settled(ended)
    assert settled(accepted(ended, PEER, NOW))
    never_told = dataclasses.replace(ended, sent={})
    assert not due(never_told, PEER, NOW, 60)
    assert reconcile({"a": ended}, [], NOW + dt.timedelta(seconds=601), 600).deleted == ["a"]


def test_active_alert_holds_a_few_intervals_ahead() -> None:
    record = reconcile({}, [_want("a")], NOW, 600).changed["a"]
    alert = alert_for(record, NOW, 240)
    assert alert["endsAt"] == "2026-11-26T07:04:00.000Z"
    assert alert["labels"]["finding"] == "a"


def test_ledger_survives_reopening_the_state(tmp_path: Path) -> None:
    state = StateDB(tmp_path / "state.db")
    record = accepted(reconcile({}, [_want("a")], NOW, 600).changed["a"], PEER, NOW)
    KeyValueLedger(state).save([record], NOW)
    state.close()
    reopened = StateDB(tmp_path / "state.db")
    loaded = KeyValueLedger(reopened).load()
    assert loaded == {"a": record}
    assert isinstance(loaded["a"], AlertRecord) and not due(loaded["a"], PEER, NOW, 60)
    KeyValueLedger(reopened).delete(["a"])
    assert KeyValueLedger(reopened).load() == {}
    reopened.close()
