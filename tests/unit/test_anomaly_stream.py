"""The streaming detector against the batch path, across restarts, and over long runs."""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np
import pytest

from inframind.analyzer.detect.anomaly import DetectorConfig, Score, Season, SeriesDetector, score_frame

STEP = 300.0
DAY = 86400.0
T0 = 1_700_006_400.0


def busy_series(days: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """A daily wave with noise, a level shift, spikes and a dip: every voter has something to say."""
    rng = np.random.default_rng(seed)
    stamps = T0 + np.arange(int(days * DAY / STEP)) * STEP
    values = 40.0 + 15.0 * np.sin(2 * np.pi * (stamps % DAY) / DAY) + rng.normal(0.0, 1.5, len(stamps))
    values[len(values) // 2 :] += 10.0
    values[rng.integers(300, len(values), 12)] += 25.0
    values[len(values) - 400 : len(values) - 380] -= 30.0
    return stamps, values


def stream(detector: SeriesDetector, stamps: np.ndarray, values: np.ndarray) -> list[Score]:
    return [detector.update(t, v) for t, v in zip(stamps.tolist(), values.tolist(), strict=True)]


def assert_same(
    live: list[Score], stamps: np.ndarray, values: np.ndarray, config: DetectorConfig, offset: float = 0.0
) -> None:
    frame = score_frame(stamps, values, config, offset)
    names = ["flat", *(s.name for s in config.seasons)]
    for k, score in enumerate(live):
        if frame.model[k] < 0:
            assert score.model == "skipped" and score.score == 0.0 and math.isnan(frame.expected[k])
            continue
        assert score.model == names[frame.model[k]], k
        got = [score.score, score.expected, score.lower, score.upper, *score.votes.values()]
        want = [frame.score[k], frame.expected[k], frame.lower[k], frame.upper[k]]
        want += [frame.votes[name][k] for name in score.votes]
        np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-12, err_msg=f"point {k}")


@pytest.mark.parametrize(
    ("config", "offset"),
    [
        (DetectorConfig(), 0.0),
        (DetectorConfig(step=STEP), 3 * 3600.0),
        (DetectorConfig(direction="up", short_points=3, shift_points=1, level_points=12, scale_points=60), 0.0),
        (DetectorConfig(direction="down", seasons=(Season("weekly", 7 * DAY, 168),)), -7200.0),
    ],
)
def test_batch_path_equals_streaming_path(config: DetectorConfig, offset: float) -> None:
    stamps, values = busy_series(9, seed=5)
    detector = SeriesDetector(config, utc_offset=offset)
    assert_same(stream(detector, stamps, values), stamps, values, config, offset)


def test_batch_equals_streaming_on_gaps_late_points_and_missing_values() -> None:
    stamps, values = busy_series(6, seed=8)
    rng = np.random.default_rng(2)
    keep = np.sort(rng.choice(len(stamps), size=len(stamps) - 200, replace=False))
    stamps, values = stamps[keep] + rng.uniform(-60, 60, len(keep)), values[keep].copy()
    values[rng.integers(0, len(values), 15)] = np.nan
    stamps[rng.integers(10, len(stamps), 15)] -= 900.0
    config = DetectorConfig()
    live = stream(SeriesDetector(config), stamps, values)
    assert sum(s.model == "skipped" for s in live) >= 15
    assert_same(live, stamps, values, config)


@pytest.mark.parametrize("cut", [3, 9, 150, 1000, 2500])
def test_state_round_trip_equals_an_uninterrupted_run(cut: int) -> None:
    stamps, values = busy_series(10, seed=11)
    whole = SeriesDetector()
    expected = stream(whole, stamps, values)
    first = SeriesDetector()
    before = stream(first, stamps[:cut], values[:cut])
    saved = json.loads(json.dumps(first.to_dict(), allow_nan=False))
    resumed = SeriesDetector.restore(saved)
    after = stream(resumed, stamps[cut:], values[cut:])
    assert before + after == expected
    assert resumed.to_dict() == whole.to_dict()


def _numbers(node: Any) -> int:
    if isinstance(node, dict):
        return sum(_numbers(v) for v in node.values())
    if isinstance(node, list):
        return sum(_numbers(v) for v in node)
    return 1


def test_state_stays_bounded_over_a_long_run() -> None:
    stamps, values = busy_series(60, seed=3)
    detector = SeriesDetector()
    sizes = {}
    for index, (t, v) in enumerate(zip(stamps.tolist(), values.tolist(), strict=True)):
        detector.update(t, v)
        if index in (int(30 * DAY / STEP), len(stamps) - 1):
            sizes[index] = _numbers(detector.to_dict())
    config = detector.config
    bound = 2 * config.scale_points + config.short_points + config.shift_points + 20
    bound += sum(3 * s.bins * config.history + 6 for s in config.seasons)
    assert len(set(sizes.values())) == 1, sizes
    assert next(iter(sizes.values())) <= bound
    assert len(json.dumps(detector.to_dict())) < 100_000


def test_late_and_missing_points_are_skipped_without_touching_the_state() -> None:
    detector = SeriesDetector()
    stream(detector, *busy_series(2, seed=1))
    state = detector.to_dict()
    last = state["last"]
    for stamp, value in ((last, 1.0), (last - 10.0, 1.0), (last + 300.0, math.nan), (math.inf, 1.0)):
        assert detector.update(stamp, value).model == "skipped"
    assert detector.to_dict() == state


def test_restore_refuses_state_it_cannot_continue() -> None:
    detector = SeriesDetector()
    stream(detector, *busy_series(2, seed=1))
    state = detector.to_dict()
    with pytest.raises(ValueError, match="version"):
        SeriesDetector.restore({**state, "version": 99})
    with pytest.raises(ValueError, match="seasons"):
        SeriesDetector.restore(state, DetectorConfig(seasons=(Season("daily", DAY, 144),)))
