"""Samples to buckets: the regular, modest-size series every model fits.

Scrapes come every 15 s to 5 min and have gaps; capacity trends live at the scale of hours and days. Bucketing
makes fits cheap and independent of scrape interval. The reduction decides what "full" means: ``max`` keeps
each bucket's peak (a disk fills at its peak, so a daily log-rotation sawtooth becomes its envelope), ``p95``
keeps the busy part of a bucket (CPU, network: one spike is not saturation), ``mean`` and ``last`` are there for
level-like series.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt

from inframind.analyzer.detect.forecast.types import DAY, Array

HOUR = 3600.0
Reduce = Literal["max", "p95", "mean", "last"]


@dataclass(frozen=True, eq=False)
class Grid:
    """Observed buckets only (no interpolation): ``times`` is where each value sits in time."""

    step: float
    index: npt.NDArray[np.int64]
    """Absolute bucket numbers (``floor(t / step)``): slot arithmetic for seasonality uses them."""
    times: Array
    values: Array
    last_time: float
    first_time: float

    @property
    def span(self) -> float:
        return self.last_time - self.first_time

    def __len__(self) -> int:
        return len(self.values)


def clean(timestamps: npt.ArrayLike, values: npt.ArrayLike) -> tuple[Array, Array]:
    """Finite samples in time order, one per timestamp (the last one wins)."""
    t = np.asarray(timestamps, dtype=np.float64).ravel()
    v = np.asarray(values, dtype=np.float64).ravel()
    if t.shape != v.shape:
        raise ValueError(f"timestamps and values differ in length: {t.size} != {v.size}")
    keep = np.isfinite(t) & np.isfinite(v)
    t, v = t[keep], v[keep]
    order = np.argsort(t, kind="stable")
    t, v = t[order], v[order]
    if t.size > 1:
        last = np.append(t[1:] != t[:-1], True)
        t, v = t[last], v[last]
    return t, v


def choose_step(t: Array) -> float:
    """Daily buckets for a month or more of history (or daily samples); hourly for shorter, denser series."""
    if t.size < 2:
        return DAY
    spacing = float(np.median(np.diff(t)))
    return DAY if t[-1] - t[0] >= 28 * DAY or spacing >= 12 * HOUR else HOUR


def to_grid(t: Array, v: Array, step: float, reduce: Reduce = "max") -> Grid:
    """Bucket cleaned samples. A bucket's time is when its value was seen: the (last) peak's time for ``max``,
    the last sample's for ``last``, the samples' mean time for ``mean`` and ``p95``."""
    if t.size == 0:
        raise ValueError("no finite samples to bucket")
    bucket = np.floor(t / step).astype(np.int64)
    starts = np.flatnonzero(np.append(True, bucket[1:] != bucket[:-1]))
    index = bucket[starts]
    if reduce == "max":
        values = np.maximum.reduceat(v, starts)
    elif reduce == "mean":
        values = np.add.reduceat(v, starts) / np.diff(np.append(starts, v.size))
    elif reduce == "last":
        values = v[np.append(starts[1:] - 1, v.size - 1)]
    elif reduce == "p95":
        values = np.array([np.percentile(part, 95.0) for part in np.split(v, starts[1:])])
    else:
        raise ValueError(f"unknown reduce {reduce!r}; expected max, p95, mean or last")
    counts = np.diff(np.append(starts, v.size))
    if reduce == "max":
        group = np.repeat(np.arange(starts.size), counts)
        at_peak = np.where(v == values[group], np.arange(v.size), -1)
        times = t[np.maximum.reduceat(at_peak, starts)]
    elif reduce == "last":
        times = t[np.append(starts[1:] - 1, v.size - 1)]
    else:
        times = np.add.reduceat(t, starts) / counts
    return Grid(step, index, times, values.astype(np.float64), float(t[-1]), float(t[0]))
