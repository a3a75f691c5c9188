"""TemplateHit: one mined log event as the template detectors see it (new template, rates, grouping).

The service mines each event and hands the detectors this plain record, so they never touch the miner, the
store or the clock. Times are unix seconds (floats): detectors do arithmetic on them, findings turn them back
into aware datetimes with :func:`utc`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

Key = tuple[str, str]
"""(tenant, source): one miner's stream; template ids are only unique within it."""


@dataclass(frozen=True, slots=True)
class TemplateHit:
    tenant: str
    source: str
    """The miner's source key (``journald``, ``eventlog`` ...)."""
    asset: str
    """The event's asset id, or its host when no asset was resolved."""
    at: float
    """Event time, unix seconds."""
    level: str
    message: str
    template_id: str
    template: str
    """Display text (``Failed password for <*> from <IP> port <NUM> ssh2``)."""
    change: str = "none"
    """The miner's verdict for this line: ``created``, ``updated`` or ``none``."""
    changed_from: tuple[str, ...] = ()
    """Ids this line's template replaced (generalized or merged): per-template state moves to ``template_id``."""
    params: tuple[tuple[str, str], ...] = ()
    """(placeholder name, raw value) per placeholder, in order."""
    event_id: str | None = None
    provider: str | None = None

    @property
    def stream(self) -> Key:
        return (self.tenant, self.source)


def utc(stamp: float) -> dt.datetime:
    return dt.datetime.fromtimestamp(stamp, tz=dt.UTC)


def param_names(params: Iterable[tuple[str, str]]) -> list[str]:
    """Readable keys for a template's placeholders in order: ``<IP>``, ``<NUM>``, ``<NUM>#2`` for a repeat."""
    seen: dict[str, int] = {}
    out = []
    for name, _ in params:
        seen[name] = seen.get(name, 0) + 1
        out.append(f"<{name}>" if seen[name] == 1 else f"<{name}>#{seen[name]}")
    return out


def add_params(into: dict[str, list[str]], params: tuple[tuple[str, str], ...], limit: int) -> bool:
    """Remember up to ``limit`` distinct sample values per placeholder; True when anything was added."""
    added = False
    for key, (_, value) in zip(param_names(params), params, strict=True):
        values = into.setdefault(key, [])
        if len(values) < limit and value not in values:
            values.append(value[:200])
            added = True
    return added


def frozen_params(params: Mapping[str, list[str]]) -> dict[str, tuple[str, ...]]:
    return {key: tuple(values) for key, values in params.items()}
