"""One Windows host's event logs as a PullSource: polled every ``interval`` over WinRM, cursor per channel.

A poll that is due starts a fetch in the source's own worker thread (WinRM round trips take seconds, and
the pipeline polls every source in turn), so ``poll()`` never waits on the network. The fetch reads each
channel from its in-memory position, queues the events with the cursor each one leaves behind, and
``Batch.commit`` persists the newest of those per channel once the pipeline has made them durable. A crash
in between reads the batch again; the events carry their RecordId, so their fingerprints deduplicate.

A new fetch starts only when the queue is empty (backpressure), right away while a channel still has more
than ``batch_size`` new records (catching up), else ``interval`` after the last one. A failed fetch
(401, TLS, unreachable, a WS-Management fault) is counted in ``stats`` with its message and tried again
``interval`` later; one channel's failure (a log that does not exist) leaves the others running.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

from inframind.agent.cursors import CursorStore
from inframind.agent.eventlog.client import Connect, EventLogError, Shell
from inframind.agent.eventlog.cursor import ChannelCursor, find_gap
from inframind.agent.eventlog.mapping import attribute, gap_event, to_log_event
from inframind.agent.eventlog.metrics import EventLogMetrics
from inframind.agent.eventlog.report import ChannelReport, ReportError, parse_report, stderr_text
from inframind.agent.eventlog.script import ScriptError, check_channel, query_script
from inframind.agent.source import Batch, SourceStats
from inframind.config.agent import EventLogTarget
from inframind.events import LogEvent
from inframind.inventory import Inventory

log = logging.getLogger(__name__)


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass(frozen=True)
class _Item:
    event: LogEvent
    channel: str
    cursor: ChannelCursor | None
    """The channel's cursor once this event is durable; None when it moves nothing (a gap notice)."""
    seq: int


class ChannelFailed(Exception):
    """One channel could not be read (its command failed or printed nonsense); the others go on."""


