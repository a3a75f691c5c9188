"""Incident and Recommendation: stable ids, JSON round trip, validation."""

from __future__ import annotations

import datetime as dt

import pytest

from inframind.analyzer.incidents import Cause, Incident, Timeline, incident_id
from inframind.analyzer.recommendation import Recommendation

T0 = dt.datetime(2026, 11, 26, 6, 0, tzinfo=dt.UTC)


def incident() -> Incident:
    return Incident(
        id=incident_id("a" * 32), tenant="acme", title="iowait on srv-db-03 from LUN-12", severity="warning",
        state="open", findings=("a" * 32, "b" * 32), assets=("srv-db-03", "lun-12"),
        timeline=Timeline(T0, T0 + dt.timedelta(minutes=5), notified_at=T0 + dt.timedelta(minutes=6)),
        causes=(Cause("b" * 32, "lun-12", "metric.anomaly", 0.8, ("lun-12", "uses-lun", "srv-db-03"), ("a" * 32,),
                      ("upstream", "earliest")),),
    )  # fmt: skip


def test_incident_round_trip_and_stable_id() -> None:
    original = incident()
    assert Incident.from_dict(original.to_dict()) == original
    assert original.id == incident_id("a" * 32) and original.id.startswith("inc-") and len(original.id) == 16
    acked = original.with_timeline(acknowledged_at=T0 + dt.timedelta(minutes=9))
    assert acked.timeline.acknowledged_at == T0 + dt.timedelta(minutes=9) and acked.id == original.id


def test_incident_needs_findings_and_a_severity() -> None:
    with pytest.raises(ValueError, match="at least one finding"):
        Incident("inc-x", "t", "x", "info", "open", (), (), Timeline(T0, T0))
    with pytest.raises(ValueError, match="unknown severity"):
        Incident("inc-x", "t", "x", "page", "open", ("f",), (), Timeline(T0, T0))  # type: ignore[arg-type]


def test_recommendation_checks() -> None:
    rec = Recommendation("f" * 32, "metric.anomaly", "ru", "t", "text", "verify", 0.7, facts={"iowait": 29.0})
    assert rec.to_dict()["facts"] == {"iowait": 29.0}
    with pytest.raises(ValueError, match="confidence"):
        Recommendation("f" * 32, "k", "en", "t", "x", "y", 1.5)
    with pytest.raises(ValueError, match="unknown language"):
        Recommendation("f" * 32, "k", "de", "t", "x", "y", 0.5)  # type: ignore[arg-type]
