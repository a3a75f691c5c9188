"""What the failure model reads from one drive, whatever exported it (smartctl ATA, NVMe or SCSI; Redfish).

A :class:`DiskReading` is one drive at one time, with every exporter's numbers mapped onto one vocabulary of
error counters (:data:`COUNTS`); :func:`features_from_history` turns a short history of readings into
:class:`DiskFeatures`: the latest value of everything plus how much each counter grew over the window, since
a counter that is still climbing says more about the next weeks than one that stopped years ago.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

COUNTS = (
    "reallocated",
    "pending",
    "offline_uncorrectable",
    "reported_uncorrectable",
    "command_timeouts",
    "crc_errors",
    "media_errors",
)
"""Error counters the model knows, by meaning rather than by vendor number."""

ATA_IDS: Mapping[str, str] = {
    "5": "reallocated",
    "197": "pending",
    "198": "offline_uncorrectable",
    "187": "reported_uncorrectable",
    "188": "command_timeouts",
    "199": "crc_errors",
}
"""ATA SMART attribute id -> counter (raw values)."""

ATTRIBUTE_LABELS: Mapping[str, str] = {
    "reallocated": "SMART 5 reallocated sectors",
    "pending": "SMART 197 pending sectors",
    "offline_uncorrectable": "SMART 198 offline uncorrectable sectors",
    "reported_uncorrectable": "SMART 187 reported uncorrectable errors",
    "command_timeouts": "SMART 188 command timeouts",
    "crc_errors": "SMART 199 interface CRC errors",
    "media_errors": "NVMe media and data integrity errors",
    "power_on_hours": "power-on hours (SMART 9)",
    "temperature_celsius": "temperature (SMART 194)",
    "wear": "media wear (NVMe percentage used, Redfish life left)",
    "failure_predicted": "drive predicts its own failure (SMART status, Redfish FailurePredicted)",
}
"""How evidence and titles name each attribute."""

DEFAULT_GROWTH_WINDOW_HOURS = 240.0
"""Growth is the increase over the last 10 days: the window the model's growth terms were trained on."""


def timeout_count(raw: float) -> float:
    """SMART 188 as a count: Seagate packs three 16-bit counters into the raw value, so sum the words.

    A plain count below 65536 (every other vendor) is left as it is.
    """
    value = int(raw)
    if value < 0:
        return 0.0
    return float((value & 0xFFFF) + ((value >> 16) & 0xFFFF) + ((value >> 32) & 0xFFFF))


@dataclass(frozen=True)
class DiskReading:
    """One drive at one time. ``None`` (or a counter missing from ``counts``) means not reported."""

    counts: Mapping[str, float] = field(default_factory=dict)
    """Counter (one of :data:`COUNTS`) -> raw value."""
    power_on_hours: float | None = None
    temperature_celsius: float | None = None
    percentage_used: float | None = None
    """NVMe estimate of the life used, in percent (may pass 100)."""
    life_left_ratio: float | None = None
    """Redfish PredictedMediaLifeLeftPercent as a ratio, 0-1."""
    failure_predicted: bool | None = None
    """The drive's own verdict: smartctl health failed, or Redfish FailurePredicted."""


@dataclass(frozen=True)
class DiskFeatures:
    """The latest state of a drive plus the growth of its counters over ``window_hours``."""

    counts: Mapping[str, float] = field(default_factory=dict)
    growth: Mapping[str, float] = field(default_factory=dict)
    """Counter -> increase (>= 0) over the window; absent when the window holds one reading of it."""
    window_hours: float = 0.0
    power_on_hours: float | None = None
    temperature_celsius: float | None = None
    percentage_used: float | None = None
    life_left_ratio: float | None = None
    failure_predicted: bool | None = None

    @property
    def wear(self) -> float | None:
        """Fraction of the rated media life used: the larger of what NVMe and Redfish say."""
        known = []
        if self.percentage_used is not None:
            known.append(self.percentage_used / 100.0)
        if self.life_left_ratio is not None:
            known.append(1.0 - self.life_left_ratio)
        return max(known) if known else None

    def value(self, attribute: str) -> float | None:
        """The level of an attribute by name (a counter, ``wear``, ``power_on_hours`` ...), or None."""
        if attribute in COUNTS:
            return self.counts.get(attribute)
        if attribute == "wear":
            return self.wear
        if attribute == "failure_predicted":
            return None if self.failure_predicted is None else float(self.failure_predicted)
        if attribute in ("power_on_hours", "temperature_celsius", "percentage_used", "life_left_ratio"):
            result: float | None = getattr(self, attribute)
            return result
        raise KeyError(f"unknown disk attribute {attribute!r}")


def features_from_history(
    history: Sequence[tuple[float, DiskReading]], window_hours: float = DEFAULT_GROWTH_WINDOW_HOURS
) -> DiskFeatures:
    """Features from ``(unix seconds, reading)`` pairs in any order; growth over the last ``window_hours``.

    Each value is the newest one reported. A counter's growth is its newest value minus its value when the
    window opened (the last reading at or before that moment, else the oldest one inside), floored at 0:
    pending sectors fall when they are remapped, which is not healing. With less history than the window the
    growth covers what there is, so it can only understate.
    """
    if not history:
        return DiskFeatures()
    ordered = sorted(history, key=lambda item: item[0])
    newest = ordered[-1][0]
    start = newest - window_hours * 3600.0
    counts: dict[str, float] = {}
    baseline: dict[str, tuple[float, float]] = {}
    for stamp, reading in ordered:
        for name, raw in reading.counts.items():
            counts[name] = raw
            if stamp <= start or name not in baseline:
                baseline[name] = (max(stamp, start), raw)
    growth = {name: max(0.0, counts[name] - first) for name, (stamp, first) in baseline.items() if stamp < newest}
    spans = [newest - stamp for stamp, _ in baseline.values() if stamp < newest]
    return DiskFeatures(
        counts=counts,
        growth=growth,
        window_hours=max(spans) / 3600.0 if spans else 0.0,
        power_on_hours=_latest(ordered, "power_on_hours"),
        temperature_celsius=_latest(ordered, "temperature_celsius"),
        percentage_used=_latest(ordered, "percentage_used"),
        life_left_ratio=_latest(ordered, "life_left_ratio"),
        failure_predicted=_latest_flag(ordered),
    )


def _latest(ordered: Sequence[tuple[float, DiskReading]], name: str) -> float | None:
    for _, reading in reversed(ordered):
        value: float | None = getattr(reading, name)
        if value is not None:
            return value
    return None


def _latest_flag(ordered: Sequence[tuple[float, DiskReading]]) -> bool | None:
    for _, reading in reversed(ordered):
        if reading.failure_predicted is not None:
            return reading.failure_predicted
    return None
