"""``forecast()``: one entry point over both models, with the checks they share.

Both models see the same buckets (:mod:`.grid`) and the same refusal for short history, so a comparison
between them measures the models and nothing else. The history must cover at least a week and a third of the
horizon (a 90-day forecast from 10 days of data is a guess), with ``MIN_BUCKETS`` observed buckets.
"""

from __future__ import annotations

from typing import Literal

import numpy.typing as npt

from inframind.analyzer.detect.forecast import robust
from inframind.analyzer.detect.forecast.grid import Reduce, choose_step, clean, to_grid
from inframind.analyzer.detect.forecast.types import DAY, Forecast, refused

Model = Literal["robust", "prophet"]
DEFAULT_MODEL: Model = "robust"
MODELS: tuple[Model, ...] = ("robust", "prophet")
MIN_BUCKETS = 10
MIN_SPAN_S = 7 * DAY
HORIZON_SHARE = 3.0
"""History must span at least ``horizon / HORIZON_SHARE``."""


def forecast(
    timestamps: npt.ArrayLike,
    values: npt.ArrayLike,
    horizon_s: float,
    capacity: float | None = None,
    model: Model = DEFAULT_MODEL,
    *,
    reduce: Reduce = "max",
    settings: robust.RobustSettings | None = None,
) -> Forecast:
    """Forecast ``horizon_s`` seconds past the last sample; with ``capacity``, also the time until full.

    ``timestamps`` are unix seconds. The result's status is ``ok``, or an explicit refusal with its reason.
    """
    if horizon_s <= 0:
        raise ValueError(f"horizon_s must be positive, got {horizon_s}")
    if model not in MODELS:
        raise ValueError(f"unknown forecast model {model!r}; expected one of {', '.join(MODELS)}")
    t, v = clean(timestamps, values)
    if t.size == 0:
        return refused("too_short", "no finite samples", model)
    need = max(MIN_SPAN_S, horizon_s / HORIZON_SHARE)
    span = float(t[-1] - t[0])
    if span < need:
        return refused(
            "too_short",
            f"too short: {span / DAY:.1f} days of history; a {horizon_s / DAY:.0f}-day forecast needs "
            f"{need / DAY:.0f} days",
            model,
            last_time=float(t[-1]),
        )
    grid = to_grid(t, v, choose_step(t), reduce)
    if len(grid) < MIN_BUCKETS:
        return refused(
            "too_short",
            f"too short: {len(grid)} observed buckets of {grid.step / 3600:.0f} h; need {MIN_BUCKETS}",
            model,
            last_time=grid.last_time,
        )
    if model == "prophet":
        from inframind.analyzer.detect.forecast import prophet_model

        return prophet_model.fit_predict(grid, horizon_s, capacity)
    return robust.fit_predict(grid, horizon_s, capacity, settings or robust.RobustSettings())
