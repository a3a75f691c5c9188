"""``inframind_eventlog_*`` counters, fed by the same polls that ship the events.

Counting where the events are read costs no second query of the host (a probe must not read logs with
cursors: that is the agent's job), and gives log rules a cheap signal in VictoriaMetrics. The
``event_id`` label keeps only an allow-list and folds the rest into ``other``: Windows has tens of
thousands of event ids, and a label with all of them would make every host a cardinality problem.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterable, Iterator

from prometheus_client.core import CounterMetricFamily, Metric

from inframind.agent.eventlog.cursor import GapReason
from inframind.events import Level

DEFAULT_EVENT_IDS: tuple[str, ...] = (
    "41",  # Kernel-Power: rebooted without a clean shutdown (power loss, hang, crash)
    "6008",  # EventLog: the previous shutdown was unexpected
    "1001",  # BugCheck (a blue screen's stop code) or Windows Error Reporting
    "1074",  # User32: a planned restart or shutdown, and who asked: tells 41/6008 from maintenance
    "6005",  # EventLog service started: a boot marker
    "6006",  # EventLog service stopped: a clean shutdown marker
    "7000",  # SCM: a service failed to start
    "7001",  # SCM: a service's dependency failed to start
    "7023",  # SCM: a service terminated with an error
    "7024",  # SCM: a service terminated with a service-specific error
    "7031",  # SCM: a service terminated unexpectedly, a recovery action follows
    "7034",  # SCM: a service terminated unexpectedly
    "7",  # Disk: bad block
    "11",  # Disk: controller error
    "51",  # Disk: error during paging
    "55",  # Ntfs: file system corruption (also Kernel-Processor-Power 55: same label, see the rules)
    "129",  # storport/storahci: reset to device (the storage path hung)
    "153",  # Disk: I/O retried (also Kernel-Boot 153: same label)
    "98",  # Ntfs: volume health (corruption found or scan needed)
    "1014",  # DNS-Client: name resolution timed out
    "4625",  # Security: failed logon (brute force, expired password)
    "4740",  # Security: account locked out
    "4771",  # Security: Kerberos pre-authentication failed
    "1102",  # Security: the audit log was cleared
    "104",  # System: an event log was cleared
)
"""The ids the log rules and the risk model look at: unexpected reboots and crashes (41, 6008, 1001, with
1074/6005/6006 to tell them from planned ones), services dying (SCM 70xx), disks and storage paths going
bad (7, 11, 51, 55, 98, 129, 153), name resolution (1014), logon attacks (4625, 4740, 4771) and log
clearing (1102, 104), which is both a gap in the data and a security event. The numbers collide across
providers (55, 153): counters tell a rule where to look; the log store (with ``provider``) says which."""

EVENTS = "inframind_eventlog_events"
GAPS = "inframind_eventlog_cursor_gaps"


class EventLogMetrics:
    """Counters shared by every EventLog source of one agent; register it once with the agent's registry."""

    name = "eventlog"

    def __init__(self, event_ids: Iterable[str] = ()) -> None:
        self.event_ids = frozenset(event_ids) or frozenset(DEFAULT_EVENT_IDS)
        self._lock = threading.Lock()
        self._events: Counter[tuple[str, str, str, str]] = Counter()
        self._gaps: Counter[tuple[str, str, str]] = Counter()

    def event_label(self, event_id: str | None) -> str:
        return event_id if event_id is not None and event_id in self.event_ids else "other"

    def count_event(self, target: str, channel: str, level: Level, event_id: str | None) -> None:
        with self._lock:
            self._events[(target, channel, level, self.event_label(event_id))] += 1

    def count_gap(self, target: str, channel: str, reason: GapReason) -> None:
        with self._lock:
            self._gaps[(target, channel, reason)] += 1

    def collect(self) -> Iterator[Metric]:
        with self._lock:
            events, gaps = dict(self._events), dict(self._gaps)
        family = CounterMetricFamily(
            EVENTS,
            "Windows events read from EventLog over WinRM, by target, channel, level and event id "
            "(ids outside the allow-list count as other).",
            labels=["target", "channel", "level", "event_id"],
        )
        for labels, value in sorted(events.items()):
            family.add_metric(list(labels), value)
        yield family
        gap_family = CounterMetricFamily(
            GAPS,
            "Times reading an EventLog channel found records missing: cleared, renumbered (cleared and "
            "refilled) or overwritten before they were read.",
            labels=["target", "channel", "reason"],
        )
        for gap_labels, value in sorted(gaps.items()):
            gap_family.add_metric(list(gap_labels), value)
        yield gap_family
