"""Jumps in a bucketed series: isolated level shifts, recurring steps and log-rotation sawtooth.

A jump is a bucket-to-bucket change far outside the series' usual changes (robust z-score of the differences).
What a jump means depends on whether it recurs:

- **isolated** (fewer than ``RECURRING`` of its sign) and persistent: a level shift (disk added, data moved in,
  cleanup). The trend is fitted from the last regime; when that is too short, from the history with the shifts
  taken out (so the growth rate is still known) and the level from after the shift;
- **recurring steps up**: staircase growth (storage deployed in batches). The steps *are* the trend;
- **recurring drops that give back most of the rises**: a sawtooth (log rotation, periodic cleanup). Only the
  peaks can fill a disk, so the models forecast the line through the peaks.

A spike (a jump undone by the next bucket) is an outlier, not a shift.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from inframind.analyzer.detect.forecast.types import Array

JUMP_Z = 6.0
"""How many robust standard deviations of the usual bucket-to-bucket change make a jump."""
RECURRING = 3
SAWTOOTH_GIVEBACK = 0.25
"""Drops must give back at least this share of all rises for the series to be a sawtooth."""
PERSIST = 4
WEEKLY_SHARE = 0.7


@dataclass(frozen=True)
class Shifts:
    level_shifts: tuple[int, ...] = ()
    """Bucket positions where a new regime starts (the jump is between ``i - 1`` and ``i``)."""
    sizes: tuple[float, ...] = ()
    """The size of each level shift, net of the usual change."""
    steps_up: int = 0
    resets: int = 0
    """Recurring drops when the series is a sawtooth (else 0)."""
    period: int = 0
    """Median buckets between sawtooth resets."""
    peaks: tuple[int, ...] = ()
    """Bucket positions of the sawtooth's peaks (the bucket before each reset)."""

    @property
    def sawtooth(self) -> bool:
        return self.resets > 0


def _candidates(z: Array) -> tuple[npt.NDArray[np.int64], Array, float]:
    d = np.diff(z)
    center = float(np.median(d))
    dev = d - center
    scale = 1.4826 * float(np.median(np.abs(dev)))
    span = float(np.max(z) - np.min(z))
    scale = max(scale, 1e-4 * span, 1e-12)
    jumps = np.flatnonzero(np.abs(dev) > JUMP_Z * scale)
    # a jump undone by the next bucket is a spike: drop both halves
    spikes: set[int] = set()
    for a, b in itertools.pairwise(jumps):
        if b == a + 1 and dev[a] * dev[b] < 0 and 0.5 <= abs(dev[a] / dev[b]) <= 2.0:
            spikes.update((int(a), int(b)))
    kept = np.array([j for j in jumps if int(j) not in spikes], dtype=np.int64)
    return kept + 1, dev[kept] if kept.size else np.zeros(0), center


def _persistent(z: Array, at: int, size: float, center: float) -> bool:
    """The level after the jump stays moved (medians of a few buckets either side, net of the usual change)."""
    if at + 2 > z.size:
        return False
    k = min(PERSIST, at, z.size - at)
    before = float(np.median(z[at - k : at]))
    after = float(np.median(z[at : at + k]))
    moved = after - before - center * k
    return moved * size > 0 and abs(moved) >= 0.5 * abs(size)


def _weekly(drops: npt.NDArray[np.int64], index: npt.NDArray[np.int64] | None, week: int) -> bool:
    """Drops that land on the same few slots of the week are a weekly pattern (a weekend cleanup job),
    which the seasonal profile models better than an envelope would."""
    if index is None or week < 2 or drops.size < RECURRING:
        return False
    counts = np.sort(np.bincount(index[drops] % week, minlength=week))[::-1]
    return bool(counts[:3].sum() >= WEEKLY_SHARE * drops.size)


def find_shifts(z: Array, index: npt.NDArray[np.int64] | None = None, week: int = 0) -> Shifts:
    """Classify the jumps of ``z``; ``index`` (absolute bucket numbers) and ``week`` (buckets per week) let
    weekly drops be told from a sawtooth."""
    if z.size < 4:
        return Shifts()
    at, dev, center = _candidates(z)
    ups, downs = at[dev > 0], at[dev < 0]
    rises = float(np.sum(np.clip(np.diff(z), 0.0, None)))
    giveback = float(-np.sum(dev[dev < 0])) / rises if rises > 0 else 0.0
    sawtooth = downs.size >= RECURRING and giveback >= SAWTOOTH_GIVEBACK and not _weekly(downs, index, week)
    isolated = [(int(i), float(s)) for i, s in zip(at, dev, strict=True) if (ups if s > 0 else downs).size < RECURRING]
    shifts = [(i, s) for i, s in isolated if _persistent(z, i, s, center)]
    period = int(np.median(np.diff(downs))) if sawtooth and downs.size > 1 else 0
    return Shifts(
        level_shifts=tuple(i for i, _ in shifts),
        sizes=tuple(s for _, s in shifts),
        steps_up=int(ups.size) if ups.size >= RECURRING else 0,
        resets=int(downs.size) if sawtooth else 0,
        period=max(period, 1) if sawtooth else 0,
        peaks=tuple(int(i) - 1 for i in downs) if sawtooth else (),
    )


def joined(z: Array, shifts: Shifts) -> Array:
    """The series with its level shifts taken out, continuous with the last regime."""
    out = z.copy()
    for at, size in zip(shifts.level_shifts, shifts.sizes, strict=True):
        out[:at] += size
    return out
