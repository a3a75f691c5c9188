"""Windows events into LogEvents, once; pure (the clock and the inventory are arguments).

Levels come from the numeric ``Level`` (``LevelDisplayName`` is localized: "Ошибка" on a Russian host),
through :func:`inframind.normalize.windows_level`. Security audits are all Level 0 ("Information"), so an
audit failure (keyword bit 0x0010000000000000: 4625 failed logon, 4771 Kerberos pre-auth failure ...)
is raised to warning, or every failed logon would look like noise.

A message Windows could not render (the provider's DLL is missing on the host, as for forwarded or
exported logs) becomes "<provider> event <id>: <insertion strings>", so it still says something and still
groups by template downstream.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from inframind.agent.eventlog.cursor import Gap
from inframind.agent.eventlog.report import RawEvent
from inframind.events import Level, LogEvent
from inframind.inventory import Inventory
from inframind.normalize import resolve_asset, windows_level

AUDIT_FAILURE = 0x0010000000000000
"""The Keywords bit Windows sets on failed security audits (shown as "Audit Failure")."""

MAX_FIELD_CHARS = 1024
MAX_DATA_FIELDS = 32


@dataclass(frozen=True)
class Attribution:
    """Who an event belongs to: the asset and tenant, and the target it was read from."""

    asset_id: str
    tenant: str
    target: str


def attribute(target_host: str, asset: str | None, inventory: Inventory | None, machine: str = "") -> Attribution:
    """The configured ``asset`` if set (tenant from the inventory when it knows it), else the inventory's
    asset for the event's MachineName or the target's host name; unattributed when none matches."""
    if asset:
        known = inventory.assets.get(asset) if inventory is not None else None
        return Attribution(asset, known.tenant if known is not None and known.tenant else "default", target_host)
    asset_id, tenant = resolve_asset(inventory, machine, target_host)
    return Attribution(asset_id, tenant, target_host)


def event_level(event: RawEvent) -> Level:
    level = windows_level(event.level if event.level is not None else event.level_name)
    if event.keywords is not None and event.keywords & AUDIT_FAILURE and level in ("info", "debug"):
        return "warning"
    return level


def message_of(event: RawEvent) -> str:
    text = (event.message or "").replace("\r\n", "\n").strip()
    if text:
        return text
    data = "; ".join(p for p in event.properties if p)
    head = f"{event.provider or 'unknown provider'} event {event.event_id}"
    return f"{head}: {data}" if data else head


def _fields(event: RawEvent, who: Attribution) -> dict[str, str | int | None]:
    fields: dict[str, str | int | None] = {"target": who.target}
    if event.keywords is not None:
        fields["keywords"] = f"0x{event.keywords:016x}"
    for index, value in enumerate(event.properties[:MAX_DATA_FIELDS], start=1):
        fields[f"data{index}"] = None if value is None else value[:MAX_FIELD_CHARS]
    return fields


def to_log_event(event: RawEvent, who: Attribution, inventory: Inventory | None = None) -> LogEvent:
    if not who.asset_id and inventory is not None and event.machine:
        who = attribute(who.target, None, inventory, event.machine)
    return LogEvent(
        timestamp=event.time_created,
        source="eventlog",
        level=event_level(event),
        message=message_of(event),
        host=event.machine or who.target,
        asset_id=who.asset_id,
        tenant=who.tenant,
        event_id=str(event.event_id),
        provider=event.provider or None,
        channel=event.channel,
        record_id=str(event.record_id),
        fields=_fields(event, who),
    )


def gap_event(channel: str, gap: Gap, who: Attribution, now: dt.datetime, cursor_before: int) -> LogEvent:
    """The event that tells a reader of the logs that records may be missing here, and why."""
    action = "reading the log again from its oldest record" if gap.reset else "reading on from the new records"
    return LogEvent(
        timestamp=now,
        source="eventlog",
        level="warning",
        message=f"EventLog cursor gap in {channel} on {who.target} ({gap.reason}): {gap.detail}; {action}",
        host=who.target,
        asset_id=who.asset_id,
        tenant=who.tenant,
        provider="inframind-agent",
        channel=channel,
        fields={"target": who.target, "gap_reason": gap.reason, "cursor_before": cursor_before},
    )
