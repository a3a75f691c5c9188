"""What a finding looks like as an Alertmanager alert: stable labels, and everything else in annotations.

Alertmanager identifies an alert by its label set and groups, routes and inhibits by labels. So the labels
hold only what never changes while the problem lasts: ``alertname``, ``tenant``, ``asset``, ``severity``,
``category``, ``finding`` (the fingerprint), plus the asset's place in the inventory (``asset_kind``,
``rack``, ``host``, ``team``) that routing by team and inhibition need. Scores, numbers, the incident id and
the recommendation change from cycle to cycle (an incident can absorb another), so they are annotations: a
change of them updates the alert instead of resolving it and firing a new one. Pure functions only.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from inframind.analyzer.findings import Evidence, FactEvidence, Finding, LogEvidence, MetricEvidence
from inframind.analyzer.incidents import Incident
from inframind.analyzer.recommendation import Recommendation
from inframind.inventory import Inventory

_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_RACK_KINDS = ("rack", "pdu", "ups", "cooling")
_HOST_KINDS = ("host", "hypervisor", "windows")
CATEGORIES_BY_FAMILY: Mapping[str, str] = {
    "log": "logs",
    "metric": "performance",
    "hotspot": "performance",
    "capacity": "capacity",
    "disk": "hardware",
    "node": "hardware",
    "slo": "availability",
}
_CATEGORY_WORDS = (
    (re.compile(r"(?i)thermal|temperature|overheat|fan|airflow|cooling"), "thermal"),
    (re.compile(r"(?i)power|psu|ups|pdu|voltage"), "power"),
    (re.compile(r"(?i)down|unreachable|silence|shutdown|reboot"), "availability"),
)
EVIDENCE_LINE = 300
EVIDENCE_TOTAL = 1500


@dataclass(frozen=True)
class Placement:
    """Where an asset stands: its kind, rack, the host it runs on (itself for a host) and its team."""

    kind: str = ""
    rack: str = ""
    host: str = ""
    team: str = ""


def placement(asset_id: str, inventory: Inventory | None) -> Placement:
    """From the inventory: ``host`` follows ``runs-on`` edges to a host, ``rack`` is the asset's or its host's
    (a rack is its own), ``team`` is the asset's ``team`` label or its host's."""
    asset = inventory.assets.get(asset_id) if inventory is not None else None
    if asset is None or inventory is None:
        return Placement()
    host, seen = asset, {asset.id}
    while host.kind not in _HOST_KINDS:
        nxt = next((e.target for e in inventory.dependencies_of(host.id) if e.kind == "runs-on"), None)
        if nxt is None or nxt in seen or nxt not in inventory.assets:
            break
        seen.add(nxt)
        host = inventory.assets[nxt]
    host_id = host.id if host.kind in _HOST_KINDS else ""
    rack = asset.id if asset.kind == "rack" else asset.rack or (host.rack if host_id else "")
    if not rack:
        rack = next((e.target for e in inventory.dependencies_of(asset.id) if e.kind == "in-rack"), "")
    team = asset.labels.get("team") or (host.labels.get("team", "") if host_id else "")
    return Placement(asset.kind, rack, host_id, team)


def alertname(finding: Finding) -> str:
    """A log rule's own alert name, else ``InfraMind`` + the kind in CamelCase (``metric.anomaly`` ->
    ``InfraMindMetricAnomaly``)."""
    named = finding.labels.get("alertname", "")
    if _NAME.match(named):
        return named
    parts = re.split(r"[._\-]+", finding.kind)
    return "InfraMind" + "".join(p[:1].upper() + p[1:] for p in parts if p)


def category(finding: Finding) -> str:
    """The detector's own ``category`` label; else thermal/power/availability by the words of the alert name
    (``BMCThermalEvents``) or kind (``log.silence``); else by the kind's family (``disk.`` -> hardware)."""
    given = finding.labels.get("category", "")
    if given:
        return given
    words = f"{finding.labels.get('alertname', '')} {finding.kind}"
    for pattern, name in _CATEGORY_WORDS:
        if pattern.search(words):
            return name
    family = finding.kind.split(".", 1)[0]
    return CATEGORIES_BY_FAMILY.get(family, family)


