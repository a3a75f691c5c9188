"""Seeded synthetic metric histories with known truth, for tests, benchmarks and scenario replays.

Pure: arrays in memory, no IO and no clock (start times are arguments). Loading a history into
VictoriaMetrics (``/api/v1/import``) belongs to whoever replays it; :meth:`History.metrics` gives the series
under node_exporter's names for that.

Filesystem usage comes in the shapes capacity forecasting must handle, each with its true fill time computed
from the noise-free curve (so "within 10% of the truth" is well defined):

- ``linear``: growth whose daily amount varies (the future is not a straight line either); ``flat``: no
  growth (must not fill); ``seasonal``: growth with a weekly pattern (working days write, the weekend cleans
  up) and a daily one;
- ``step_up`` (data moved in), ``cleanup`` (usage drops), ``disk_added`` (the size grows: usage in bytes goes
  on, the used *ratio* drops);
- ``sawtooth``: log files that grow and are rotated every few days on top of a trend;
- ``erratic_walk`` (a random walk) and ``erratic_noise`` (a scratch volume whose level is drawn anew each day):
  no honest forecast exists, a forecaster must refuse them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt

Array = npt.NDArray[np.float64]
Pattern = Literal[
    "linear", "flat", "seasonal", "step_up", "cleanup", "disk_added", "sawtooth", "erratic_walk", "erratic_noise"
]
PATTERNS: tuple[Pattern, ...] = (
    "linear", "flat", "seasonal", "step_up", "cleanup", "disk_added", "sawtooth", "erratic_walk", "erratic_noise",
)  # fmt: skip
ERRATIC: frozenset[str] = frozenset({"erratic_walk", "erratic_noise"})
DAY = 86400.0
START = 1_767_225_600.0
"""2026-01-01T00:00:00Z: the default start of a history (a Thursday)."""


@dataclass(frozen=True, eq=False)
class History:
    """A filesystem's history up to ``end`` and its noise-free future, in bytes."""

    name: str
    pattern: Pattern
    timestamps: Array
    used: Array
    """Observed used bytes (with noise)."""
    size: Array
    """Filesystem size in bytes per sample (``node_filesystem_size_bytes``)."""
    future_times: Array
    future_used: Array
    """Noise-free used bytes after the history (for value accuracy)."""
    future_size: Array
    future_observed: Array
    """The future as it would be observed (with the same noise), for interval coverage."""
    fill_time: float | None
    """Unix time when the noise-free usage first reaches the size after the history; None if never (or erratic)."""

    @property
    def end(self) -> float:
        return float(self.timestamps[-1])

    @property
    def erratic(self) -> bool:
        return self.pattern in ERRATIC

    @property
    def seconds_to_full(self) -> float | None:
        return None if self.fill_time is None else self.fill_time - self.end

    def used_ratio(self) -> Array:
        return np.asarray(self.used / self.size, dtype=np.float64)

    def metrics(self, labels: dict[str, str] | None = None) -> list[tuple[dict[str, str], Array, Array]]:
        """(labels with ``__name__``, unix seconds, values) per series, as node_exporter names them."""
        base = {"mountpoint": "/data", "fstype": "ext4", "device": "/dev/sdb1", **(labels or {})}
        return [
            ({"__name__": "node_filesystem_size_bytes", **base}, self.timestamps, self.size),
            ({"__name__": "node_filesystem_avail_bytes", **base}, self.timestamps, self.size - self.used),
        ]


