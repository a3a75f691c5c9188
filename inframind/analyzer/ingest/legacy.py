"""``POST /ingest/events``: the event format of earlier InfraMind agents, mapped onto LogEvent and samples.

``{"asset_id", "source", "message", "metric", "value", "severity", "timestamp"}`` per event:

- ``source`` keeps a LogEvent source name it matches; anything else is ``http`` with the original kept in
  ``fields.original_source``. ``severity`` goes through :func:`~inframind.normalize.level_from_word`
  (a word that is not a level name is kept in ``fields.severity``).
- ``timestamp``: ISO 8601 (no offset means UTC), PowerShell 5.1's ``/Date(ms)/``, or epoch seconds (or
  milliseconds) as a number; missing means the receive time, flagged ``fields.clock_missing``.
- ``metric`` with ``value`` also becomes the sample ``inframind_agent_<metric>`` (name sanitized to
  ``[a-zA-Z0-9_]``) labelled like the asset's scrape targets (tenant, site, rack, role, asset, ...).

The fingerprint covers the whole payload (two metrics sent with one message at one time are two events),
so a resend deduplicates, except for events without a timestamp: each attempt gets a new receive time.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any, cast

from pydantic import BaseModel, ConfigDict, Field, StrictStr, StringConstraints, field_validator

from inframind.analyzer.auth import Principal
from inframind.analyzer.ingest.batch import IngestLimits, Rejected, check_encodable, check_message_size
from inframind.analyzer.sinks.victoriametrics import Sample, sanitize_metric_name
from inframind.events import LEVELS, SOURCES, FieldValue, LogEvent, Source
from inframind.inventory import Asset
from inframind.normalize import level_from_word, parse_windows_time
from inframind.targets import asset_labels

METRIC_PREFIX = "inframind_agent_"
EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_NUMBER = re.compile(r"-?\d+(\.\d+)?")
Name = Annotated[StrictStr, StringConstraints(strip_whitespace=True, max_length=256)]


class LegacyEventIn(BaseModel):
    """One event of the earlier InfraMind agent API. Unknown keys are ignored."""

    model_config = ConfigDict(extra="ignore")

    asset_id: Annotated[StrictStr, StringConstraints(strip_whitespace=True, min_length=1, max_length=256)] = Field(
        description="The asset's id, host name or address; resolved through the inventory and registered assets."
    )
    source: Name | None = Field(default=None, examples=["eventlog"])
    message: StrictStr | None = None
    metric: Annotated[StrictStr, StringConstraints(strip_whitespace=True, max_length=200)] | None = Field(
        default=None, examples=["cpu_load"]
    )
    value: float | None = Field(default=None, allow_inf_nan=False, examples=[0.75])
    severity: Name | None = Field(default=None, examples=["Warning"])
    timestamp: StrictStr | float | None = Field(default=None, examples=["2026-11-26T12:00:00Z"])

    @field_validator("value", "timestamp", mode="before")
    @classmethod
    def _not_boolean(cls, value: Any) -> Any:
        if isinstance(value, bool):
            raise ValueError("expected a number, not true/false")
        return value


@dataclass(frozen=True)
class LegacyEvent:
    event: LogEvent
    sample: Sample | None


def event_time(raw: str | float | None, now: dt.datetime) -> tuple[dt.datetime, bool]:
    """The event's UTC time and whether it was missing (then it is ``now``)."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return now, True
    if isinstance(raw, str) and _NUMBER.fullmatch(raw.strip()):
        raw = float(raw)
    try:
        if isinstance(raw, float):
            seconds = raw / 1000 if abs(raw) >= 1e11 else raw  # 1e11 s is the year 5138: those are ms
            return dt.datetime.fromtimestamp(seconds, tz=dt.UTC), False
        stamp = parse_windows_time(raw)
    except (OverflowError, OSError, ValueError):
        stamp = None
    if stamp is None:
        raise Rejected(f"timestamp: {raw!r} is neither ISO 8601, /Date(ms)/ nor epoch seconds")
    return stamp, False


def _number(value: float) -> str:
    return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)


def _fingerprint(*parts: str) -> str:
    return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()[:32]


def accept_legacy_event(
    raw: Any,
    principal: Principal,
    limits: IngestLimits,
    resolve: Callable[[str], Asset | None],
    now: dt.datetime,
) -> LegacyEvent:
    """The log event (and sample) for one item, or :class:`Rejected` / ``ValidationError`` with why."""
    item = LegacyEventIn.model_validate(raw)
    if (item.metric is None) != (item.value is None):
        raise Rejected("metric and value go together: give both or neither")
    if item.metric is not None and not item.metric:
        raise Rejected("metric: the name is empty")
    stamp, missing = event_time(item.timestamp, now)
    asset = resolve(item.asset_id)
    tenant = asset.tenant if asset is not None else principal.tenant
    fields: dict[str, FieldValue] = {}
    source_name = (item.source or "").lower()
    source = cast(Source, source_name) if source_name in SOURCES else "http"
    if source == "http" and source_name not in ("", "http"):
        fields["original_source"] = item.source
    level = level_from_word(item.severity) if item.severity else "info"
    if item.severity and item.severity.lower() not in LEVELS:
        fields["severity"] = item.severity
    sample = None
    message = item.message or ""
    if item.metric is not None and item.value is not None:
        fields["metric"], fields["value"] = item.metric, item.value
        labels = asset_labels(asset) if asset is not None else {"tenant": tenant, "asset": item.asset_id}
        millis = (stamp - EPOCH) // dt.timedelta(milliseconds=1)
        sample = Sample(METRIC_PREFIX + sanitize_metric_name(item.metric), labels, item.value, millis)
        message = message or f"{item.metric} = {_number(item.value)}"
    if not message:
        raise Rejected("message: required unless metric and value are given")
    check_message_size(message, limits)
    if missing:
        fields["clock_missing"] = True
    identity = (tenant, item.asset_id, item.source or "", stamp.isoformat(timespec="microseconds"), message,
                item.metric or "", _number(item.value) if item.value is not None else "")  # fmt: skip
    event = LogEvent(
        timestamp=stamp,
        source=source,
        level=level,
        message=message,
        host=item.asset_id,
        asset_id=asset.id if asset is not None else item.asset_id,
        tenant=tenant,
        fields=fields,
        fingerprint=_fingerprint("ingest/events", *identity),
    )
    return LegacyEvent(check_encodable(event), sample)
