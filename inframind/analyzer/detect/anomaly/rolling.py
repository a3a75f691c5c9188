"""Causal window statistics over whole arrays, written so the streaming detector can repeat them exactly.

Every function here gives, at index i, a statistic of what came *before* i (or up to i where said), so the batch
path never looks ahead. Order statistics use one rank rule (``rank_of``) on both paths; running moments use the
recursion ``alpha * x + decay * y`` that scipy's ``lfilter`` evaluates in the same order.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import NDArray
from scipy.ndimage import rank_filter  # type: ignore[import-untyped,unused-ignore]
from scipy.signal import lfilter  # type: ignore[import-untyped,unused-ignore]
from scipy.special import erfc  # type: ignore[import-untyped,unused-ignore]

Array = NDArray[np.float64]
LOG10_FLOOR = 300.0


def rank_of(count: int, q: float) -> int:
    """The 0-based rank taken as the q-quantile of ``count`` values (q=0.5: the median, upper one when even)."""
    return min(count - 1, int(q * (count - 1) + 0.5))


def past_order(values: Array, window: int, q: float) -> Array:
    """At each i, the ``rank_of`` q-quantile of the previous min(i, window) values; NaN at i=0."""
    n = len(values)
    out = np.full(n, np.nan)
    for i in range(1, min(window, n)):
        out[i] = np.partition(values[:i], rank_of(i, q))[rank_of(i, q)]
    if n > window:
        origin = (window - 1) // 2 if window % 2 else window // 2 - 1
        full = rank_filter(values, rank_of(window, q), size=window, mode="nearest", origin=origin)
        out[window:] = full[window - 1 : n - 1]
    return out


def trailing_mean(values: Array, window: int) -> Array:
    """At each i, the mean of values[i - window + 1 .. i] (fewer at the start): includes the current point."""
    n = len(values)
    sums = np.convolve(values, np.ones(window))[:n]
    out: Array = sums / np.minimum(np.arange(1, n + 1), window)
    return out


def ewma(values: Array, alpha: float) -> Array:
    """y[i] = alpha * values[i] + (1 - alpha) * y[i-1], y[-1] = 0: the running value *after* each point."""
    out: Array = lfilter([alpha], [1.0, -(1.0 - alpha)], values)
    return out


def shift_in(values: Array, first: float) -> Array:
    """values moved one step later: out[i] = values[i-1], out[0] = first (the state *before* each point)."""
    return np.concatenate([[first], values[:-1]])


def prior_moments(values: Array, alpha: float) -> tuple[Array, Array, Array]:
    """Bias-corrected running mean and variance of the values before each point, and the weight behind them."""
    weight = shift_in(ewma(np.ones(len(values)), alpha), 0.0)
    first = shift_in(ewma(values, alpha), 0.0)
    second = shift_in(ewma(values * values, alpha), 0.0)
    safe = np.where(weight > 0, weight, 1.0)
    mean = first / safe
    return mean, second / safe - mean * mean, weight


def tail_log10(deviation: Array, variance: Array, weight: Array, floor: float) -> Array:
    """-log10 of twice the upper Gaussian tail of a deviation from the running mean: 0 at or below the mean
    (and while nothing is known), 1.3 at two spreads above it, 10 at about 6.5."""
    spread = np.maximum(np.sqrt(np.maximum(variance, 0.0)), floor)
    tail = np.minimum(erfc(deviation / spread / math.sqrt(2.0)), 1.0)
    out = -np.log10(np.maximum(tail, 10.0**-LOG10_FLOOR))
    return np.where(weight > 0, out, 0.0)


def tail_log10_scalar(deviation: float, variance: float, weight: float, floor: float) -> float:
    """``tail_log10`` for one point, for the streaming detector."""
    if weight <= 0:
        return 0.0
    spread = max(math.sqrt(max(variance, 0.0)), floor)
    tail = min(float(erfc(deviation / spread / math.sqrt(2.0))), 1.0)
    return -math.log10(max(tail, 10.0**-LOG10_FLOOR))
