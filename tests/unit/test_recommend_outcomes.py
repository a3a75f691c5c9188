"""Measured outcomes: incident durations on /metrics, and the threshold-vs-analyzer page accounting of the replays."""

from __future__ import annotations

import datetime as dt

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.parser import text_string_to_metric_families

from inframind.analyzer.findings import FactEvidence, Finding, Window
from inframind.analyzer.incidents import Incident, Timeline
from inframind.analyzer.outcomes import OutcomeCollector, durations
from inframind.analyzer.outcomes_compare import (
    Page,
    Truth,
    first_true,
    incident_pages,
    is_false,
    onsets,
    reduction,
    tally,
    with_feedback,
)

T0 = dt.datetime(2026, 3, 1, 0, 0, tzinfo=dt.UTC)


def incident(tenant: str, detect_min: float, ack_min: float | None = None, resolve_min: float | None = None,
             *, fps: tuple[str, ...] = ("f1",), assets: tuple[str, ...] = ("srv-db-03",)) -> Incident:  # fmt: skip
    minutes = dt.timedelta(minutes=1)
    timeline = Timeline(T0, T0 + detect_min * minutes,
                        acknowledged_at=None if ack_min is None else T0 + ack_min * minutes,
                        resolved_at=None if resolve_min is None else T0 + resolve_min * minutes)  # fmt: skip
    return Incident(f"inc-{tenant}{detect_min}", tenant, "t", "warning", "open", fps, assets, timeline)


def test_durations_count_from_the_first_signal() -> None:
    assert durations(incident("a", 15, 40, 120)) == {"detect": 900.0, "acknowledge": 2400.0, "resolve": 7200.0}
    assert durations(incident("a", 5)) == {"detect": 300.0}


def test_collector_exports_summaries_per_tenant() -> None:
    registry = CollectorRegistry()
    registry.register(OutcomeCollector(lambda: [incident("a", 15, 40, 120), incident("a", 5), incident("b", 60)]))
    samples = {(s.name, s.labels.get("tenant")): s.value
               for f in text_string_to_metric_families(generate_latest(registry).decode())
               for s in f.samples}  # fmt: skip
    assert samples[("inframind_incident_time_to_detect_seconds_count", "a")] == 2
    assert samples[("inframind_incident_time_to_detect_seconds_sum", "a")] == 1200.0
    assert samples[("inframind_incident_time_to_resolve_seconds_count", "a")] == 1
    assert samples[("inframind_incident_time_to_detect_seconds_sum", "b")] == 3600.0
    assert ("inframind_incident_time_to_acknowledge_seconds_count", "b") not in samples


def test_onsets_split_firing_runs_at_gaps() -> None:
    assert onsets([0, 60, 120, 600, 660, 2000], gap=150) == [0, 600, 2000]
    assert onsets([], gap=150) == []


def finding(asset: str, score: float, night: int) -> Finding:
    window = Window(T0, T0 + dt.timedelta(minutes=5))
    return Finding("metric.anomaly", asset, "acme", "warning", "x", window, (FactEvidence("v", {"x": 1}),),
                   f"q-{asset}-{night}", score=score, labels={"signal": "iowait"})  # fmt: skip


def test_false_pages_and_lead() -> None:
    truth = Truth(frozenset({"srv-db-03"}), first_signal=1000.0)
    pages = [Page("threshold", "HostHighIowait", ("srv-app-07",), 900.0),
             Page("threshold", "HostHighIowait", ("srv-db-03",), 500.0),
             Page("threshold", "HostHighIowait", ("srv-db-03",), 9640.0)]  # fmt: skip
    assert [is_false(p, truth) for p in pages] == [True, True, False]
    assert first_true(pages, truth) == 8640.0
    assert tally(pages, truth) == {"pages": 3, "false_pages": 2, "false_names": ["HostHighIowait"],
                                   "first_true_page_after_first_signal_s": 8640.0}  # fmt: skip
    assert is_false(pages[2], Truth(frozenset(), 0.0))
    assert reduction(10, 7) == 0.3 and reduction(0, 3) is None


def test_feedback_marks_silence_the_same_weak_signal_but_not_a_stronger_one() -> None:
    truth = Truth(frozenset({"srv-db-03"}), first_signal=0.0)
    weak, weaker, stronger = (finding("srv-app-07", score, k) for k, score in enumerate((0.8, 0.75, 0.95)))
    nights = [(3600.0 * 24 * k, Incident(f"inc-{k}", "acme", "t", "warning", "open", (f.fingerprint,),
                                         ("srv-app-07",), Timeline(T0, T0)))
              for k, f in enumerate((weak, weaker, stronger))]  # fmt: skip
    pages = incident_pages(nights, {f.fingerprint: f for f in (weak, weaker, stronger)})
    assert [p.findings for p in pages] == [(weak,), (weaker,), (stronger,)]
    kept = with_feedback(pages, truth)
    assert [p.findings for p in kept] == [(weak,), (stronger,)]
    on_truth = [Page("analyzer", "t", ("srv-db-03",), 10.0, (finding("srv-db-03", 0.8, 9),))] * 2
    assert len(with_feedback(on_truth, truth)) == 2
