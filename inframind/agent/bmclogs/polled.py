"""What the SEL and Redfish log sources share: one BMC read per interval, off the pipeline's thread.

A BMC read takes from a fraction of a second (nothing new) to a minute (a first read of a large log on a
slow iDRAC), and the pipeline polls every source in turn, so ``poll()`` never waits for one: it starts a
read in a background thread when the interval has passed and hands out what that read found on a later
call. A read returns its events each paired with the cursor *after* that event; ``poll(max_events)``
hands out a prefix and its ``Batch.commit`` persists that prefix's last cursor, so a batch cut short by
``max_events`` (or a crash before commit) resumes exactly after the last event that became durable.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

from inframind.agent.cursors import CursorStore
from inframind.agent.source import Batch, SourceStats
from inframind.events import LogEvent

log = logging.getLogger(__name__)
JOIN_TIMEOUT = 2.0
"""How long ``close()`` waits for a read in flight; a tool run or request past it ends at its own deadline."""


@dataclass(frozen=True)
class AssetRef:
    """Who the events are about, from the inventory asset the BMC belongs to."""

    host: str
    asset_id: str
    tenant: str


@dataclass
class Read:
    """One BMC read: events in log order with the cursor after each, and the cursor after the whole read
    (it may move with no event, e.g. when the SEL was cleared and is now empty)."""

    items: list[tuple[LogEvent, str]] = field(default_factory=list)
    cursor: str | None = None
    flags: dict[str, int] = field(default_factory=dict)
    """Per reason, what the read noticed (``log_cleared``, ``log_wrapped``, ``invalid_timestamp`` ...)."""
    rejected: dict[str, int] = field(default_factory=dict)
    """Per reason, entries that could not become events (``malformed``)."""
    errors: list[str] = field(default_factory=list)
    """Parts that could not be read (one log service of several): the rest of the read still counts."""


class ReadError(Exception):
    """The BMC could not be read (unreachable, credentials refused, unexpected output); says what to do."""


Reader = Callable[[str | None], Read]
"""Reads the BMC from a cursor (None: never read); raises ReadError when the BMC cannot be read."""


class PolledSource:
    """A PullSource over a :data:`Reader`: scheduling, hand-out, commit and stats."""

    def __init__(
        self,
        name: str,
        reader: Reader,
        cursors: CursorStore,
        interval: float,
        *,
        clock: Callable[[], float] = time.monotonic,
        wall: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
    ) -> None:
        self.name = name
        self.stats = SourceStats()
        self._reader = reader
        self._cursors = cursors
        self._interval = interval
        self._clock = clock
        self._wall = wall
        self._position = cursors.get(name)
        """The cursor after the last event handed out (persisted only when its batch commits)."""
        self._pending: deque[tuple[LogEvent, str]] = deque()
        self._pending_end: str | None = None
        self._due = clock()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._done: Read | BaseException | None = None
        self._closed = False
        self.reads = 0
        """Reads finished (successful or not): at most one per interval."""

    def poll(self, max_events: int) -> Batch | None:
        """Events found by the last read (at most ``max_events``), or None while reading or between reads."""
        if not self._pending:
            self._collect()
        if self._pending:
            return self._hand_out(max_events) if max_events > 0 else None
        if self._thread is None and not self._closed and self._clock() >= self._due:
            self._start()
        return None

    def _start(self) -> None:
        self._due = self._clock() + self._interval
        start_at = self._position
        self._thread = threading.Thread(
            target=self._background, args=(start_at,), name=f"bmclog-{self.name}", daemon=True
        )
        self._thread.start()

    def _background(self, start_at: str | None) -> None:
        try:
            result: Read | BaseException = self._reader(start_at)
        except ReadError as exc:
            result = exc
        except Exception as exc:  # a parser bug on one odd BMC must not stop the source
            log.exception("%s: unexpected failure reading the BMC event log", self.name)
            result = exc
        with self._lock:
            self._done = result

    def _collect(self) -> None:
        """Take a finished read's result: queue its events, or count its failure."""
        with self._lock:
            done, self._done = self._done, None
        if done is None:
            return
        self._thread = None
        self.reads += 1
        if isinstance(done, BaseException):
            message = str(done) or type(done).__name__
            log.warning("%s: reading the BMC event log failed: %s", self.name, message)
            self.stats.error(message)
            return
        for reason, count in done.flags.items():
            self.stats.flag(reason, count)
        for reason, count in done.rejected.items():
            self.stats.reject(reason, count)
        for message in done.errors:
            log.warning("%s: %s", self.name, message)
            self.stats.error(message)
        if done.items:
            self._pending.extend(done.items)
            self._pending_end = done.cursor
        elif done.cursor is not None and done.cursor != self._position:
            self._position = done.cursor  # nothing to deliver: safe to persist at once
            self._cursors.put(self.name, done.cursor)
        self._update_lag()

    def _hand_out(self, max_events: int) -> Batch:
        count = min(max_events, len(self._pending))
        taken = [self._pending.popleft() for _ in range(count)]
        cursor = taken[-1][1] if self._pending or self._pending_end is None else self._pending_end
        self._position = cursor
        self.stats.add_read(len(taken))
        self._update_lag()
        return Batch([event for event, _ in taken], lambda: self._cursors.put(self.name, cursor))

    def _update_lag(self) -> None:
        """Seconds since the oldest event read from the BMC but not yet handed out appeared there."""
        oldest = self._pending[0][0].timestamp if self._pending else None
        self.stats.lag_seconds = max((self._wall() - oldest).total_seconds(), 0.0) if oldest else 0.0

    def close(self) -> None:
        self._closed = True
        thread = self._thread
        if thread is not None:
            thread.join(JOIN_TIMEOUT)