class EventLogSource:
    def __init__(
        self,
        target: EventLogTarget,
        connect: Connect,
        cursors: CursorStore,
        metrics: EventLogMetrics,
        *,
        interval: float = 60.0,
        inventory: Inventory | None = None,
        clock: Callable[[], dt.datetime] = utc_now,
        monotonic: Callable[[], float] = time.monotonic,
        background: bool = True,
    ) -> None:
        try:
            self.channels = tuple(check_channel(c) for c in target.channels)
        except ScriptError as exc:
            raise EventLogError("config", f"eventlog target {target.host}: {exc}") from None
        self.name = f"eventlog:{target.host}"
        self.stats = SourceStats()
        self.target, self.interval = target, interval
        self._connect, self._cursors, self._metrics = connect, cursors, metrics
        self._inventory, self._clock, self._monotonic = inventory, clock, monotonic
        self._who = attribute(target.host, target.asset, inventory)
        self._positions = {c: ChannelCursor.load(cursors.get(self.cursor_key(c))) for c in self.channels}
        self._pending: deque[_Item] = deque()
        self._lock = threading.Lock()
        self._seq = 0
        self._committed: dict[str, int] = {}
        self._due = monotonic()
        self._future: Future[None] | None = None
        self._executor = ThreadPoolExecutor(1, thread_name_prefix=self.name) if background else None

    def cursor_key(self, channel: str) -> str:
        return f"{self.name}/{channel}"

    # ------------------------------------------------------------ PullSource

    def poll(self, max_events: int) -> Batch | None:
        self._start_fetch_if_due()
        with self._lock:
            if not self._pending:
                return None
            items = [self._pending.popleft() for _ in range(min(max(max_events, 1), len(self._pending)))]
        updates: dict[str, tuple[int, ChannelCursor]] = {}
        for item in items:
            if item.cursor is not None:
                updates[item.channel] = (item.seq, item.cursor)
        return Batch([i.event for i in items], commit=lambda: self._commit(updates))

    def _start_fetch_if_due(self) -> None:
        with self._lock:
            if self._future is not None and self._future.done():
                future, self._future = self._future, None
                future.result()  # the worker catches what a host can cause; a bug of ours surfaces here
            if self._pending or self._future is not None or self._monotonic() < self._due:
                return
            if self._executor is not None:
                self._future = self._executor.submit(self.fetch_now)
                return
        self.fetch_now()

    def close(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=False, cancel_futures=True)

    # ------------------------------------------------------------ fetching

    def fetch_now(self) -> None:
        """Read every channel once (the worker's job; tests call it directly). Never raises for what a host
        or the network can do: those are counted in ``stats`` and retried after ``interval``."""
        catching_up, lag = False, 0.0
        try:
            with self._connect() as shell:
                for channel in self.channels:
                    try:
                        more, channel_lag = self._read_channel(shell, channel)
                    except ChannelFailed as exc:
                        self._fail(f"{self.name} channel {channel}: {exc}")
                        continue
                    catching_up, lag = catching_up or more, max(lag, channel_lag)
        except EventLogError as exc:
            self._fail(f"{self.name}: {exc}")
            self._due = self._monotonic() + self.interval
            return
        except Exception as exc:  # the worker must outlive any response a host can send
            log.exception("%s: unexpected failure while reading event logs", self.name)
            self._fail(f"{self.name}: unexpected {type(exc).__name__}: {exc}")
            self._due = self._monotonic() + self.interval
            return
        self.stats.lag_seconds = lag
        self._due = self._monotonic() + (0.0 if catching_up else self.interval)

    def _fail(self, message: str) -> None:
        log.warning("%s", message)
        self.stats.error(message)

    def _query(self, shell: Shell, channel: str, after: int) -> ChannelReport:
        result = shell.run(query_script(channel, after, self.target.batch_size))
        if result.exit_code != 0:
            raise ChannelFailed(f"PowerShell exited with {result.exit_code}: {stderr_text(result.stderr)}")
        try:
            return parse_report(result.stdout, channel)
        except ReportError as exc:
            raise ChannelFailed(str(exc)) from None

    def _read_channel(self, shell: Shell, channel: str) -> tuple[bool, float]:
        """Queue the channel's new events; returns (more records wait, seconds behind the newest)."""
        cursor = self._positions[channel]
        report = self._query(shell, channel, cursor.record_id)
        items: list[tuple[LogEvent, ChannelCursor | None]] = []
        gap = find_gap(cursor, report)
        if gap is not None:
            log.warning("%s channel %s: cursor gap (%s): %s", self.name, channel, gap.reason, gap.detail)
            self.stats.flag("cursor_gap")
            self._metrics.count_gap(self.target.host, channel, gap.reason)
            notice = gap_event(channel, gap, self._who, self._clock(), cursor.record_id)
            if gap.reset:
                cursor = ChannelCursor()
                report = self._query(shell, channel, 0)
            items.append((notice, cursor if gap.reset else None))
        for raw in report.events:
            event = to_log_event(raw, self._who, self._inventory)
            cursor = cursor.advance(raw)
            items.append((event, cursor))
            self._metrics.count_event(self.target.host, channel, event.level, event.event_id)
        if report.malformed:
            self.stats.reject("malformed", report.malformed)
        if report.replaced_utf8:
            self.stats.flag("invalid_utf8_replaced")
        self._queue(channel, items)
        self._positions[channel] = cursor
        newest = report.newest
        full = len(report.events) >= self.target.batch_size
        more = full and newest is not None and newest.record_id > cursor.record_id
        lag = 0.0
        if more and newest is not None and newest.time_created and cursor.high_water:
            lag = max(0.0, (newest.time_created - cursor.high_water).total_seconds())
        return more, lag

    def _queue(self, channel: str, items: list[tuple[LogEvent, ChannelCursor | None]]) -> None:
        with self._lock:
            for event, cursor in items:
                self._seq += 1
                self._pending.append(_Item(event, channel, cursor, self._seq))
        self.stats.add_read(len(items))

    def _commit(self, updates: dict[str, tuple[int, ChannelCursor]]) -> None:
        """Persist each channel's cursor, unless a later batch of that channel was committed already."""
        with self._lock:
            fresh: dict[str, str] = {}
            for channel, (seq, cursor) in updates.items():
                if seq > self._committed.get(channel, 0):
                    self._committed[channel] = seq
                    fresh[self.cursor_key(channel)] = cursor.dump()
        if fresh:
            self._cursors.put_many(fresh)
