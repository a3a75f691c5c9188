"""One drive's probability of failing within the model's horizon, and which attributes put it there.

The model is trained on a horizon of 720 power-on hours (30 days of a drive that runs around the clock, as
Backblaze's do). :func:`within` restates a probability for another horizon assuming the hazard is constant
over it, ``1 - (1 - p) ** (hours / 720)``: the 14-day figure of a finding is about 14/30 of the 30-day
risk for small probabilities. A drive close to death has a rising hazard, so for those the short-horizon
figure is an understatement, which we accept over inventing a curve the data cannot show.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from inframind.analyzer.detect.failure.features import DiskFeatures
from inframind.analyzer.detect.failure.model import DiskModel, linear_score


@dataclass(frozen=True)
class Contribution:
    """What one attribute adds to the log-odds of failure, against a healthy drive."""

    attribute: str
    value: float | None
    """The level the drive reports (a count, hours, degrees, wear fraction; 1/0 for a flag)."""
    growth: float | None
    """Its increase over the features' window, for counters."""
    log_odds: float


@dataclass(frozen=True)
class Prediction:
    probability: float
    """P(failure within ``horizon_hours`` of operation)."""
    horizon_hours: float
    baseline: float
    """The same probability for a drive of this fleet with nothing wrong: what the attributes are measured from."""
    contributions: tuple[Contribution, ...]
    """Attributes with a non-zero contribution, largest increase of risk first."""

    def top(self, count: int = 3) -> tuple[Contribution, ...]:
        """The attributes that raise the risk most (a drive with nothing wrong has none)."""
        return tuple(c for c in self.contributions if c.log_odds > 0)[:count]

    def within(self, hours: float) -> float:
        return within(self.probability, self.horizon_hours, hours)


def within(probability: float, horizon_hours: float, hours: float) -> float:
    """A failure probability over ``horizon_hours`` restated for ``hours``, at a constant hazard."""
    if probability >= 1.0:
        return 1.0
    return 1.0 - math.exp(math.log1p(-probability) * hours / horizon_hours)


def _sigmoid(z: float) -> float:
    if z >= 0:
        return 1.0 / (1.0 + math.exp(-z))
    e = math.exp(z)
    return e / (1.0 + e)


def predict(features: DiskFeatures, model: DiskModel) -> Prediction:
    score, base, parts = linear_score(model, features)
    by_attribute: dict[str, float] = {}
    for term, part in zip(model.terms, parts, strict=True):
        if part != 0.0:
            by_attribute[term.attribute] = by_attribute.get(term.attribute, 0.0) + part
    contributions = tuple(
        Contribution(
            attribute=name,
            value=features.value(name),
            growth=features.growth.get(name),
            log_odds=log_odds,
        )
        for name, log_odds in sorted(by_attribute.items(), key=lambda item: (-item[1], item[0]))
    )
    return Prediction(
        probability=_sigmoid(score),
        horizon_hours=model.horizon_hours,
        baseline=_sigmoid(base),
        contributions=contributions,
    )
