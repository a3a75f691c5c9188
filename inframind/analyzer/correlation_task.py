"""The correlation task: read the active findings and the open incidents, correlate, write what changed.

It must run on one node at a time (the leader, with replicas): two replicas correlating at once would each
open an incident for the same trouble. Written as a plain ``callable(now)`` so the scheduler's task registry can
run it (``leader_only``); :class:`CorrelationThread` runs it on its own thread until then.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass

from inframind.analyzer.correlate import correlate
from inframind.analyzer.correlate_graph import ImpactGraph
from inframind.analyzer.incidents import Incident, IncidentStore
from inframind.analyzer.state import FindingsStore
from inframind.config.analyzer_sections import CorrelationSettings
from inframind.inventory import Inventory

log = logging.getLogger(__name__)
TASK_NAME = "correlation"
PAGE = 500
MAX_FINDINGS = 1_000_000


@dataclass(frozen=True)
class CorrelationRun:
    """What one pass did (for logs and tests)."""

    active_findings: int
    opened: int = 0
    updated: int = 0
    resolved: int = 0


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class CorrelationTask:
    """``task(now)``: one correlation pass over the stores."""

    def __init__(
        self,
        findings: FindingsStore,
        incidents: IncidentStore,
        inventory: Inventory | None,
        settings: CorrelationSettings | None = None,
        transaction: Callable[[], AbstractContextManager[None]] | None = None,
    ) -> None:
        self.findings = findings
        self.incidents = incidents
        self.graph = ImpactGraph(inventory)
        self.settings = settings or CorrelationSettings()
        self._transaction = transaction or nullcontext
        self.name = TASK_NAME

    def _open_incidents(self) -> list[Incident]:
        found: list[Incident] = []
        while True:
            page = list(self.incidents.list(state="open", limit=PAGE, offset=len(found)))
            found.extend(page)
            if len(page) < PAGE:
                return found

    def __call__(self, now: dt.datetime) -> CorrelationRun:
        active = self.findings.list(state="active", limit=MAX_FINDINGS)
        opened = self._open_incidents()
        have = {r.fingerprint for r in active}
        missing = dict.fromkeys(fp for i in opened for fp in i.findings if fp not in have)
        members = [r for fp in missing if (r := self.findings.get(fp)) is not None]
        before = {i.id: i for i in opened}
        changed = [i for i in correlate(opened, [*active, *members], self.graph, now, self.settings)
                   if before.get(i.id) != i]  # fmt: skip
        with self._transaction():
            for incident in changed:
                self.incidents.upsert(incident)
        run = CorrelationRun(
            active_findings=len(active),
            opened=sum(1 for i in changed if i.id not in before and i.state == "open"),
            updated=sum(1 for i in changed if i.id in before and i.state == "open"),
            resolved=sum(1 for i in changed if i.state == "resolved"),
        )
        if changed:
            log.info("correlation: %d opened, %d updated, %d resolved incidents", run.opened, run.updated, run.resolved)
        return run


class CorrelationThread(threading.Thread):
    """Runs the task every ``interval`` seconds until :meth:`stop`; a failed pass is logged and retried next time
    (a state store that is briefly down must not end correlation)."""

    def __init__(
        self,
        task: Callable[[dt.datetime], object],
        interval: float,
        clock: Callable[[], dt.datetime] = _utcnow,
    ) -> None:
        super().__init__(name="correlation", daemon=True)
        self.task, self.interval, self.clock = task, interval, clock
        self._stop_event = threading.Event()
        self.passes = 0
        self.failures = 0

    def run(self) -> None:
        while not self._stop_event.is_set():
            try:
                self.task(self.clock())
            except Exception:
                self.failures += 1
                log.exception("correlation pass failed; retrying in %.0fs", self.interval)
            self.passes += 1
            self._stop_event.wait(self.interval)

    def stop(self, timeout: float = 10.0) -> None:
        self._stop_event.set()
        if self.is_alive():
            self.join(timeout)
