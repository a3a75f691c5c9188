"""A risk score 0-100 per asset, with the factors that make it up.

Each factor is turned into a *likelihood* in [0, 1] that it leads to trouble soon:

- a disk's failure probability within the model's horizon (the worst disk), as is;
- time until a resource is full: 0.5 at ``ttf_half_days``, rising to 1 as it nears 0 (``1 / (1 + (t/h)^2)``);
- node risk (BMC events, reboots ...), as is;
- anomalies: the strongest recent (sustained) anomaly score per signal above ``anomaly_floor``, rescaled to [0, 1]
  and times ``anomaly_weight`` (scores below the floor are everyday noise; unusual is not broken);
- other active findings, grouped by kind: ``severity_weight`` of each, combined.

Factors combine like independent causes (noisy-OR): ``likelihood = 1 - prod(1 - l_i)``, so two medium problems
make more risk than one, and nothing passes 1. The score is ``100 * likelihood * impact``, where impact comes from
the asset's criticality (a failing disk in a lab box matters less than in the billing database). Each factor's
*points* are its share of the score, in proportion to ``-log(1 - l_i)`` (its weight in the product), so the
points add up to the score exactly: an operator sees which cause to remove first.

Findings of the kinds that have a direct input (``disk.failure``, ``capacity.exhaustion``, ``node.risk``,
``metric.anomaly``) are counted through that input when it is given, and through their severity otherwise.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from inframind.analyzer.findings import Severity

DAY = 86400.0
MAX_LIKELIHOOD = 0.999
DIRECT_KINDS: Mapping[str, str] = {
    "disk.failure": "disk_failure",
    "capacity.exhaustion": "capacity",
    "node.risk": "node_risk",
    "metric.anomaly": "anomaly",
}


@dataclass(frozen=True)
class ActiveFinding:
    kind: str
    severity: Severity
    title: str
    fingerprint: str = ""


@dataclass(frozen=True)
class RiskWeights:
    severity: Mapping[str, float] = field(default_factory=lambda: {"critical": 0.5, "warning": 0.2, "info": 0.05})
    anomaly_weight: float = 0.5
    anomaly_floor: float = 0.5
    min_likelihood: float = 0.005
    """Factors less likely than this are left out (a healthy drive's 0.06%): they would list noise, not causes."""
    ttf_half_days: float = 7.0
    impact: Mapping[str, float] = field(
        default_factory=lambda: {"low": 0.55, "medium": 0.7, "high": 0.85, "critical": 1.0}
    )


@dataclass(frozen=True)
class RiskInputs:
    tenant: str
    asset: str
    criticality: str = "medium"
    findings: Sequence[ActiveFinding] = ()
    disk_failure: Mapping[str, float] = field(default_factory=dict)
    """Device -> probability of failure within ``disk_horizon_days``."""
    disk_horizon_days: float = 30.0
    time_to_full: Mapping[str, float] = field(default_factory=dict)
    """What fills (``filesystem /data``, ``memory``) -> seconds until full."""
    node_risk: float | None = None
    anomaly: Mapping[str, float] = field(default_factory=dict)
    """Signal -> the strongest recent anomaly score."""


@dataclass(frozen=True)
class Factor:
    kind: str
    """``disk_failure``, ``capacity``, ``node_risk``, ``anomaly`` or a finding kind (``log.burst``)."""
    name: str
    """What exactly: a device, a mountpoint, a signal, a count of findings."""
    likelihood: float
    points: float
    detail: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "name": self.name,
            "likelihood": round(self.likelihood, 4),
            "points": round(self.points, 2),
            "detail": self.detail,
        }


@dataclass(frozen=True)
class AssetRisk:
    tenant: str
    asset: str
    score: float
    likelihood: float
    impact: float
    criticality: str
    factors: tuple[Factor, ...]
    """Largest contribution first."""

    def to_dict(self) -> dict[str, Any]:
        return {
            "tenant": self.tenant,
            "asset": self.asset,
            "score": round(self.score, 2),
            "likelihood": round(self.likelihood, 4),
            "impact": self.impact,
            "criticality": self.criticality,
            "factors": [f.to_dict() for f in self.factors],
        }


def _candidates(i: RiskInputs, w: RiskWeights) -> list[tuple[str, str, float, str]]:
    """(kind, name, likelihood, detail) of every factor with a likelihood above 0."""
    out: list[tuple[str, str, float, str]] = []
    if i.disk_failure:
        device, p = max(i.disk_failure.items(), key=lambda item: (item[1], item[0]))
        others = len(i.disk_failure) - 1
        more = f" (worst of {others + 1} disks)" if others else ""
        out.append(
            (
                "disk_failure",
                device,
                p,
                f"disk {device}: {p:.0%} chance of failure within {i.disk_horizon_days:.0f} days{more}",
            )
        )
    for name, seconds in sorted(i.time_to_full.items()):
        days = max(0.0, seconds) / DAY
        likelihood = 1.0 / (1.0 + (days / w.ttf_half_days) ** 2)
        out.append(("capacity", name, likelihood, f"{name} full in ~{days:.1f} days"))
    if i.node_risk is not None:
        out.append(("node_risk", "node", i.node_risk, f"node risk {i.node_risk:.0%} (BMC events, reboots, disks)"))
    for signal, score in sorted(i.anomaly.items()):
        above = (score - w.anomaly_floor) / (1.0 - w.anomaly_floor)
        if above > 0:
            out.append(("anomaly", signal, w.anomaly_weight * min(above, 1.0), f"{signal} anomaly score {score:.2f}"))
    direct = {
        "disk_failure": bool(i.disk_failure),
        "capacity": bool(i.time_to_full),
        "node_risk": i.node_risk is not None,
        "anomaly": bool(i.anomaly),
    }
    by_kind: dict[str, list[ActiveFinding]] = {}
    for f in i.findings:
        if not direct.get(DIRECT_KINDS.get(f.kind, ""), False):
            by_kind.setdefault(f.kind, []).append(f)
    for kind, found in sorted(by_kind.items()):
        survive = math.prod(1.0 - w.severity.get(f.severity, 0.0) for f in found)
        worst = max(found, key=lambda f: (w.severity.get(f.severity, 0.0), f.title))
        count = f"{len(found)} active findings, worst: " if len(found) > 1 else ""
        out.append((kind, f"{len(found)} finding(s)", 1.0 - survive, f"{count}{worst.severity}: {worst.title}"))
    return [c for c in out if c[2] >= w.min_likelihood]


def assess(inputs: RiskInputs, weights: RiskWeights | None = None) -> AssetRisk:
    """The asset's score and its factors (an asset with nothing against it scores 0 with no factors)."""
    w = weights or RiskWeights()
    impact = w.impact.get(inputs.criticality, w.impact.get("medium", 0.7))
    factors = [(k, n, min(max(p, 0.0), MAX_LIKELIHOOD), d) for k, n, p, d in _candidates(inputs, w)]
    logs = [-math.log1p(-p) for _, _, p, _ in factors]
    likelihood = 1.0 - math.exp(-sum(logs)) if factors else 0.0
    score = 100.0 * likelihood * impact
    total = sum(logs)
    out = [
        Factor(kind, name, p, score * part / total if total > 0 else 0.0, detail)
        for (kind, name, p, detail), part in zip(factors, logs, strict=True)
    ]
    out.sort(key=lambda f: (-f.points, f.kind, f.name))
    return AssetRisk(inputs.tenant, inputs.asset, score, likelihood, impact, inputs.criticality, tuple(out))
