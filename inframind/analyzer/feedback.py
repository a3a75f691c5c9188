"""Signed feedback links: acknowledge, false positive, silence for N hours.

A link is ``{public_url}/api/v1/feedback/link/{token}``; the token carries what to do and to which alert, with an
expiry, signed with HMAC-SHA256 under a key only the analyzer holds. The route that takes it is public: the
signature *is* the authorization (whoever received the message may act on that alert, for that action,
until the link expires), so a token that was altered, signed with another key, or has expired is refused.

Token: ``base64url(json claim) "." base64url(hmac)``, no padding. The claim uses short keys to keep links
short in chat messages. Pure functions only (the clock is a parameter).
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import hmac
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, cast

Action = Literal["ack", "false_positive", "silence"]
ACTIONS: tuple[Action, ...] = ("ack", "false_positive", "silence")
VERSION = 1
MAX_TOKEN = 4096
MAX_HOURS = 24 * 14
MIN_KEY_BYTES = 16
SILENCE_LABELS = ("alertname", "tenant", "asset", "finding")
"""The stable labels a silence matches on (an analyzer alert's ``finding`` alone pins it; the rest keep a
silence readable in the Alertmanager UI)."""
LABEL_LIMIT = 12
LINK_PATH = "/api/v1/feedback/link/"
"""Where a link points under the analyzer's public URL (served by :mod:`inframind.analyzer.delivery_api`)."""


class FeedbackTokenError(Exception):
    """A token that cannot be honoured; ``reason`` is malformed, bad_signature, expired or unsupported."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


@dataclass(frozen=True)
class FeedbackClaim:
    action: Action
    tenant: str
    expires: dt.datetime
    fingerprint: str = ""
    """The finding's fingerprint (empty for an alert of a classic rule)."""
    incident: str = ""
    labels: Mapping[str, str] = field(default_factory=dict)
    """What a silence matches on."""
    hours: int = 0
    """Silence length (only for ``silence``)."""


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _mac(key: bytes, payload: str) -> bytes:
    return hmac.new(key, payload.encode("ascii"), hashlib.sha256).digest()


def sign(claim: FeedbackClaim, key: bytes) -> str:
    body: dict[str, Any] = {"v": VERSION, "a": claim.action, "t": claim.tenant, "e": int(claim.expires.timestamp())}
    if claim.fingerprint:
        body["f"] = claim.fingerprint
    if claim.incident:
        body["i"] = claim.incident
    if claim.labels:
        body["l"] = dict(sorted(claim.labels.items()))
    if claim.action == "silence":
        body["h"] = claim.hours
    payload = _b64(json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode("utf-8"))
    return f"{payload}.{_b64(_mac(key, payload))}"


def _claim(body: Any) -> FeedbackClaim:
    if not isinstance(body, dict) or body.get("v") != VERSION:
        raise FeedbackTokenError("unsupported", "unknown feedback token version")
    action, hours, labels = body.get("a"), body.get("h", 0), body.get("l") or {}
    if action not in ACTIONS:
        raise FeedbackTokenError("unsupported", "unknown feedback action")
    if action == "silence" and not (isinstance(hours, int) and 1 <= hours <= MAX_HOURS):
        raise FeedbackTokenError("unsupported", f"a silence lasts 1 to {MAX_HOURS} hours")
    if not isinstance(labels, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in labels.items()):
        raise FeedbackTokenError("malformed", "labels of a feedback token must be strings")
    expires = body.get("e")
    if not isinstance(expires, int) or not isinstance(body.get("t"), str):
        raise FeedbackTokenError("malformed", "a feedback token needs a tenant and an expiry")
    return FeedbackClaim(
        action=cast(Action, action),
        tenant=body["t"],
        expires=dt.datetime.fromtimestamp(expires, dt.UTC),
        fingerprint=str(body.get("f", "")),
        incident=str(body.get("i", "")),
        labels=labels,
        hours=hours if action == "silence" else 0,
    )


def verify(token: str, key: bytes, now: dt.datetime) -> FeedbackClaim:
    """The claim of an intact, unexpired token; raises :class:`FeedbackTokenError` otherwise. The signature is
    checked (in constant time) before the claim is even parsed."""
    payload, dot, mac = token.partition(".")
    if not dot or not payload or not mac or len(token) > MAX_TOKEN:
        raise FeedbackTokenError("malformed", "not a feedback token")
    try:
        presented = _unb64(mac)
    except (binascii.Error, ValueError):
        raise FeedbackTokenError("malformed", "not a feedback token") from None
    try:
        expected = _mac(key, payload)
    except UnicodeEncodeError:
        raise FeedbackTokenError("malformed", "not a feedback token") from None
    if not hmac.compare_digest(presented, expected):
        raise FeedbackTokenError("bad_signature", "the feedback link was altered or signed with another key")
    try:
        body = json.loads(_unb64(payload))
    except (binascii.Error, ValueError):
        raise FeedbackTokenError("malformed", "not a feedback token") from None
    claim = _claim(body)
    if claim.expires <= now:
        raise FeedbackTokenError("expired", f"the feedback link expired at {claim.expires:%Y-%m-%d %H:%M} UTC")
    return claim


def token_id(token: str) -> str:
    """A short stable id of a token (its MAC's hash): the same link used twice is one feedback."""
    return hashlib.sha256(token.rpartition(".")[2].encode("ascii", "replace")).hexdigest()[:24]


def silence_labels(labels: Mapping[str, str]) -> dict[str, str]:
    """What a silence of this alert matches on: the stable labels of an analyzer alert, else (a classic rule's
    alert) all its labels, bounded."""
    if labels.get("finding"):
        return {k: labels[k] for k in SILENCE_LABELS if labels.get(k)}
    return dict(sorted(labels.items())[:LABEL_LIMIT])


LINK_TITLES: Mapping[str, Mapping[str, str]] = {
    "en": {"ack": "Acknowledge", "false_positive": "False positive", "silence": "Silence {hours}h"},
    "ru": {"ack": "Принято", "false_positive": "Ложное срабатывание", "silence": "Тишина {hours} ч"},
}


@dataclass(frozen=True)
class Link:
    title: str
    url: str


def feedback_links(
    labels: Mapping[str, str],
    annotations: Mapping[str, str],
    key: bytes,
    *,
    public_url: str,
    now: dt.datetime,
    ttl: float,
    silence_hours: Sequence[int] = (4, 24),
    language: str = "en",
) -> list[Link]:
    """The links a message about this alert carries: acknowledge, false positive (analyzer alerts only: a
    classic rule has no detector threshold to raise) and one silence per entry of ``silence_hours``."""
    expires = now + dt.timedelta(seconds=ttl)
    base = public_url.rstrip("/") + LINK_PATH
    fingerprint = labels.get("finding", "")
    matchers = silence_labels(labels)

    def link(title: str, action: Action, hours: int = 0) -> Link:
        claim = FeedbackClaim(action, labels.get("tenant", ""), expires, fingerprint,
                              annotations.get("incident", ""), matchers, hours)  # fmt: skip
        return Link(title, base + sign(claim, key))

    titles = LINK_TITLES.get(language, LINK_TITLES["en"])
    links = [link(titles["ack"], "ack")]
    if fingerprint:
        links.append(link(titles["false_positive"], "false_positive"))
    return links + [link(titles["silence"].format(hours=h), "silence", h) for h in silence_hours]
