"""``disk.failure`` findings: drives whose probability of failing within 14 days passes a threshold.

The model speaks in power-on hours (720, i.e. 30 days of a drive that never sleeps); a finding speaks in days.
A server's drives run around the clock, so ``horizon_days * hours_per_day`` power-on hours are restated at a
constant hazard (:func:`~.predict.within`); for a drive that is powered part of the day pass its hours per day.

Severity follows the 14-day probability (:class:`SeverityThresholds`); the evidence is one fact with the
probability and its horizon, then one fact per attribute that raised it (value, growth over the window and its
share of the log-odds), largest first, so a reader sees "pending sectors 24, +16 in 10 days" rather than a bare
number.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from inframind.analyzer.detect.failure.features import ATTRIBUTE_LABELS, COUNTS, DiskFeatures
from inframind.analyzer.detect.failure.model import DiskModel
from inframind.analyzer.detect.failure.predict import Contribution, Prediction, predict, within
from inframind.analyzer.findings import JSON, Evidence, FactEvidence, Finding, Severity, Window

KIND = "disk.failure"
HORIZON_DAYS = 14.0
ATA_ID = {
    "reallocated": "5",
    "pending": "197",
    "offline_uncorrectable": "198",
    "reported_uncorrectable": "187",
    "command_timeouts": "188",
    "crc_errors": "199",
    "power_on_hours": "9",
    "temperature_celsius": "194",
}


@dataclass(frozen=True)
class SeverityThresholds:
    """Probability of failure within the finding's horizon at which a drive becomes a finding of each level.

    Against a healthy drive's ~0.06% in 14 days: ``info`` is ~15x that, ``warning`` a 1-in-20 chance (plan a
    replacement), ``critical`` 1-in-5 (replace now). Critical is rare by design: the drive's own failure verdict
    reaches it alone (even odds in 30 days, 29% in 14), counters only when several grow at once; on the held-out
    2019 drives no drive reached it, and ``warning`` caught 55% of the failed ST8000DM002 at 1.4% false alarms.
    """

    info: float = 0.01
    warning: float = 0.05
    critical: float = 0.2

    def __post_init__(self) -> None:
        if not 0.0 < self.info <= self.warning <= self.critical <= 1.0:
            raise ValueError("severity thresholds must satisfy 0 < info <= warning <= critical <= 1")

    def severity(self, probability: float) -> Severity | None:
        if probability >= self.critical:
            return "critical"
        if probability >= self.warning:
            return "warning"
        if probability >= self.info:
            return "info"
        return None


@dataclass(frozen=True)
class DiskObservation:
    """One drive to judge: the asset it sits in, its stable name there, and its features over the window."""

    asset_id: str
    disk: str
    """Serial number where known (it survives a move to another slot), else the device name."""
    features: DiskFeatures
    window: Window
    tenant: str = ""
    labels: Mapping[str, str] = field(default_factory=dict)
    """``device``, ``model``, ``serial``: copied to the finding."""
    hours_per_day: float = 24.0


def disk_findings(
    observations: Iterable[DiskObservation],
    model: DiskModel,
    *,
    horizon_days: float = HORIZON_DAYS,
    thresholds: SeverityThresholds = SeverityThresholds(),
    top: int = 3,
) -> list[Finding]:
    """A finding for every drive at or above ``thresholds.info``, most probable first."""
    found = []
    for obs in observations:
        prediction = predict(obs.features, model)
        probability = prediction.within(horizon_days * obs.hours_per_day)
        severity = thresholds.severity(probability)
        if severity is None:
            continue
        found.append(_finding(obs, prediction, probability=probability, severity=severity, days=horizon_days, top=top))
    return sorted(found, key=lambda f: (-(f.probability or 0.0), f.asset_id, f.key))


def _finding(
    obs: DiskObservation, prediction: Prediction, *, probability: float, severity: Severity, days: float, top: int
) -> Finding:
    leaders = prediction.top(top)
    hours = days * obs.hours_per_day
    summary: dict[str, JSON] = {
        "probability": round(probability, 6),
        "horizon_days": days,
        "model_probability": round(prediction.probability, 6),
        "model_horizon_power_on_hours": prediction.horizon_hours,
        "hours_per_day": obs.hours_per_day,
        "baseline_probability": round(within(prediction.baseline, prediction.horizon_hours, hours), 6),
        "growth_window_hours": round(obs.features.window_hours, 1),
    }
    evidence: list[Evidence] = [FactEvidence("disk failure probability", summary)]
    evidence += [_attribute_evidence(c, obs.features) for c in leaders]
    name = obs.labels.get("device") or obs.disk
    model_name = obs.labels.get("model")
    what = f"{name} ({model_name})" if model_name else name
    reasons = ", ".join(_phrase(c, obs.features) for c in leaders) or "no single attribute stands out"
    return Finding(
        kind=KIND,
        asset_id=obs.asset_id,
        tenant=obs.tenant,
        severity=severity,
        title=f"Disk {what} on {obs.asset_id}: {probability:.0%} chance of failure within {days:g} days ({reasons})",
        window=obs.window,
        evidence=tuple(evidence),
        key=obs.disk,
        probability=probability,
        labels={k: v for k, v in obs.labels.items() if k in ("device", "model", "serial")},
    )


def _attribute_evidence(c: Contribution, features: DiskFeatures) -> FactEvidence:
    values: dict[str, JSON] = {"attribute": c.attribute, "value": c.value, "log_odds": round(c.log_odds, 4)}
    if c.attribute in ATA_ID:
        values["smart_id"] = ATA_ID[c.attribute]
    if c.attribute in COUNTS:
        values["growth"] = c.growth
        values["growth_window_hours"] = round(features.window_hours, 1)
    return FactEvidence(ATTRIBUTE_LABELS.get(c.attribute, c.attribute), values)


def _phrase(c: Contribution, features: DiskFeatures) -> str:
    label = ATTRIBUTE_LABELS.get(c.attribute, c.attribute)
    if c.attribute == "failure_predicted":
        return label
    value = "?" if c.value is None else f"{c.value:g}"
    if c.growth:
        return f"{label} {value}, +{c.growth:g} in {features.window_hours / 24:.0f} days"
    return f"{label} {value}"
