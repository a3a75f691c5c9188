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
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Iterator, Mapping

from prometheus_client.core import Metric, SummaryMetricFamily
from prometheus_client.registry import Collector

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


class OutcomeCollector(Collector):
    """The summaries over ``incidents()`` (e.g. the state store's incidents of the last 30 days)."""

    def __init__(self, incidents: Callable[[], Iterable[Incident]]) -> None:
        self._incidents = incidents

    def collect(self) -> Iterator[Metric]:
        totals = summarize(self._incidents())
        for name in MOMENTS:
            family = SummaryMetricFamily(f"inframind_incident_time_to_{name}_seconds", HELP[name], labels=["tenant"])
            for (measure, tenant), (count, total) in sorted(totals.items()):
                if measure == name:
                    family.add_metric([tenant], count_value=count, sum_value=total)
            yield family
