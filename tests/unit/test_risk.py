"""The asset risk score: how factors combine, what each contributes, and what is not counted twice."""

from __future__ import annotations

import math

import pytest

from inframind.analyzer.detect.risk import ActiveFinding, RiskInputs, RiskWeights, assess

DAY = 86400.0


def test_nothing_against_an_asset_scores_zero() -> None:
    risk = assess(RiskInputs("acme", "srv-1"))
    assert (risk.score, risk.factors) == (0.0, ())


def test_factors_combine_like_independent_causes_and_points_add_up() -> None:
    inputs = RiskInputs(
        "acme", "srv-1", "critical", disk_failure={"sda": 0.3, "sdb": 0.05}, time_to_full={"filesystem /data": 7 * DAY},
        anomaly={"iowait": 0.8},
    )  # fmt: skip
    risk = assess(inputs)
    likelihoods = {f.kind: f.likelihood for f in risk.factors}
    # anomaly: (0.8 - floor 0.5) / 0.5 = 0.6 of its weight 0.5
    assert likelihoods == {"disk_failure": 0.3, "capacity": pytest.approx(0.5), "anomaly": pytest.approx(0.3)}
    assert risk.likelihood == pytest.approx(1 - 0.7 * 0.5 * 0.7)
    assert risk.score == pytest.approx(100 * risk.likelihood * 1.0)
    assert sum(f.points for f in risk.factors) == pytest.approx(risk.score)
    assert [f.kind for f in risk.factors] == ["capacity", "anomaly", "disk_failure"]  # largest share first
    assert [f.kind for f in risk.factors].count("anomaly") == 1
    assert risk.factors[2].detail == "disk sda: 30% chance of failure within 30 days (worst of 2 disks)"


def test_criticality_scales_the_impact() -> None:
    low = assess(RiskInputs("acme", "lab-1", "low", disk_failure={"sda": 0.5}))
    high = assess(RiskInputs("acme", "db-1", "high", disk_failure={"sda": 0.5}))
    assert low.score == pytest.approx(50 * 0.55) and high.score == pytest.approx(50 * 0.85)


def test_time_to_full_is_half_at_a_week_and_rises_as_it_nears() -> None:
    def capacity(days: float) -> float:
        return assess(RiskInputs("a", "b", time_to_full={"memory": days * DAY})).factors[0].likelihood

    assert capacity(7) == pytest.approx(0.5)
    assert capacity(1) > 0.97 and capacity(30) < 0.06 and capacity(0) == pytest.approx(0.999)


def test_findings_count_by_kind_and_are_not_counted_twice() -> None:
    findings = (
        ActiveFinding("log.burst", "warning", "burst of kernel errors"),
        ActiveFinding("log.burst", "critical", "burst of I/O errors"),
        ActiveFinding("disk.failure", "critical", "disk sda"),
        ActiveFinding("capacity.exhaustion", "warning", "/data fills"),
    )
    direct = assess(RiskInputs("a", "b", findings=findings, disk_failure={"sda": 0.2}))
    kinds = {f.kind: f for f in direct.factors}
    assert set(kinds) == {"log.burst", "disk_failure", "capacity.exhaustion"}  # disk via its probability only
    burst = kinds["log.burst"]
    assert burst.likelihood == pytest.approx(1 - 0.8 * 0.5)
    assert burst.detail == "2 active findings, worst: critical: burst of I/O errors"
    assert kinds["capacity.exhaustion"].likelihood == pytest.approx(0.2)  # no time-to-full input: its severity


def test_everyday_noise_is_no_factor() -> None:
    noise = assess(RiskInputs("a", "b", disk_failure={"sda": 0.0006}, anomaly={"cpu": 0.45, "fan_speed": 0.2}))
    assert (noise.score, noise.factors) == (0.0, ())


def test_weights_are_settable() -> None:
    weights = RiskWeights(anomaly_weight=1.0, anomaly_floor=0.0)
    risk = assess(RiskInputs("a", "b", anomaly={"temperature": 0.9}), weights)
    assert risk.likelihood == pytest.approx(0.9)
    assert math.isclose(risk.to_dict()["factors"][0]["points"], risk.score, abs_tol=0.01)
