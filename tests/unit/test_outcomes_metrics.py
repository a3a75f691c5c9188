"""The open-incident gauge of the outcome collector: counts per tenant and severity, zeros kept for known tenants."""

from __future__ import annotations

import dataclasses
import datetime as dt

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.parser import text_string_to_metric_families

from inframind.analyzer.findings import Severity
from inframind.analyzer.incidents import Incident, IncidentState, Timeline
from inframind.analyzer.outcomes import OutcomeCollector, open_counts

T0 = dt.datetime(2026, 3, 1, 0, 0, tzinfo=dt.UTC)


def incident(n: int, tenant: str, severity: Severity, state: IncidentState = "open") -> Incident:
    timeline = Timeline(T0, T0 + dt.timedelta(minutes=5))
    if state == "resolved":
        timeline = dataclasses.replace(timeline, resolved_at=T0 + dt.timedelta(hours=1))
    return Incident(f"inc-{n}", tenant, "t", severity, state, (f"f{n}",), ("srv-db-03",), timeline)


def gauge(registry: CollectorRegistry) -> dict[tuple[str, str], float]:
    text = generate_latest(registry).decode()
    return {
        (s.labels["tenant"], s.labels["severity"]): s.value
        for family in text_string_to_metric_families(text)
        if family.name == "inframind_incidents_active"
        for s in family.samples
    }


def test_open_incidents_are_counted_per_tenant_and_severity() -> None:
    incidents = [
        incident(1, "acme", "critical"),
        incident(2, "acme", "critical"),
        incident(3, "acme", "warning"),
        incident(4, "acme", "warning", "resolved"),
        incident(5, "globex", "info", "resolved"),
    ]
    assert open_counts(incidents) == {
        ("acme", "info"): 0,
        ("acme", "warning"): 1,
        ("acme", "critical"): 2,
        ("globex", "info"): 0,
        ("globex", "warning"): 0,
        ("globex", "critical"): 0,
    }


def test_the_gauge_follows_the_store_on_every_scrape() -> None:
    """Built fresh on each collect: resolving an incident turns its count to 0, and the series stays."""
    incidents = [incident(1, "acme", "critical"), incident(2, "acme", "warning")]
    registry = CollectorRegistry()
    registry.register(OutcomeCollector(lambda: incidents))
    assert gauge(registry) == {("acme", "info"): 0.0, ("acme", "warning"): 1.0, ("acme", "critical"): 1.0}
    incidents[0] = dataclasses.replace(incidents[0], state="resolved")
    assert gauge(registry)[("acme", "critical")] == 0.0
    assert "# TYPE inframind_incidents_active gauge" in generate_latest(registry).decode()


def test_no_incidents_no_series() -> None:
    registry = CollectorRegistry()
    registry.register(OutcomeCollector(list))
    assert gauge(registry) == {}
