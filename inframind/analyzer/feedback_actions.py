"""What a feedback link does when someone follows it: record it, and act on it.

- ``ack``: the feedback is recorded and the incident's ``acknowledged_at`` set (time-to-acknowledge);
- ``false_positive``: also a mark (:mod:`.feedback_marks`) that raises that detector's threshold for that asset
  and signal (:mod:`.feedback_policy`), and the incident counts as acknowledged;
- ``silence``: a silence on every Alertmanager peer, matching the alert's stable labels, for N hours.

The same link used twice is one feedback (its id is the token's), so a double click or a mail scanner that
follows the confirmation twice changes nothing. A silence no peer accepted records nothing, so the link can be
used again when Alertmanager is back.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from inframind.analyzer.delivery_ledger import digest
from inframind.analyzer.feedback import FeedbackClaim, token_id, verify
from inframind.analyzer.feedback_marks import MarkStore
from inframind.analyzer.feedback_policy import mark_for
from inframind.analyzer.incidents import IncidentStore
from inframind.analyzer.sinks.alertmanager import AlertmanagerPeer, create_silences, silence_json
from inframind.analyzer.state import FeedbackRecord, FeedbackStore, FindingsStore

log = logging.getLogger(__name__)
ACTOR = "feedback-link"


class FeedbackUnavailable(Exception):
    """The action could not be carried out now (no Alertmanager peer took the silence); try the link again."""


@dataclass(frozen=True)
class FeedbackOutcome:
    record: FeedbackRecord
    repeated: bool = False
    """The link had been used before; nothing new happened."""
    silences: dict[str, str] = field(default_factory=dict)
    """Peer URL -> silence id."""
    marked: bool = False
    """A false-positive mark now raises the threshold."""


@dataclass
class FeedbackHandler:
    key: Callable[[], bytes]
    """The HMAC key, resolved at use (a rotated secret file takes effect without a restart)."""
    feedback: FeedbackStore
    marks: MarkStore | None = None
    findings: FindingsStore | None = None
    incidents: IncidentStore | None = None
    peers: Sequence[AlertmanagerPeer] = ()
    clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC)

    def check(self, token: str) -> FeedbackClaim:
        """The claim of a valid link (no side effect: what the confirmation page shows)."""
        return verify(token, self.key(), self.clock())

    def apply(self, token: str, note: str = "") -> FeedbackOutcome:
        """Carry out the link's action once; raises FeedbackTokenError or FeedbackUnavailable."""
        now = self.clock()
        claim = verify(token, self.key(), now)
        feedback_id = token_id(token)
        known = self.feedback.get(feedback_id)
        if known is not None:
            return FeedbackOutcome(known, repeated=True)
        silences = self._silence(claim, now) if claim.action == "silence" else {}
        record = FeedbackRecord(
            id=feedback_id,
            action=claim.action,
            actor=ACTOR,
            tenant=claim.tenant,
            at=now,
            fingerprint=claim.fingerprint or f"alert-{digest(claim.labels, {}, True)}",
            incident_id=claim.incident or None,
            note=note[:500] or ", ".join(f"silence {v} on {k}" for k, v in silences.items()),
            until=now + dt.timedelta(hours=claim.hours) if claim.action == "silence" else None,
        )
        self.feedback.add(record)
        marked = self._mark(claim, feedback_id, now) if claim.action == "false_positive" else False
        if claim.action in ("ack", "false_positive"):
            self._acknowledge(claim, now)
        return FeedbackOutcome(record, silences=silences, marked=marked)

    def _silence(self, claim: FeedbackClaim, now: dt.datetime) -> dict[str, str]:
        if not self.peers or not claim.labels:
            raise FeedbackUnavailable("no Alertmanager is configured to hold the silence")
        what = claim.incident or claim.fingerprint or "alert"
        body = silence_json(claim.labels, now, now + dt.timedelta(hours=claim.hours), "inframind feedback link",
                            f"Silenced for {claim.hours}h from a notification ({what})")  # fmt: skip
        ids, errors = create_silences(self.peers, body)
        for error in errors:
            log.warning("silence not created: %s", error)
        if not ids:
            raise FeedbackUnavailable("no Alertmanager took the silence: " + "; ".join(errors))
        return ids

    def _mark(self, claim: FeedbackClaim, feedback_id: str, now: dt.datetime) -> bool:
        if self.marks is None or self.findings is None or not claim.fingerprint:
            return False
        record = self.findings.get(claim.fingerprint, claim.tenant)
        if record is None:
            log.warning("false positive on unknown finding %s: recorded, no threshold raised", claim.fingerprint)
            return False
        self.marks.add(feedback_id, mark_for(record.finding, now))
        return True

    def _acknowledge(self, claim: FeedbackClaim, now: dt.datetime) -> None:
        if self.incidents is None:
            return
        incident = self.incidents.get(claim.incident, claim.tenant) if claim.incident else None
        if incident is None and claim.fingerprint:
            incident = self.incidents.by_finding(claim.fingerprint)
        if incident is not None and incident.timeline.acknowledged_at is None:
            self.incidents.upsert(incident.with_timeline(acknowledged_at=now))
