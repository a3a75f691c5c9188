"""The detector's parts against direct computations: window statistics, seasonal profiles, onsets, settings."""

from __future__ import annotations

import numpy as np
import pytest

from inframind.analyzer.detect.anomaly import DetectorConfig, SeriesDetector, for_signal, onsets, score_frame
from inframind.analyzer.detect.anomaly.config import DAY, Season
from inframind.analyzer.detect.anomaly.rolling import past_order, prior_moments, rank_of, trailing_mean
from inframind.analyzer.detect.anomaly.seasonal import Profile, bin_count, profile_batch

RNG = np.random.default_rng(42)
DATA = RNG.normal(0.0, 1.0, 400)


@pytest.mark.parametrize("window", [1, 2, 5, 36])
@pytest.mark.parametrize("q", [0.05, 0.5, 0.95])
def test_past_order_is_the_quantile_of_the_previous_points(window: int, q: float) -> None:
    got = past_order(DATA, window, q)
    assert np.isnan(got[0])
    for i in range(1, len(DATA)):
        previous = np.sort(DATA[max(0, i - window) : i])
        assert got[i] == previous[rank_of(len(previous), q)], i


def test_trailing_mean_and_prior_moments_match_their_definitions() -> None:
    means = trailing_mean(DATA, 5)
    for i in range(len(DATA)):
        assert means[i] == pytest.approx(DATA[max(0, i - 4) : i + 1].mean(), abs=1e-12)
    alpha = 0.05
    mean, var, weight = prior_moments(DATA, alpha)
    assert weight[0] == 0.0
    for i in (1, 2, 10, 399):
        w = (1 - alpha) ** np.arange(i - 1, -1, -1)
        assert mean[i] == pytest.approx(np.sum(w * DATA[:i]) / w.sum(), abs=1e-12)
        assert var[i] == pytest.approx(np.sum(w * DATA[:i] ** 2) / w.sum() - mean[i] ** 2, abs=1e-12)


def test_seasonal_profile_batch_equals_the_streaming_profile() -> None:
    season = Season("daily", DAY, 24)
    stamps = np.sort(RNG.uniform(0, 8 * DAY, 3000)) + 1_700_000_000.0
    deviation = RNG.normal(0.0, 1.0, len(stamps))
    offset = 3600.0
    batch = profile_batch(stamps, deviation, 5, season, bins=24, history=3, offset=offset)
    assert not batch.known[:5].any()
    profile = Profile(season, 24, 3)
    for i in range(5, len(stamps)):
        seen = profile.expect(float(stamps[i]), float(deviation[i]), offset)
        assert (seen is not None) == bool(batch.known[i]), i
        if seen is not None:
            assert seen == pytest.approx((batch.mid[i], batch.lo[i], batch.hi[i]), abs=1e-12)
    assert batch.known[-500:].all()
    assert all(len(bucket) == 3 for bucket in profile.past)


def test_a_bin_is_known_after_two_occurrences_and_holds_the_median_of_three() -> None:
    season = Season("daily", DAY, 4)
    profile = Profile(season, 4, 3)
    noon = 1_700_006_400.0 + 12 * 3600
    seen = [profile.expect(noon + d * DAY, value, 0.0) for d, value in enumerate([5.0, 1.0, 3.0, 100.0, 0.0])]
    assert seen[:2] == [None, None]
    assert seen[2] == (3.0, 3.0, 3.0)
    assert seen[3] == (3.0, 3.0, 3.0)
    assert seen[4] == (3.0, 3.0, 3.0)


def test_bins_follow_the_step_and_drop_seasons_without_shape() -> None:
    daily = Season("daily", DAY, 144)
    assert bin_count(daily, 300.0) == 144
    assert bin_count(daily, 3600.0) == 24
    assert bin_count(daily, 7 * 3600.0) == 0


def test_onsets_keep_a_score_only_where_an_episode_starts_or_worsens() -> None:
    scores = np.array([0.0, 0.9, 0.9, 0.8, 0.95, 0.2, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.9])
    assert onsets(scores, hold=3).tolist() == [0, 0.9, 0, 0, 0.95, 0, 0, 0, 0, 0, 0, 0, 0.9]
    assert onsets(scores, hold=12)[-1] == 0.0


def test_one_sided_detectors_ignore_the_other_direction() -> None:
    stamps = 1_700_000_000.0 + 300.0 * np.arange(600)
    values = 10.0 + RNG.normal(0.0, 0.5, 600)
    values[400:404] -= 8.0
    values[500:504] += 8.0
    both = score_frame(stamps, values)
    up = score_frame(stamps, values, for_signal("network_errors"))
    assert both.score[400:404].max() > 0.9 and both.score[500:504].max() > 0.9
    assert up.score[400:404].max() < 0.3 and up.score[500:504].max() > 0.9
    assert up.votes["residual"][400:404].max() == 0.0


def test_warmup_scores_zero_and_a_flat_series_never_alarms() -> None:
    stamps = 1_700_000_000.0 + 60.0 * np.arange(3000)
    flat = score_frame(stamps, np.full(3000, 45.0))
    assert flat.score.max() == 0.0
    assert np.all(flat.expected == 45.0)
    noisy = score_frame(stamps, 45.0 + RNG.normal(0.0, 1.0, 3000))
    assert noisy.score[: DetectorConfig().warmup_points].max() == 0.0


def test_settings_are_validated_and_signals_pick_a_direction() -> None:
    with pytest.raises(ValueError, match="step"):
        DetectorConfig(step=0)
    with pytest.raises(ValueError, match="direction"):
        DetectorConfig(direction="sideways")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="level_points"):
        DetectorConfig(level_points=500)
    assert for_signal("disk_await").direction == "up"
    assert for_signal("fan_speed").direction == "both"
    assert for_signal("something new").direction == "both"
    assert SeriesDetector(for_signal("temperature")).config.direction == "up"
