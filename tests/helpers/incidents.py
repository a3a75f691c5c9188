"""A dict-backed :class:`~inframind.analyzer.incidents.IncidentStore`: a test double of the storage protocol (not of a
server), for tests of code that only needs *an* incident store (the SQL stores have their own contract suite);
and builders of the scenario the RCA tests share: an inventory with a rack, a CRAC, a LUN on a shelf and a
switch, and findings shaped like the detectors' (an iowait anomaly, a LUN write burst, BMC thermal warnings)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
from collections.abc import Sequence
from typing import Any

from inframind.analyzer.findings import Finding, LogEvidence, MetricEvidence, Severity, Window
from inframind.analyzer.incidents import Incident, IncidentState
from inframind.analyzer.state import FindingRecord
from inframind.inventory import Inventory, inventory_from_data


class DictIncidentStore:
    def __init__(self, incidents: Sequence[Incident] = ()) -> None:
        self.incidents: dict[str, Incident] = {}
        self.upserts = 0
        for incident in incidents:
            self.upsert(incident)

    def upsert(self, incident: Incident) -> None:
        self.incidents[incident.id] = incident
        self.upserts += 1

    def get(self, incident_id: str, tenant: str | None = None) -> Incident | None:
        found = self.incidents.get(incident_id)
        return None if found is None or (tenant is not None and found.tenant != tenant) else found

    def by_finding(self, fingerprint: str) -> Incident | None:
        owners = [i for i in self.incidents.values() if fingerprint in i.findings]
        return max(owners, key=lambda i: (i.state == "open", i.timeline.detected_at), default=None)

    def list(
        self, tenant: str | None = None, state: IncidentState | None = None, limit: int = 100, offset: int = 0
    ) -> Sequence[Incident]:
        chosen = [
            i
            for i in self.incidents.values()
            if (tenant is None or i.tenant == tenant) and (state is None or i.state == state)
        ]
        chosen.sort(key=lambda i: (i.timeline.detected_at, i.id), reverse=True)
        return chosen[offset : offset + limit]


# ---------------------------------------------------------------- scenario builders

Points = tuple[tuple[float, float], ...]
Stamp = dt.datetime | None
T0 = dt.datetime(2026, 11, 26, 6, 0, tzinfo=dt.UTC)
IOWAIT_QUERY = 'avg by (instance) (rate(node_cpu_seconds_total{mode="iowait",instance="srv-db-03"}[5m])) * 100'
LUN_QUERY = 'sum by (lun) (rate(inframind_lun_write_bytes_total{lun="lun-12"}[5m]))'
THERMAL = "Temperature sensor <*> exceeded the upper critical threshold"

INVENTORY: dict[str, Any] = {
    "defaults": {"tenant": "acme", "site": "msk-1"},
    "assets": [
        {"id": "crac-3", "kind": "cooling"},
        {"id": "pdu-a1", "kind": "pdu"},
        {"id": "R3", "kind": "rack", "depends": {"cooled-by": ["crac-3"], "powered-by": ["pdu-a1"]}},
        {"id": "R3-01", "kind": "host", "rack": "R3", "depends": {"in-rack": "R3"}},
        {"id": "R3-02", "kind": "host", "rack": "R3", "depends": {"in-rack": "R3"}},
        {"id": "shelf-a2", "kind": "shelf"},
        {"id": "lun-12", "kind": "lun", "depends": {"runs-on": "shelf-a2"}},
        {"id": "srv-db-03", "kind": "host", "depends": {"uses-lun": ["lun-12"]}},
        {"id": "srv-web-01", "kind": "host"},
        {"id": "sw-1", "kind": "switch"},
        {"id": "srv-app-01", "kind": "host", "depends": {"connected-to": ["sw-1"]}},
        {"id": "srv-app-02", "kind": "host", "depends": {"connected-to": ["sw-1"]}},
        {"id": "gx-1", "kind": "host", "tenant": "globex"},
    ],
}


def inventory() -> Inventory:
    return inventory_from_data(INVENTORY)


def at(minutes: float) -> dt.datetime:
    return T0 + dt.timedelta(minutes=minutes)


def rising(
    start: dt.datetime, end: dt.datetime, first: float, last: float, n: int = 7
) -> tuple[tuple[float, float], ...]:
    t0, t1 = start.timestamp(), end.timestamp()
    return tuple((t0 + (t1 - t0) * i / (n - 1), first + (last - first) * i / (n - 1)) for i in range(n))


def metric_finding(
    asset: str,
    signal: str,
    query: str,
    observed: float,
    expected: float,
    start: dt.datetime,
    end: dt.datetime,
    *,
    unit: str = "",
    tenant: str = "acme",
    severity: Severity = "warning",
) -> Finding:
    evidence = MetricEvidence(
        query, Window(start, end), observed, expected, expected * 0.8, expected * 1.3, unit,
        {"instance": asset}, rising(start, end, expected, observed),
    )  # fmt: skip
    title = f"{signal} anomaly on {asset}: {observed:g}{unit}, expected {expected:g}"
    return Finding("metric.anomaly", asset, tenant, severity, title, Window(start, end), (evidence,), query,
                   score=0.9, labels={"signal": signal, "model": "ensemble"})  # fmt: skip


def log_finding(
    asset: str,
    template: str,
    count: int,
    start: dt.datetime,
    end: dt.datetime,
    *,
    kind: str = "log.rule",
    alert: str = "BmcThermalWarnings",
    tenant: str = "acme",
    severity: Severity = "warning",
) -> Finding:
    template_id = "tpl-" + hashlib.sha256(template.encode()).hexdigest()[:8]
    evidence = LogEvidence(template, template_id, count, Window(start, end), start, end,
                           source="sel", samples=(template.replace("<*>", "Inlet Temp"),), assets=(asset,))  # fmt: skip
    title = f"{alert}: {count} matching events on {asset}"
    return Finding(kind, asset, tenant, severity, title, Window(start, end), (evidence,), f"{alert}|asset_id={asset}",
                   labels={"alertname": alert})  # fmt: skip


def active(
    finding: Finding, first_seen: dt.datetime | None = None, last_seen: dt.datetime | None = None
) -> FindingRecord:
    first = first_seen or finding.window.end
    return FindingRecord(finding, "active", first, last_seen or first)


def resolved(record: FindingRecord, when: dt.datetime) -> FindingRecord:
    return dataclasses.replace(record, state="resolved", resolved_at=when)
