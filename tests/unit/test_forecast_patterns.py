"""forecast() on each pattern a filesystem shows: the time until full where there is one, a refusal where not."""

from __future__ import annotations

import numpy as np
import pytest

from inframind.analyzer.detect.forecast import forecast
from inframind.analyzer.history import Pattern, filesystem_history

DAY = 86400.0
T0 = 1_767_225_600.0


def days_off(pattern: Pattern, seed: int, days_to_full: float) -> tuple[float, float]:
    """(predicted, true) days until full of one generated history, forecast on its used ratio in percent."""
    h = filesystem_history(pattern, seed, days_to_full=days_to_full)
    fc = forecast(h.timestamps, 100 * h.used_ratio(), 90 * DAY, capacity=100.0)
    assert fc.status == "ok", fc.reason
    assert fc.time_to_full is not None and h.seconds_to_full is not None
    return fc.time_to_full.seconds / DAY, h.seconds_to_full / DAY


def test_clean_linear_time_to_full_interval_contains_the_truth() -> None:
    rng = np.random.default_rng(7)
    t = T0 + DAY * np.arange(90)
    v = 10.0 + 0.5 * np.arange(90) + rng.normal(0, 0.05, 90)
    fc = forecast(t, v, 120 * DAY, capacity=100.0)
    truth = (180 - 89) * DAY  # 10 + 0.5 d reaches 100 at day 180; the last sample is day 89
    ttf = fc.time_to_full
    assert fc.ok and ttf is not None
    assert ttf.earliest_s <= truth <= (ttf.latest_s or np.inf)
    assert abs(ttf.seconds - truth) < 0.02 * truth
    assert fc.trend_per_day == pytest.approx(0.5, rel=0.01)
    assert ttf.at == pytest.approx(t[-1] + ttf.seconds)
    inside = (fc.lower80 <= fc.points) & (fc.points <= fc.upper80)
    assert inside.all() and np.all(np.diff(fc.upper80 - fc.lower80) >= -1e-9)  # the band widens with the horizon


@pytest.mark.parametrize(
    ("pattern", "seed", "days"),
    [("linear", 3, 40), ("seasonal", 4, 50), ("step_up", 5, 35), ("cleanup", 6, 60), ("disk_added", 7, 45),
     ("sawtooth", 8, 30)],
)  # fmt: skip
def test_time_to_full_within_ten_percent(pattern: Pattern, seed: int, days: float) -> None:
    predicted, true = days_off(pattern, seed, days)
    assert abs(predicted - true) <= 0.1 * true, (predicted, true)


def test_step_up_is_fitted_from_the_regime_after_it() -> None:
    t = T0 + DAY * np.arange(100)
    v = 20.0 + 0.2 * np.arange(100) + np.where(np.arange(100) >= 60, 25.0, 0.0)
    fc = forecast(t, v, 90 * DAY, capacity=100.0)
    assert fc.ok
    assert any("level shift of +25" in n and "regime after" in n for n in fc.notes), fc.notes
    # from 64.8 at day 99 at 0.2 per day: full 176 days later, beyond the horizon; a line through the step
    # would see 0.45 per day and fill in 78 days
    assert fc.time_to_full is None
    assert fc.trend_per_day == pytest.approx(0.2, rel=0.02)


def test_cleanup_drop_resets_the_level_not_the_rate() -> None:
    t = T0 + DAY * np.arange(100)
    v = 40.0 + 0.5 * np.arange(100) - np.where(np.arange(100) >= 70, 30.0, 0.0)
    fc = forecast(t, v, 90 * DAY, capacity=100.0)
    assert fc.ok and fc.time_to_full is not None
    # 59.5 at day 99, 0.5 per day: 81 days to full; a line through the drop would say far later or never
    assert fc.time_to_full.seconds / DAY == pytest.approx(81, rel=0.05)


def test_a_recent_drop_takes_the_rate_from_before_and_the_level_from_after() -> None:
    t = T0 + DAY * np.arange(100)
    v = 40.0 + 0.5 * np.arange(100) - np.where(np.arange(100) >= 95, 30.0, 0.0)
    fc = forecast(t, v, 90 * DAY, capacity=100.0)
    assert fc.ok and fc.time_to_full is not None
    assert any("shifts taken out" in n for n in fc.notes), fc.notes
    assert fc.current == pytest.approx(59.5)
    assert fc.trend_per_day == pytest.approx(0.5, rel=0.02)
    assert fc.time_to_full.seconds / DAY == pytest.approx(81, rel=0.05)


