"""From log events to template hits: mine a cycle's events per (tenant, source), in parallel when it pays.

The miner set decides in-process or on the executor (a process pool) by the amount of work; either way the
outcomes are the same. Each event comes back as a :class:`TemplateHit` (what the detectors read) plus the
wildcard form of its template (what log rules match against), in the order the events were read.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from concurrent.futures import Executor
from dataclasses import dataclass

from inframind.analyzer.detect.loghits import TemplateHit
from inframind.analyzer.detect.templates import MinerSet, SourceKey
from inframind.events import LogEvent

_PLACEHOLDERS = re.compile(r"(?:<[A-Za-z0-9_*]+>)+")


@dataclass(frozen=True, slots=True)
class Mined:
    event: LogEvent
    hit: TemplateHit
    wildcard: str
    """The template with every placeholder as ``<*>``."""


def wildcards(template: str) -> str:
    """``<IP>`` and ``<*>`` alike become ``<*>``; placeholders that touch read as one."""
    return _PLACEHOLDERS.sub("<*>", template)


def mine(
    miners: MinerSet, events: Sequence[LogEvent], executor: Executor | None = None, min_parallel_lines: int = 20_000
) -> list[Mined]:
    batches: dict[SourceKey, list[str]] = {}
    where: list[tuple[SourceKey, int]] = []
    for event in events:
        lines = batches.setdefault((event.tenant, event.source), [])
        where.append(((event.tenant, event.source), len(lines)))
        lines.append(event.message)
    results = miners.mine_batches(batches, executor, min_parallel_lines=min_parallel_lines, with_params=True)
    outcomes = {key: result.lines for key, result in results.items()}
    wild = {key: {t.template_id: t.wildcard_text for t in result.templates} for key, result in results.items()}
    out = []
    for event, (key, i) in zip(events, where, strict=True):
        line = outcomes[key][i]
        hit = TemplateHit(
            tenant=event.tenant,
            source=event.source,
            asset=event.asset_id or event.host,
            at=event.timestamp.timestamp(),
            level=event.level,
            message=event.message,
            template_id=line.template_id,
            template=line.template,
            change=line.change,
            changed_from=line.changed_from,
            params=tuple(line.params or ()),
            event_id=event.event_id,
            provider=event.provider,
        )
        out.append(Mined(event, hit, wild[key].get(line.template_id) or wildcards(line.template)))
    return out
