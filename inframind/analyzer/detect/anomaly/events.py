"""Is an anomaly on an event-rate series (errors, drops per second) more than counting noise?

Such series are ``rate()`` of integer counters: over a ``window`` of seconds the rate is a whole number of
events divided by the window, so it moves in steps of ``1 / window``. Between 4 and 5 drops in five minutes the
rate jumps by 25 % and the detector's scale, learnt from a flat series, calls that a spike. A Poisson test on
the counts asks the right question instead: how likely is seeing this many events when the expected rate holds?
The excess floor keeps a series that is normally at zero from paging on one or two stray events.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from inframind.analyzer.detect.ratestats import log_tail


@dataclass(frozen=True)
class EventTest:
    window: float
    """Seconds the rate is taken over (``rate()``'s window): ``rate * window`` is the count of events."""
    alpha: float = 1e-3
    """The observed count must be at most this likely (Poisson upper tail) under the expected rate."""
    min_excess: float = 3.0
    """... and at least this many events above the expected count."""

    def __post_init__(self) -> None:
        if self.window <= 0 or not 0.0 < self.alpha < 1.0 or self.min_excess < 0:
            raise ValueError("an event test needs window > 0, 0 < alpha < 1 and min_excess >= 0")

    def significant(self, rate: float, expected: float) -> bool:
        """True when ``rate`` (events per second) is a real excess over ``expected`` (per second)."""
        if not (math.isfinite(rate) and math.isfinite(expected)):
            return False
        observed = round(rate * self.window)
        mu = max(expected, 0.0) * self.window
        if observed - mu < self.min_excess:
            return False
        return log_tail(observed, mu, 0.0) <= math.log(self.alpha)
