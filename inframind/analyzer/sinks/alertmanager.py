"""Alertmanager API v2: post alerts to every peer and create silences.

Alertmanager peers of an HA cluster each expect every alert (they deduplicate notifications between them),
so a client talks to each peer on its own and reports per peer; the delivery task keeps track of which peer
has what (:mod:`inframind.analyzer.delivery`). An alert is identified by its label set: ``endsAt`` in the
future keeps it active, ``endsAt`` now resolves it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import requests

ALERTS_PATH = "/api/v2/alerts"
SILENCES_PATH = "/api/v2/silences"
BATCH = 500
"""Alerts per POST: Alertmanager takes any number, but a body per batch keeps one failure small."""


class AlertmanagerError(Exception):
    """A peer did not take the request (unreachable, timed out or refused); the message names the peer."""


def iso(stamp: dt.datetime) -> str:
    """RFC 3339 with milliseconds, as Alertmanager writes its own timestamps."""
    return stamp.astimezone(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def alert_json(
    labels: Mapping[str, str],
    annotations: Mapping[str, str],
    starts_at: dt.datetime,
    ends_at: dt.datetime,
    generator_url: str = "",
) -> dict[str, Any]:
    """One ``postableAlert`` of the v2 API."""
    alert: dict[str, Any] = {
        "labels": dict(labels),
        "annotations": {k: v for k, v in annotations.items() if v},
        "startsAt": iso(starts_at),
        "endsAt": iso(ends_at),
    }
    if generator_url:
        alert["generatorURL"] = generator_url
    return alert


def silence_json(
    matchers: Mapping[str, str], starts_at: dt.datetime, ends_at: dt.datetime, created_by: str, comment: str
) -> dict[str, Any]:
    """A ``postableSilence`` with exact-match matchers on the given labels."""
    return {
        "matchers": [{"name": k, "value": v, "isRegex": False, "isEqual": True} for k, v in sorted(matchers.items())],
        "startsAt": iso(starts_at),
        "endsAt": iso(ends_at),
        "createdBy": created_by,
        "comment": comment,
    }


@dataclass(frozen=True)
class AlertmanagerPeer:
    """One Alertmanager; ``auth`` is (username, password) for one behind a proxy."""

    url: str
    timeout: float = 10.0
    auth: tuple[str, str] | None = None

    def _post(self, path: str, body: Any) -> requests.Response:
        target = self.url.rstrip("/") + path
        try:
            # A plain call per request (no shared Session): feedback handlers and the delivery task run on
            # different threads.
            answer = requests.post(target, json=body, timeout=self.timeout, auth=self.auth)
        except requests.RequestException as exc:
            raise AlertmanagerError(f"cannot reach Alertmanager at {self.url}: {type(exc).__name__}") from None
        if answer.status_code >= 300:
            text = answer.text.strip()[:300]
            raise AlertmanagerError(f"Alertmanager at {self.url} answered {answer.status_code}: {text}")
        return answer

    def post_alerts(self, alerts: Sequence[Mapping[str, Any]]) -> None:
        for start in range(0, len(alerts), BATCH):
            self._post(ALERTS_PATH, list(alerts[start : start + BATCH]))

    def create_silence(self, silence: Mapping[str, Any]) -> str:
        """The new silence's id."""
        answer = self._post(SILENCES_PATH, dict(silence))
        try:
            return str(answer.json()["silenceID"])
        except (ValueError, KeyError, TypeError):
            raise AlertmanagerError(f"Alertmanager at {self.url} answered without a silenceID") from None


def create_silences(peers: Sequence[AlertmanagerPeer], silence: Mapping[str, Any]) -> tuple[dict[str, str], list[str]]:
    """The silence on every peer (peers without clustering do not share silences): ids by peer URL, and the
    errors of the peers that refused."""
    ids: dict[str, str] = {}
    errors: list[str] = []
    for peer in peers:
        try:
            ids[peer.url] = peer.create_silence(silence)
        except AlertmanagerError as exc:
            errors.append(str(exc))
    return ids, errors
