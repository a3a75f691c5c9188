"""Risk of a node, 0-100, from its hardware events, unexpected reboots, disk failure risk and recent anomalies.

Each factor turns its amount into a strength in [0, 1) that saturates (``n / (n + half)``: the first thermal
event says more than the twentieth), weighted by the most that factor alone may put on the node. Factors
combine like independent chances that the node is in trouble: ``score = 100 * (1 - prod(1 - weight * strength))``,
so one serious factor can carry the score alone, several mild ones add up, and nothing passes 100. Each factor's
``points`` are its share of that score (by its ``-log(1 - weight * strength)``), so they add up to it exactly.

The weights are judgement, not fitted: no labelled node outcomes exist in this project's data. The reasoning:

=================  ======  ====  ==================================================================
factor             weight  half  why
=================  ======  ====  ==================================================================
disk               0.9     --    a calibrated probability (any disk failing within 14 days); used as is
ecc_uncorrected    0.7     1     data was lost or a process killed; DIMMs that do this once do it again
unexpected_reboot  0.6     1     the node already fell over once (power, PSU, kernel, heat)
mce                0.6     2     machine checks: CPU, cache or memory errors the kernel had to handle
psu                0.5     1     a supply failed or lost input: redundancy is gone until replaced
thermal            0.4     3     heat ages everything and throttles; a few events may be a hot aisle
fan                0.35    2     cooling margin lost; the other fans usually cope for a while
ecc_corrected      0.35    10    corrected errors are routine until they come in numbers
anomaly            0.3     3     detectors' anomaly scores summed: weak alone, telling together
=================  ======  ====  ==================================================================

:func:`signals_from_findings` gathers the amounts from findings of one window: log rules by alert name
(``BMCThermalEvents`` ...), ``disk.failure`` probabilities and anomaly scores.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from inframind.analyzer.findings import Finding, LogEvidence


@dataclass(frozen=True)
class FactorWeight:
    weight: float
    """The most this factor alone contributes, as a fraction of 100."""
    half: float = 1.0
    """The amount at which the factor reaches half its weight (unused for ``disk``: a probability)."""

    def __post_init__(self) -> None:
        if not 0.0 <= self.weight < 1.0 or self.half <= 0:
            raise ValueError("a factor weight must be in [0, 1) and its half amount > 0")


DEFAULT_WEIGHTS: Mapping[str, FactorWeight] = {
    "disk": FactorWeight(0.9),
    "ecc_uncorrected": FactorWeight(0.7, 1.0),
    "unexpected_reboot": FactorWeight(0.6, 1.0),
    "mce": FactorWeight(0.6, 2.0),
    "psu": FactorWeight(0.5, 1.0),
    "thermal": FactorWeight(0.4, 3.0),
    "fan": FactorWeight(0.35, 2.0),
    "ecc_corrected": FactorWeight(0.35, 10.0),
    "anomaly": FactorWeight(0.3, 3.0),
}
EVENT_CATEGORIES = ("thermal", "psu", "fan", "ecc_corrected", "ecc_uncorrected", "mce")

RULE_CATEGORIES: Mapping[str, str] = {
    "BMCThermalEvents": "thermal",
    "BMCPowerSupplyEvents": "psu",
    "BMCFanEvents": "fan",
    "LinuxMemoryErrors": "mce",
    "WindowsUnexpectedShutdowns": "unexpected_reboot",
}
"""Log-rule alert names (rules/logs/*.yml) -> factor; their evidence counts are the amounts."""
ANOMALY_KINDS = ("metric.anomaly",)


@dataclass(frozen=True)
class NodeSignals:
    """What happened on one node over the window, as amounts per factor."""

    asset_id: str
    events: Mapping[str, float] = field(default_factory=dict)
    """Hardware event category (:data:`EVENT_CATEGORIES`) -> count, from BMC logs (SEL, Redfish) and kernel logs."""
    unexpected_reboots: float = 0.0
    disk_probabilities: Mapping[str, float] = field(default_factory=dict)
    """Disk -> probability of failure within the findings' horizon (14 days)."""
    anomaly_scores: Sequence[float] = ()
    """Scores in [0, 1] of recent anomaly findings on the node."""


@dataclass(frozen=True)
class RiskFactor:
    name: str
    amount: float
    """What drove it: a count, a probability or a sum of anomaly scores."""
    strength: float
    weight: float
    points: float
    """Its share of the node's score; all factors' points add up to the score."""
    detail: str


@dataclass(frozen=True)
class NodeRisk:
    asset_id: str
    score: float
    """0 (nothing seen) to 100 (certain trouble); never quite 100."""
    factors: tuple[RiskFactor, ...]
    """Factors that contributed, most points first."""


def node_risk(signals: NodeSignals, weights: Mapping[str, FactorWeight] = DEFAULT_WEIGHTS) -> NodeRisk:
    raw = _amounts(signals)
    parts: list[tuple[str, float, float, float, str]] = []
    for name, (amount, detail) in raw.items():
        if amount <= 0 or name not in weights:
            continue
        w = weights[name]
        strength = min(amount, 1.0) if name == "disk" else amount / (amount + w.half)
        if w.weight * strength > 0:
            parts.append((name, amount, strength, w.weight, detail))
    hazards = [-math.log1p(-w * s) for _, _, s, w, _ in parts]
    total = sum(hazards)
    score = 100.0 * -math.expm1(-total)
    factors = [
        RiskFactor(name, amount, round(strength, 6), weight, round(score * h / total, 4) if total else 0.0, detail)
        for (name, amount, strength, weight, detail), h in zip(parts, hazards, strict=True)
    ]
    factors.sort(key=lambda f: (-f.points, f.name))
    return NodeRisk(signals.asset_id, round(score, 4), tuple(factors))


def _amounts(signals: NodeSignals) -> dict[str, tuple[float, str]]:
    out: dict[str, tuple[float, str]] = {}
    for category in EVENT_CATEGORIES:
        count = float(signals.events.get(category, 0.0))
        out[category] = (count, f"{count:g} {category.replace('_', ' ')} events")
    unknown = sorted(set(signals.events) - set(EVENT_CATEGORIES))
    if unknown:
        raise ValueError(f"unknown event categories {unknown}; expected some of {EVENT_CATEGORIES}")
    out["unexpected_reboot"] = (float(signals.unexpected_reboots), f"{signals.unexpected_reboots:g} unexpected reboots")
    if signals.disk_probabilities:
        survive = math.prod(1.0 - min(max(p, 0.0), 1.0) for p in signals.disk_probabilities.values())
        worst = max(signals.disk_probabilities.items(), key=lambda item: (item[1], item[0]))
        out["disk"] = (
            1.0 - survive,
            f"{1.0 - survive:.1%} chance a disk fails within 14 days (worst {worst[0]}: {worst[1]:.1%})",
        )
    if signals.anomaly_scores:
        summed = float(sum(min(max(s, 0.0), 1.0) for s in signals.anomaly_scores))
        out["anomaly"] = (summed, f"{len(signals.anomaly_scores)} anomalies, scores summing to {summed:.2f}")
    return out


def signals_from_findings(
    asset_id: str, findings: Iterable[Finding], rule_categories: Mapping[str, str] = RULE_CATEGORIES
) -> NodeSignals:
    """The amounts of one node from its findings of the window (other assets' findings are ignored)."""
    events: dict[str, float] = {}
    reboots = 0.0
    disks: dict[str, float] = {}
    anomalies: list[float] = []
    for f in findings:
        if f.asset_id != asset_id:
            continue
        if f.kind == "disk.failure" and f.probability is not None:
            disks[f.key] = max(disks.get(f.key, 0.0), f.probability)
        elif f.kind in ANOMALY_KINDS and f.score is not None:
            anomalies.append(f.score)
        elif f.kind == "log.rule" and (category := rule_categories.get(f.labels.get("alertname", ""))):
            count = float(sum(e.count for e in f.evidence if isinstance(e, LogEvidence)))
            if category == "unexpected_reboot":
                reboots += count
            else:
                events[category] = events.get(category, 0.0) + count
    return NodeSignals(asset_id, events, reboots, disks, tuple(anomalies))
