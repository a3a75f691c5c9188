"""The trainer: deterministic on a slice of the real Backblaze data, the same arithmetic as the detector, and
the shipped model.json is what it writes (same format, terms and choices)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from inframind.analyzer.detect.failure import predict, shipped_model
from inframind.analyzer.training import logistic, metrics
from inframind.analyzer.training.disk import dumps, main, train
from inframind.analyzer.training.disk_design import learned_terms, probabilities, row_features
from inframind.analyzer.training.smart_data import (
    INTERVALS_FILE,
    drive_level_files,
    load_drive_level,
    load_intervals,
)

SMART = Path(__file__).resolve().parents[3] / "shared" / "bench" / "smart"
SLICE = 30_000
"""Start-stop rows read for the retrain tests: ~4,000 drives, enough failures to fit, a couple of seconds."""


@pytest.fixture(scope="module")
def smart() -> Path:
    if not (SMART / INTERVALS_FILE).exists():
        pytest.fail(f"missing {SMART} (CI checks ../shared out beside the repository)")
    return SMART


@pytest.fixture(scope="module")
def sliced(smart: Path) -> str:
    return dumps(train(smart, seed=3, max_interval_rows=SLICE))


def test_retraining_on_a_slice_is_deterministic_and_seeded(smart: Path, sliced: str) -> None:
    first = sliced
    assert dumps(train(smart, seed=3, max_interval_rows=SLICE)) == first
    other = json.loads(dumps(train(smart, seed=4, max_interval_rows=SLICE)))
    assert other["intercept"] != json.loads(first)["intercept"]  # the seed moves the observation grid


def test_the_cli_writes_a_model_the_detector_loads(smart: Path, sliced: str, tmp_path: Path) -> None:
    out = tmp_path / "model.json"
    assert main(["--data", str(smart), "--out", str(out), "--seed", "3", "--max-interval-rows", str(SLICE)]) == 0
    written = json.loads(out.read_text(encoding="utf-8"))
    assert written == json.loads(sliced)
    shipped = shipped_model().to_dict()
    assert written["format"] == shipped["format"]
    strip = [{k: v for k, v in t.items() if k != "coef"} for t in written["terms"]]
    assert strip == [{k: v for k, v in t.items() if k != "coef"} for t in shipped["terms"]]
    assert set(written["calibration"]) == set(shipped["calibration"])  # a slice may drop knots it cannot fill
    assert set(written["training"]) == set(shipped["training"])


def test_the_shipped_model_was_trained_on_all_the_data() -> None:
    training = shipped_model().training
    assert training["max_interval_rows"] is None
    assert training["excluded_models"] == []
    assert set(training["data"]) == {INTERVALS_FILE, *(p.name for p in drive_level_files(SMART))}
    assert training["rows"]["horizon"]["failures"] > 5000


def test_vectorised_scores_are_the_detectors_predictions(smart: Path) -> None:
    model = shipped_model()
    tables = [load_intervals(smart / INTERVALS_FILE, 0, SLICE)] + [
        load_drive_level(p) for p in drive_level_files(smart)
    ]
    for table in tables:
        risky = np.flatnonzero(np.nan_to_num(table.columns["pending"]) > 0)[:20]
        rows = [*risky.tolist(), *range(20)]
        vectorised = probabilities(model, table.take(np.isin(np.arange(len(table)), rows)))
        expected = [predict(row_features(table, i), model).probability for i in sorted(set(rows))]
        np.testing.assert_allclose(vectorised, expected, rtol=1e-9)


def test_calibration_of_the_shipped_model_out_of_model() -> None:
    check = shipped_model().training["calibration_check"]
    assert check["brier_calibrated"] < check["brier_uncalibrated"]
    assert check["auc"] > 0.7
    bins = check["reliability"]
    assert sum(b["n"] for b in bins) == shipped_model().training["rows"]["horizon"]["rows"]
    for b in bins:
        if b["failures"] >= 50 and b["low"] >= 0.001:  # the bins where chance does not dominate
            assert b["observed"] / b["predicted"] == pytest.approx(1.0, abs=0.7), b
    risky = [b["observed"] for b in bins if b["low"] >= 0.005]
    assert risky == sorted(risky)  # above the healthy mass, a higher probability always means more failures


def test_learned_terms_only_raise_risk_for_error_counters() -> None:
    model = shipped_model()
    counters = {t.name for t in learned_terms() if t.attribute != "power_on_hours" and "temperature" not in t.name}
    assert all(t.coef >= 0 for t in model.terms if t.name in counters)


def test_logistic_fit_recovers_known_coefficients() -> None:
    rng = np.random.default_rng(0)
    x = np.column_stack([np.ones(20_000), rng.normal(size=20_000)])
    y = (rng.random(20_000) < logistic.sigmoid(x @ np.array([-1.0, 2.0]))).astype(np.float64)
    np.testing.assert_allclose(logistic.fit(x, y), [-1.0, 2.0], atol=0.08)
    # a sign-constrained column that wants to be negative is held at 0
    beta = logistic.fit(np.column_stack([x, -x[:, 1]]), y, nonneg=np.array([False, False, True]))
    assert beta[2] == 0.0


def test_metrics_on_hand_made_scores() -> None:
    labels = np.array([1, 1, 0, 0, 0, 0, 0, 0, 0, 0])
    scores = np.array([0.9, 0.2, 0.8, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1])
    assert metrics.recall_at(scores, labels, 0.0) == (0.5, 0.0)  # only the 0.9 beats every negative
    assert metrics.recall_at(scores, labels, 0.125) == (1.0, 0.125)
    assert metrics.roc_auc(scores, labels) == pytest.approx(15 / 16)  # 0.2 loses only to the 0.8
    assert metrics.roc_auc(np.ones(10), labels) == 0.5  # ties count half
    assert metrics.brier(np.zeros(10), labels) == 0.2
    bins = metrics.reliability(np.array([0.0005, 0.0005, 0.6, 0.6]), np.array([0, 0, 1, 0]))
    assert [(b["n"], b["observed"]) for b in bins] == [(2, 0.0), (2, 0.5)]
