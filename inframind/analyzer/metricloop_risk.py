"""Risk scores of the metric loop: every asset's inputs gathered from the findings store and the tasks' outputs.

Pure but for its arguments: the active findings (all detectors', logs included) and the loop's latest outputs
go in, :func:`inframind.analyzer.detect.risk.assess` scores each asset that has any of them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from inframind.analyzer.detect.risk import ActiveFinding, AssetRisk, RiskInputs, assess
from inframind.analyzer.findings import Finding
from inframind.analyzer.metricloop_capacity import TimeToFull

ANOMALY = "metric.anomaly"


@dataclass
class _Inputs:
    findings: list[ActiveFinding] = field(default_factory=list)
    disks: dict[str, float] = field(default_factory=dict)
    ttf: dict[str, float] = field(default_factory=dict)
    anomaly: dict[str, float] = field(default_factory=dict)


def risk_scores(
    active: Sequence[Finding],
    *,
    disks: Iterable[tuple[str, str, str, float]],
    disk_horizon_days: float,
    time_to_full: Iterable[TimeToFull],
    anomaly: Mapping[tuple[str, str, str], float],
    node_risk: Mapping[str, float],
    criticality: Callable[[str], str],
) -> dict[str, AssetRisk]:
    """Asset id -> risk, for every asset with an active finding or an output; ``node_risk`` is keyed
    ``tenant|asset``, ``anomaly`` by (tenant, asset, signal). An active anomaly finding keeps its score in the
    risk while it lasts, even after the series' latest scores calmed down (the level adapted to the spike)."""
    inputs: dict[tuple[str, str], _Inputs] = {}
    for f in active:
        if f.asset_id:
            found = ActiveFinding(f.kind, f.severity, f.title, f.fingerprint)
            inputs.setdefault((f.tenant, f.asset_id), _Inputs()).findings.append(found)
    for tenant, asset, device, p in disks:
        inputs.setdefault((tenant, asset), _Inputs()).disks[device] = p
    for t in time_to_full:
        inputs.setdefault((t.tenant, t.asset), _Inputs()).ttf[f"{t.resource} {t.mountpoint}".strip()] = t.seconds
    for (tenant, asset, signal), score in anomaly.items():
        inputs.setdefault((tenant, asset), _Inputs()).anomaly[signal] = score
    for f in active:
        if f.kind == ANOMALY and f.asset_id and f.score is not None:
            scores = inputs[(f.tenant, f.asset_id)].anomaly
            signal = f.labels.get("signal", "metric")
            scores[signal] = max(scores.get(signal, 0.0), f.score)
    for key in node_risk:
        tenant, _, asset = key.partition("|")
        inputs.setdefault((tenant, asset), _Inputs())
    return {
        asset: assess(
            RiskInputs(
                tenant=tenant,
                asset=asset,
                criticality=criticality(asset),
                findings=i.findings,
                disk_failure=i.disks,
                disk_horizon_days=disk_horizon_days,
                time_to_full=i.ttf,
                node_risk=node_risk.get(f"{tenant}|{asset}"),
                anomaly=i.anomaly,
            )
        )
        for (tenant, asset), i in inputs.items()
    }
