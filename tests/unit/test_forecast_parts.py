"""The parts under the default model: buckets, jumps, the robust line, the remainder's persistence."""

from __future__ import annotations

import numpy as np
import pytest

from inframind.analyzer.detect.forecast.grid import choose_step, clean, to_grid
from inframind.analyzer.detect.forecast.shifts import find_shifts, joined
from inframind.analyzer.detect.forecast.trend import remainder, season, theil_sen, weekly_period

DAY = 86400.0


def test_buckets_keep_the_peak_and_when_it_was_seen() -> None:
    t = np.array([0.0, 3600.0, 7200.0, DAY + 60.0, DAY + 120.0])
    v = np.array([1.0, 5.0, 2.0, 7.0, 3.0])
    grid = to_grid(t, v, DAY, "max")
    assert grid.values.tolist() == [5.0, 7.0] and grid.times.tolist() == [3600.0, DAY + 60.0]
    assert to_grid(t, v, DAY, "last").values.tolist() == [2.0, 3.0]
    assert to_grid(t, v, DAY, "mean").values.tolist() == pytest.approx([8 / 3, 5.0])
    assert to_grid(t, v, DAY, "p95").values[0] == pytest.approx(np.percentile([1.0, 5.0, 2.0], 95))
    with pytest.raises(ValueError, match="unknown reduce"):
        to_grid(t, v, DAY, "median")  # type: ignore[arg-type]


def test_clean_sorts_drops_non_finite_and_keeps_the_last_duplicate() -> None:
    t, v = clean([3.0, 1.0, 2.0, 2.0, np.inf], [30.0, 10.0, 20.0, 21.0, 1.0])
    assert t.tolist() == [1.0, 2.0, 3.0] and v.tolist() == [10.0, 21.0, 30.0]


def test_step_is_daily_for_long_or_sparse_history_and_hourly_otherwise() -> None:
    assert choose_step(np.arange(0, 40 * DAY, 300.0)) == DAY
    assert choose_step(np.arange(0, 14 * DAY, DAY)) == DAY
    assert choose_step(np.arange(0, 14 * DAY, 300.0)) == 3600.0


def test_an_isolated_level_shift_is_found_and_can_be_taken_out() -> None:
    z = np.arange(60, dtype=np.float64) + np.where(np.arange(60) >= 40, -20.0, 0.0)
    shifts = find_shifts(z)
    assert shifts.level_shifts == (40,) and shifts.sizes[0] == pytest.approx(-20.0)
    assert not shifts.sawtooth and shifts.steps_up == 0
    assert np.allclose(np.diff(joined(z, shifts)), 1.0)


def test_a_spike_is_not_a_level_shift() -> None:
    z = np.arange(60, dtype=np.float64)
    z[30] += 50.0
    assert find_shifts(z).level_shifts == ()


def test_recurring_drops_that_give_back_the_rises_are_a_sawtooth() -> None:
    i = np.arange(100)
    z = 0.2 * i + 5.0 * (i % 5) + np.random.default_rng(1).normal(0, 0.01, 100)
    shifts = find_shifts(z, i.astype(np.int64), 7)
    assert shifts.sawtooth and shifts.period == 5 and shifts.level_shifts == ()
    assert all(z[p] > z[p + 1] for p in shifts.peaks)


def test_weekly_drops_are_seasonality_not_a_sawtooth() -> None:
    i = np.arange(98)
    z = 0.2 * i + 3.0 * (i % 7) + np.random.default_rng(1).normal(0, 0.01, 98)
    assert not find_shifts(z, i.astype(np.int64), 7).sawtooth


def test_recurring_steps_up_are_a_staircase_not_shifts() -> None:
    z = np.repeat(np.arange(10, dtype=np.float64) * 10.0, 10) + np.random.default_rng(2).normal(0, 0.01, 100)
    shifts = find_shifts(z)
    assert shifts.steps_up == 9 and shifts.level_shifts == ()


def test_theil_sen_ignores_outliers_and_sees_through_a_sawtooth() -> None:
    x = np.arange(100, dtype=np.float64)
    y = 2.0 * x + 1.0
    y[[10, 50, 70]] = 1000.0
    assert theil_sen(x, y).slope == pytest.approx(2.0)
    saw = 0.5 * x + 8.0 * ((x % 6) / 6)
    assert theil_sen(x, saw).slope == pytest.approx(0.5, rel=0.05)


def test_weekly_profile_is_kept_only_when_it_explains_enough() -> None:
    idx = np.arange(70, dtype=np.int64)
    rng = np.random.default_rng(3)
    weekly = np.where(idx % 7 < 5, 1.0, -2.5)
    found = season(weekly + rng.normal(0, 0.1, 70), idx, weekly_period(DAY, 70))
    assert found is not None and found.period == 7 and found.strength > 0.9
    assert season(rng.normal(0, 1.0, 70), idx, 7) is None


def test_remainder_tells_a_random_walk_from_noise() -> None:
    rng = np.random.default_rng(4)
    walk = remainder(np.cumsum(rng.normal(0, 1.0, 200)), lag=7)
    noise = remainder(rng.normal(0, 1.0, 200), lag=7)
    assert walk.walk and not noise.walk
    steps = np.array([1.0, 30.0])
    assert walk.variance(steps)[1] > 10 * walk.variance(steps)[0]  # a walk's band keeps growing
    assert noise.variance(steps)[1] < 2.0 * noise.variance(steps)[0] + 0.5
