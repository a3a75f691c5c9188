"""The detector's settings, and the defaults per kind of signal it watches.

One configuration serves every series of a kind: nothing here is fitted per series. Counts are in points of the
series' step, so a 1-minute and a 5-minute series react after the same number of samples. How the defaults were
chosen: the structure (level, seasons, band, voters) and ``history`` from the synthetic cases in
tests/unit/test_anomaly_scenarios.py (cron job, level shift, spike in seasonal data); ``surprise_z``,
``short_points``, ``memory_points``, ``level_points``, ``scale_points``, the season bins and both novelty settings
by scoring the NAB subset as a whole (bench/nab.py), one value for all files.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Literal

Direction = Literal["both", "up", "down"]
DAY = 86400.0
WEEK = 7 * DAY


@dataclass(frozen=True)
class Season:
    """A period the expected value may repeat over, binned at most ``bins`` ways (coarser than the step)."""

    name: str
    period: float
    bins: int


@dataclass(frozen=True)
class DetectorConfig:
    step: float | None = None
    """Seconds between samples; None infers it from the first ``STEP_POINTS`` gaps (seasons start after them)."""
    direction: Direction = "both"
    """Which deviations count: ``up`` for error counters, latencies and temperatures that only hurt when high."""
    seasons: tuple[Season, ...] = (Season("daily", DAY, 144), Season("weekly", WEEK, 168))
    history: int = 3
    """Past occurrences of a season's bin kept; their median is the expectation (learned after two)."""
    season_margin: float = 1.25
    """A season is used only while its recent error is this many times below the flat baseline's."""
    level_points: int = 36
    """The level is the median of this many past points: a level shift is absorbed after half of them."""
    scale_points: int = 288
    """The residual scale is the median absolute residual over this many past points."""
    range_floor: float = 0.01
    """The scale never drops below this share of the recent 5-95 % range (flat series do not alarm on noise)."""
    surprise_z: float = 5.0
    """The surprise of a residual z is 1 - exp(-|z| / surprise_z): a z of 5 is 0.63, of 15 is 0.95."""
    short_points: int = 5
    """The likelihood voter averages this many surprises: one spike counts, a run of them counts more."""
    shift_points: int = 12
    """The shift voter averages this many signed residuals: a sustained offset, not a spike."""
    memory_points: int = 2000
    """The horizon, in points, of the running moments the likelihood and shift voters are compared with."""
    log10_full: float = 10.0
    """A tail probability of 10**-log10_full or less scores 1."""
    novelty_tolerance: float = 0.03
    """A value beyond everything seen before by this share of the seen range is novel (scores 1) ..."""
    novelty_z: float = 2.0
    """... if it is also this many scales outside the expected band (a new record of plain noise is not)."""
    warmup_points: int = 100
    """Scores are 0 until this many points have been seen."""
    band_z: float = 4.0
    """The explained band is the expected range widened by this many scales."""

    def __post_init__(self) -> None:
        if self.step is not None and self.step <= 0:
            raise ValueError(f"step must be positive seconds, got {self.step}")
        if self.direction not in ("both", "up", "down"):
            raise ValueError(f"direction must be both, up or down, got {self.direction!r}")
        for name in ("history", "level_points", "scale_points", "short_points", "shift_points", "memory_points"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1")
        if self.level_points > self.scale_points:
            raise ValueError("level_points must not exceed scale_points (the level is read from the same window)")


STEP_POINTS = 8
"""Gaps whose median is the inferred step."""


@dataclass(frozen=True)
class Signal:
    """A kind of series the analyzer watches, with what matters about it."""

    description: str
    direction: Direction


SIGNALS: dict[str, Signal] = {
    "iowait": Signal("CPU time waiting on IO (rate of node_cpu_seconds_total{mode='iowait'})", "up"),
    "disk_await": Signal("disk latency per IO (node_disk_*_time_seconds_total over completed IOs)", "up"),
    "disk_queue": Signal("disk queue depth (rate of node_disk_io_time_weighted_seconds_total)", "up"),
    "cpu": Signal("CPU busy ratio; a drop can be a dead workload, so both ways", "both"),
    "memory_pressure": Signal("PSI memory stall or available-memory ratio inverted", "up"),
    "network_errors": Signal("rate of node_network_{receive,transmit}_errs_total: one-sided, a count", "up"),
    "network_drops": Signal("rate of node_network_{receive,transmit}_drop_total: one-sided, a count", "up"),
    "temperature": Signal("ipmi/hwmon temperatures; cooling failures show as rises", "up"),
    "fan_speed": Signal("fan RPM: a stopped fan and a racing one both matter", "both"),
    "psu_power": Signal("PSU input/output watts: loss of a feed or a runaway load", "both"),
    "storage_latency": Signal("array or volume latency (Redfish, SNMP)", "up"),
}


def for_signal(kind: str, base: DetectorConfig | None = None) -> DetectorConfig:
    """The configuration for a signal kind (``SIGNALS``); unknown kinds get the two-sided default."""
    config = base or DetectorConfig()
    signal = SIGNALS.get(kind)
    return replace(config, direction=signal.direction) if signal else config
