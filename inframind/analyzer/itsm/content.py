"""What a ticket says about an incident, from the alerts Alertmanager posted for it: a summary line and a
plain-text description with the recommendation, next step, evidence, numbers, assets and links. Pure."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

from inframind.analyzer.findings import SEVERITIES
from inframind.analyzer.relay_webhook import WebhookAlert

SUMMARY_LIMIT = 250
"""Jira's summary holds 255 characters; ServiceNow's short_description 160 by default (we cut at 160 there)."""


@dataclass(frozen=True)
class TicketContent:
    key: str
    """The incident (or finding) the ticket stands for."""
    tenant: str
    severity: str
    summary: str
    description: str
    firing: bool
    """Some alert of the incident still fires."""

    @property
    def digest(self) -> str:
        """Changes when anything a person reads in the ticket changes (so unchanged resends add no comment)."""
        body = f"{self.severity}\0{self.summary}\0{self.description}\0{self.firing}"
        return hashlib.sha256(body.encode("utf-8")).hexdigest()[:16]


def _worst(alerts: Sequence[WebhookAlert]) -> str:
    ranks = [SEVERITIES.index(s) for a in alerts if (s := a.labels.get("severity", "")) in SEVERITIES]
    return SEVERITIES[max(ranks)] if ranks else "warning"


def ticket_content(key: str, alerts: Sequence[WebhookAlert]) -> TicketContent:
    """``alerts``: those of one incident (non-empty), as in one webhook notification."""
    firing = [a for a in alerts if a.firing]
    lead = (firing or list(alerts))[0]
    a = lead.annotations
    assets = sorted({x.labels.get("asset", "") for x in alerts} - {""})
    head = a.get("incident_title") or a.get("summary") or lead.labels.get("alertname", key)
    summary = f"[{lead.labels.get('tenant', '')}] {head}" if lead.labels.get("tenant") else head
    lines = [a.get("summary", head), ""]
    for label, name in (("Recommendation", "recommendation"), ("Next step", "next_step"), ("Evidence", "evidence")):
        if a.get(name):
            lines += [f"{label}:", a[name], ""]
    numbers = [f"{n} {a[n]}" for n in ("probability", "confidence", "score") if a.get(n)]
    if numbers:
        lines += [", ".join(numbers), ""]
    lines.append(f"Incident: {a.get('incident', key)}")
    if assets:
        lines.append("Assets: " + ", ".join(assets))
    for label, name in (("Runbook", "runbook_url"), ("Dashboard", "dashboard_url")):
        if a.get(name):
            lines.append(f"{label}: {a[name]}")
    lines += ["", "Alerts:"]
    for x in sorted(alerts, key=lambda x: (not x.firing, x.labels.get("alertname", ""))):
        lines.append(f"- [{x.status}] {x.labels.get('alertname', '')} on {x.labels.get('asset', '?')} "
                     f"({x.labels.get('severity', '')}): {x.annotations.get('summary', '')}")  # fmt: skip
    return TicketContent(
        key=key,
        tenant=lead.labels.get("tenant", ""),
        severity=_worst(firing or list(alerts)),
        summary=summary[:SUMMARY_LIMIT],
        description="\n".join(lines).strip(),
        firing=bool(firing),
    )
