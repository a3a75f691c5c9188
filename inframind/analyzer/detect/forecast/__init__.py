"""Capacity forecasting: when filesystems, pools, memory, CPU and network reach their limits.

``forecast()`` turns one series into a path with an 80% band and, given a capacity, the time until full with
its interval, or an explicit refusal (``too_short``, ``too_erratic``) with the reason. ``capacity_findings()``
turns forecasts into ``capacity.exhaustion`` findings at the 7-, 30- and 90-day horizons.
Pure: arrays in, results out (the optional prophet model runs Stan through temporary files; see its module).
"""

from inframind.analyzer.detect.forecast.api import DEFAULT_MODEL, MODELS, Model, forecast
from inframind.analyzer.detect.forecast.fill import fill_probability
from inframind.analyzer.detect.forecast.findings import (
    HORIZONS_DAYS,
    CapacitySeries,
    Resource,
    capacity_finding,
    capacity_findings,
    forecast_series,
)
from inframind.analyzer.detect.forecast.types import Forecast, Status, TimeToFull

__all__ = [
    "DEFAULT_MODEL",
    "HORIZONS_DAYS",
    "MODELS",
    "CapacitySeries",
    "Forecast",
    "Model",
    "Resource",
    "Status",
    "TimeToFull",
    "capacity_finding",
    "capacity_findings",
    "fill_probability",
    "forecast",
    "forecast_series",
]
