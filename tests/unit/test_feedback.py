"""Signed feedback links: tampered, foreign, expired tokens are refused; following a link records feedback
once, acknowledges the incident, and a false positive raises that detector's threshold for that asset and
signal only (a stronger or more severe finding still gets through, and the mark is forgotten in time)."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest

from inframind.analyzer.feedback import FeedbackClaim, FeedbackTokenError, feedback_links, sign, silence_labels, verify
from inframind.analyzer.feedback_actions import FeedbackHandler, FeedbackUnavailable
from inframind.analyzer.feedback_marks import KeyValueMarks
from inframind.analyzer.feedback_policy import (
    FeedbackAdjustments,
    SuppressionPolicy,
    mark_for,
    required_strength,
    would_deliver,
)
from inframind.analyzer.findings import Finding
from inframind.analyzer.incidents import Incident, Timeline
from inframind.analyzer.state import StateDB
from tests.helpers.incidents import IOWAIT_QUERY, at, metric_finding

KEY = b"0123456789abcdef0123456789abcdef"
NOW = at(60)


def _finding(score: float = 0.6, asset: str = "srv-db-03", signal: str = "cpu_iowait", severity: str = "warning",
             ) -> Finding:  # fmt: skip
    base = metric_finding(asset, signal, IOWAIT_QUERY, 29.0, 8.0, at(0), at(30), unit="%")
    return dataclasses.replace(base, score=score, severity=severity, fingerprint="")  # type: ignore[arg-type]


def _claim(action: str = "ack", **kw: object) -> FeedbackClaim:
    fields: dict[str, object] = {"action": action, "tenant": "acme", "expires": NOW + dt.timedelta(hours=1),
                                 "fingerprint": _finding().fingerprint, "incident": "inc-1"}  # fmt: skip
    fields.update(kw)
    return FeedbackClaim(**fields)  # type: ignore[arg-type]


def test_token_roundtrip_and_refusals() -> None:
    token = sign(_claim("silence", hours=4, labels={"asset": "srv-db-03"}), KEY)
    claim = verify(token, KEY, NOW)
    assert (claim.action, claim.hours, claim.labels) == ("silence", 4, {"asset": "srv-db-03"})
    payload, _, mac = token.partition(".")
    tampered = payload[:-2] + ("A" if payload[-2] != "A" else "B") + payload[-1] + "." + mac
    cases = {
        "bad_signature": [(tampered, KEY), (token, b"another-key-another-key-another!!")],
        "malformed": [("nodot", KEY), ("a.b.c!", KEY), ("", KEY)],
    }
    for reason, items in cases.items():
        for text, key in items:
            with pytest.raises(FeedbackTokenError) as err:
                verify(text, key, NOW)
            assert err.value.reason == reason
    with pytest.raises(FeedbackTokenError) as expired:
        verify(token, KEY, NOW + dt.timedelta(hours=2))
    assert expired.value.reason == "expired"


def test_links_for_a_classic_alert_carry_no_false_positive() -> None:
    classic = {"alertname": "HostExporterDown", "asset": "srv-1", "tenant": "acme", "instance": "srv-1:9100"}
    links = feedback_links(classic, {}, KEY, public_url="https://im.example", now=NOW, ttl=3600, silence_hours=(2,))
    assert [x.title for x in links] == ["Acknowledge", "Silence 2h"]
    assert all(x.url.startswith("https://im.example/api/v1/feedback/link/") for x in links)
    assert silence_labels(classic) == classic  # a classic alert is silenced on all its labels
    ours = {**classic, "finding": "f1", "severity": "warning", "rack": "R1"}
    assert silence_labels(ours) == {
        "alertname": "HostExporterDown",
        "tenant": "acme",
        "asset": "srv-1",
        "finding": "f1",
    }


def test_false_positive_raises_the_threshold_for_that_asset_and_signal_only() -> None:
    marked = _finding(0.6)
    marks = [mark_for(marked, NOW)]
    policy = SuppressionPolicy(margin=0.1, memory=86400)
    assert required_strength(marked, marks, NOW, policy) == pytest.approx(0.7)
    assert not would_deliver(_finding(0.65), marks, NOW, policy)
    assert would_deliver(_finding(0.72), marks, NOW, policy)  # clearly stronger
    assert would_deliver(_finding(0.6, severity="critical"), marks, NOW, policy)  # escalation
    assert would_deliver(_finding(0.6, asset="srv-web-01"), marks, NOW, policy)  # another asset
    assert would_deliver(_finding(0.6, signal="cpu_user"), marks, NOW, policy)  # another signal
    assert would_deliver(_finding(0.65), marks, NOW + dt.timedelta(days=2), policy)  # forgotten
    two = [*marks, mark_for(_finding(0.62), NOW)]
    assert not would_deliver(_finding(0.75), two, NOW, policy)  # each mark raises it further
    adjustments = FeedbackAdjustments(lambda now: marks, policy)
    assert adjustments.filter([_finding(0.65), _finding(0.9)], NOW) == [_finding(0.9)]


@pytest.fixture
def state(tmp_path: Path) -> Iterator[StateDB]:
    db = StateDB(tmp_path / "state.db")
    yield db
    db.close()


def _handler(state: StateDB, now: dt.datetime = NOW) -> FeedbackHandler:
    return FeedbackHandler(lambda: KEY, state.feedback, KeyValueMarks(state), state.findings, state.incidents,
                           clock=lambda: now)  # fmt: skip


def test_following_links_records_once_acknowledges_and_marks(state: StateDB) -> None:
    from tests.helpers.incidents import active

    finding = _finding(0.6)
    state.findings.upsert(active(finding))
    state.incidents.upsert(Incident("inc-1", "acme", "iowait", "warning", "open", (finding.fingerprint,),
                                    ("srv-db-03",), Timeline(at(0), at(30))))  # fmt: skip
    handler = _handler(state)
    ack = handler.apply(sign(_claim("ack"), KEY))
    assert not ack.repeated and ack.record.action == "ack"
    incident = state.incidents.get("inc-1")
    assert incident is not None and incident.timeline.acknowledged_at == NOW

    token = sign(_claim("false_positive"), KEY)
    outcome = handler.apply(token, note="maintenance window")
    assert outcome.marked and outcome.record.note == "maintenance window"
    assert handler.apply(token).repeated  # the same link twice is one feedback
    stored = state.feedback.list(tenant="acme", fingerprint=finding.fingerprint)
    assert sorted(r.action for r in stored) == ["ack", "false_positive"]
    marks = KeyValueMarks(state).since(NOW - dt.timedelta(days=1))
    assert [(m.asset_id, m.signal, m.strength) for m in marks] == [("srv-db-03", "cpu_iowait", 0.6)]


def test_a_silence_nobody_took_records_nothing(state: StateDB) -> None:
    token = sign(_claim("silence", hours=4, labels={"finding": "f"}), KEY)
    with pytest.raises(FeedbackUnavailable):
        _handler(state).apply(token)
    assert list(state.feedback.list()) == []
    with pytest.raises(FeedbackTokenError):
        _handler(state, NOW + dt.timedelta(hours=5)).apply(token)
