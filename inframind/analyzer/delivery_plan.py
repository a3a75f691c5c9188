"""Deciding what Alertmanager should hear, without talking to it: pure functions over ledger records.

- :func:`reconcile` turns the alerts wanted now into records: new ones start, changed annotations update,
  a changed label set (a severity that rose) retires the old set (resolved on its own) and starts the new,
  and records no longer wanted end (resolved with ``endsAt`` = the moment they ended).
- :func:`due` says whether a peer must be told again: never told, told an older version, or an active alert
  last sent a resend interval ago.
- :func:`alert_for` is the alert as sent: active ones hold ``endsAt`` ``hold`` seconds ahead, so an analyzer
  that dies lets them expire rather than fire forever.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from inframind.analyzer.delivery_ledger import AlertRecord, Sent, digest
from inframind.analyzer.sinks.alertmanager import alert_json


@dataclass(frozen=True)
class Wanted:
    key: str
    labels: Mapping[str, str]
    annotations: Mapping[str, str]
    starts_at: dt.datetime


@dataclass
class Plan:
    changed: dict[str, AlertRecord] = field(default_factory=dict)
    """Records to store (new, updated, ended, retired)."""
    deleted: list[str] = field(default_factory=list)
    """Ended records every peer has heard of, or that expired on their own."""


def _end(record: AlertRecord, now: dt.datetime, key: str | None = None) -> AlertRecord:
    return dataclasses.replace(record, key=key or record.key, active=False, ended_at=now)


def reconcile(
    records: Mapping[str, AlertRecord], wanted: Iterable[Wanted], now: dt.datetime, expire_after: float
) -> Plan:
    """``expire_after``: seconds after which an ended alert's last ``endsAt`` has passed on every peer, so its
    record can go even if a peer never heard the resolution (that peer resolved it itself)."""
    plan = Plan()
    seen: set[str] = set()
    for want in wanted:
        seen.add(want.key)
        known = records.get(want.key)
        if known is None:
            plan.changed[want.key] = AlertRecord(want.key, dict(want.labels), dict(want.annotations), want.starts_at)
        elif dict(known.labels) != dict(want.labels):
            if known.active:
                retired_key = f"{want.key}@{digest(known.labels, {}, False)}"
                plan.changed[retired_key] = _end(known, now, retired_key)
            plan.changed[want.key] = AlertRecord(want.key, dict(want.labels), dict(want.annotations), want.starts_at)
        elif not known.active:
            plan.changed[want.key] = AlertRecord(want.key, dict(want.labels), dict(want.annotations), want.starts_at)
        elif dict(known.annotations) != dict(want.annotations):
            plan.changed[want.key] = dataclasses.replace(known, annotations=dict(want.annotations))
    for key, record in records.items():
        if key in seen:
            continue
        if record.active:
            plan.changed[key] = _end(record, now)
        elif record.ended_at is not None and (now - record.ended_at).total_seconds() > expire_after:
            plan.deleted.append(key)
    return plan


def due(record: AlertRecord, peer: str, now: dt.datetime, resend_interval: float) -> bool:
    sent = record.sent.get(peer)
    if sent is None:
        return record.active  # a peer that never heard of an ended alert needs no resolution
    if sent.digest != record.digest:
        return True
    return record.active and (now - sent.at).total_seconds() >= resend_interval


def alert_for(record: AlertRecord, now: dt.datetime, hold: float, generator_url: str = "") -> dict[str, Any]:
    ends_at = now + dt.timedelta(seconds=hold) if record.active else (record.ended_at or now)
    return alert_json(record.labels, record.annotations, record.starts_at, ends_at, generator_url)


def accepted(record: AlertRecord, peer: str, now: dt.datetime) -> AlertRecord:
    return dataclasses.replace(record, sent={**record.sent, peer: Sent(now, record.digest)})


def settled(record: AlertRecord) -> bool:
    """An ended record whose resolution every peer that heard of it has accepted."""
    return not record.active and all(s.digest == record.digest for s in record.sent.values())