def _weekly(t: Array, amplitude: float) -> Array:
    """Working days write temporary data that the weekend job removes (Monday 00:00 UTC is slot 0)."""
    day_of_week = ((t // DAY) + 3) % 7
    ramp = np.where(day_of_week < 5, (day_of_week + (t % DAY) / DAY) / 5.0, 1.0 - (day_of_week - 4) / 2.0)
    return amplitude * (ramp - 0.5)


def _daily(t: Array, amplitude: float) -> Array:
    return amplitude * np.sin(2 * np.pi * (t % DAY) / DAY)


def _sawtooth(t: Array, amplitude: float, period: float, phase: float) -> Array:
    return amplitude * (((t - phase) % period) / period)


def filesystem_history(
    pattern: Pattern,
    seed: int,
    *,
    days: float = 120.0,
    step_s: float = 3600.0,
    start: float = START,
    future_days: float = 400.0,
    days_to_full: float | None = None,
) -> History:
    """One history of ``days`` days sampled every ``step_s`` seconds, drawn from ``seed``.

    ``days_to_full`` (drawn in 10..150 days when not given) sets the growth so that a plain trend would fill the
    disk that long after the end; the true fill time is then computed from the whole noise-free shape.
    """
    if pattern not in PATTERNS:
        raise ValueError(f"unknown pattern {pattern!r}; expected one of {', '.join(PATTERNS)}")
    rng = np.random.default_rng([seed, PATTERNS.index(pattern)])
    n_hist = round(days * DAY / step_s)
    t: Array = start + step_s * np.arange(n_hist + round(future_days * DAY / step_s), dtype=np.float64)
    hist, end = slice(0, n_hist), float(t[n_hist - 1])
    capacity = float(rng.choice([200.0, 500.0, 1000.0, 4000.0, 16000.0])) * 1e9
    size = np.full(t.size, capacity)
    level0 = capacity * rng.uniform(0.15, 0.45)
    target = days_to_full if days_to_full is not None else float(rng.uniform(10.0, 150.0))
    noise = capacity * rng.uniform(0.0005, 0.003)
    shape = np.zeros(t.size)
    shift = np.zeros(t.size)
    at = start + days * DAY * rng.uniform(0.3, 0.75)
    if pattern == "seasonal":
        shape = _weekly(t, capacity * rng.uniform(0.03, 0.08)) + _daily(t, capacity * rng.uniform(0.0, 0.01))
    elif pattern == "sawtooth":
        period = DAY * float(rng.choice([2.0, 3.0, 4.0, 5.0, 9.0, 10.0]))
        shape = _sawtooth(t, capacity * rng.uniform(0.04, 0.12), period, start + rng.uniform(0, period))
    elif pattern == "step_up":
        shift = np.where(t >= at, capacity * rng.uniform(0.05, 0.15), 0.0)
    elif pattern == "cleanup":
        shift = np.where(t >= at, -capacity * rng.uniform(0.1, 0.3), 0.0)
    elif pattern == "disk_added":
        size = np.where(t >= at, capacity * float(rng.choice([1.5, 2.0])), capacity)
    # growth so that the trend (plus the peak of the shape) fills the final size `target` days after the end
    peak = float(np.max(shape[hist])) if shape.any() else 0.0
    span = end + target * DAY - start
    growth = 0.0 if pattern == "flat" else (size[-1] - peak - level0 - shift[-1]) / span
    if pattern == "flat":
        level0 = capacity * rng.uniform(0.3, 0.7)
    # writes vary from day to day (batch jobs, backups): growth is a drift with daily variation, so the future
    # holds its own randomness and a perfect model still misses the fill time by a little
    wobble = rng.normal(0.0, rng.uniform(0.1, 0.4), int((t[-1] - start) // DAY) + 1)
    rate = growth * (1.0 + wobble[((t - start) // DAY).astype(np.int64)])
    truth = level0 + np.concatenate(([0.0], np.cumsum(rate[:-1] * step_s))) + shape + shift
    if pattern in ERRATIC:
        truth = _erratic(pattern, t, capacity, rng)
    observed = np.clip(truth + rng.normal(0.0, noise, t.size), 0.0, size)
    future = slice(n_hist, t.size)
    fill = None
    if pattern not in ERRATIC:
        over = np.flatnonzero(truth[future] >= size[future])
        fill = float(t[future][over[0]]) if over.size else None
    return History(
        name=f"{pattern}-{seed}",
        pattern=pattern,
        timestamps=t[hist],
        used=observed[hist],
        size=size[hist],
        future_times=t[future],
        future_used=np.minimum(truth[future], size[future]),
        future_size=size[future],
        future_observed=observed[future],
        fill_time=fill,
    )


def _erratic(pattern: Pattern, t: Array, capacity: float, rng: np.random.Generator) -> Array:
    days = np.floor((t - t[0]) / DAY).astype(np.int64)
    n_days = int(days[-1]) + 1
    if pattern == "erratic_walk":
        steps = rng.normal(0.0, rng.uniform(0.025, 0.05), n_days)
        level = np.empty(n_days)
        x = rng.uniform(0.3, 0.6)
        for i, s in enumerate(steps):
            x = x + s
            x = 0.1 - (x - 0.1) if x < 0.1 else (1.9 - x if x > 0.95 else x)
            level[i] = x
    else:
        low = rng.uniform(0.05, 0.3)
        level = rng.uniform(low, low + rng.uniform(0.45, 0.6), n_days)
    return np.asarray(capacity * level[days], dtype=np.float64)


def suite(
    seed: int, per_pattern: int, patterns: Sequence[Pattern] = PATTERNS, *, days: float = 120.0, step_s: float = 3600.0
) -> list[History]:
    """``per_pattern`` histories of each pattern, reproducible from ``seed``."""
    return [
        filesystem_history(p, seed * 100_003 + i, days=days, step_s=step_s)
        for p in patterns
        for i in range(per_pattern)
    ]
