"""Windows EventLog over WinRM: a pull source per host, cursors per channel, counters for the rules.

``build_eventlog_sources`` turns ``agent.eventlog`` into one :class:`EventLogSource` per target, all
feeding one :class:`EventLogMetrics` that the agent registers with its registry. pywinrm is imported
here, so the agent imports this package only when targets are configured.
"""

from __future__ import annotations

from collections.abc import Mapping

from inframind.agent.cursors import CursorStore
from inframind.agent.eventlog.client import EventLogError, pywinrm_connect
from inframind.agent.eventlog.metrics import DEFAULT_EVENT_IDS, EventLogMetrics
from inframind.agent.eventlog.source import EventLogSource
from inframind.config.agent import EventLogSource as EventLogSettings
from inframind.inventory import Inventory

__all__ = ["DEFAULT_EVENT_IDS", "EventLogError", "EventLogMetrics", "EventLogSource", "build_eventlog_sources"]


def build_eventlog_sources(
    settings: EventLogSettings,
    cursors: CursorStore,
    *,
    inventory: Inventory | None = None,
    env: Mapping[str, str] | None = None,
    metrics: EventLogMetrics | None = None,
) -> tuple[list[EventLogSource], EventLogMetrics]:
    """The sources and their shared counters. Raises EventLogError (kind ``config``) for a target that
    cannot work here (a bad channel name, kerberos without pykerberos) before anything connects."""
    metrics = metrics or EventLogMetrics(settings.event_ids)
    sources = [
        EventLogSource(
            target,
            pywinrm_connect(target, env),
            cursors,
            metrics,
            interval=settings.interval,
            inventory=inventory,
        )
        for target in settings.targets
    ]
    return sources, metrics
