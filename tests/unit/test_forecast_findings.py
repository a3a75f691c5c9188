"""capacity.exhaustion findings: severity by time until full, probability from the band, evidence that explains."""

from __future__ import annotations

import math

import numpy as np
import pytest

from inframind.analyzer.detect.forecast import CapacitySeries, Forecast, TimeToFull, capacity_finding, capacity_findings
from inframind.analyzer.detect.forecast.fill import fill_probability
from inframind.analyzer.detect.forecast.findings import forecast_series, severity_of
from inframind.analyzer.detect.forecast.types import Z80
from inframind.analyzer.findings import FactEvidence, Finding, MetricEvidence

DAY = 86400.0
T0 = 1_767_225_600.0
GB = 1e9


def hand_made(ttf_days: float | None, *, slope: float = 1.0, sd: float = 2.0, current: float = 50.0) -> Forecast:
    """A straight-line forecast toward capacity 100 with a constant band (to test the rules, not a model)."""
    steps = np.arange(1, 91, dtype=np.float64)
    points = current + slope * steps
    ttf = None
    if ttf_days is not None:
        ttf = TimeToFull(ttf_days * DAY, (ttf_days - 2) * DAY, (ttf_days + 2) * DAY, T0 + ttf_days * DAY)
    return Forecast(
        status="ok", reason="", model="robust", times=T0 + steps * DAY, points=points,
        lower80=points - Z80 * sd, upper80=points + Z80 * sd, time_to_full=ttf, capacity=100.0,
        last_time=T0, current=current, trend_per_day=slope,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("slope", "severity", "horizon"),
    [(10.0, "critical", 7), (2.0, "warning", 30), (0.7, "info", 90)],
)
def test_severity_follows_time_to_full_against_the_horizons(slope: float, severity: str, horizon: int) -> None:
    fc = hand_made(50.0 / slope, slope=slope)
    verdict = severity_of(fc)
    assert verdict is not None
    assert verdict[0] == severity and verdict[2] == horizon
    assert verdict[1] > 0.5  # the point forecast crosses within the horizon: more likely than not


def test_probability_comes_from_the_band() -> None:
    fc = hand_made(None, slope=0.5, sd=10.0)  # reaches 95 at day 90: under capacity, the band reaches over
    p90 = fill_probability(fc, 90 * DAY)
    assert p90 == pytest.approx(0.5 * math.erfc(0.5 / math.sqrt(2.0)), rel=1e-6)  # half a sd under capacity
    assert fill_probability(hand_made(None, slope=0.5, sd=5.0), 90 * DAY) < 0.2  # one sd under: not reported
    assert fill_probability(fc, 7 * DAY) < 1e-4
    verdict = severity_of(fc)
    assert verdict is not None and verdict[0] == "info" and verdict[1] == pytest.approx(p90)


def test_nothing_to_report_when_it_will_not_fill() -> None:
    assert severity_of(hand_made(None, slope=0.1, sd=1.0)) is None


def test_refusals_give_no_finding() -> None:
    series = CapacitySeries("srv-1", "q", [T0, T0 + DAY], [1.0, 2.0], 100.0)
    refused = Forecast(status="too_erratic", reason="too erratic", model="robust", last_time=T0)
    assert capacity_finding(series, refused) is None


def filling(days_of_history: int, per_day_gb: float, used_gb: float, size_gb: float = 1000.0) -> CapacitySeries:
    t = T0 + 3600.0 * np.arange(24 * days_of_history)
    rng = np.random.default_rng(5)
    used = (used_gb - per_day_gb * (t[-1] - t) / DAY + rng.normal(0, 0.2, t.size)) * GB
    return CapacitySeries(
        asset_id="srv-db-03", query='node_filesystem_size_bytes{mountpoint="/var"} - node_filesystem_avail_bytes',
        timestamps=t, values=used, capacity=size_gb * GB, name="/var", tenant="acme",
        labels={"mountpoint": "/var"},
    )  # fmt: skip


def test_filesystem_finding_end_to_end() -> None:
    series = filling(60, per_day_gb=10.0, used_gb=800.0)  # 200 GB left at 10 GB/day: 20 days
    (found,) = capacity_findings([series])
    assert found.kind == "capacity.exhaustion" and found.severity == "warning"
    assert found.probability is not None and 0.8 < found.probability <= 1.0
    assert "/var on srv-db-03 fills in ~20" in found.title
    metric, fact = found.evidence
    assert isinstance(metric, MetricEvidence) and isinstance(fact, FactEvidence)
    assert metric.observed == pytest.approx(800 * GB, rel=1e-3)
    assert metric.lower is not None and metric.upper is not None and metric.lower < metric.upper
    assert len(metric.points) == 8
    assert fact.values["trend_per_day"] == pytest.approx(10 * GB, rel=0.02)
    assert fact.values["time_to_full_days"] == pytest.approx(20, rel=0.05)
    earliest, latest = fact.values["time_to_full_earliest_days"], fact.values["time_to_full_latest_days"]
    assert isinstance(earliest, float) and isinstance(latest, float) and earliest <= 20 <= latest
    assert str(fact.values["full_at"]).startswith("2026-")
    assert fact.values["probability_90d"] == pytest.approx(1.0, abs=1e-3)
    assert found.labels == {"resource": "filesystem", "name": "/var"}
    assert Finding.from_dict(found.to_dict()) == found


def test_the_same_series_keeps_its_fingerprint() -> None:
    a = capacity_findings([filling(60, 10.0, 800.0)])[0]
    b = capacity_findings([filling(61, 12.0, 950.0)])[0]
    assert a.fingerprint == b.fingerprint
    assert (a.severity, b.severity) == ("warning", "critical")  # 50 GB left at 12 GB/day: 4 days


def test_short_history_falls_back_to_a_shorter_horizon() -> None:
    series = filling(12, per_day_gb=40.0, used_gb=900.0)  # 12 days: too short for 30 or 90 days, enough for 7
    fc = forecast_series(series)
    assert fc.ok
    (found,) = capacity_findings([series])
    assert found.severity == "critical"


def test_cpu_saturation_uses_the_busy_part_of_the_day() -> None:
    t = T0 + 300.0 * np.arange(288 * 60)
    day = (t - T0) / DAY
    busy = ((t % DAY) > 9 * 3600) & ((t % DAY) < 17 * 3600)
    cpu = np.where(busy, 0.55 + 0.004 * day, 0.1)  # office hours load grows 0.4 points a day
    series = CapacitySeries("srv-app-1", "cpu", t, cpu, 1.0, resource="cpu", unit="ratio")
    (found,) = capacity_findings([series])
    assert "saturates" in found.title
    fact = found.evidence[1]
    assert isinstance(fact, FactEvidence)
    assert fact.values["time_to_full_days"] == pytest.approx((1.0 - 0.55 - 0.004 * 60) / 0.004, rel=0.1)
