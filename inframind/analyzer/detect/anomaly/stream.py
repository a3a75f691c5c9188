"""The streaming detector: one series, one point at a time, with a bounded JSON state.

It repeats ``batch.score_frame`` step for step (see there for the pipeline), so a series can be backfilled in
batch and then followed live with the same numbers. The state holds only plain numbers and lists: the last
``scale_points`` values and residuals, a few recent surprises, running moments, the seasonal occurrences
(``history`` per bin) and the extremes seen. Its size does not grow with the length of the series.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from inframind.analyzer.detect.anomaly.batch import MAD_TO_SIGMA, SPREAD_FLOOR, Z_CLIP, infer_step
from inframind.analyzer.detect.anomaly.config import DAY, STEP_POINTS, DetectorConfig, Season
from inframind.analyzer.detect.anomaly.rolling import rank_of, tail_log10_scalar
from inframind.analyzer.detect.anomaly.seasonal import Profile, bin_count

STATE_VERSION = 1


@dataclass(frozen=True)
class Score:
    """One point's verdict and why: the expected value and band it was held against, and each voter's say."""

    score: float
    expected: float
    lower: float
    upper: float
    votes: dict[str, float]
    model: str = "flat"
    """``flat`` (the recent level) or the season whose profile gave the expectation (``daily``, ``weekly``)."""


SKIPPED = Score(0.0, math.nan, math.nan, math.nan, {}, "skipped")


def _order(values: list[float], q: float) -> float:
    rank = rank_of(len(values), q)
    return float(np.partition(np.array(values), rank)[rank])


def _moments(state: list[float], value: float, alpha: float) -> tuple[float, float, float]:
    """The bias-corrected mean and variance before ``value``, and their weight; then ``state`` learns it."""
    first, second, weight = state
    safe = weight if weight > 0 else 1.0
    mean = first / safe
    variance = second / safe - mean * mean
    decay = 1.0 - alpha
    state[:] = [alpha * value + decay * first, alpha * (value * value) + decay * second, alpha * 1.0 + decay * weight]
    return mean, variance, weight


class SeriesDetector:
    """Scores one series as its points arrive; ``to_dict``/``restore`` carry it across restarts."""

    def __init__(self, config: DetectorConfig | None = None, utc_offset: float = 0.0) -> None:
        self.config = config or DetectorConfig()
        self.utc_offset = utc_offset
        self.count = 0
        self.last: float | None = None
        self.step = self.config.step
        self.first_stamps: list[float] = []
        self.values: list[float] = []
        self.residuals: list[float] = []
        self.surprises: list[float] = []
        self.shifts: list[float] = []
        self.likely_moments = [0.0, 0.0, 0.0]
        self.shift_moments = [0.0, 0.0, 0.0]
        self.errors = [0.0] * (1 + len(self.config.seasons))
        self.top: float | None = None
        self.bottom: float | None = None
        self.profiles: list[Profile] = []
        if self.step is not None:
            self._start_seasons()

    def _start_seasons(self) -> None:
        assert self.step is not None
        self.profiles = [Profile(s, bin_count(s, self.step), self.config.history) for s in self.config.seasons]

    def update(self, timestamp: float, value: float) -> Score:
        """Score a point against what came before it, then learn from it. Late or non-finite points are skipped."""
        late = self.last is not None and timestamp <= self.last
        if late or not (math.isfinite(value) and math.isfinite(timestamp)):
            return SKIPPED
        cfg = self.config
        if self.step is None:
            self.first_stamps.append(timestamp)
            if len(self.first_stamps) > STEP_POINTS:
                self.step = infer_step(self.first_stamps)
                self.first_stamps = []
                self._start_seasons()
        level = _order(self.values[-cfg.level_points :], 0.5) if self.values else value
        candidates = [(level, level, level, True)]
        for profile in self.profiles:
            seen = profile.expect(timestamp, value - level, self.utc_offset) if profile.bins else None
            if seen is None:
                candidates.append((level, level, level, False))
            else:
                candidates.append((level + seen[0], level + seen[1], level + seen[2], True))
        choice = self._choose(value, candidates)
        expected, low, high, _ = candidates[choice]
        for _, season_low, season_high, ok in candidates[1:]:
            if ok:
                low, high = min(low, season_low), max(high, season_high)
        scale = MAD_TO_SIGMA * _order(self.residuals, 0.5) if self.residuals else 0.0
        spread = _order(self.values, 0.95) - _order(self.values, 0.05) if self.values else 0.0
        scale = max(scale, cfg.range_floor * spread, 1e-9 * (1.0 + abs(level)))
        z = (value - min(max(value, low), high)) / scale
        z = max(z, 0.0) if cfg.direction == "up" else min(z, 0.0) if cfg.direction == "down" else z
        surprise = 1.0 - math.exp(-abs(z) / cfg.surprise_z)
        alpha = 1.0 / cfg.memory_points
        recent = [*self.surprises, surprise]
        short = sum(recent) / len(recent)
        mean, var, weight = _moments(self.likely_moments, short, alpha)
        likely = tail_log10_scalar(short - mean, var, weight, SPREAD_FLOOR)
        clipped = min(max(z, -Z_CLIP), Z_CLIP)
        recent_z = [*self.shifts, clipped]
        sustained = sum(recent_z) / len(recent_z)
        mean, var, weight = _moments(self.shift_moments, sustained, alpha)
        shifted = tail_log10_scalar(abs(sustained - mean), var, weight, SPREAD_FLOOR)
        novel = self._novel(value) and abs(z) >= cfg.novelty_z
        votes = {
            "residual": surprise,
            "likelihood": min(likely / cfg.log10_full, 1.0),
            "shift": min(shifted / cfg.log10_full, 1.0),
            "novelty": 1.0 if novel else 0.0,
        }
        score = 0.0 if self.count < cfg.warmup_points else max(votes["likelihood"], votes["novelty"])
        self._learn(timestamp, value, abs(value - expected), surprise, clipped)
        widen = cfg.band_z * scale
        names = ["flat", *(s.name for s in cfg.seasons)]
        return Score(score, expected, low - widen, high + widen, votes, names[choice])

    def _choose(self, value: float, candidates: list[tuple[float, float, float, bool]]) -> int:
        if self.step is None or len(candidates) == 1:
            return 0
        costs = [self.errors[0]] + [
            e * self.config.season_margin if ok else math.inf
            for e, (_, _, _, ok) in zip(self.errors[1:], candidates[1:], strict=True)
        ]
        alpha = min(1.0, self.step / DAY)
        decay = 1.0 - alpha
        self.errors = [alpha * abs(value - c[0]) + decay * e for e, c in zip(self.errors, candidates, strict=True)]
        return costs.index(min(costs))

    def _novel(self, value: float) -> bool:
        if self.top is None or self.bottom is None:
            return False
        span = self.top - self.bottom
        margin = self.config.novelty_tolerance * span
        up, down = value > self.top + margin, value < self.bottom - margin
        hit = up if self.config.direction == "up" else down if self.config.direction == "down" else up or down
        return hit and span > 0

    def _learn(self, stamp: float, value: float, residual: float, surprise: float, clipped: float) -> None:
        cfg = self.config
        self.count += 1
        self.last = stamp
        for ring, item, size in (
            (self.values, value, cfg.scale_points),
            (self.residuals, residual, cfg.scale_points),
            (self.surprises, surprise, cfg.short_points - 1),
            (self.shifts, clipped, cfg.shift_points - 1),
        ):
            ring.append(item)
            del ring[: max(0, len(ring) - size)]
        self.top = value if self.top is None else max(self.top, value)
        self.bottom = value if self.bottom is None else min(self.bottom, value)

    # ------------------------------------------------------------ state

    def to_dict(self) -> dict[str, Any]:
        """The whole state as plain JSON types (no NaN), bounded by the configuration, not by the series."""
        return {
            "version": STATE_VERSION,
            "count": self.count,
            "last": self.last,
            "step": self.step,
            "first_stamps": list(self.first_stamps),
            "values": list(self.values),
            "residuals": list(self.residuals),
            "surprises": list(self.surprises),
            "shifts": list(self.shifts),
            "likely_moments": list(self.likely_moments),
            "shift_moments": list(self.shift_moments),
            "errors": list(self.errors),
            "top": self.top,
            "bottom": self.bottom,
            "profiles": [p.to_dict() for p in self.profiles],
        }

    @classmethod
    def restore(
        cls, data: dict[str, Any], config: DetectorConfig | None = None, utc_offset: float = 0.0
    ) -> SeriesDetector:
        """A detector that continues exactly where the one that wrote ``data`` (with the same config) stopped."""
        if data.get("version") != STATE_VERSION:
            raise ValueError(f"unknown anomaly state version {data.get('version')!r}; expected {STATE_VERSION}")
        detector = cls(config, utc_offset)
        cfg = detector.config
        if len(data["errors"]) != 1 + len(cfg.seasons) or len(data["profiles"]) not in (0, len(cfg.seasons)):
            raise ValueError("anomaly state was written with other seasons than this configuration's")
        detector.count, detector.last, detector.step = int(data["count"]), data["last"], data["step"]
        for name in ("first_stamps", "values", "residuals", "surprises", "shifts"):
            setattr(detector, name, [float(v) for v in data[name]])
        detector.likely_moments = [float(v) for v in data["likely_moments"]]
        detector.shift_moments = [float(v) for v in data["shift_moments"]]
        detector.errors = [float(v) for v in data["errors"]]
        detector.top, detector.bottom = data["top"], data["bottom"]
        detector.profiles = [
            _profile(season, detector.step, cfg.history, saved)
            for season, saved in zip(cfg.seasons, data["profiles"], strict=False)
        ]
        return detector


def _profile(season: Season, step: float | None, history: int, saved: dict[str, Any]) -> Profile:
    assert step is not None
    profile = Profile(season, bin_count(season, step), history)
    profile.past = [[[float(v) for v in o] for o in bucket] for bucket in saved["past"]]
    profile.open_key = None if saved["open_key"] is None else [int(v) for v in saved["open_key"]]
    profile.open_stats = [float(v) for v in saved["open_stats"]]
    return profile
