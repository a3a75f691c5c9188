"""Count statistics for the rate detector: negative binomial tails and an overdispersion estimate.

Log counts are burstier than Poisson: lines come in clusters (a retry loop, a stack trace, a cron job), so a
Poisson test on them raises false alarms all day. The negative binomial keeps the mean ``mu`` and adds a
dispersion ``phi``: variance ``mu + phi * mu**2`` (``phi = 0`` is Poisson). ``phi`` is estimated per series
from its own history, so a template that habitually comes in clumps needs a much larger excess to be called a
burst than a steady one.

Everything works in log space, so the tiny tail probabilities of real bursts (1e-40) neither underflow nor lose
precision.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

POISSON_PHI = 1e-6
"""Below this the negative binomial is treated as Poisson (its limit), where lgamma differences lose precision."""
MAX_TERMS = 100_000


def _log_pmf(x: int, mu: float, phi: float) -> float:
    if phi < POISSON_PHI:
        return x * math.log(mu) - mu - math.lgamma(x + 1)
    k = 1.0 / phi
    return (
        math.lgamma(x + k) - math.lgamma(k) - math.lgamma(x + 1)
        - k * math.log1p(mu * phi) + x * (math.log(mu) - math.log(mu + k))
    )  # fmt: skip


def log_tail(x: int, mu: float, phi: float) -> float:
    """ln P(X >= x) for X ~ NB(mean ``mu``, dispersion ``phi``); 0.0 (probability 1) when ``x`` is not above
    the mean, where only the upper tail matters to a burst test."""
    if x <= 0 or x <= mu:
        return 0.0
    if mu <= 0.0:
        return -math.inf
    # P(X >= x) = pmf(x) * sum_i prod_{j<i} r_j, with r_j = pmf(j+1)/pmf(j) < 1 above the mode: a quick series.
    p = mu / (mu + 1.0 / phi) if phi >= POISSON_PHI else 0.0
    total, term, j = 1.0, 1.0, x
    for _ in range(MAX_TERMS):
        ratio = mu / (j + 1) if phi < POISSON_PHI else p * (j + 1.0 / phi) / (j + 1)
        term *= ratio
        total += term
        j += 1
        if term < total * 1e-13:
            break
    return min(0.0, _log_pmf(x, mu, phi) + math.log(total))


def log_zero(mu: float, phi: float) -> float:
    """ln P(X = 0): the chance of seeing nothing where ``mu`` events were expected."""
    if mu <= 0.0:
        return 0.0
    if phi < POISSON_PHI:
        return -mu
    return -math.log1p(mu * phi) / phi


def upper_bound(mu: float, phi: float, log_alpha: float) -> int:
    """The smallest count whose upper tail is below ``exp(log_alpha)``: the top of the expected band."""
    lo = max(0, math.floor(mu))  # invariant: the tail at lo is not below alpha (at or under the mean it is 1)
    spread = math.sqrt(mu + phi * mu * mu)
    hi = lo + max(8, math.ceil(4 * spread))
    while log_tail(hi, mu, phi) >= log_alpha:
        lo, hi = hi, hi + (hi - lo) * 2
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if log_tail(mid, mu, phi) < log_alpha:
            hi = mid
        else:
            lo = mid
    return hi


def median(values: Sequence[float]) -> float:
    ordered = sorted(values)
    n = len(ordered)
    if n == 0:
        return 0.0
    mid = n // 2
    return float(ordered[mid]) if n % 2 else (ordered[mid - 1] + ordered[mid]) / 2.0


def winsorized_mean(values: Sequence[int]) -> float:
    """The mean with the largest value replaced by the second largest (from three values on): one past burst
    does not move it, while a skewed but steady series keeps nearly its true level (a median, or dropping the
    maximum, would sit below the mean of clumpy logs and cry wolf)."""
    if len(values) < 3:
        return sum(values) / len(values) if values else 0.0
    ordered = sorted(values)
    return (sum(ordered[:-1]) + ordered[-2]) / len(ordered)


def predictive(phi: float, mu: float, n: int) -> float:
    """The dispersion of the *next* count when ``mu`` is itself estimated from ``n`` counts: the variance grows by
    the estimate's own, ``(mu + phi * mu**2) / n``, which keeps short histories from being overconfident."""
    return phi * (1.0 + 1.0 / n) + 1.0 / (n * mu)


def dispersion(
    groups: Sequence[Sequence[int]], prior: float, prior_weight: float, bounds: tuple[float, float]
) -> float:
    """Method-of-moments ``phi`` from groups of counts that share one expected value (the same hour of day on
    several days), shrunk towards ``prior`` while there is little data.

    Within a group, the sample variance exceeds the mean by ``phi * mean**2``; pooling the groups weights each by
    its size. With ``prior_weight`` pseudo-observations of ``prior``, a short history cannot claim the logs
    are steadier than they have shown to be.
    """
    excess = scale = 0.0
    used = 0
    for values in groups:
        n = len(values)
        if n < 2:
            continue
        mean = sum(values) / n
        if mean <= 0.0:
            used += n
            continue
        var = sum((v - mean) ** 2 for v in values) / (n - 1)
        excess += n * (var - mean)
        scale += n * mean * mean
        used += n
    estimate = max(0.0, excess / scale) if scale > 0 else prior
    shrunk = (used * estimate + prior_weight * prior) / (used + prior_weight)
    return min(max(shrunk, bounds[0]), bounds[1])
