"""From an Alertmanager alert's fingerprint to the finding it was sent for.

Delivery puts the finding's fingerprint in every alert's labels as ``finding``; Alertmanager identifies an alert
by the fingerprint of its label set (FNV-1a over the sorted labels, as Prometheus computes it). So an alert
fingerprint resolves either by asking Alertmanager (:class:`AlertmanagerAlerts`: it knows its active alerts) or
by recomputing the fingerprints of label sets delivery sent (:class:`KnownLabelSets`: still works after
Alertmanager has forgotten a resolved alert).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Protocol

import requests

from inframind.analyzer.state import KV

FINDING_LABEL = "finding"
_FNV_OFFSET = 14695981039346656037
_FNV_PRIME = 1099511628211
_SEPARATOR = 0xFF


class AlertLookupError(Exception):
    """No Alertmanager could be asked; the message names each one and why."""


class AlertFindings(Protocol):
    def finding_of(self, alert_fingerprint: str) -> str | None:
        """The fingerprint of the finding the alert was sent for, or None when no alert has that fingerprint."""
        ...


def alertmanager_fingerprint(labels: Mapping[str, str]) -> str:
    """Alertmanager's fingerprint of an alert with these labels (16 hex digits)."""
    value = _FNV_OFFSET
    for name in sorted(labels):
        for part in (name, labels[name]):
            for byte in (*part.encode("utf-8"), _SEPARATOR):
                value = ((value ^ byte) * _FNV_PRIME) & 0xFFFFFFFFFFFFFFFF
    return f"{value:016x}"


class KnownLabelSets:
    """Resolves against label sets we sent (read fresh on each lookup, e.g. from the delivery ledger)."""

    def __init__(self, label_sets: Callable[[], Iterable[Mapping[str, str]]]) -> None:
        self._label_sets = label_sets

    def finding_of(self, alert_fingerprint: str) -> str | None:
        for labels in self._label_sets():
            if FINDING_LABEL in labels and alertmanager_fingerprint(labels) == alert_fingerprint:
                return labels[FINDING_LABEL]
        return None


class AlertmanagerAlerts:
    """Asks each Alertmanager peer (API v2) for its alerts until one knows the fingerprint."""

    def __init__(self, urls: Sequence[str], timeout: float = 5.0, session: requests.Session | None = None) -> None:
        self.urls = [u.rstrip("/") for u in urls]
        self.timeout = timeout
        self._session = session or requests.Session()

    def finding_of(self, alert_fingerprint: str) -> str | None:
        problems = []
        answered = False
        params = {"active": "true", "silenced": "true", "inhibited": "true", "unprocessed": "true"}
        for url in self.urls:
            try:
                answer = self._session.get(f"{url}/api/v2/alerts", params=params, timeout=self.timeout)
                answer.raise_for_status()
                alerts = answer.json()
            except (requests.RequestException, ValueError) as exc:
                problems.append(f"{url}: {exc}")
                continue
            answered = True
            for alert in alerts if isinstance(alerts, list) else ():
                if isinstance(alert, dict) and alert.get("fingerprint") == alert_fingerprint:
                    found = (alert.get("labels") or {}).get(FINDING_LABEL)
                    return str(found) if found else None
        if not answered and problems:
            raise AlertLookupError("no Alertmanager answered: " + "; ".join(problems))
        return None


class FirstOf:
    """Tries resolvers in order (the ledger first, then Alertmanager)."""

    def __init__(self, *resolvers: AlertFindings) -> None:
        self.resolvers = resolvers

    def finding_of(self, alert_fingerprint: str) -> str | None:
        for resolver in self.resolvers:
            if (found := resolver.finding_of(alert_fingerprint)) is not None:
                return found
        return None


def delivered_alert_findings(
    kv: KV, urls: Sequence[str] = (), timeout: float = 5.0, auth: tuple[str, str] | None = None
) -> AlertFindings:
    """What the analyzer wires into ``Deps.alert_findings``: the label sets in delivery's ledger first (they
    resolve even after Alertmanager forgot a resolved alert), then each Alertmanager peer (basic ``auth`` when
    it sits behind a proxy)."""
    from inframind.analyzer.delivery_ledger import KeyValueLedger

    ledger = KeyValueLedger(kv)
    resolvers: list[AlertFindings] = [KnownLabelSets(lambda: [r.labels for r in ledger.load().values()])]
    if urls:
        session = requests.Session()
        session.auth = auth
        resolvers.append(AlertmanagerAlerts(urls, timeout, session))
    return FirstOf(*resolvers)
