"""``POST /api/v1/logs`` events: ``LogEvent.to_dict()`` as the agent's http sink sends it, checked one by one.

The stored fingerprint is always recomputed here from the event as stored (tenant included), so a resend
deduplicates exactly as before, and a caller cannot suppress another tenant's events by sending their
fingerprints (the store's uniqueness is global). A fingerprint in the request is checked for shape only.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StrictStr, StringConstraints

from inframind.analyzer.auth import Principal
from inframind.analyzer.ingest.batch import IngestLimits, Rejected, check_encodable, check_message_size, settle_tenant
from inframind.events import FieldValue, Level, LogEvent, Source
from inframind.normalize import parse_iso8601

Name = Annotated[StrictStr, StringConstraints(max_length=256)]
FieldName = Annotated[StrictStr, StringConstraints(min_length=1, max_length=128)]
FieldText = Annotated[StrictStr, StringConstraints(max_length=65536)]
_OFFSET = re.compile(r"(?:[Zz]|[+-]\d{2}:?\d{2})$")


class LogEventIn(BaseModel):
    """One log event, as ``LogEvent.to_dict()`` writes it. Unknown keys are ignored (newer agents)."""

    model_config = ConfigDict(extra="ignore")

    timestamp: Annotated[StrictStr, StringConstraints(max_length=64)] = Field(
        description="ISO 8601 with `Z` or an offset, e.g. `2026-11-26T12:00:00.123456Z`.",
        examples=["2026-11-26T12:00:00.123456Z"],
    )
    source: Source
    level: Level
    message: StrictStr
    host: Name = ""
    asset_id: Name = ""
    tenant: Name | None = Field(
        default=None, description="Absent, `default` or the token's tenant; only admin tokens may name another."
    )
    event_id: Name | None = None
    provider: Name | None = None
    channel: Name | None = None
    record_id: Name | None = None
    fields: dict[FieldName, FieldText | bool | int | float | None] = Field(default_factory=dict, max_length=64)
    fingerprint: Annotated[StrictStr, StringConstraints(pattern=r"^([0-9a-f]{32})?$")] = Field(
        default="", description="Ignored: the analyzer derives the stored fingerprint itself."
    )


def parse_timestamp(text: str) -> dt.datetime:
    """An ISO 8601 stamp that says its offset; a bare local time is refused rather than guessed."""
    stamp = parse_iso8601(text)
    if stamp is None:
        raise Rejected(f"timestamp: {text!r} is not an ISO 8601 time in years 1-9999 UTC (e.g. 2026-11-26T12:00:00Z)")
    if not _OFFSET.search(text.strip()):
        raise Rejected(f"timestamp: {text!r} has no UTC offset; end it with Z or +hh:mm")
    return stamp


def accept_log_event(raw: Any, principal: Principal, limits: IngestLimits) -> LogEvent:
    """The event to store for one item of the request, or :class:`Rejected` / ``ValidationError`` with why."""
    item = LogEventIn.model_validate(raw)
    check_message_size(item.message, limits)
    fields: dict[str, FieldValue] = dict(item.fields)
    event = LogEvent(
        timestamp=parse_timestamp(item.timestamp),
        source=item.source,
        level=item.level,
        message=item.message,
        host=item.host,
        asset_id=item.asset_id,
        tenant=settle_tenant(item.tenant, principal),
        event_id=item.event_id,
        provider=item.provider,
        channel=item.channel,
        record_id=item.record_id,
        fields=fields,
    )
    return check_encodable(event)
