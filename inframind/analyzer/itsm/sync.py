"""One ticket per incident and system, kept in step with Alertmanager's notifications.

Each webhook notification is split by incident (``incident`` annotation, else the ``finding`` label, else the
alert's fingerprint), and for each system:

- no ticket yet and something fires: create one (the TicketStore's (incident, system) row is the dedup key; the
  system is asked first for an open ticket carrying the incident's id, so a crash between creating a ticket
  and storing it does not open a second one);
- a ticket and something changed that a person reads: update it (comment / work note) — an unchanged resend
  (Alertmanager repeats notifications) adds nothing, because the last content digest is kept in the state;
- a ticket and nothing fires any more: resolve it; a resolved incident that fires again is updated and reopened
  in our records (``state`` back to ``open``).

A system that fails is reported and the others go on; Alertmanager retries the notification when the webhook
answers an error, and what already happened is not repeated (the digests are stored after each success).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from inframind.analyzer.itsm.content import TicketContent, ticket_content
from inframind.analyzer.itsm.http import ItsmError
from inframind.analyzer.relay_webhook import WebhookAlert, WebhookMessage
from inframind.analyzer.state import KV, Ticket, TicketStore
from inframind.secrets import SecretError

log = logging.getLogger(__name__)
DIGEST_PREFIX = "itsm/digest/"


class TicketSystem(Protocol):
    name: str

    def find(self, content: TicketContent) -> tuple[str, str] | None:
        """An open ticket this system already holds for the incident (key, URL): the one a crash between
        creating it and storing it left behind."""
        ...

    def create(self, content: TicketContent) -> tuple[str, str]:
        """The new ticket's key and URL."""
        ...

    def update(self, ticket: Ticket, content: TicketContent) -> None: ...

    def resolve(self, ticket: Ticket, content: TicketContent) -> None: ...


@dataclass
class SyncReport:
    created: list[str] = field(default_factory=list)
    recovered: list[str] = field(default_factory=list)
    """Tickets found in the system though missing from the state (adopted, not created again)."""
    updated: list[str] = field(default_factory=list)
    resolved: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)
    """``system:incident`` -> why."""


def by_incident(alerts: Sequence[WebhookAlert]) -> dict[str, list[WebhookAlert]]:
    groups: dict[str, list[WebhookAlert]] = {}
    for alert in alerts:
        groups.setdefault(alert.incident_key, []).append(alert)
    return groups


@dataclass
class TicketSync:
    systems: Sequence[TicketSystem]
    tickets: TicketStore
    kv: KV
    clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC)

    def handle(self, message: WebhookMessage, allowed: Callable[[str], bool] = lambda tenant: True) -> SyncReport:
        """``allowed``: whether the caller may act for a tenant (alerts of other tenants are skipped)."""
        report = SyncReport()
        for key, alerts in sorted(by_incident(message.alerts).items()):
            content = ticket_content(key, alerts)
            if not allowed(content.tenant):
                continue
            for system in self.systems:
                try:
                    self._one(system, content, report)
                except (ItsmError, SecretError) as exc:
                    report.failed[f"{system.name}:{key}"] = str(exc)
                    log.warning("ticket for %s in %s: %s", key, system.name, exc)
        return report

    def _one(self, system: TicketSystem, content: TicketContent, report: SyncReport) -> None:
        ticket = self.tickets.get(content.key, system.name)
        digest_key = f"{DIGEST_PREFIX}{system.name}/{content.key}"
        label = f"{system.name}:{content.key}"
        now = self.clock()
        if ticket is None:
            if not content.firing:
                return  # an incident that ended before anyone was told needs no ticket
            found = system.find(content)
            if found is None:
                key, url = system.create(content)
                self.tickets.upsert(Ticket(content.key, system.name, key, url, "open", now))
                self.kv.put(digest_key, content.digest, now)
                report.created.append(label)
                return
            ticket = Ticket(content.key, system.name, found[0], found[1], "open", now)
            self.tickets.upsert(ticket)
            report.recovered.append(label)  # and updated below: its content may be stale
        if self.kv.get(digest_key) == content.digest and (ticket.state == "open") == content.firing:
            report.unchanged.append(label)
            return
        if content.firing:
            system.update(ticket, content)
            self.tickets.upsert(Ticket(ticket.incident_id, system.name, ticket.key, ticket.url, "open", now))
            report.updated.append(label)
        elif ticket.state != "resolved":
            system.resolve(ticket, content)
            self.tickets.upsert(Ticket(ticket.incident_id, system.name, ticket.key, ticket.url, "resolved", now))
            report.resolved.append(label)
        else:
            report.unchanged.append(label)
        self.kv.put(digest_key, content.digest, now)
