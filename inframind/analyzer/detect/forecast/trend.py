"""The statistics under the default model: a robust line, a weekly profile and an AR(1) remainder.

- **Line**: Theil-Sen over pairs of points at least half the window apart. The median of long-range slopes
  is the average growth and is not fooled by outliers, by a sawtooth or by a staircase (short-range slopes of a
  staircase are 0 or huge; long-range ones are all near the mean rate).
- **Weekly profile**: the median remainder per slot of the week, kept only when it explains a real share of
  the variance (otherwise it would fit noise).
- **AR(1) remainder**: how much of today's deviation from the line persists. It anchors the near forecast at
  the last level (a staircase just after a step, a random walk) and fades to the line; its innovations, with
  the slope's standard error, make the band.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from inframind.analyzer.detect.forecast.types import Array

MAX_PAIRS_POINTS = 400
SEASON_MIN_STRENGTH = 0.25


@dataclass(frozen=True)
class Line:
    slope: float
    intercept: float
    x_mean: float
    sxx: float

    def at(self, x: Array) -> Array:
        return np.asarray(self.intercept + self.slope * x, dtype=np.float64)


def theil_sen(x: Array, y: Array) -> Line:
    """Median slope over pairs at least half the x-range apart (all pairs when there are few points)."""
    if x.size > MAX_PAIRS_POINTS:
        pick = np.linspace(0, x.size - 1, MAX_PAIRS_POINTS).round().astype(np.int64)
        xs, ys = x[pick], y[pick]
    else:
        xs, ys = x, y
    dx = np.subtract.outer(xs, xs)
    dy = np.subtract.outer(ys, ys)
    far = dx >= 0.5 * (xs[-1] - xs[0])
    if np.count_nonzero(far) < 3:
        far = dx > 0
    slope = float(np.median(dy[far] / dx[far])) if np.any(far) else 0.0
    intercept = float(np.median(y - slope * x))
    x_mean = float(np.mean(x))
    return Line(slope, intercept, x_mean, float(np.sum((x - x_mean) ** 2)))


@dataclass(frozen=True)
class Season:
    period: int
    profile: Array
    strength: float

    def at(self, index: npt.NDArray[np.int64]) -> Array:
        return np.asarray(self.profile[index % self.period], dtype=np.float64)


def weekly_period(step: float, buckets: int) -> int:
    """Slots in a week at this step, or a day's when there are fewer than two weeks of hourly buckets."""
    week = round(7 * 86400 / step)
    if week >= 2 and buckets >= 3 * week:
        return week
    day = round(86400 / step)
    return day if day >= 2 and buckets >= 3 * day else 0


def season(remainder: Array, index: npt.NDArray[np.int64], period: int) -> Season | None:
    """The median remainder per slot, centred; None when it explains less than ``SEASON_MIN_STRENGTH``."""
    if period < 2:
        return None
    slots = index % period
    counts = np.bincount(slots, minlength=period)
    if np.any(counts < 2):
        return None
    profile = np.array([np.median(remainder[slots == s]) for s in range(period)])
    profile -= profile.mean()
    total = float(np.var(remainder))
    if total <= 0:
        return None
    strength = 1.0 - float(np.var(remainder - profile[slots])) / total
    return Season(period, profile, strength) if strength >= SEASON_MIN_STRENGTH else None


WALK_RATIO = 0.45
"""Variance ratio above which the remainder is treated as a random walk (1 for a walk, ~1/k for noise)."""


