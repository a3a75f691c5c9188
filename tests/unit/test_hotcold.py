"""Hot/cold nodes and their moves; I/O tuning hints."""

from __future__ import annotations

import datetime as dt

import pytest

from inframind.analyzer.detect.hotcold import (
    HotColdSettings,
    Resource,
    Usage,
    find_hotspots,
    group_ratios,
    hotspot_findings,
    plan_move,
)
from inframind.analyzer.detect.iotuning import DiskLoad, IoSettings, classify, io_findings
from inframind.analyzer.findings import FactEvidence, MetricEvidence

END = dt.datetime(2026, 11, 26, 12, tzinfo=dt.UTC)
RACK = HotColdSettings(groups_by=("rack",))


def usage(asset: str, value: float, rack: str = "R1", capacity: float | None = None, **groups: str) -> Usage:
    return Usage("acme", asset, "cpu", value, capacity, {"rack": rack, **groups})


def query(resource: Resource, asset: str) -> str:
    return f'cpu{{asset="{asset}"}}'


def test_equal_nodes_meet_in_the_middle() -> None:
    move = plan_move(usage("hot", 0.9), usage("cold", 0.1), RACK)
    assert move is not None
    assert move.share == pytest.approx(0.4 / 0.9)
    assert move.source_after == pytest.approx(0.5) and move.target_after == pytest.approx(0.5)


def test_capacities_turn_shares_into_absolute_load() -> None:
    # 16 cores at 90% (14.4 busy) next to 48 cores at 10% (4.8 busy): 19.2 of 64 cores -> both 30%
    uncapped = HotColdSettings(max_move_share=1.0)
    move = plan_move(usage("hot", 0.9, capacity=16), usage("big", 0.1, capacity=48), uncapped)
    assert move is not None
    assert move.amount == pytest.approx(14.4 - 0.3 * 16) and move.share == pytest.approx(9.6 / 14.4)
    assert move.source_after == pytest.approx(0.3) and move.target_after == pytest.approx(0.3)


def test_moves_are_capped_and_a_saturated_pair_gets_none() -> None:
    capped = plan_move(
        usage("hot", 0.95, capacity=1), usage("huge", 0.0, capacity=100), HotColdSettings(max_move_share=0.5)
    )
    assert capped is not None and capped.share == pytest.approx(0.5)
    assert capped.source_after == pytest.approx(0.475)
    assert plan_move(usage("hot", 0.95), usage("warm", 0.7), RACK) is None


def test_hot_needs_both_level_and_distance_from_the_group() -> None:
    busy_rack = [usage(f"n{i}", 0.85 + i * 0.01) for i in range(4)]
    assert find_hotspots(busy_rack, RACK) == []  # all hot: nobody stands out
    mixed = [usage("a", 0.92), usage("b", 0.4), usage("c", 0.3), usage("d", 0.2)]
    (spot,) = find_hotspots(mixed, RACK)
    assert spot.asset == "a" and spot.median == pytest.approx(0.35)
    assert spot.move is not None and spot.move.target == "d"
    assert spot.coldest == (("d", 0.2), ("c", 0.3))
    assert find_hotspots(mixed[:2], RACK) == []  # fewer than min_members


def test_one_finding_per_asset_preferring_a_group_with_a_move() -> None:
    # in its cluster the hot node has no cold peer, in its rack it has one
    usages = [
        usage("hot", 0.95, rack="R1", cluster="c1"),
        usage("r1-cold", 0.1, rack="R1", cluster="c2"),
        usage("r1-mid", 0.5, rack="R1", cluster="c2"),
        usage("c1-a", 0.5, rack="R2", cluster="c1"),
        usage("c1-b", 0.45, rack="R2", cluster="c1"),
    ]
    settings = HotColdSettings(groups_by=("cluster", "rack"))
    (spot,) = find_hotspots(usages, settings)
    assert (spot.group_label, spot.group, spot.move and spot.move.target) == ("rack", "R1", "r1-cold")


def test_findings_name_the_move_and_ratios_compare_with_the_group() -> None:
    usages = [usage("a", 0.92), usage("b", 0.4), usage("c", 0.3), usage("d", 0.2)]
    (finding,) = hotspot_findings(usages, END, query, RACK)
    assert (finding.kind, finding.asset_id, finding.key, finding.severity) == ("hotspot.cpu", "a", "rack=R1", "warning")
    assert "move ~39% of its load to d (now 20%): ~56% and ~56% after" in finding.title
    metric, facts = finding.evidence
    assert isinstance(metric, MetricEvidence) and metric.query == 'cpu{asset="a"}' and metric.expected == 0.35
    assert isinstance(facts, FactEvidence)
    assert facts.values["move_to"] == "d" and facts.values["source_after"] == pytest.approx(0.56)
    ratios = {r.asset: r.ratio for r in group_ratios(usages, RACK)}
    assert ratios["a"] == pytest.approx(0.92 / 0.455) and ratios["d"] < 1.0
    assert {r.group for r in group_ratios(usages, RACK)} == {"rack=R1"}


def test_io_hints_tell_queueing_from_a_slow_device() -> None:
    s = IoSettings()
    assert classify(DiskLoad("t", "a", "sda", 0.045, 12.0, 0.99), s) == "queueing"
    assert classify(DiskLoad("t", "a", "sda", 0.080, 0.9, 0.35), s) == "slow_device"
    assert classify(DiskLoad("t", "a", "sda", 0.004, 30.0, 1.0), s) is None  # deep queue served fast
    assert classify(DiskLoad("t", "a", "sda", 0.030, 2.5, 0.9), s) == "queueing"
    assert classify(DiskLoad("t", "a", "sda", 0.030, 2.5, 0.5), s) == "slow_device"
    loads = [DiskLoad("t", "db-1", "sdb", 0.08, 0.9, 0.3), DiskLoad("t", "db-2", "sda", 0.002, 1.0, 0.2)]
    (finding,) = io_findings(loads, END, lambda asset, device: f"await{{asset={asset!r}}}")
    assert (finding.kind, finding.asset_id, finding.key, finding.labels["case"]) == (
        "hotspot.io",
        "db-1",
        "sdb",
        "slow_device",
    )
    assert "80.0 ms per IO" in finding.title and "SMART" in str(finding.evidence[1])