def test_sawtooth_forecasts_the_peaks() -> None:
    t = T0 + 3600.0 * np.arange(24 * 100)
    base = 30.0 + 0.4 * (t - T0) / DAY
    saw = 10.0 * (((t - T0) % (4 * DAY)) / (4 * DAY))  # logs grow 10 points over 4 days, then are rotated
    fc = forecast(t, base + saw, 90 * DAY, capacity=100.0)
    assert fc.ok and fc.time_to_full is not None
    assert any(n.startswith("sawtooth") for n in fc.notes), fc.notes
    # the peaks (base + 10) reach 100 when base reaches 90: day 150; the last sample is at day ~100. A fit of
    # the mean level (base + 5) would say day 162.5
    truth = (150.0 - 99.96) * DAY
    assert abs(fc.time_to_full.seconds - truth) <= 0.05 * truth
    assert fc.trend_per_day == pytest.approx(0.4, rel=0.1)


def test_weekly_seasonality_is_modelled_and_fills_at_the_weekly_peak() -> None:
    t = T0 + DAY * np.arange(112)
    weekday = ((t // DAY) + 3) % 7
    v = 20.0 + 0.4 * np.arange(112) + np.where(weekday < 5, weekday * 2.0, 0.0)  # Friday peaks 8 points higher
    fc = forecast(t, v, 90 * DAY, capacity=100.0)
    assert fc.ok and fc.time_to_full is not None
    assert any(n.startswith("seasonality: 7 slots") for n in fc.notes), fc.notes
    full_day = ((fc.time_to_full.at // DAY) + 3) % 7
    assert full_day in (3.0, 4.0)  # first reached on a Thursday or Friday peak, not on the trend alone
    peaks = fc.points[((fc.times // DAY) + 3) % 7 == 4]
    troughs = fc.points[((fc.times // DAY) + 3) % 7 == 5]
    assert np.mean(peaks) - np.mean(troughs) > 6.0


def test_flat_series_is_ok_and_never_full() -> None:
    rng = np.random.default_rng(3)
    t = T0 + DAY * np.arange(60)
    fc = forecast(t, 55.0 + rng.normal(0, 0.3, 60), 90 * DAY, capacity=100.0)
    assert fc.status == "ok" and fc.time_to_full is None


@pytest.mark.parametrize("pattern", ["erratic_walk", "erratic_noise"])
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_erratic_series_are_refused_with_a_reason(pattern: Pattern, seed: int) -> None:
    h = filesystem_history(pattern, seed)
    fc = forecast(h.timestamps, 100 * h.used_ratio(), 90 * DAY, capacity=100.0)
    assert fc.status == "too_erratic"
    assert "80% band" in fc.reason and "capacity" in fc.reason
    assert fc.time_to_full is None and fc.points.size == 0


def test_too_short_history_is_refused_and_says_what_it_needs() -> None:
    t = T0 + 3600.0 * np.arange(24 * 5)
    fc = forecast(t, np.linspace(10, 20, t.size), 30 * DAY, capacity=100.0)
    assert fc.status == "too_short"
    assert "5.0 days of history" in fc.reason and "needs 10 days" in fc.reason


def test_a_long_horizon_needs_a_third_of_it_in_history() -> None:
    t = T0 + DAY * np.arange(20)
    v = np.linspace(10, 30, 20)
    assert forecast(t, v, 90 * DAY, capacity=100.0).status == "too_short"
    assert forecast(t, v, 30 * DAY, capacity=100.0).status == "ok"


def test_already_full_is_zero_seconds() -> None:
    t = T0 + DAY * np.arange(30)
    fc = forecast(t, np.linspace(90, 101, 30), 30 * DAY, capacity=100.0)
    assert fc.ok and fc.time_to_full is not None and fc.time_to_full.seconds == 0.0


def test_input_is_cleaned_and_validated() -> None:
    t = T0 + DAY * np.arange(40, dtype=np.float64)
    v = np.linspace(10, 50, 40)
    v[5] = np.nan
    shuffled = np.random.default_rng(1).permutation(40)
    fc = forecast(t[shuffled], v[shuffled], 30 * DAY, capacity=100.0)
    assert fc.ok and fc.trend_per_day == pytest.approx(40 / 39, rel=0.01)
    with pytest.raises(ValueError, match="horizon_s must be positive"):
        forecast(t, v, 0.0)
    with pytest.raises(ValueError, match="unknown forecast model"):
        forecast(t, v, DAY, model="arima")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="differ in length"):
        forecast(t, v[:-1], DAY)
