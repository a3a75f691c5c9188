"""The shipped disk model on drives whose fate is plain, its explanations, and the findings it makes."""

from __future__ import annotations

import datetime as dt
import json
import math
from importlib import resources

import pytest

from inframind.analyzer.detect.failure import (
    DiskFeatures,
    DiskModel,
    DiskObservation,
    SeverityThresholds,
    disk_findings,
    predict,
    shipped_model,
    within,
)
from inframind.analyzer.detect.failure.model import FORMAT, Calibration, Term, transform
from inframind.analyzer.findings import FactEvidence, Finding, Window

END = dt.datetime(2026, 11, 26, tzinfo=dt.UTC)
WINDOW = Window(END - dt.timedelta(days=10), END)
HEALTHY = DiskFeatures(
    counts={"reallocated": 0, "pending": 0, "offline_uncorrectable": 0, "reported_uncorrectable": 0,
            "command_timeouts": 0, "crc_errors": 0},
    growth={"reallocated": 0, "pending": 0}, window_hours=240, power_on_hours=20_000, temperature_celsius=34,
)  # fmt: skip
FAILING = DiskFeatures(
    counts={"reallocated": 1200, "pending": 64, "offline_uncorrectable": 64, "reported_uncorrectable": 30,
            "command_timeouts": 0, "crc_errors": 0},
    growth={"reallocated": 900, "pending": 56, "offline_uncorrectable": 56, "reported_uncorrectable": 25},
    window_hours=240, power_on_hours=20_000, temperature_celsius=34,
)  # fmt: skip


def test_the_shipped_model_loads_and_is_the_package_data() -> None:
    model = shipped_model()
    text = resources.files("inframind.analyzer.detect.failure").joinpath("model.json").read_text(encoding="utf-8")
    assert DiskModel.from_dict(json.loads(text)) == model
    assert json.loads(text)["format"] == FORMAT
    assert model.horizon_hours == 720.0
    assert {t.source for t in model.terms} == {"learned", "transferred", "prior"}


def test_a_healthy_drive_is_near_the_fleet_baseline() -> None:
    p = predict(HEALTHY, shipped_model())
    assert p.probability < 0.005  # Backblaze's fleet fails ~1.5% a year: ~0.1% in 30 days
    assert p.probability == pytest.approx(p.baseline)
    assert p.top() == ()


def test_growing_reallocated_and_pending_sectors_make_failure_likely() -> None:
    p = predict(FAILING, shipped_model())
    assert p.probability > 0.3
    assert p.probability > 100 * predict(HEALTHY, shipped_model()).probability
    named = [c.attribute for c in p.top(3)]
    assert set(named) <= {"pending", "reallocated", "reported_uncorrectable", "offline_uncorrectable"}
    assert "pending" in named
    first = p.top(1)[0]
    assert first.value == FAILING.counts[first.attribute]
    assert first.growth == FAILING.growth[first.attribute]


def test_contributions_add_up_to_the_calibrated_log_odds() -> None:
    p = predict(FAILING, shipped_model())
    logit = math.log(p.probability / (1 - p.probability))
    base = math.log(p.baseline / (1 - p.baseline))
    assert sum(c.log_odds for c in p.contributions) == pytest.approx(logit - base)
    assert [c.log_odds for c in p.contributions] == sorted((c.log_odds for c in p.contributions), reverse=True)


def test_more_errors_never_lower_the_risk() -> None:
    model = shipped_model()
    for counter in ("reallocated", "pending", "offline_uncorrectable", "reported_uncorrectable", "command_timeouts",
                    "crc_errors", "media_errors"):  # fmt: skip
        last = 0.0
        for count in (0, 1, 8, 64, 1000):
            p = predict(DiskFeatures(counts={counter: count}), model).probability
            assert p >= last, counter
            last = p


def test_missing_attributes_count_as_no_evidence() -> None:
    assert predict(DiskFeatures(), shipped_model()).probability == pytest.approx(
        predict(HEALTHY, shipped_model()).probability, rel=0.05
    )