def alert_labels(finding: Finding, where: Placement = Placement()) -> dict[str, str]:
    labels = {
        "alertname": alertname(finding),
        "tenant": finding.tenant,
        "asset": finding.asset_id,
        "severity": finding.severity,
        "category": category(finding),
        "finding": finding.fingerprint,
    }
    for name in ("kind", "rack", "host", "team"):
        value = getattr(where, name)
        if value:
            labels["asset_kind" if name == "kind" else name] = value
    return labels


def _num(value: float | None, unit: str = "") -> str:
    return "n/a" if value is None else f"{value:.4g}{unit}"


def _evidence_line(evidence: Evidence) -> str:
    if isinstance(evidence, MetricEvidence):
        unit = f" {evidence.unit}" if evidence.unit else ""
        band = f", band {_num(evidence.lower)}..{_num(evidence.upper)}" if evidence.lower is not None else ""
        expected = f" (expected {_num(evidence.expected)}{band})" if evidence.expected is not None else ""
        span = f"{evidence.window.start:%Y-%m-%d %H:%M}..{evidence.window.end:%H:%M} UTC"
        return f"{evidence.query} = {_num(evidence.observed)}{unit}{expected} over {span}"
    if isinstance(evidence, LogEvidence):
        source = f" from {evidence.source}" if evidence.source else ""
        return (
            f'{evidence.count} x "{evidence.template}"{source}, '
            f"{evidence.first_seen:%Y-%m-%d %H:%M}..{evidence.last_seen:%H:%M} UTC"
        )
    assert isinstance(evidence, FactEvidence)
    values = ", ".join(f"{k}={v}" for k, v in list(evidence.values.items())[:8])
    return f"{evidence.name}: {values}"


def compact_evidence(evidence: Sequence[Evidence]) -> str:
    """One line per piece of evidence, each and all bounded (an annotation is read in a notification)."""
    lines: list[str] = []
    total = 0
    for item in evidence:
        line = _evidence_line(item)
        line = line if len(line) <= EVIDENCE_LINE else line[: EVIDENCE_LINE - 3] + "..."
        if total + len(line) > EVIDENCE_TOTAL:
            lines.append(f"(+{len(evidence) - len(lines)} more)")
            break
        lines.append(line)
        total += len(line) + 1
    return "\n".join(lines)


def alert_annotations(
    finding: Finding, incident: Incident | None = None, recommendation: Recommendation | None = None
) -> dict[str, str]:
    """Summary, recommendation (text and next step), evidence, numbers, incident and links; empty ones left out."""
    rec = recommendation
    values = {
        "summary": rec.title if rec else finding.title,
        "description": rec.text if rec else finding.title,
        "recommendation": rec.text if rec else "",
        "next_step": rec.next_step if rec else "",
        "confidence": f"{rec.confidence:.2f}" if rec else "",
        "evidence": compact_evidence(finding.evidence),
        "probability": f"{finding.probability:.2f}" if finding.probability is not None else "",
        "score": f"{finding.score:.2f}" if finding.score is not None else "",
        "incident": incident.id if incident else "",
        "incident_title": incident.title if incident else "",
        "kind": finding.kind,
        "runbook_url": (rec.runbook_url if rec else "") or finding.links.get("runbook", ""),
        "dashboard_url": (rec.dashboard_url if rec else "") or finding.links.get("dashboard", ""),
    }
    return {name: value for name, value in values.items() if value}


def rack_incident_labels(incident: Incident, inventory: Inventory | None, cause_category: str) -> dict[str, str] | None:
    """Labels of the alert that stands for a rack-wide power or thermal incident (its top cause is a rack,
    PDU, UPS or cooling unit), so inhibition can quiet the alerts of the hosts in that rack; None otherwise."""
    if not incident.causes or cause_category not in ("power", "thermal"):
        return None
    cause = incident.causes[0]
    where = placement(cause.asset_id, inventory)
    if where.kind not in _RACK_KINDS or not where.rack:
        return None
    return {
        "alertname": "InfraMindRackIncident",
        "tenant": incident.tenant,
        "asset": cause.asset_id,
        "severity": incident.severity,
        "category": cause_category,
        "finding": incident.id,
        "asset_kind": where.kind,
        "rack": where.rack,
    }
