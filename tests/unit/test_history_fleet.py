"""Generated fleets: exporter names, 50 series per asset, counters that rate() back to the described load."""

from __future__ import annotations

import json
import math
from collections import Counter

import numpy as np
import pytest

from inframind.analyzer.history_fleet import (
    SERIES_PER_ASSET,
    AssetProfile,
    DiskHealth,
    Episode,
    FilesystemSpec,
    asset_series,
    default_fleet,
    fleet_series,
)
from inframind.analyzer.history_import import demo_fleet, series_lines

END = 1_790_000_000.0


def by_name(series: list[tuple[dict[str, str], np.ndarray, np.ndarray]], name: str, **labels: str) -> np.ndarray:
    (found,) = [v for m, _, v in series if m["__name__"] == name and all(m.get(k) == x for k, x in labels.items())]
    return found


def test_every_asset_has_fifty_series_under_exporter_names_and_target_labels() -> None:
    fleet = default_fleet(3, tenant="acme", per_rack=2)
    series = fleet_series(fleet, end=END, fast_hours=1, slow_days=2)
    assert len(series) == 3 * SERIES_PER_ASSET
    per_asset = Counter(m["asset"] for m, _, _ in series)
    assert set(per_asset.values()) == {SERIES_PER_ASSET}
    assert {m["rack"] for m, _, _ in series} == {"R00", "R01"}
    assert all(m["tenant"] == "acme" and m["cluster"] for m, _, _ in series)
    names = {m["__name__"] for m, _, _ in series}
    assert {"node_cpu_seconds_total", "node_disk_io_time_weighted_seconds_total", "ipmi_temperature_celsius",
            "smartctl_device_attribute", "node_filesystem_avail_bytes", "ipmi_fan_speed_rpm"} <= names  # fmt: skip
    assert len({tuple(sorted(m.items())) for m, _, _ in series}) == len(series)  # no duplicate label sets


def test_counters_rate_back_to_the_profile_and_episodes_apply() -> None:
    spike = Episode("iowait", END - 600, math.inf, 0.3)
    profile = AssetProfile("db-1", cpu_busy=0.4, episodes=(spike,))
    series = asset_series(profile, end=END, fast_hours=2, slow_days=2)
    t = next(t for m, t, _ in series if m["__name__"] == "node_cpu_seconds_total")
    assert np.all(np.diff(t) == 60.0) and t[-1] <= END
    iowait = np.diff(by_name(series, "node_cpu_seconds_total", cpu="0", mode="iowait")) / 60.0
    assert iowait[:60].mean() == pytest.approx(0.01, abs=0.002) and iowait[-5:].mean() == pytest.approx(0.3, abs=0.03)
    modes = [by_name(series, "node_cpu_seconds_total", cpu="0", mode=m) for m in ("user", "system", "iowait", "idle")]
    assert np.allclose(np.diff(sum(modes)) / 60.0, 1.0)  # a CPU second is spent in exactly one mode
    for m, _, v in series:
        if m["__name__"].endswith("_total"):
            assert np.all(np.diff(v) >= 0), m


def test_filesystems_fill_as_told_and_smart_counters_grow() -> None:
    profile = AssetProfile(
        "db-1",
        filesystems=(FilesystemSpec("/", "flat"), FilesystemSpec("/data", "linear", 10.0)),
        health={"sdb": DiskHealth(reallocated=8, reallocated_per_day=4)},
    )
    series = asset_series(profile, end=END, fast_hours=1, slow_days=20)
    size = by_name(series, "node_filesystem_size_bytes", mountpoint="/data")
    used = size - by_name(series, "node_filesystem_avail_bytes", mountpoint="/data")
    daily = (used[-1] - used[-24 * 7]) / 7
    assert 5 <= (size[-1] - used[-1]) / daily <= 20  # about ten days left at the recent pace
    grown = by_name(series, "smartctl_device_attribute", device="sdb", attribute_id="5")
    assert (grown[0], grown[-1]) == (8.0, 8.0 + 4 * 20)  # 20 days of growth
    assert by_name(series, "smartctl_device_attribute", device="sda", attribute_id="5").max() == 0.0


def test_import_lines_are_vm_json_lines_without_non_finite_points() -> None:
    labels = {"__name__": "x", "asset": "a"}
    ((line, count),) = list(series_lines([(labels, np.array([1.0, 2.0, 3.0]), np.array([1.0, np.nan, 3.5]))]))
    assert count == 2
    assert json.loads(line) == {"metric": labels, "values": [1.0, 3.5], "timestamps": [1000, 3000]}
    assert list(series_lines([(labels, np.array([1.0]), np.array([np.inf]))])) == []


def test_the_demo_fleet_holds_its_three_stories() -> None:
    fleet = demo_fleet(4, END)
    assert fleet[0].episodes[0].signal == "cpu" and fleet[1].episodes[0].signal == "iowait"
    assert fleet[2].filesystems[1].days_to_full == 10.0 and fleet[3].episodes == ()
