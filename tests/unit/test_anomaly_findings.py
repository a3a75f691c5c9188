"""Scores into findings: persistence and agreement, and the evidence a finding carries."""

from __future__ import annotations

import datetime as dt

import pytest

from inframind.analyzer.detect.anomaly import Persistence, Score, SeriesRef, findings
from inframind.analyzer.findings import Finding, MetricEvidence, fingerprint

REF = SeriesRef(
    'node_hwmon_temp_celsius{instance="srv-7",chip="coretemp"}', "srv-7", tenant="acme", signal="temperature",
    unit="celsius", labels={"chip": "coretemp"},
)  # fmt: skip
QUIET = Score(0.05, 40.0, 37.0, 43.0, {"residual": 0.1, "likelihood": 0.05, "shift": 0.0, "novelty": 0.0})


def hot(score: float, *, votes: int = 3) -> Score:
    names = ["residual", "likelihood", "shift", "novelty"]
    return Score(score, 40.0, 37.0, 43.0, {n: (0.9 if k < votes else 0.1) for k, n in enumerate(names)}, "daily")


def run(scores: list[Score], rule: Persistence | None = None) -> list[Finding]:
    stamps = [1_700_000_000.0 + 60.0 * i for i in range(len(scores))]
    values = [40.0 + (20.0 if s.score >= 0.7 else 0.0) + 0.1 * i for i, s in enumerate(scores)]
    return findings(REF, stamps, values, scores, rule)


def test_a_single_high_point_is_not_a_finding() -> None:
    assert run([QUIET] * 10 + [hot(1.0)] + [QUIET] * 10) == []
    assert run([QUIET] * 10 + [hot(1.0), hot(1.0), QUIET, hot(1.0), hot(1.0)] + [QUIET] * 5) == []


def test_one_voter_alone_is_not_a_finding() -> None:
    assert run([QUIET] * 5 + [hot(0.9, votes=1)] * 6 + [QUIET] * 5) == []
    assert len(run([QUIET] * 5 + [hot(0.9, votes=2)] * 6 + [QUIET] * 5)) == 1


def test_a_persisting_agreed_run_becomes_a_finding_with_evidence() -> None:
    scores = [QUIET] * 20 + [hot(0.8), hot(0.95), hot(0.9), hot(0.85)] + [QUIET] * 4
    (finding,) = run(scores)
    metric = finding.evidence[0]
    assert isinstance(metric, MetricEvidence)
    assert finding.kind == "metric.anomaly"
    assert finding.severity == "warning"
    assert finding.score == pytest.approx(0.95)
    assert finding.window.start == dt.datetime.fromtimestamp(1_700_000_000 + 60 * 20, dt.UTC)
    assert finding.window.end == dt.datetime.fromtimestamp(1_700_000_000 + 60 * 23, dt.UTC)
    assert metric.observed == pytest.approx(60.0 + 2.1)
    assert (metric.expected, metric.lower, metric.upper) == (40.0, 37.0, 43.0)
    assert metric.unit == "celsius" and metric.labels == {"chip": "coretemp"}
    assert 0 < len(metric.points) <= 12
    assert (1_700_000_000.0 + 60 * 21, 60.0 + 2.1) in metric.points
    assert metric.points[0][0] < metric.window.start.timestamp()
    facts = finding.evidence[1].values  # type: ignore[union-attr]
    assert facts["points"] == 4 and facts["ongoing"] is False and facts["model"] == "daily"
    assert facts["agreeing"] == "likelihood, residual, shift"
    assert finding.fingerprint == fingerprint("metric.anomaly", "acme", "srv-7", REF.query)
    assert Finding.from_dict(finding.to_dict()) == finding


def test_the_most_recent_qualifying_run_is_reported_and_long_runs_are_thinned() -> None:
    scores = [hot(0.9)] * 5 + [QUIET] * 5 + [hot(0.8)] * 40
    (finding,) = run(scores)
    metric = finding.evidence[0]
    assert isinstance(metric, MetricEvidence)
    assert finding.window.start.timestamp() == 1_700_000_000 + 60 * 10
    assert len(metric.points) <= 12
    assert any(t == metric.window.start.timestamp() for t, _ in metric.points)
    assert finding.evidence[1].values["ongoing"] is True  # type: ignore[union-attr]


def test_a_certain_and_agreed_anomaly_is_critical() -> None:
    assert run([hot(0.995, votes=3)] * 3)[0].severity == "critical"
    assert run([hot(0.995, votes=2)] * 3)[0].severity == "warning"
    assert run([hot(0.9, votes=4)] * 3)[0].severity == "warning"


def test_the_rule_is_configurable_and_inputs_must_line_up() -> None:
    scores = [hot(0.6)] * 5
    assert run(scores) == []
    assert len(run(scores, Persistence(threshold=0.5, points=5))) == 1
    assert run(scores, Persistence(threshold=0.5, points=6)) == []
    with pytest.raises(ValueError, match="shape_points"):
        Persistence(shape_points=2)
    with pytest.raises(ValueError, match="equally long"):
        findings(REF, [1.0, 2.0], [1.0], [QUIET, QUIET])
