"""Measured outcomes of incidents: how long from the first signal until we detected, notified, were acknowledged
and resolved, exported on /metrics, built fresh on every scrape (DESIGN §4).

Every duration is counted from the incident's *first signal* (the earliest evidence of its findings), so the
numbers add up the way a person experiences an outage: time-to-resolve includes time-to-detect, and an analyzer
that detects earlier shortens every later one by as much. Per tenant, as summaries (``_count`` and ``_sum``; a
mean is ``sum / count``):

- ``inframind_incident_time_to_detect_seconds``: first signal -> the incident's first finding became active;
- ``inframind_incident_time_to_notify_seconds``: first signal -> the first notification was delivered;
- ``inframind_incident_time_to_acknowledge_seconds``: first signal -> a person acknowledged it (feedback);
- ``inframind_incident_time_to_resolve_seconds``: first signal -> it resolved.

An incident counts in each summary once that moment is known (an open incident has no time-to-resolve yet).

Beside them, ``inframind_incidents_active{tenant,severity}`` is the number of open incidents now. Every tenant
with an incident in the collector's list gets all three severities, zeros included, so a count that drops to
zero is a 0 on the dashboard rather than a series that vanishes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Iterator, Mapping

from prometheus_client.core import GaugeMetricFamily, Metric, SummaryMetricFamily
from prometheus_client.registry import Collector

from inframind.analyzer.findings import SEVERITIES
from inframind.analyzer.incidents import Incident

MOMENTS: Mapping[str, str] = {
    "detect": "detected_at",
    "notify": "notified_at",
    "acknowledge": "acknowledged_at",
    "resolve": "resolved_at",
}
HELP = {
    "detect": "Seconds from an incident's first signal until it was detected.",
    "notify": "Seconds from an incident's first signal until its first notification went out.",
    "acknowledge": "Seconds from an incident's first signal until a person acknowledged it.",
    "resolve": "Seconds from an incident's first signal until it resolved.",
}


def durations(incident: Incident) -> dict[str, float]:
    """Seconds from the first signal to each known moment (never negative: clocks of sources may disagree)."""
    t = incident.timeline
    out: dict[str, float] = {}
    for name, attribute in MOMENTS.items():
        moment: dt.datetime | None = getattr(t, attribute)
        if moment is not None:
            out[name] = max(0.0, (moment - t.first_signal_at).total_seconds())
    return out


def summarize(incidents: Iterable[Incident]) -> dict[tuple[str, str], tuple[int, float]]:
    """(measure, tenant) -> (incidents counted, seconds in all)."""
    out: dict[tuple[str, str], tuple[int, float]] = {}
    for incident in incidents:
        for name, seconds in durations(incident).items():
            count, total = out.get((name, incident.tenant), (0, 0.0))
            out[(name, incident.tenant)] = (count + 1, total + seconds)
    return out


def open_counts(incidents: Iterable[Incident]) -> dict[tuple[str, str], int]:
    """(tenant, severity) -> open incidents, with a 0 for each severity of every tenant that has any incident."""
    out: dict[tuple[str, str], int] = {}
    for incident in incidents:
        for severity in SEVERITIES:
            out.setdefault((incident.tenant, severity), 0)
        if incident.state == "open":
            out[(incident.tenant, incident.severity)] += 1
    return out


class OutcomeCollector(Collector):
    """The summaries and the open-incident gauge over ``incidents()`` (e.g. the state store's recent incidents)."""

    def __init__(self, incidents: Callable[[], Iterable[Incident]]) -> None:
        self._incidents = incidents

    def collect(self) -> Iterator[Metric]:
        incidents = list(self._incidents())
        active = GaugeMetricFamily("inframind_incidents_active", "Incidents open now.", labels=["tenant", "severity"])
        for (tenant, severity), count in sorted(open_counts(incidents).items()):
            active.add_metric([tenant, severity], count)
        yield active
        totals = summarize(incidents)
        for name in MOMENTS:
            family = SummaryMetricFamily(f"inframind_incident_time_to_{name}_seconds", HELP[name], labels=["tenant"])
            for (measure, tenant), (count, total) in sorted(totals.items()):
                if measure == name:
                    family.add_metric([tenant], count_value=count, sum_value=total)
            yield family
