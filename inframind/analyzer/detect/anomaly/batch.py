"""The vectorized path: a whole series scored at once, point by point as the streaming detector would.

Used for backfill and benchmarks. Every quantity at index i is computed from points before i (and i itself where
the streaming detector also uses it), so the result equals feeding the points one by one to ``SeriesDetector``
(tests/unit/test_anomaly_stream.py checks it). The pipeline, per point:

1. level: the median of the last ``level_points`` values;
2. expectation: the level, or the level plus a seasonal profile (daily, weekly) while that profile has been
   predicting clearly better than the level alone over about the last day;
3. band: the expectation's range, widened to what every known season usually does at this time (so a job that
   runs every morning stays inside it even where the flat level predicts better the rest of the day);
4. residual z: how far the value lies outside the band, in robust scales (median absolute residual);
5. votes: ``residual`` (the surprise of z), ``likelihood`` (a short mean of surprises against its own running
   distribution, as HTM's anomaly likelihood), ``shift`` (a longer signed mean of z, the same way), ``novelty``
   (beyond everything seen so far);
6. score: the strongest of likelihood and novelty, 0 during warm-up.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from inframind.analyzer.detect.anomaly.config import DAY, STEP_POINTS, DetectorConfig
from inframind.analyzer.detect.anomaly.rolling import (
    Array,
    ewma,
    past_order,
    prior_moments,
    shift_in,
    tail_log10,
    trailing_mean,
)
from inframind.analyzer.detect.anomaly.seasonal import bin_count, profile_batch

MAD_TO_SIGMA = 1.4826
SPREAD_FLOOR = 1e-3
Z_CLIP = 5.0
VOTES = ("residual", "likelihood", "shift", "novelty")


@dataclass(frozen=True)
class Frame:
    """Per point of the input: the score and its explanation (rows that were skipped score 0 and expect NaN)."""

    score: Array
    expected: Array
    lower: Array
    upper: Array
    model: NDArray[np.int64]
    """0 for the flat level, k for ``config.seasons[k - 1]``; -1 on skipped rows."""
    votes: dict[str, Array]


def infer_step(stamps: Sequence[float] | Array) -> float:
    """The median gap of the first ``STEP_POINTS`` gaps (given STEP_POINTS + 1 timestamps)."""
    return float(np.median(np.diff(np.asarray(stamps[: STEP_POINTS + 1], dtype=float))))


def accepted(stamps: Array, values: Array) -> NDArray[np.bool_]:
    """Rows the detector takes: a finite value at a time later than every row taken before."""
    finite = np.isfinite(values) & np.isfinite(stamps)
    latest = shift_in(np.maximum.accumulate(np.where(finite, stamps, -np.inf)), -np.inf)
    out: NDArray[np.bool_] = finite & (stamps > latest)
    return out


def score_series(
    timestamps: ArrayLike, values: ArrayLike, config: DetectorConfig | None = None, utc_offset: float = 0.0
) -> Array:
    """Anomaly scores in [0, 1] for a whole series (unix seconds, values), no look-ahead."""
    return score_frame(timestamps, values, config, utc_offset).score


def score_frame(
    timestamps: ArrayLike, values: ArrayLike, config: DetectorConfig | None = None, utc_offset: float = 0.0
) -> Frame:
    config = config or DetectorConfig()
    stamps, data = np.asarray(timestamps, dtype=float), np.asarray(values, dtype=float)
    if stamps.shape != data.shape or stamps.ndim != 1:
        raise ValueError(f"timestamps and values must be 1-D and equally long, got {stamps.shape}, {data.shape}")
    keep = accepted(stamps, data)
    core = _score(stamps[keep], data[keep], config, utc_offset)
    n = len(data)

    def spread(part: Array, fill: float) -> Array:
        out = np.full(n, fill)
        out[keep] = part
        return out

    model = np.full(n, -1, dtype=np.int64)
    model[keep] = core.model
    return Frame(
        spread(core.score, 0.0),
        spread(core.expected, np.nan),
        spread(core.lower, np.nan),
        spread(core.upper, np.nan),
        model,
        {k: spread(v, 0.0) for k, v in core.votes.items()},
    )


def _score(stamps: Array, x: Array, config: DetectorConfig, offset: float) -> Frame:
    n = len(x)
    if n == 0:
        empty = np.zeros(0)
        return Frame(empty, empty, empty, empty, np.zeros(0, dtype=np.int64), {k: empty for k in VOTES})
    step, start = config.step, 0
    if step is None:
        start = STEP_POINTS
        step = infer_step(stamps) if n > STEP_POINTS else None
    level = past_order(x, config.level_points, 0.5)
    level[0] = x[0]
    models = [(level, level, level)]
    known = [np.ones(n, dtype=bool)]
    for season in config.seasons:
        bins = bin_count(season, step) if step else 0
        exp = profile_batch(stamps, x - level, start, season, bins=bins, history=config.history, offset=offset)
        models.append((level + exp.mid, level + exp.lo, level + exp.hi))
        known.append(exp.known)
    choice = _choose(x, models, known, start=start, step=step, margin=config.season_margin)
    expected, low, high = (np.choose(choice, [m[k] for m in models]) for k in range(3))
    for (_, season_low, season_high), ok in zip(models[1:], known[1:], strict=True):
        low = np.where(ok, np.minimum(low, season_low), low)
        high = np.where(ok, np.maximum(high, season_high), high)
    residual = x - expected
    excess = x - np.clip(x, low, high)
    scale = np.nan_to_num(MAD_TO_SIGMA * past_order(np.abs(residual), config.scale_points, 0.5))
    spread = np.nan_to_num(past_order(x, config.scale_points, 0.95) - past_order(x, config.scale_points, 0.05))
    scale = np.maximum(np.maximum(scale, config.range_floor * spread), 1e-9 * (1.0 + np.abs(level)))
    z = excess / scale
    if config.direction == "up":
        z = np.maximum(z, 0.0)
    elif config.direction == "down":
        z = np.minimum(z, 0.0)
    surprise = 1.0 - np.exp(-np.abs(z) / config.surprise_z)
    alpha = 1.0 / config.memory_points
    short = trailing_mean(surprise, config.short_points)
    mean, var, weight = prior_moments(short, alpha)
    likely = tail_log10(short - mean, var, weight, SPREAD_FLOOR)
    sustained = trailing_mean(np.clip(z, -Z_CLIP, Z_CLIP), config.shift_points)
    mean, var, weight = prior_moments(sustained, alpha)
    shifted = tail_log10(np.abs(sustained - mean), var, weight, SPREAD_FLOOR)
    novel = _novelty(x, config) & (np.abs(z) >= config.novelty_z)
    votes = {
        "residual": surprise,
        "likelihood": np.minimum(likely / config.log10_full, 1.0),
        "shift": np.minimum(shifted / config.log10_full, 1.0),
        "novelty": novel.astype(float),
    }
    score = np.maximum(votes["likelihood"], votes["novelty"])
    score[: config.warmup_points] = 0.0
    widen = config.band_z * scale
    return Frame(score, expected, low - widen, high + widen, choice, votes)


def _choose(
    x: Array, models: list[tuple[Array, Array, Array]], known: list[NDArray[np.bool_]], *, start: int,
    step: float | None, margin: float,
) -> NDArray[np.int64]:  # fmt: skip
    """Per point, the model whose error over about the last day (EWMA) is lowest; seasons must win by ``margin``."""
    n = len(x)
    if step is None or len(models) == 1:
        return np.zeros(n, dtype=np.int64)
    alpha = min(1.0, step / DAY)
    errors = []
    for k, (expected, _, _) in enumerate(models):
        prior = np.zeros(n)
        prior[start:] = shift_in(ewma(np.abs(x[start:] - expected[start:]), alpha), 0.0)
        errors.append(prior if k == 0 else np.where(known[k], prior * margin, np.inf))
    out: NDArray[np.int64] = np.argmin(np.array(errors), axis=0).astype(np.int64)
    return out


def _novelty(x: Array, config: DetectorConfig) -> NDArray[np.bool_]:
    """Beyond the highest (lowest) value seen before by ``novelty_tolerance`` of the range seen."""
    top = shift_in(np.maximum.accumulate(x), np.nan)
    bottom = shift_in(np.minimum.accumulate(x), np.nan)
    span = np.nan_to_num(top - bottom)
    margin = config.novelty_tolerance * span
    up = x > top + margin
    down = x < bottom - margin
    hit = up if config.direction == "up" else down if config.direction == "down" else up | down
    out: NDArray[np.bool_] = hit & (span > 0)
    return out


def onsets(scores: ArrayLike, hold: int = 6) -> Array:
    """Scores kept only where they exceed every score of the previous ``hold`` points, else 0.

    Any threshold then fires once as an episode starts (or worsens), not on every point of it: how a pager
    should behave, and how NAB counts detections. Streaming: keep the last ``hold`` scores.
    """
    data = np.asarray(scores, dtype=float)
    previous = np.full(len(data), -np.inf)
    for back in range(1, hold + 1):
        previous[back:] = np.maximum(previous[back:], data[:-back])
    out: Array = np.where(data > previous, data, 0.0)
    return out
