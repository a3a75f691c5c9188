"""Active findings of the metric loop across cycles: the log loop's semantics, scoped to what a task judged.

A task (anomalies every minute, forecasts every hour ...) says which findings of its kinds hold now; only
findings it *owns* are compared with that, so the hourly forecast does not resolve the anomalies, and a signal
whose query failed this cycle keeps its findings instead of having them resolved for lack of data. An active
fingerprint seen again is refreshed, not emitted again: with the store in the state file, a restart re-alerts
nothing.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from inframind.analyzer.findings import Finding
from inframind.analyzer.logloop_findings import Changes
from inframind.analyzer.state import FindingRecord, FindingsStore

__all__ = ["Changes", "Scope", "reconcile"]


@dataclass(frozen=True)
class Scope:
    """What one task judged this cycle: the findings that hold, and which stored findings it answers for."""

    families: Sequence[str]
    """Kinds or families (ending in ``.``) the task produces."""
    current: Sequence[Finding]
    owns: Callable[[Finding], bool] = lambda _finding: True


def reconcile(store: FindingsStore, scopes: Iterable[Scope], now: dt.datetime) -> Changes:
    changes = Changes()
    for scope in scopes:
        active: dict[str, FindingRecord] = {}
        for family in scope.families:
            for record in store.list(state="active", kind=family, limit=1_000_000):
                if scope.owns(record.finding):
                    active[record.fingerprint] = record
        for finding in {f.fingerprint: f for f in scope.current}.values():
            known = active.pop(finding.fingerprint, None) or store.get(finding.fingerprint)
            if known is not None and known.state == "active":
                store.upsert(dataclasses.replace(known, finding=finding, last_seen=now))
            else:
                store.upsert(FindingRecord(finding, "active", now, now, known.count + 1 if known else 1))
                changes.emitted.append(finding)
            changes.active += 1
        for record in active.values():
            store.upsert(dataclasses.replace(record, state="resolved", resolved_at=now))
            changes.resolved.append(record.finding)
    return changes
