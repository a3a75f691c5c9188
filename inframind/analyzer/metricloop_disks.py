"""Disk failure (daily) and node risk (every cycle) of the metric loop, wired to ``detect/failure`` and
``detect/noderisk``.

Disks: smartctl_exporter's and the Redfish drive series over ``disk_window`` (raw series, names and labels kept)
are cut into one moment per step; :func:`readings_from_samples` makes each moment's drives (``asset`` is the group
label, so host SMART and BMC Redfish views of one serial meet), :func:`features_from_history` their features,
:func:`disk_findings` the ``disk.failure`` findings, :func:`predict` every drive's probability for the output.

Nodes: :func:`signals_from_findings` over the asset's active findings (BMC and kernel log rules, anomalies) with
every drive's probability, then :func:`node_risk`. A ``node.risk`` finding is raised here from its score
(``noderisk`` scores, it does not judge); the risk score takes only the node factors that are not disks or
anomalies, which it counts itself.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from inframind.analyzer.detect.failure import (
    DiskKey,
    DiskModel,
    DiskObservation,
    DiskReading,
    disk_findings,
    features_from_history,
    predict,
    readings_from_samples,
)
from inframind.analyzer.detect.failure.findings import HORIZON_DAYS
from inframind.analyzer.detect.noderisk import NodeRisk, node_risk, signals_from_findings
from inframind.analyzer.findings import JSON, FactEvidence, Finding, Window
from inframind.analyzer.metricloop_settings import MetricAnalysisSettings
from inframind.analyzer.sources.promql import PromClient

NODE_KIND = "node.risk"
NODE_WARNING, NODE_CRITICAL = 50.0, 80.0
"""Node risk scores (0-100) that make a ``node.risk`` finding warning / critical."""
COUNTED_ELSEWHERE = ("disk", "anomaly")
SMART_QUERIES = (
    'smartctl_device_attribute{attribute_value_type="raw",attribute_id=~"5|9|187|188|194|197|198|199"}',
    '{__name__=~"smartctl_device|smartctl_device_power_on_seconds|smartctl_device_temperature|'
    "smartctl_device_smart_status|smartctl_device_media_errors|smartctl_device_percentage_used|"
    "smartctl_scsi_grown_defect_list|smartctl_read_total_uncorrected_errors|smartctl_write_total_uncorrected_errors|"
    'inframind_redfish_drive_failure_predicted|inframind_redfish_drive_life_left_ratio"}',
)
"""Raw series (metric names and labels kept): the failure package maps them onto its vocabulary."""


@dataclass(frozen=True)
class DriveProbability:
    tenant: str
    asset: str
    device: str
    probability: float
    """Within ``HORIZON_DAYS`` (14) of operation."""


@dataclass
class DriveHistory:
    tenant: str
    labels: Mapping[str, str]
    """What names the drive (device, model, serial), from its latest reading."""
    readings: list[tuple[float, DiskReading]]


@dataclass(frozen=True)
class DiskResult:
    findings: list[Finding]
    probabilities: list[DriveProbability]


def drive_histories(client: PromClient, s: MetricAnalysisSettings, end: float) -> dict[DiskKey, DriveHistory]:
    """Every drive with its readings over the SMART window, one per step."""
    moments: dict[float, list[tuple[str, Mapping[str, str], float]]] = {}
    tenants: dict[str, str] = {}
    for query in SMART_QUERIES:
        for series in client.query_range(query, end - s.disk_window, end, s.disk_step):
            labels = series.labels
            if not labels.get("asset"):
                continue
            tenants[labels["asset"]] = labels.get("tenant") or "default"
            name = labels.get("__name__", "")
            for stamp, value in zip(series.timestamps.tolist(), series.values.tolist(), strict=True):
                moments.setdefault(stamp, []).append((name, labels, value))
    out: dict[DiskKey, DriveHistory] = {}
    for stamp in sorted(moments):
        for key, drive in readings_from_samples(moments[stamp], group_label="asset").items():
            history = out.setdefault(key, DriveHistory(tenants.get(key.group, "default"), {}, []))
            history.labels = drive.labels
            history.readings.append((stamp, drive.reading))
    return out


def predict_disks(
    histories: Mapping[DiskKey, DriveHistory], model: DiskModel, end: dt.datetime, window_s: float
) -> DiskResult:
    window = Window(end - dt.timedelta(seconds=window_s), end)
    observations = []
    probabilities = []
    for key, history in sorted(histories.items()):
        features = features_from_history(history.readings)
        labels = dict(history.labels)
        observations.append(DiskObservation(key.group, key.disk, features, window, history.tenant, labels))
        p = predict(features, model).within(HORIZON_DAYS * 24.0)
        probabilities.append(DriveProbability(history.tenant, key.group, labels.get("device") or key.disk, p))
    return DiskResult(disk_findings(observations, model), probabilities)


def events_likelihood(risk: NodeRisk) -> float:
    """The node's likelihood of trouble from its own factors (hardware events, reboots), without disks and
    anomalies, which the asset risk score counts from their own inputs."""
    kept = [f.weight * f.strength for f in risk.factors if f.name not in COUNTED_ELSEWHERE]
    return 1.0 - math.prod(1.0 - min(max(x, 0.0), 0.999) for x in kept)


def node_finding(tenant: str, risk: NodeRisk, end: dt.datetime, window_s: float) -> Finding | None:
    if risk.score < NODE_WARNING:
        return None
    window = Window(end - dt.timedelta(seconds=window_s), end)
    facts: dict[str, JSON] = {"score": round(risk.score, 2)}
    for f in risk.factors:
        facts[f"{f.name}_points"] = round(f.points, 2)
        facts[f"{f.name}_amount"] = round(f.amount, 4)
        facts[f"{f.name}_detail"] = f.detail
    reasons = "; ".join(f.detail for f in risk.factors[:3])
    return Finding(
        kind=NODE_KIND,
        asset_id=risk.asset_id,
        tenant=tenant,
        severity="critical" if risk.score >= NODE_CRITICAL else "warning",
        title=f"Node {risk.asset_id} at risk ({risk.score:.0f}/100): {reasons}",
        window=window,
        evidence=(FactEvidence("node.risk", facts),),
        key="node",
        score=min(1.0, risk.score / 100.0),
        labels={"top_factor": risk.factors[0].name} if risk.factors else {},
    )


def node_risks(
    assets: Iterable[tuple[str, str]], active: Sequence[Finding], disks: Sequence[DriveProbability],
    end: dt.datetime, window_s: float,
) -> tuple[dict[str, float], list[Finding]]:  # fmt: skip
    """(``tenant|asset`` -> events likelihood, ``node.risk`` findings) for every asset named."""
    by_asset: dict[str, list[Finding]] = {}
    for f in active:
        by_asset.setdefault(f.asset_id, []).append(f)
    probabilities: dict[str, dict[str, float]] = {}
    for d in disks:
        probabilities.setdefault(d.asset, {})[d.device] = d.probability
    likelihoods: dict[str, float] = {}
    found = []
    for tenant, asset in sorted(set(assets)):
        signals = signals_from_findings(asset, by_asset.get(asset, ()))
        if asset in probabilities:
            signals = dataclasses.replace(signals, disk_probabilities=probabilities[asset])
        risk = node_risk(signals)
        if risk.factors:
            likelihoods[f"{tenant}|{asset}"] = events_likelihood(risk)
        finding = node_finding(tenant, risk, end, window_s)
        if finding is not None:
            found.append(finding)
    return likelihoods, found
