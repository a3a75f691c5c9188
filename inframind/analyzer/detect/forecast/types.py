"""The result of a forecast: a path with an 80% band, the time until full, or an explicit refusal.

A forecast that cannot be trusted says so (``too_short``, ``too_erratic``) with a reason a person can act on,
instead of inventing a date: a wrong "full in 12 days" costs more than an honest "cannot tell".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import numpy.typing as npt

Status = Literal["ok", "too_short", "too_erratic"]
Array = npt.NDArray[np.float64]
DAY = 86400.0
Z80 = 1.2815515655446004
"""Half-width of a central 80% normal interval in standard deviations."""


def _empty() -> Array:
    return np.zeros(0)


@dataclass(frozen=True)
class TimeToFull:
    """Seconds from the last sample until the forecast reaches capacity, with its 80% interval.

    ``earliest_s`` is where the upper band crosses capacity, ``latest_s`` where the lower band does; ``None``
    means the lower band stays under capacity within the horizon (it may not fill at all).
    """

    seconds: float
    earliest_s: float
    latest_s: float | None
    at: float
    """Unix time of the predicted fill (last sample + ``seconds``)."""


@dataclass(frozen=True, eq=False)
class Forecast:
    status: Status
    reason: str
    model: str
    times: Array = field(default_factory=_empty)
    """Unix times of the forecast points (the model's grid, after the last sample)."""
    points: Array = field(default_factory=_empty)
    lower80: Array = field(default_factory=_empty)
    upper80: Array = field(default_factory=_empty)
    time_to_full: TimeToFull | None = None
    capacity: float | None = None
    last_time: float | None = None
    current: float | None = None
    """The level the forecast starts from (the last bucket, as the model sees it)."""
    trend_per_day: float | None = None
    notes: tuple[str, ...] = field(default_factory=tuple)
    """What the model saw and did: level shifts, sawtooth, weekly seasonality, the fit window."""

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    def sd(self) -> Array:
        """Standard deviation per point, read back from the (normal) 80% band."""
        return np.asarray((self.upper80 - self.lower80) / (2.0 * Z80), dtype=np.float64)


def refused(status: Status, reason: str, model: str, *, last_time: float | None = None) -> Forecast:
    return Forecast(status=status, reason=reason, model=model, last_time=last_time)
