"""Seasonal profiles: what a series usually does at this time of day (or week), relative to its level.

A season (a day, a week) is cut into bins no finer than the step. Each time the series passes through a bin it
leaves one *occurrence*: the mean, lowest and highest deviation from the level seen in it. The expectation for a
point is the median over the last ``history`` occurrences of its bin, so one odd day does not move it, and a job
that runs every morning at six is inside the band once it has been seen twice. Deviations are from the level,
so a level shift carries the profile along instead of breaking it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from inframind.analyzer.detect.anomaly.config import Season
from inframind.analyzer.detect.anomaly.rolling import Array


def bin_count(season: Season, step: float) -> int:
    """Bins of a season at a step; 0 when the season spans fewer than four steps (no shape to learn)."""
    per_period = round(season.period / step)
    return 0 if per_period < 4 else min(season.bins, per_period)


def locate(stamp: float, season: Season, bins: int, offset: float) -> tuple[int, int]:
    """The (period number, bin) of a timestamp, in the asset's wall-clock time (UTC + offset)."""
    local = stamp + offset
    period = math.floor(local / season.period)
    index = math.floor((local - period * season.period) / (season.period / bins))
    return period, min(index, bins - 1)


@dataclass(frozen=True)
class Expectation:
    mid: Array
    lo: Array
    hi: Array
    known: NDArray[np.bool_]


def profile_batch(
    stamps: Array, deviation: Array, start: int, season: Season, *, bins: int, history: int, offset: float
) -> Expectation:
    """Per point, the median (mid, lo, hi) over the previous ``history`` occurrences of its bin."""
    n = len(stamps)
    mid, lo, hi = np.zeros(n), np.zeros(n), np.zeros(n)
    known = np.zeros(n, dtype=bool)
    if bins == 0 or start >= n:
        return Expectation(mid, lo, hi, known)
    local = stamps[start:] + offset
    period = np.floor(local / season.period)
    index = np.minimum(np.floor((local - period * season.period) / (season.period / bins)), bins - 1)
    key = period * bins + index
    starts = np.flatnonzero(np.r_[True, key[1:] != key[:-1]])
    runs = len(starts)
    part = deviation[start:]
    stats = [
        np.add.reduceat(part, starts) / np.diff(np.r_[starts, len(part)]),
        np.minimum.reduceat(part, starts),
        np.maximum.reduceat(part, starts),
    ]
    run_bin = index[starts].astype(np.int64)
    order = np.argsort(run_bin, kind="stable")
    first_of_bin = np.r_[True, run_bin[order][1:] != run_bin[order][:-1]]
    position = np.arange(runs) - np.maximum.accumulate(np.where(first_of_bin, np.arange(runs), 0))
    past = np.full((3, history, runs), np.nan)
    for back in range(1, history + 1):
        ok = position >= back
        source = order[np.maximum(np.arange(runs) - back, 0)]
        for k, stat in enumerate(stats):
            past[k, back - 1, order] = np.where(ok, stat[source], np.nan)
    have = position >= (history + 1) // 2
    known_runs = np.zeros(runs, dtype=bool)
    known_runs[order] = have
    with np.errstate(all="ignore"):
        medians = [_nanmedian(past[k]) for k in range(3)]
    run_of_point = np.repeat(np.arange(runs), np.diff(np.r_[starts, len(part)]))
    for target, values in zip((mid, lo, hi), medians, strict=True):
        target[start:] = np.where(known_runs, values, 0.0)[run_of_point]
    known[start:] = known_runs[run_of_point]
    return Expectation(mid, lo, hi, known)


def _nanmedian(columns: Array) -> Array:
    """Median over axis 0 ignoring NaN; all-NaN columns give 0 (they are masked by ``known``)."""
    empty = np.isnan(columns).all(axis=0)
    out: Array = np.nanmedian(np.where(empty, 0.0, columns), axis=0)
    return out


def median_small(values: list[float]) -> float:
    """The median of up to a few values, as numpy computes it (mean of the middle two when even)."""
    ordered = sorted(values)
    half = len(ordered) // 2
    return ordered[half] if len(ordered) % 2 else (ordered[half - 1] + ordered[half]) / 2.0


@dataclass
class Profile:
    """The streaming twin of ``profile_batch`` for one season: past occurrences per bin and the open one."""

    season: Season
    bins: int
    history: int
    past: list[list[list[float]]] = field(default_factory=list)
    """Per bin, up to ``history`` occurrences as [mean, lo, hi], oldest first."""
    open_key: list[int] | None = None
    open_stats: list[float] = field(default_factory=list)
    """The occurrence being filled: [sum, count, lo, hi]."""

    def __post_init__(self) -> None:
        if not self.past:
            self.past = [[] for _ in range(self.bins)]

    def expect(self, stamp: float, deviation: float, offset: float) -> tuple[float, float, float] | None:
        """The (mid, lo, hi) expected for this point, then learn from it."""
        key = list(locate(stamp, self.season, self.bins, offset))
        if self.open_key is not None and key != self.open_key:
            self._close()
        occurrences = self.past[key[1]]
        expected = None
        if len(occurrences) >= (self.history + 1) // 2:
            expected = tuple(median_small([o[k] for o in occurrences]) for k in range(3))
        if self.open_key is None:
            self.open_key, self.open_stats = key, [deviation, 1.0, deviation, deviation]
        else:
            total, count, low, high = self.open_stats
            self.open_stats = [total + deviation, count + 1.0, min(low, deviation), max(high, deviation)]
        return (expected[0], expected[1], expected[2]) if expected else None

    def _close(self) -> None:
        assert self.open_key is not None
        total, count, low, high = self.open_stats
        bucket = self.past[self.open_key[1]]
        bucket.append([total / count, low, high])
        del bucket[: -self.history]
        self.open_key, self.open_stats = None, []

    def recurrences(
        self, stamp: float, deviation: float, offset: float, *, now: float, share: float, spread: int
    ) -> int:
        """How many earlier periods went at least ``share`` of ``deviation`` the same way at ``stamp``'s time (its
        bin or ``spread`` bins either side), as of ``now`` (the newest point learnt): how often an excursion like
        this one was already seen at this time of day. A bin already passed in ``stamp``'s own period holds that
        period as its newest occurrence, which is left out. The most of any one bin counts, so one long
        excursion over several bins counts once per period."""
        if not self.bins or deviation == 0.0:
            return 0
        period, index = locate(stamp, self.season, self.bins, offset)
        latest = locate(now, self.season, self.bins, offset)
        best = 0
        for k in range(index - spread, index + spread + 1):
            position = (period + k // self.bins, k % self.bins)  # a neighbour across midnight: the other day
            bucket = self.past[position[1]]
            earlier = bucket[:-1] if position < latest else bucket
            hits = sum(1 for o in earlier if (o[2] if deviation > 0 else o[1]) / deviation >= share)
            best = max(best, hits)
        return best

    def to_dict(self) -> dict[str, object]:
        return {"past": self.past, "open_key": self.open_key, "open_stats": self.open_stats}
