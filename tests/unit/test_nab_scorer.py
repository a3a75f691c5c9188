"""The NAB scorer of bench/nab.py on hand-made cases whose scores follow from NAB's documented rules."""

from __future__ import annotations

import importlib.util
import json
import math
import sys
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench" / "nab.py"


def _load() -> ModuleType:
    """bench/ is scripts, not a package: load the file itself (and register it, as dataclasses need)."""
    spec = importlib.util.spec_from_file_location("bench_nab", BENCH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


nab = _load()
STANDARD = nab.PROFILES["standard"]
LOW_FP = nab.PROFILES["reward_low_FP_rate"]
LOW_FN = nab.PROFILES["reward_low_FN_rate"]
ONE = nab.Truth(1000, ((600, 699),))
"""1000 rows (probation: the first 150), one window of 100 rows."""
TWO = nab.Truth(2000, ((500, 599), (1200, 1299)))


def detections(rows: int, *at: int) -> np.ndarray:
    scores = np.zeros(rows)
    scores[list(at)] = 1.0
    return scores


def raw(truth: object, *at: int, profile: object = STANDARD) -> float:
    rows = truth.rows  # type: ignore[attr-defined]
    outcome = nab.score_file(detections(rows, *at), truth, profile, 0.5)
    return float(outcome.raw)


def test_scaled_sigmoid_matches_the_documented_values() -> None:
    values = nab.scaled_sigmoid(np.array([-1.0, -0.5, 0.0, 1.0, 2.99, 3.0, 10.0]))
    assert values[0] == pytest.approx(0.98661, abs=1e-5)
    assert values[1] == pytest.approx(0.84828, abs=1e-5)
    assert values[2] == pytest.approx(0.0)
    assert values[3] == pytest.approx(-0.98661, abs=1e-5)
    assert values[4] > -1.0
    assert values[5] == values[6] == -1.0


def test_probation_is_fifteen_percent_capped_at_750() -> None:
    assert nab.probation(1000) == 150
    assert nab.probation(1127) == 169
    assert nab.probation(22695) == 750


def test_perfect_detector_scores_100_and_null_scores_0() -> None:
    perfect = [(detections(t.rows, *(w[0] for w in t.windows)), t) for t in (ONE, TWO)]
    null = [(np.zeros(t.rows), t) for t in (ONE, TWO)]
    for profile in (STANDARD, LOW_FP, LOW_FN):
        assert nab.sweep(perfect, profile).score == pytest.approx(100.0)
        result = nab.sweep(null, profile)
        assert result.score == pytest.approx(0.0)
        assert result.raw == pytest.approx(-3 * profile.fn)


def test_detecting_everything_is_worse_than_detecting_nothing() -> None:
    everything = [(np.ones(ONE.rows), ONE)]
    assert nab.score_file(np.ones(ONE.rows), ONE, STANDARD, 0.5).raw < -1.0
    assert nab.sweep(everything, STANDARD).score == pytest.approx(0.0)


def test_early_detection_earns_more_than_late_and_late_more_than_a_miss() -> None:
    start, early, middle, late, last = (raw(ONE, i) for i in (600, 610, 650, 690, 699))
    assert start == pytest.approx(1.0)
    assert start > early > middle > late > last > 0.0 > raw(ONE)
    assert raw(ONE) == pytest.approx(-1.0)
    assert middle == pytest.approx(nab.scaled_sigmoid(np.array([-0.5]))[0] / nab.MAX_TP)


def test_only_the_first_detection_in_a_window_counts() -> None:
    assert raw(ONE, 620, 640, 699) == pytest.approx(raw(ONE, 620))
    outcome = nab.score_file(detections(ONE.rows, 620, 640), ONE, STANDARD, 0.5)
    assert (outcome.tp, outcome.fn, outcome.fp) == (1, 0, 0)


def test_false_positive_right_after_a_window_costs_less_than_one_far_away() -> None:
    hit = raw(ONE, 600)
    right_after, later, far = (hit - raw(ONE, 600, i) for i in (700, 760, 990))
    assert 0.0 < right_after < later < far
    assert far == pytest.approx(0.11, abs=1e-3)
    before_any_window = 1.0 - raw(ONE, 600, 300)
    assert before_any_window == pytest.approx(0.11)


def test_probationary_detections_are_not_scored() -> None:
    assert raw(ONE, 10, 149) == pytest.approx(raw(ONE))
    assert raw(ONE, 150) == pytest.approx(raw(ONE) - 0.11)


def test_profiles_weigh_false_positives_and_misses_as_documented() -> None:
    far_fp = raw(ONE, 600, 990)
    assert 1.0 - raw(ONE, 600, 990, profile=LOW_FP) == pytest.approx(2 * (1.0 - far_fp))
    assert raw(ONE, profile=LOW_FN) == pytest.approx(-2.0)
    late = [(detections(t.rows, *(w[1] - 10 for w in t.windows)), t) for t in (ONE, TWO)]
    assert nab.sweep(late, LOW_FN).score > nab.sweep(late, STANDARD).score
    noisy = [(detections(t.rows, *(w[0] for w in t.windows), t.rows - 1), t) for t in (ONE, TWO)]
    assert nab.sweep(noisy, LOW_FP).score < nab.sweep(noisy, STANDARD).score < 100.0


def test_sweep_picks_the_threshold_that_maximises_the_corpus_score() -> None:
    scores = np.zeros(ONE.rows)
    scores[600] = 0.6
    scores[[300, 400, 800]] = 0.9
    result = nab.sweep([(scores, ONE)], STANDARD)
    assert result.threshold == pytest.approx(0.6)
    assert result.raw == pytest.approx(raw(ONE, 300, 400, 600, 800))
    assert result.score == pytest.approx(100 * (result.raw + 1.0) / 2.0)


def test_vectorized_curve_equals_the_row_by_row_rules() -> None:
    rng = np.random.default_rng(7)
    scores = np.round(rng.random(TWO.rows), 2)
    thresholds = np.unique(np.r_[scores, np.inf])[::-1]
    curve = nab.curve(scores, TWO, LOW_FN, thresholds)
    for k in range(0, len(thresholds), 7):
        assert curve[k] == pytest.approx(nab.score_file(scores, TWO, LOW_FN, thresholds[k]).raw)


def test_windowed_gaussian_scores_a_spike_near_one_and_noise_lower() -> None:
    values = np.random.default_rng(3).normal(10.0, 1.0, 1500)
    values[1200] = 30.0
    scores = nab.windowed_gaussian(values)
    assert scores[0] == 0.0
    assert scores[1200] > 0.999999
    assert np.median(scores[1:1200]) < 0.8


def test_main_scores_a_folder_in_nab_layout_and_dumps_results(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data, dump, out = tmp_path / "data", tmp_path / "dump", tmp_path / "nab.json"
    (data / "cat").mkdir(parents=True)
    rng = np.random.default_rng(1)
    values = 50.0 + rng.normal(0.0, 1.0, 1200)
    values[900:905] += 40.0
    stamps = [f"2020-01-{1 + i // 288:02d} {i % 288 // 12:02d}:{i % 12 * 5:02d}:00" for i in range(1200)]
    rows = ["timestamp,value", *(f"{s},{v}" for s, v in zip(stamps, values, strict=True))]
    (data / "cat" / "one.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    labels = tmp_path / "windows.json"
    labels.write_text(json.dumps({"cat/one.csv": [[stamps[850] + ".000000", stamps[950] + ".000000"]]}))
    argv = ["--data", str(data), "--labels", str(labels), "--dump", str(dump), "--out", str(out)]
    assert nab.main([*argv, "--repeat", "1", "--no-stream"]) == 0
    last = capsys.readouterr().out.strip().splitlines()[-1]
    fields = dict(pair.split("=") for pair in last.split())
    assert list(fields) == ["nab_standard", "nab_low_fp", "nab_low_fn", "baseline_standard", "points_per_s"]
    assert all(math.isfinite(float(v)) for v in fields.values())
    assert float(fields["nab_standard"]) > 50.0
    report = json.loads(out.read_text())
    assert report["windows"] == 1
    assert report["results"]["inframind"]["standard"]["files"]["cat/one.csv"]["tp"] == 1
    for detector in ("inframind", "windowedGaussian"):
        lines = (dump / detector / "cat" / f"{detector}_one.csv").read_text().splitlines()
        assert lines[0] == "timestamp,value,anomaly_score,label"
        assert len(lines) == 1201
        assert lines[851].startswith(stamps[850]) and lines[851].endswith(",1")
        assert lines[850].endswith(",0")
