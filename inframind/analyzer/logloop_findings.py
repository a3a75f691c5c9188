"""Active findings across cycles: raise what is new, refresh what holds, resolve what cleared.

Detectors say which findings hold *now*; this module compares that with the findings store. A fingerprint
already active is refreshed (``last_seen``, latest body) and not emitted again, which is what keeps a restart
from re-alerting: the store and the detector state are committed together. Log-rule states only report a group
when it starts firing, so an active rule finding holds while its group is still firing.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from inframind.analyzer.findings import Finding
from inframind.analyzer.state import FindingRecord, FindingsStore

MANAGED = "log."
"""The kinds this loop owns (and may resolve); other detectors' findings are left alone."""


@dataclass
class Changes:
    emitted: list[Finding] = field(default_factory=list)
    """Became active this cycle (new, or again after being resolved): what delivery sends."""
    resolved: list[Finding] = field(default_factory=list)
    active: int = 0


def reconcile(
    store: FindingsStore,
    current: Iterable[Finding],
    still_firing: Callable[[FindingRecord], bool],
    now: dt.datetime,
    owns: Callable[[Finding], bool] | None = None,
) -> Changes:
    """Bring the store in line with ``current`` (the findings whose condition holds at ``now``); with ``owns``
    (a shard's assets) only the active findings it owns may be resolved."""
    changes = Changes()
    listed = store.list(state="active", kind=MANAGED, limit=1_000_000)
    active = {r.fingerprint: r for r in listed if owns is None or owns(r.finding)}
    for finding in {f.fingerprint: f for f in current}.values():
        record = active.pop(finding.fingerprint, None)
        if record is not None:
            store.upsert(dataclasses.replace(record, finding=finding, last_seen=now))
        else:
            before = store.get(finding.fingerprint)
            store.upsert(FindingRecord(finding, "active", now, now, before.count + 1 if before else 1))
            changes.emitted.append(finding)
        changes.active += 1
    for record in active.values():
        if record.finding.kind == "log.rule" and still_firing(record):
            store.upsert(dataclasses.replace(record, last_seen=now))
            changes.active += 1
            continue
        store.upsert(dataclasses.replace(record, state="resolved", resolved_at=now))
        changes.resolved.append(record.finding)
    return changes