def test_nvme_media_errors_and_wear_and_the_drives_own_verdict() -> None:
    model = shipped_model()
    base = predict(DiskFeatures(counts={"media_errors": 0}, percentage_used=10), model).probability
    assert predict(DiskFeatures(counts={"media_errors": 12}), model).probability > 5 * base
    assert predict(DiskFeatures(percentage_used=130), model).probability > 3 * base
    verdict = predict(DiskFeatures(failure_predicted=True), model)
    assert verdict.probability == pytest.approx(0.5, abs=0.01)  # the prior: even odds on its own
    assert verdict.top(1)[0].attribute == "failure_predicted"


def test_within_restates_the_horizon_at_a_constant_hazard() -> None:
    assert within(0.3, 720, 720) == pytest.approx(0.3)
    assert within(0.3, 720, 1440) == pytest.approx(1 - 0.7**2)
    assert within(0.01, 720, 336) == pytest.approx(0.01 * 336 / 720, rel=0.01)
    assert within(1.0, 720, 1) == 1.0


def observation(features: DiskFeatures, disk: str = "ZA1") -> DiskObservation:
    return DiskObservation("srv-db-03", disk, features, WINDOW, "acme", {"device": "sdc", "model": "ST8000DM002"})


def test_findings_for_risky_drives_only_with_attribute_evidence() -> None:
    found = disk_findings([observation(HEALTHY, "OK1"), observation(FAILING)], shipped_model())
    assert len(found) == 1
    f = found[0]
    assert (f.kind, f.asset_id, f.key, f.tenant) == ("disk.failure", "srv-db-03", "ZA1", "acme")
    assert f.probability == pytest.approx(predict(FAILING, shipped_model()).within(14 * 24))
    assert f.severity == SeverityThresholds().severity(f.probability or 0.0)
    assert "14 days" in f.title and "sdc (ST8000DM002)" in f.title
    summary, *attributes = f.evidence
    assert isinstance(summary, FactEvidence)
    assert summary.values["horizon_days"] == 14.0
    assert summary.values["model_horizon_power_on_hours"] == 720.0
    pending = next(e for e in attributes if isinstance(e, FactEvidence) and e.values["attribute"] == "pending")
    assert pending.values == {"attribute": "pending", "value": 64, "log_odds": pending.values["log_odds"],
                              "smart_id": "197", "growth": 56, "growth_window_hours": 240.0}  # fmt: skip
    assert Finding.from_dict(f.to_dict()) == f


def test_severity_follows_the_probability() -> None:
    t = SeverityThresholds(info=0.01, warning=0.05, critical=0.2)
    assert [t.severity(p) for p in (0.005, 0.01, 0.07, 0.5)] == [None, "info", "warning", "critical"]
    with pytest.raises(ValueError, match="thresholds"):
        SeverityThresholds(info=0.3, warning=0.1)


def test_a_model_from_plain_data() -> None:
    data = {
        "format": FORMAT, "horizon_hours": 720, "intercept": -6.0,
        "terms": [{"name": "p", "attribute": "pending", "transform": "log1p", "coef": 1.0}],
    }  # fmt: skip
    model = DiskModel.from_dict(data)
    assert model.calibration == Calibration()
    assert predict(DiskFeatures(counts={"pending": math.e - 1}), model).probability == pytest.approx(
        1 / (1 + math.exp(5.0))
    )
    with pytest.raises(ValueError, match="format"):
        DiskModel.from_dict({**data, "format": "pickle"})
    with pytest.raises(ValueError, match="missing or malformed"):
        DiskModel.from_dict({"format": FORMAT, "terms": []})
    with pytest.raises(ValueError, match="unknown transform"):
        Term("x", "pending", "sqrt", 1.0)
    with pytest.raises(ValueError, match="increase"):
        Calibration(slope=0.5, knots=(0.0,), slopes=(-0.6,))


def test_transforms() -> None:
    assert transform("log1p", 0.0) == 0.0
    assert transform("log1p", -3.0) == 0.0
    assert transform("nonzero", 2.0) == 1.0
    assert transform("hinge_above", 50.0, knot=40.0, scale=5.0) == 2.0
    assert transform("hinge_below", 250.0, knot=1000.0, scale=1000.0) == 0.75
    assert transform("log1p_above", 99.0, knot=9.0) == pytest.approx(math.log(10.0))
    assert transform("flag", 1.0) == 1.0
    assert transform("log1p", math.nan) == 0.0
