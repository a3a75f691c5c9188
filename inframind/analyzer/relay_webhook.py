"""Alertmanager's webhook payload (version 4) as plain frozen dataclasses: what the relay and ITSM read.

Alertmanager posts one JSON object per notification of a group; parsing it once here means the relay and the
ticket sync never touch raw JSON. A payload that is not what Alertmanager sends raises :class:`WebhookError`
naming the field, so the API can answer 422 with it. Pure functions only.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

MAX_ALERTS = 1000


class WebhookError(ValueError):
    """The body is not an Alertmanager webhook payload; the message names the field."""


@dataclass(frozen=True)
class WebhookAlert:
    status: str
    """``firing`` or ``resolved``."""
    labels: Mapping[str, str]
    annotations: Mapping[str, str]
    starts_at: str = ""
    ends_at: str = ""
    fingerprint: str = ""
    """Alertmanager's fingerprint of the label set."""
    generator_url: str = ""

    @property
    def firing(self) -> bool:
        return self.status == "firing"

    @property
    def incident_key(self) -> str:
        """What one ticket stands for: the analyzer's incident, else its finding, else the alert itself."""
        return self.annotations.get("incident") or self.labels.get("finding") or f"alert-{self.fingerprint}"


@dataclass(frozen=True)
class WebhookMessage:
    receiver: str
    status: str
    alerts: tuple[WebhookAlert, ...]
    group_key: str = ""
    group_labels: Mapping[str, str] = field(default_factory=dict)
    common_labels: Mapping[str, str] = field(default_factory=dict)
    common_annotations: Mapping[str, str] = field(default_factory=dict)
    external_url: str = ""
    truncated_alerts: int = 0


def _strings(value: Any, name: str) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, Mapping) or not all(isinstance(k, str) and isinstance(v, str) for k, v in value.items()):
        raise WebhookError(f"{name}: expected an object of strings")
    return dict(value)


def _text(body: Mapping[str, Any], key: str, where: str) -> str:
    value = body.get(key, "")
    if not isinstance(value, str):
        raise WebhookError(f"{where}{key}: expected a string")
    return value


def _alert(body: Any, index: int) -> WebhookAlert:
    where = f"alerts[{index}]."
    if not isinstance(body, Mapping):
        raise WebhookError(f"alerts[{index}]: expected an object")
    status = _text(body, "status", where)
    if status not in ("firing", "resolved"):
        raise WebhookError(f"{where}status: expected firing or resolved")
    return WebhookAlert(
        status=status,
        labels=_strings(body.get("labels"), where + "labels"),
        annotations=_strings(body.get("annotations"), where + "annotations"),
        starts_at=_text(body, "startsAt", where),
        ends_at=_text(body, "endsAt", where),
        fingerprint=_text(body, "fingerprint", where),
        generator_url=_text(body, "generatorURL", where),
    )


def parse_webhook(body: Any) -> WebhookMessage:
    """The payload Alertmanager's ``webhook_configs`` post (version "4")."""
    if not isinstance(body, Mapping):
        raise WebhookError("body: expected a JSON object (Alertmanager's webhook payload)")
    version = body.get("version", "4")
    if version != "4":
        raise WebhookError(f'version: expected "4" (Alertmanager\'s webhook format), got {str(version)[:20]!r}')
    alerts = body.get("alerts")
    if not isinstance(alerts, list):
        raise WebhookError("alerts: expected a list")
    if len(alerts) > MAX_ALERTS:
        raise WebhookError(f"alerts: at most {MAX_ALERTS} per notification (set max_alerts in the receiver)")
    truncated = body.get("truncatedAlerts", 0)
    return WebhookMessage(
        receiver=_text(body, "receiver", ""),
        status=_text(body, "status", ""),
        alerts=tuple(_alert(a, i) for i, a in enumerate(alerts)),
        group_key=_text(body, "groupKey", ""),
        group_labels=_strings(body.get("groupLabels"), "groupLabels"),
        common_labels=_strings(body.get("commonLabels"), "commonLabels"),
        common_annotations=_strings(body.get("commonAnnotations"), "commonAnnotations"),
        external_url=_text(body, "externalURL", ""),
        truncated_alerts=truncated if isinstance(truncated, int) else 0,
    )