@dataclass(frozen=True)
class Remainder:
    """What line and season leave: an AR(1) (or a random walk) plus a wander measured from its variogram."""

    phi: float
    """Lag-one persistence: 1 for a random walk (the forecast keeps today's deviation), else in [0, 0.99]."""
    sigma_a: float
    """Standard deviation of the AR(1) innovations per step."""
    sigma: float
    """Standard deviation of the remainder itself."""
    last: float
    changes: Array = field(default_factory=lambda: np.zeros(0))
    """Mean squared h-step change of the remainder in the history, h = 1 .. a third of it (the variogram)."""
    noise: float = 0.0
    """Variance of the part that does not persist (measurement noise), from the variogram's intercept."""
    drift: float = 0.0
    """Variance added per step by the part that wanders (the variogram's slope)."""

    @property
    def walk(self) -> bool:
        return self.phi >= 1.0

    def mean(self, steps: Array) -> Array:
        return np.asarray(self.last * self.phi**steps, dtype=np.float64)

    def variance(self, steps: Array) -> Array:
        """Variance of the remainder ``steps`` ahead given today's.

        A walk's is the spread of h-step changes the series showed (extended by the variogram's slope past a
        third of the history). Otherwise the AR(1)'s, but never less than noise plus wander: a slow random
        component under measurement noise hides from the AR(1) fit yet decides where the series is in 60 days.
        """
        wander = self.noise + self.drift * steps
        if self.walk and self.changes.size:
            k = self.changes.size
            measured = self.changes[np.minimum(steps, k).astype(np.int64) - 1]
            return np.asarray(np.where(steps <= k, measured, measured + self.drift * (steps - k)), dtype=np.float64)
        if self.walk:
            return np.asarray(self.sigma_a**2 * steps, dtype=np.float64)
        phi2 = self.phi**2
        ar = self.sigma_a**2 * (1 - phi2**steps) / (1 - phi2)
        return np.asarray(np.maximum(ar, wander), dtype=np.float64)

    def slope_se(self, line: Line, buckets: int, step_days: float) -> float:
        """Standard error of the slope per day, allowing for persistence and wander."""
        wander = math.sqrt(max(self.drift, self.sigma_a**2 if self.walk else 0.0) / max(buckets, 1)) / step_days
        if self.walk or line.sxx <= 0:
            return wander
        return max(wander, self.sigma * math.sqrt((1 + self.phi) / (1 - self.phi)) / math.sqrt(line.sxx))


def variogram(e: Array) -> tuple[Array, float, float]:
    """Mean squared h-step changes for h = 1 .. n/3, and the line ``2 * noise + h * drift`` fitted to them."""
    lags = np.arange(1, max(e.size // 3, 1) + 1)
    changes = np.array([np.mean((e[h:] - e[:-h]) ** 2) for h in lags])
    if lags.size < 3:
        return changes, float(changes[0]) / 2 if changes.size else 0.0, 0.0
    drift = max(float(np.polyfit(lags.astype(np.float64), changes, 1)[0]), 0.0)
    noise = max(float(np.mean(changes - drift * lags)) / 2.0, 0.0)
    return changes, noise, drift


def remainder(e: Array, lag: int) -> Remainder:
    """AR(1) on the remainder, unless its variance ratio at ``lag`` says random walk.

    A random walk with a trend line through it fools the AR(1) estimate into a stationary one whose band stops
    growing; the variance ratio (mean squared ``lag``-step change over ``lag`` one-step ones) tells them apart.
    """
    if e.size < 3:
        sd = float(np.std(e)) if e.size else 0.0
        return Remainder(0.0, sd, sd, float(e[-1]) if e.size else 0.0)
    prev, cur = e[:-1], e[1:]
    sigma = float(np.std(e))
    changes, noise, drift = variogram(e)
    lag = min(max(lag, 2), e.size - 1)
    one = float(np.mean((cur - prev) ** 2))
    far = float(np.mean((e[lag:] - e[:-lag]) ** 2))
    if one > 0 and far / (lag * one) > WALK_RATIO:
        return Remainder(1.0, math.sqrt(far / lag), sigma, float(e[-1]), changes, noise, drift)
    denom = float(np.dot(prev, prev))
    phi = float(np.dot(prev, cur)) / denom if denom > 0 else 0.0
    phi = min(max(phi, 0.0), 0.99)
    return Remainder(phi, float(np.std(cur - phi * prev)), sigma, float(e[-1]), changes, noise, drift)
