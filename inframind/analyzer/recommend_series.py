"""Numbers a recommendation states about a series: where a rise began, the level before it and now, and the queue
depth a measured load calls for. Pure (arrays in, numbers out), so every figure in a text can be checked.

A detector says *that* a series is anomalous at its peak; a person asks "since when, from what, to what". The
rise is fitted as a flat baseline followed by a straight climb that reaches the end (two segments meeting at the
change point, least squares over every candidate point), which finds the start of a gradual ramp where a threshold
on noise would find it late, and the start of a step just as well. Levels are medians, so a spike does not move
them.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

Array = npt.NDArray[np.float64]
MIN_POINTS = 12
"""Fewer points than this say nothing about a rise."""
CURRENT_POINTS = 15
"""The current level is the median of the last this many points (a quarter of an hour at one a minute)."""
SIGNIFICANT_Z = 4.0
"""A rise counts when current minus baseline exceeds this many robust deviations of the baseline."""


@dataclass(frozen=True)
class Rise:
    start: float
    """Unix time the climb began (the fitted change point)."""
    end: float
    baseline: float
    """Median before the start."""
    current: float
    """Median of the last :data:`CURRENT_POINTS` points."""
    peak: float
    """95th percentile after the start."""

    @property
    def hours(self) -> float:
        return (self.end - self.start) / 3600.0


def _clean(t: Sequence[float] | Array, v: Sequence[float] | Array) -> tuple[Array, Array]:
    ts = np.asarray(t, dtype=np.float64)
    vs = np.asarray(v, dtype=np.float64)
    keep = np.isfinite(ts) & np.isfinite(vs)
    order = np.argsort(ts[keep], kind="stable")
    return ts[keep][order], vs[keep][order]


def change_point(t: Array, v: Array) -> int:
    """Index where a flat baseline followed by a straight line (its own level and slope: a burst may start with a
    jump) fits the series with least squared error; both parts keep at least three points."""
    n = t.size
    x = t - t[0]
    # sums over every prefix [0, c) and every suffix [c, n), for all c at once
    pre_y, pre_yy = np.concatenate(([0.0], np.cumsum(v))), np.concatenate(([0.0], np.cumsum(v * v)))

    def suffix(a: Array) -> Array:
        return np.concatenate((np.cumsum(a[::-1])[::-1], [0.0]))

    s_x, s_y, s_xx, s_xy, s_yy = suffix(x), suffix(v), suffix(x * x), suffix(x * v), suffix(v * v)
    c = np.arange(3, n - 2)
    before = pre_yy[c] - pre_y[c] ** 2 / c
    m = (n - c).astype(np.float64)
    sxx = s_xx[c] - s_x[c] ** 2 / m
    sxy = s_xy[c] - s_x[c] * s_y[c] / m
    syy = s_yy[c] - s_y[c] ** 2 / m
    after = syy - np.where(sxx > 0, sxy * sxy / np.where(sxx > 0, sxx, 1.0), 0.0)
    return int(c[int(np.argmin(before + after))])


def rise(t: Sequence[float] | Array, v: Sequence[float] | Array) -> Rise | None:
    """The rise that ends the series, or None when there is none worth stating (too short, or within the noise)."""
    ts, vs = _clean(t, v)
    if ts.size < MIN_POINTS:
        return None
    c = change_point(ts, vs)
    before, after = vs[:c], vs[c:]
    baseline = float(np.median(before))
    current = float(np.median(vs[-CURRENT_POINTS:]))
    spread = 1.4826 * float(np.median(np.abs(before - baseline)))
    floor = max(spread, abs(baseline) * 0.01, 1e-12)
    if current - baseline <= SIGNIFICANT_Z * floor:
        return None
    return Rise(float(ts[c]), float(ts[-1]), baseline, current, float(np.percentile(after, 95)))


def level(t: Sequence[float] | Array, v: Sequence[float] | Array, start: float, end: float) -> float | None:
    """Median of the points in [start, end), or None when there are none."""
    ts, vs = _clean(t, v)
    inside = (ts >= start) & (ts < end)
    return float(np.median(vs[inside])) if inside.any() else None


def percentile(t: Sequence[float] | Array, v: Sequence[float] | Array, start: float, q: float = 95.0) -> float | None:
    """The ``q``-th percentile of the points at or after ``start``."""
    ts, vs = _clean(t, v)
    inside = ts >= start
    return float(np.percentile(vs[inside], q)) if inside.any() else None


def queue_depth_for(in_flight: float, floor: int = 8, ceiling: int = 1024) -> int:
    """The device queue depth that holds ``in_flight`` requests without making them wait in the host: the next
    power of two at or above it (queue depths are configured in powers of two), within [floor, ceiling].

    Why: the block layer counts a request in flight from when it enters the queue until it completes, so an
    average in flight above the device's queue depth (HBA ``queue_depth``, ``nr_requests``) means requests queue
    in the host for a free slot; a depth that covers the measured demand removes that wait if the array can
    absorb it, which the re-measured latency then shows.
    """
    if not math.isfinite(in_flight) or in_flight <= 0:
        return floor
    depth = 1 << max(0, math.ceil(math.log2(in_flight)))
    return int(min(max(depth, floor), ceiling))
