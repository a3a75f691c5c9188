"""The prophet model runs offline on a small series and answers in the same shape as the default model."""

from __future__ import annotations

import numpy as np
import pytest

from inframind.analyzer.detect.forecast import forecast

DAY = 86400.0


def test_prophet_forecasts_a_small_series() -> None:
    t = 1_767_225_600.0 + DAY * np.arange(45)
    v = 20.0 + 1.2 * np.arange(45) + np.random.default_rng(1).normal(0, 0.2, 45)
    fc = forecast(t, v, 30 * DAY, capacity=100.0, model="prophet")
    assert fc.status == "ok" and fc.model == "prophet"
    assert fc.points.size == 30 and np.all(fc.lower80 <= fc.points) and np.all(fc.points <= fc.upper80)
    assert fc.trend_per_day == pytest.approx(1.2, rel=0.05)
    assert fc.time_to_full is not None  # 72.8 at day 44, 1.2 a day: full ~22.7 days on
    assert fc.time_to_full.seconds / DAY == pytest.approx(22.7, rel=0.1)
