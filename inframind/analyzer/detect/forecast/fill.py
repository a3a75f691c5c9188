"""From a forecast path to the questions people ask: when is it full, how likely within a horizon, can we tell.

The time until full is where the path crosses capacity; its interval is where the 80% band's edges cross
(the upper edge first: earliest, the lower edge last: latest). The probability of filling within a horizon is
the largest probability, over the points up to it, that the value is at or above capacity under the normal
band (the fill is a first passage: any point over capacity means it filled).
"""

from __future__ import annotations

import math

import numpy as np

from inframind.analyzer.detect.forecast.types import Z80, Array, Forecast, TimeToFull

ERRATIC_BAND = 0.25
"""Refuse when the 80% band a month (or the horizon) ahead is wider than this share of capacity (or level)."""


def crossing(times: Array, path: Array, start_time: float, start_value: float, capacity: float) -> float | None:
    """Seconds after ``start_time`` when the path first reaches capacity (linear between points), or None."""
    if start_value >= capacity:
        return 0.0
    over = np.flatnonzero(path >= capacity)
    if over.size == 0:
        return None
    i = int(over[0])
    t0, v0 = (start_time, start_value) if i == 0 else (float(times[i - 1]), float(path[i - 1]))
    t1, v1 = float(times[i]), float(path[i])
    frac = (capacity - v0) / (v1 - v0) if v1 > v0 else 1.0
    return t0 + frac * (t1 - t0) - start_time


def time_to_full(
    times: Array, points: Array, lower: Array, upper: Array, *, last_time: float, current: float, capacity: float
) -> TimeToFull | None:
    seconds = crossing(times, points, last_time, current, capacity)
    if seconds is None:
        return None
    earliest = crossing(times, upper, last_time, current, capacity)
    latest = crossing(times, lower, last_time, current, capacity)
    return TimeToFull(
        seconds=seconds,
        earliest_s=min(earliest if earliest is not None else seconds, seconds),
        latest_s=None if latest is None else max(latest, seconds),
        at=last_time + seconds,
    )


def _normal_sf(z: Array) -> Array:
    return np.asarray([0.5 * math.erfc(float(v) / math.sqrt(2.0)) for v in z], dtype=np.float64)


def fill_probability(fc: Forecast, within_s: float) -> float:
    """Probability that the series reaches capacity within ``within_s`` of its last sample."""
    if not fc.ok or fc.capacity is None or fc.last_time is None:
        return 0.0
    if fc.current is not None and fc.current >= fc.capacity:
        return 1.0
    near = fc.times <= fc.last_time + within_s
    if not np.any(near):
        return 0.0
    sd = np.maximum(fc.sd()[near], 1e-12 * max(abs(fc.capacity), 1.0))
    prob = _normal_sf((fc.capacity - fc.points[near]) / sd)
    return float(min(max(float(np.max(prob)), 0.0), 1.0))


def erratic_reason(band_width: float, capacity: float | None, level: float, days: float) -> str | None:
    """The explicit "cannot forecast" test: the band is too wide to say anything useful."""
    scale = abs(capacity) if capacity else abs(level)
    if scale <= 0 or band_width <= ERRATIC_BAND * scale:
        return None
    of = "capacity" if capacity else "the current level"
    return (
        f"too erratic: the 80% band {days:.0f} days ahead spans {100 * band_width / scale:.0f}% of {of} "
        f"(limit {100 * ERRATIC_BAND:.0f}%); the history wanders or is noisy beyond any trend"
    )


def band_width(sd: float) -> float:
    return 2.0 * Z80 * sd
