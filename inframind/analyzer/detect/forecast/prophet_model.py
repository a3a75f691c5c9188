"""The alternative model: prophet (piecewise-linear trend with automatic change points, weekly seasonality).

Imported lazily: prophet pulls in pandas and cmdstan and costs ~0.1 s per fit, so only who asks for it pays.
Note that prophet's fit is not pure in the strict sense: cmdstanpy writes the data to a temporary directory
and runs the bundled Stan binary. It takes the same buckets as the default model (and for a sawtooth moves its
forecast up to the peaks, so both forecast what fills the disk); level shifts are left to prophet's own change
points.
"""

from __future__ import annotations

import importlib
import math
from typing import Any

import numpy as np

from inframind.analyzer.detect.forecast.fill import erratic_reason, time_to_full
from inframind.analyzer.detect.forecast.grid import Grid
from inframind.analyzer.detect.forecast.shifts import find_shifts
from inframind.analyzer.detect.forecast.types import DAY, Forecast, refused

NAME = "prophet"
UNCERTAINTY_SAMPLES = 300


def fit_predict(grid: Grid, horizon_s: float, capacity: float | None) -> Forecast:
    pd: Any = importlib.import_module("pandas")  # untyped; imported here so only prophet's users pay for it
    prophet: Any = importlib.import_module("prophet")

    notes: list[str] = []
    z = grid.values
    shifts = find_shifts(z, grid.index, round(7 * DAY / grid.step))
    history = pd.DataFrame({"ds": pd.to_datetime(grid.times, unit="s"), "y": z})
    model = prophet.Prophet(
        interval_width=0.8,
        yearly_seasonality=False,
        weekly_seasonality="auto",
        daily_seasonality="auto",
        uncertainty_samples=UNCERTAINTY_SAMPLES,
    )
    model.fit(history)
    steps = np.arange(1, math.ceil(max(horizon_s, 30 * DAY) / grid.step) + 1, dtype=np.float64)
    times = grid.last_time + steps * grid.step
    out = model.predict(pd.DataFrame({"ds": pd.to_datetime(times, unit="s")}))
    offset = 0.0
    if shifts.sawtooth:
        peaks = np.asarray(shifts.peaks, dtype=np.int64)
        fitted = model.predict(pd.DataFrame({"ds": pd.to_datetime(grid.times[peaks], unit="s")}))
        offset = float(np.median(z[peaks] - fitted["yhat"].to_numpy(dtype=np.float64)))
        notes.append(f"sawtooth: {shifts.resets} resets; forecasting the peaks ({offset:+.4g} over the mean)")
    points = out["yhat"].to_numpy(dtype=np.float64) + offset
    lower = out["yhat_lower"].to_numpy(dtype=np.float64) + offset
    upper = out["yhat_upper"].to_numpy(dtype=np.float64) + offset
    ref = min(int(np.searchsorted(times, grid.last_time + 30 * DAY)), steps.size - 1)
    reason = erratic_reason(float(upper[ref] - lower[ref]), capacity, float(np.median(z)), 30.0)
    if reason:
        return refused("too_erratic", reason, NAME, last_time=grid.last_time)
    cut = times <= grid.last_time + horizon_s + 1e-6
    times, points, lower, upper = times[cut], points[cut], lower[cut], upper[cut]
    current = float(z[-1])
    trend = out["trend"].to_numpy(dtype=np.float64)[cut]
    slope = float((trend[-1] - trend[0]) / ((times[-1] - times[0]) / DAY)) if times.size > 1 else 0.0
    ttf = None
    if capacity is not None:
        ttf = time_to_full(times, points, lower, upper, last_time=grid.last_time, current=current, capacity=capacity)
    notes.append(f"prophet on {len(grid)} buckets, median 80% band width {float(np.median(upper - lower)):.4g}")
    return Forecast(
        status="ok",
        reason="",
        model=NAME,
        times=times,
        points=points,
        lower80=lower,
        upper80=upper,
        time_to_full=ttf,
        capacity=capacity,
        last_time=grid.last_time,
        current=current,
        trend_per_day=slope,
        notes=tuple(notes),
    )
