"""The delivery task: active findings -> alerts on every Alertmanager peer, resent while they hold, resolved
when they end, retried with backoff while a peer is down.

Run it as ``task(now)`` on the leader only (one replica talks to Alertmanager; its ledger is in the shared
state, so a new leader carries on where the old one stopped). Each call:

1. takes the active findings, drops those feedback holds back (:func:`would_deliver`), and builds each one's
   alert (stable labels, annotations with the incident and the recommendation) plus one alert per rack-wide
   power/thermal incident (the source of the rack inhibition rule);
2. reconciles that with the ledger (:mod:`.delivery_plan`): new, updated, ended, retired alerts;
3. sends every peer whose backoff has passed what it has not heard yet (or not for a resend interval);
4. stores the ledger and sets ``notified_at`` on incidents whose alert a peer accepted for the first time.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from prometheus_client import CollectorRegistry, Counter, Gauge

from inframind.analyzer.delivery_alerts import (
    alert_annotations,
    alert_labels,
    category,
    placement,
    rack_incident_labels,
)
from inframind.analyzer.delivery_ledger import AlertRecord, DeliveryLedger
from inframind.analyzer.delivery_plan import Wanted, accepted, alert_for, due, reconcile, settled
from inframind.analyzer.feedback_policy import FalsePositiveMark, SuppressionPolicy, would_deliver
from inframind.analyzer.findings import Finding
from inframind.analyzer.incidents import Incident, IncidentStore
from inframind.analyzer.recommendation import Language, Recommendation
from inframind.analyzer.sinks.alertmanager import AlertmanagerError, AlertmanagerPeer
from inframind.analyzer.state import FindingsStore
from inframind.config.delivery import AlertmanagerSinkSettings
from inframind.inventory import Inventory

log = logging.getLogger(__name__)
Recommender = Callable[[Finding, Incident | None, Language], Recommendation | None]
MarkSource = Callable[[dt.datetime], Sequence[FalsePositiveMark]]


@dataclass
class DeliveryReport:
    wanted: int = 0
    suppressed: int = 0
    """Active findings feedback kept from people this cycle."""
    sent: dict[str, int] = field(default_factory=dict)
    """Peer -> alerts it accepted."""
    failed: dict[str, str] = field(default_factory=dict)
    """Peer -> why it did not take them."""
    waiting: list[str] = field(default_factory=list)
    """Peers skipped while their backoff lasts."""
    notified: list[str] = field(default_factory=list)
    """Incidents whose ``notified_at`` this cycle set."""


class _Metrics:
    def __init__(self, registry: CollectorRegistry | None) -> None:
        self.sent = Counter("inframind_analyzer_delivery_alerts", "Alerts Alertmanager peers accepted, by peer.",
                            ["peer"], registry=registry)  # fmt: skip
        self.failures = Counter("inframind_analyzer_delivery_failures", "Failed posts to Alertmanager peers.",
                                ["peer"], registry=registry)  # fmt: skip
        self.suppressed = Gauge("inframind_analyzer_delivery_suppressed_findings",
                                "Active findings held back by false-positive feedback.", registry=registry)  # fmt: skip
        self.pending = Gauge("inframind_analyzer_delivery_pending_alerts",
                             "Alerts some peer has not accepted yet.", registry=registry)  # fmt: skip


class DeliveryTask:
    def __init__(
        self,
        settings: AlertmanagerSinkSettings,
        peers: Sequence[AlertmanagerPeer],
        ledger: DeliveryLedger,
        findings: FindingsStore,
        *,
        incidents: IncidentStore | None = None,
        inventory: Inventory | None = None,
        recommend: Recommender | None = None,
        marks: MarkSource | None = None,
        policy: SuppressionPolicy | None = None,
        registry: CollectorRegistry | None = None,
    ) -> None:
        self.settings, self.peers, self.ledger, self.findings = settings, list(peers), ledger, findings
        self.incidents, self.inventory, self.recommend, self.marks = incidents, inventory, recommend, marks
        self.policy = policy or SuppressionPolicy()
        self.metrics = _Metrics(registry)
        self._backoff: dict[str, tuple[int, dt.datetime]] = {}
        self._annotations: dict[str, tuple[str, dict[str, str]]] = {}

    @property
    def hold(self) -> float:
        return self.settings.resend_factor * self.settings.resend_interval

    # ------------------------------------------------------------ what to say

    def _recommendation(self, finding: Finding, incident: Incident | None) -> Recommendation | None:
        if self.recommend is None:
            return None
        try:
            return self.recommend(finding, incident, self.settings.language)
        except Exception:
            log.exception("no recommendation for finding %s (%s); delivering without", finding.fingerprint,
                          finding.kind)  # fmt: skip
            return None

    def _annotations_of(self, finding: Finding, incident: Incident | None) -> dict[str, str]:
        """Recommendations are rendered again only when the finding or its incident changed."""
        key = json.dumps([finding.to_dict(), incident.id if incident else "", incident.title if incident else ""],
                         sort_keys=True, default=str)  # fmt: skip
        cached = self._annotations.get(finding.fingerprint)
        if cached is not None and cached[0] == key:
            return cached[1]
        annotations = alert_annotations(finding, incident, self._recommendation(finding, incident))
        self._annotations[finding.fingerprint] = (key, annotations)
        return annotations

    def _wanted(self, now: dt.datetime, report: DeliveryReport) -> tuple[list[Wanted], dict[str, Incident]]:
        marks = self.marks(now) if self.marks is not None else ()
        wanted: list[Wanted] = []
        incidents: dict[str, Incident] = {}
        by_key: dict[str, Incident] = {}
        for record in self.findings.list(state="active", limit=1_000_000):
            finding = record.finding
            if marks and not would_deliver(finding, marks, now, self.policy):
                report.suppressed += 1
                continue
            incident = self.incidents.by_finding(finding.fingerprint) if self.incidents is not None else None
            if incident is not None:
                incidents[incident.id] = incident
                by_key[finding.fingerprint] = incident
            labels = alert_labels(finding, placement(finding.asset_id, self.inventory))
            annotations = self._annotations_of(finding, incident)
            wanted.append(Wanted(finding.fingerprint, labels, annotations, record.first_seen))
        for incident in incidents.values():
            if incident.state == "open" and (rack := self._rack_alert(incident)) is not None:
                wanted.append(rack)
                by_key[incident.id] = incident
        live = {w.key for w in wanted}
        self._annotations = {k: v for k, v in self._annotations.items() if k in live}
        return wanted, by_key

    def _rack_alert(self, incident: Incident) -> Wanted | None:
        cause = self.findings.get(incident.causes[0].fingerprint) if incident.causes else None
        labels = rack_incident_labels(incident, self.inventory, category(cause.finding) if cause else "")
        if labels is None:
            return None
        affected = f"{len(incident.assets)} assets affected: {', '.join(incident.assets[:20])}"
        annotations = {"summary": incident.title, "incident": incident.id, "description": affected}
        return Wanted(incident.id, labels, annotations, incident.timeline.first_signal_at)

    # ------------------------------------------------------------ saying it

    def _send(self, peer: AlertmanagerPeer, records: dict[str, AlertRecord], now: dt.datetime,
              report: DeliveryReport) -> set[str]:  # fmt: skip
        """Keys the peer accepted (all due ones, or none)."""
        failures, next_at = self._backoff.get(peer.url, (0, now))
        if now < next_at:
            report.waiting.append(peer.url)
            return set()
        batch = [r for r in records.values() if due(r, peer.url, now, self.settings.resend_interval)]
        if not batch:
            return set()
        try:
            peer.post_alerts([alert_for(r, now, self.hold) for r in batch])
        except AlertmanagerError as exc:
            delay = min(self.settings.max_backoff, 2.0**failures)
            self._backoff[peer.url] = (failures + 1, now + dt.timedelta(seconds=delay))
            report.failed[peer.url] = str(exc)
            self.metrics.failures.labels(peer.url).inc()
            log.warning("%s; %d alerts wait, next attempt in %.0fs", exc, len(batch), delay)
            return set()
        self._backoff.pop(peer.url, None)
        report.sent[peer.url] = len(batch)
        self.metrics.sent.labels(peer.url).inc(len(batch))
        return {r.key for r in batch}

    def __call__(self, now: dt.datetime) -> DeliveryReport:
        report = DeliveryReport()
        wanted, incidents = self._wanted(now, report)
        report.wanted = len(wanted)
        records = self.ledger.load()
        plan = reconcile(records, wanted, now, expire_after=self.hold + self.settings.resend_interval)
        current = {k: r for k, r in {**records, **plan.changed}.items() if k not in plan.deleted}
        changed = dict(plan.changed)
        first_time = {k for k, r in current.items() if r.active and not r.sent}
        for peer in self.peers:
            for key in self._send(peer, current, now, report):
                current[key] = changed[key] = accepted(current[key], peer.url, now)
        done = [k for k, r in current.items() if settled(r)]
        self.ledger.save([r for k, r in changed.items() if k not in done], now)
        self.ledger.delete([*plan.deleted, *(k for k in done if k in records)])
        self.metrics.suppressed.set(report.suppressed)
        self.metrics.pending.set(sum(1 for k, r in current.items() if k not in done and not _everywhere(r, self.peers)))
        self._notify(first_time, current, incidents, now, report)
        return report

    def _notify(self, keys: set[str], current: dict[str, AlertRecord], incidents: dict[str, Incident],
                now: dt.datetime, report: DeliveryReport) -> None:  # fmt: skip
        if self.incidents is None:
            return
        for key in sorted(keys):
            incident = incidents.get(key)
            if incident is None or not current[key].sent or incident.id in report.notified:
                continue
            fresh = self.incidents.get(incident.id) or incident
            if fresh.timeline.notified_at is None:
                self.incidents.upsert(fresh.with_timeline(notified_at=now))
                report.notified.append(incident.id)


def _everywhere(record: AlertRecord, peers: Sequence[AlertmanagerPeer]) -> bool:
    return all((s := record.sent.get(p.url)) is not None and s.digest == record.digest for p in peers)
