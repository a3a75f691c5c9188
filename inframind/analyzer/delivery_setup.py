"""Delivery assembled from its settings and the state store: the one entry point the service wires.

:func:`build_delivery` returns a :class:`Delivery` holding

- ``task``: the leader-only delivery task (findings -> Alertmanager peers, ``task(now) -> DeliveryReport``), or
  None without peers; the scheduler runs it as ``leader_task("delivery", interval, task, check=delivery_check)``;
- ``deps``: what :func:`~inframind.analyzer.delivery_api.delivery_router` serves (ITSM webhook, Telegram relay,
  feedback links), each part None when not configured;
- ``adjustments``: the false-positive thresholds, for loops that want to filter findings before storing them.

Secrets (Alertmanager password, bot token, HMAC key, ITSM credentials) stay references until used.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from prometheus_client import CollectorRegistry

from inframind.analyzer.delivery import DeliveryTask, Recommender
from inframind.analyzer.delivery_api import DeliveryDeps
from inframind.analyzer.delivery_ledger import KeyValueLedger
from inframind.analyzer.feedback import MIN_KEY_BYTES
from inframind.analyzer.feedback_actions import FeedbackHandler
from inframind.analyzer.feedback_marks import KeyValueMarks
from inframind.analyzer.feedback_policy import FalsePositiveMark, FeedbackAdjustments, SuppressionPolicy
from inframind.analyzer.itsm.jira import JiraTickets
from inframind.analyzer.itsm.servicenow import ServiceNowTickets
from inframind.analyzer.itsm.sync import TicketSync, TicketSystem
from inframind.analyzer.relay import TelegramRelay
from inframind.analyzer.sinks.alertmanager import AlertmanagerPeer
from inframind.analyzer.state import StateStore
from inframind.config.delivery import DeliverySettings
from inframind.inventory import Inventory
from inframind.secrets import SecretError, SecretRef


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass
class Delivery:
    task: DeliveryTask | None
    deps: DeliveryDeps
    adjustments: FeedbackAdjustments
    interval: float
    """Seconds between delivery runs (``analyzer.alertmanager.interval``)."""


def hmac_key(ref: SecretRef) -> Callable[[], bytes]:
    """The feedback key, read at each use (a rotated key file takes effect at once); refuses a short one."""

    def key() -> bytes:
        value = ref.resolve().encode("utf-8")
        if len(value) < MIN_KEY_BYTES:
            raise SecretError(f"secret {ref.reference}: the feedback key needs at least {MIN_KEY_BYTES} bytes")
        return value

    return key


def alertmanager_peers(settings: DeliverySettings) -> list[AlertmanagerPeer]:
    am = settings.alertmanager
    auth = (am.username, am.password.resolve()) if am.password is not None else None
    return [AlertmanagerPeer(url, am.timeout, auth) for url in am.urls]


def ticket_systems(settings: DeliverySettings) -> list[TicketSystem]:
    itsm = settings.itsm
    systems: list[TicketSystem] = []
    if itsm.jira is not None:
        systems.append(JiraTickets(itsm.jira, itsm.timeout, itsm.retries))
    if itsm.servicenow is not None:
        systems.append(ServiceNowTickets(itsm.servicenow, itsm.timeout, itsm.retries))
    return systems


def build_delivery(
    settings: DeliverySettings,
    state: StateStore,
    *,
    inventory: Inventory | None = None,
    recommend: Recommender | None = None,
    registry: CollectorRegistry | None = None,
    clock: Callable[[], dt.datetime] = _utcnow,
) -> Delivery:
    """Raises SecretError when the Alertmanager password cannot be read (the other secrets are read at use)."""
    fb = settings.feedback
    policy = SuppressionPolicy(fb.false_positive_margin, fb.false_positive_memory)
    marks = KeyValueMarks(state)

    def recent_marks(now: dt.datetime) -> list[FalsePositiveMark]:
        return marks.since(now - dt.timedelta(seconds=policy.memory))

    peers = alertmanager_peers(settings)
    task = None
    if peers:
        task = DeliveryTask(settings.alertmanager, peers, KeyValueLedger(state), state.findings,
                            incidents=state.incidents, inventory=inventory, recommend=recommend, marks=recent_marks,
                            policy=policy, registry=registry)  # fmt: skip
    feedback = None
    if fb.key is not None:
        feedback = FeedbackHandler(hmac_key(fb.key), state.feedback, marks, state.findings, state.incidents, peers,
                                   clock)  # fmt: skip
    systems = ticket_systems(settings)
    deps = DeliveryDeps(
        tickets=TicketSync(systems, state.tickets, state, clock) if systems else None,
        relay=TelegramRelay(settings.relay, fb, clock) if settings.relay.telegram_bot_token is not None else None,
        feedback=feedback,
    )
    return Delivery(task, deps, FeedbackAdjustments(recent_marks, policy), settings.alertmanager.interval)
