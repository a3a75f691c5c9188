"""Negative binomial tails, the expected band, and the dispersion estimate of the rate detector."""

from __future__ import annotations

import math

import numpy as np
import pytest

from inframind.analyzer.detect.ratestats import (
    dispersion,
    log_tail,
    log_zero,
    median,
    predictive,
    upper_bound,
    winsorized_mean,
)


def brute_tail(x: int, mu: float, phi: float) -> float:
    """1 - P(X < x) by summing the pmf directly (fine for the moderate values used here)."""
    k = 1.0 / phi
    p = mu / (mu + k)
    below = sum(
        math.exp(math.lgamma(j + k) - math.lgamma(k) - math.lgamma(j + 1) + k * math.log(1 - p) + j * math.log(p))
        for j in range(x)
    )
    return 1.0 - below


@pytest.mark.parametrize("mu", [0.5, 3.0, 20.0, 150.0])
@pytest.mark.parametrize("phi", [0.01, 0.2, 1.0, 5.0])
def test_tail_matches_the_pmf_sum(mu: float, phi: float) -> None:
    for x in (math.ceil(mu) + 1, math.ceil(2 * mu) + 3, math.ceil(4 * mu) + 10):
        expected = brute_tail(x, mu, phi)
        if expected > 1e-9:  # the brute force loses precision below that; the log form does not
            assert math.exp(log_tail(x, mu, phi)) == pytest.approx(expected, rel=1e-6)


def test_poisson_limit_and_deep_tails() -> None:
    poisson = 1 - sum(math.exp(-5) * 5**j / math.factorial(j) for j in range(12))
    assert math.exp(log_tail(12, 5.0, 0.0)) == pytest.approx(poisson, rel=1e-9)
    assert math.exp(log_tail(12, 5.0, 1e-4)) == pytest.approx(poisson, rel=1e-2)
    deep = log_tail(500, 5.0, 0.1)
    assert -math.inf < deep < math.log(1e-100)  # no underflow to -inf, no loss to 0
    assert log_tail(3, 5.0, 0.1) == 0.0  # at or below the mean: not an upper-tail event


def test_overdispersion_makes_the_same_count_less_surprising() -> None:
    assert log_tail(40, 10.0, 0.0) < log_tail(40, 10.0, 0.1) < log_tail(40, 10.0, 1.0) < 0


def test_probability_of_nothing() -> None:
    assert log_zero(3.0, 0.0) == pytest.approx(-3.0)
    assert math.exp(log_zero(10.0, 0.5)) == pytest.approx((1 / (1 + 5.0)) ** 2)
    assert log_zero(0.0, 0.5) == 0.0


@pytest.mark.parametrize(("mu", "phi"), [(0.2, 2.0), (5.0, 0.05), (44.0, 0.02), (10_000.0, 0.1)])
def test_upper_bound_is_the_first_count_below_alpha(mu: float, phi: float) -> None:
    log_alpha = math.log(1e-5)
    bound = upper_bound(mu, phi, log_alpha)
    assert log_tail(bound, mu, phi) < log_alpha <= log_tail(bound - 1, mu, phi)


def test_dispersion_recovers_a_known_value_and_shrinks_short_histories() -> None:
    rng = np.random.default_rng(7)
    mu, phi = 20.0, 0.5
    k = 1 / phi
    groups = [list(rng.negative_binomial(k, k / (k + mu), size=7).astype(int)) for _ in range(200)]
    assert dispersion(groups, prior=1.0, prior_weight=24, bounds=(0.01, 50)) == pytest.approx(phi, rel=0.2)
    poisson = [list(rng.poisson(20, size=7).astype(int)) for _ in range(200)]
    assert dispersion(poisson, prior=1.0, prior_weight=24, bounds=(0.01, 50)) < 0.05
    assert dispersion([[20, 20]], prior=1.0, prior_weight=24, bounds=(0.01, 50)) > 0.9  # two values prove little
    assert dispersion([], prior=1.0, prior_weight=24, bounds=(0.01, 50)) == 1.0


def test_robust_levels() -> None:
    assert winsorized_mean([5, 5, 5, 200, 5, 5, 5]) == 5.0  # one burst day does not move the level
    assert winsorized_mean([50] * 7) == 50.0  # a daily cron is its own level
    assert winsorized_mean([4, 6]) == 5.0
    assert median([3, 1, 2]) == 2.0 and median([1, 2, 3, 4]) == 2.5 and median([]) == 0.0
    assert predictive(0.1, 10.0, 7) == pytest.approx(0.1 * 8 / 7 + 1 / 70)
