"""The anomaly detector on the situations it is built for, fed point by point as the analyzer feeds it.

Series are 5-minute samples of noise (sd 1) around a level, with or without a daily wave; seeds are fixed.
"""

from __future__ import annotations

import numpy as np
import pytest

from inframind.analyzer.detect.anomaly import Score, SeriesDetector, SeriesRef, findings

STEP = 300.0
DAY = 86400.0
T0 = 1_700_006_400.0
"""2023-11-15 00:00 UTC."""
REF = SeriesRef('node_pressure_io_waiting_seconds_total{instance="db-3"}', "db-3", signal="iowait")


def series(days: int, seed: int, wave: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    stamps = T0 + np.arange(int(days * DAY / STEP)) * STEP
    return stamps, 50.0 + wave * np.sin(2 * np.pi * (stamps % DAY) / DAY) + rng.normal(0.0, 1.0, len(stamps))


def stream(stamps: np.ndarray, values: np.ndarray) -> list[Score]:
    detector = SeriesDetector()
    return [detector.update(t, v) for t, v in zip(stamps.tolist(), values.tolist(), strict=True)]


def found(stamps: np.ndarray, values: np.ndarray, scores: list[Score], part: slice) -> list[object]:
    return list(findings(REF, stamps[part].tolist(), values[part].tolist(), scores[part]))


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_a_daily_cron_job_fires_at_first_then_is_learned(seed: int) -> None:
    stamps, values = series(10, seed, wave=5.0)
    cron = ((stamps % DAY) >= 10 * 3600) & ((stamps % DAY) < 10 * 3600 + 1200)
    values = values + np.where(cron, 20.0, 0.0)
    scores = stream(stamps, values)
    score = np.array([s.score for s in scores])
    day = ((stamps - T0) // DAY).astype(int)
    assert score[cron & (day == 0)].max() >= 0.9
    for d in range(3, 10):
        assert score[cron & (day == d)].max() < 0.3, f"the job still alarms on day {d}"
        today = np.flatnonzero(day == d)
        assert found(stamps, values, scores, slice(today[0], today[-1] + 1)) == []
    at_job = np.flatnonzero(cron & (day == 6))
    assert all(scores[i].upper >= values[i] for i in at_job), "the learned band covers the job"


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_a_level_shift_alarms_briefly_then_is_the_new_normal(seed: int) -> None:
    stamps, values = series(8, seed)
    shift = int(5 * DAY / STEP)
    values[shift:] += 12.0
    scores = stream(stamps, values)
    assert scores[shift].score >= 0.9
    assert found(stamps, values, scores, slice(0, shift)) == []
    early = found(stamps, values, scores, slice(shift, shift + 24))
    assert len(early) == 1
    evidence = early[0].evidence[0]  # type: ignore[attr-defined]
    assert evidence.observed - evidence.expected > 8.0
    assert evidence.observed > evidence.upper
    assert found(stamps, values, scores, slice(shift + 72, None)) == [], "still alarming six hours after the shift"
    assert scores[-1].expected == pytest.approx(62.0, abs=1.5)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_a_spike_in_seasonal_data_fires_with_its_expected_value_and_band(seed: int) -> None:
    stamps, values = series(10, seed, wave=20.0)
    spike = int((8 * DAY + 18 * 3600) / STEP)
    values[spike : spike + 3] += 10.0
    truth = 50.0 + 20.0 * np.sin(2 * np.pi * (stamps[spike] % DAY) / DAY)
    assert values[spike] < values[: spike - 300].max(), "the spike is within the range seen: only the season tells"
    scores = stream(stamps, values)
    assert found(stamps, values, scores, slice(int(3 * DAY / STEP), spike)) == []
    (finding,) = found(stamps, values, scores, slice(spike - 12, spike + 12))
    evidence = finding.evidence[0]  # type: ignore[attr-defined]
    assert finding.kind == "metric.anomaly"  # type: ignore[attr-defined]
    assert stamps[spike] <= finding.window.start.timestamp() <= stamps[spike + 1]  # type: ignore[attr-defined]
    assert evidence.expected == pytest.approx(truth, abs=2.5)
    assert evidence.lower < truth < evidence.upper < evidence.observed
    assert any(t == stamps[spike] for t, _ in evidence.points)
    at_spike = scores[spike + 1]
    assert at_spike.model == "daily"
    assert at_spike.votes["residual"] >= 0.5
