"""Node risk: each factor's saturation and weight, how factors combine, and gathering them from findings."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest

from inframind.analyzer.detect.noderisk import (
    DEFAULT_WEIGHTS,
    FactorWeight,
    NodeSignals,
    node_risk,
    signals_from_findings,
)
from inframind.analyzer.findings import FactEvidence, Finding, LogEvidence, Window

END = dt.datetime(2026, 11, 26, tzinfo=dt.UTC)
WINDOW = Window(END - dt.timedelta(hours=1), END)


def test_a_quiet_node_has_no_risk() -> None:
    risk = node_risk(NodeSignals("srv-1"))
    assert risk.score == 0.0
    assert risk.factors == ()


def test_one_factor_saturates_toward_its_weight() -> None:
    one = node_risk(NodeSignals("srv-1", events={"psu": 1})).score
    many = node_risk(NodeSignals("srv-1", events={"psu": 50})).score
    assert one == pytest.approx(100 * 0.5 * 0.5)  # half amount 1: one event is half the PSU weight
    assert one < many < 100 * DEFAULT_WEIGHTS["psu"].weight


def test_the_first_events_count_most() -> None:
    scores = [node_risk(NodeSignals("srv-1", events={"thermal": n})).score for n in (1, 2, 3, 4)]
    steps = [b - a for a, b in itertools.pairwise(scores)]
    assert steps == sorted(steps, reverse=True)
    assert all(step > 0 for step in steps)


def test_disk_risk_is_the_chance_that_any_disk_fails() -> None:
    risk = node_risk(NodeSignals("srv-1", disk_probabilities={"sda": 0.3, "sdb": 0.3}))
    (factor,) = risk.factors
    assert factor.name == "disk"
    assert factor.amount == pytest.approx(1 - 0.7 * 0.7)
    assert risk.score == pytest.approx(100 * 0.9 * 0.51)
    assert "sda: 30.0%" in factor.detail or "sdb: 30.0%" in factor.detail


def test_factors_combine_without_passing_100_and_points_add_up() -> None:
    signals = NodeSignals(
        "srv-1",
        events={"ecc_uncorrected": 3, "thermal": 5, "fan": 2, "psu": 1, "mce": 4, "ecc_corrected": 40},
        unexpected_reboots=2,
        disk_probabilities={"sda": 0.6},
        anomaly_scores=(0.9, 0.8, 0.7),
    )
    risk = node_risk(signals)
    assert 95 < risk.score < 100
    assert sum(f.points for f in risk.factors) == pytest.approx(risk.score, abs=1e-3)
    assert [f.points for f in risk.factors] == sorted((f.points for f in risk.factors), reverse=True)
    assert risk.factors[0].name == "disk"  # the strongest factor leads
    assert {f.name for f in risk.factors} == set(DEFAULT_WEIGHTS)


def test_two_mild_factors_outweigh_either_alone() -> None:
    fan = node_risk(NodeSignals("srv-1", events={"fan": 1})).score
    thermal = node_risk(NodeSignals("srv-1", events={"thermal": 2})).score
    both = node_risk(NodeSignals("srv-1", events={"fan": 1, "thermal": 2})).score
    assert max(fan, thermal) < both < fan + thermal


def test_weights_can_be_replaced_and_are_validated() -> None:
    custom = {**DEFAULT_WEIGHTS, "fan": FactorWeight(0.0, 1.0)}
    assert node_risk(NodeSignals("srv-1", events={"fan": 9}), custom).score == 0.0
    with pytest.raises(ValueError, match="weight"):
        FactorWeight(1.5)
    with pytest.raises(ValueError, match="unknown event categories"):
        node_risk(NodeSignals("srv-1", events={"meteor": 1}))


def rule(alert: str, asset: str, count: int) -> Finding:
    evidence = LogEvidence("t", "id", count, WINDOW, WINDOW.start, WINDOW.end)
    return Finding("log.rule", asset, "", "warning", alert, WINDOW, (evidence,), f"{alert}|asset_id={asset}",
                   labels={"alertname": alert})  # fmt: skip


def test_signals_are_gathered_from_the_nodes_findings() -> None:
    fact = (FactEvidence("x"),)
    findings = [
        rule("BMCThermalEvents", "srv-1", 4),
        rule("BMCFanEvents", "srv-1", 1),
        rule("LinuxMemoryErrors", "srv-1", 2),
        rule("WindowsUnexpectedShutdowns", "srv-1", 3),
        rule("LinuxOOMKills", "srv-1", 9),  # not a hardware factor
        rule("BMCThermalEvents", "srv-2", 7),  # another node
        Finding("disk.failure", "srv-1", "", "warning", "d", WINDOW, fact, "ZA1", probability=0.2),
        Finding("metric.anomaly", "srv-1", "", "info", "a", WINDOW, fact, "iowait", score=0.6),
    ]
    signals = signals_from_findings("srv-1", findings)
    assert signals.events == {"thermal": 4.0, "fan": 1.0, "mce": 2.0}
    assert signals.unexpected_reboots == 3.0
    assert signals.disk_probabilities == {"ZA1": 0.2}
    assert signals.anomaly_scores == (0.6,)
    risk = node_risk(signals)
    assert {f.name for f in risk.factors} == {"thermal", "fan", "mce", "unexpected_reboot", "disk", "anomaly"}
