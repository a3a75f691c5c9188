"""Batches on their way from the poller to durability: collected from polls, then handed over in a short
queue. Nothing here is durable yet, which is why no commit has run: a crash re-reads these events."""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

from inframind.agent.buffer import Segments
from inframind.agent.source import Batch
from inframind.events import LogEvent

BATCH_MAX_CHARS = 8 << 20
"""About 8 MB of text per batch at most, so a flood of long lines keeps batches (and HTTP bodies) small."""
Commit = tuple[str, Callable[[], None]]
"""A source's name and its batch's ``commit``."""


@dataclass
class Handed:
    events: list[LogEvent]
    segments: Segments
    commits: list[Commit]
    created: float
    """Wall-clock time its first events were read (for the lag while it waits)."""


@dataclass
class Pending:
    """Events collected from polls, their source runs and their commits, until handed over."""

    events: list[LogEvent] = field(default_factory=list)
    segments: list[tuple[str, int]] = field(default_factory=list)
    commits: list[Commit] = field(default_factory=list)
    since: float = 0.0
    """Monotonic time of the first poll that added to it."""
    since_wall: float = 0.0
    size: int = 0
    """Characters of messages: a batch is also handed over when it holds ``BATCH_MAX_CHARS``."""

    def add(self, name: str, batch: Batch, now: float, wall: float) -> None:
        if not self.commits:
            self.since, self.since_wall = now, wall
        if batch.events:
            self.events.extend(batch.events)
            self.size += sum(len(e.message) for e in batch.events)
            if self.segments and self.segments[-1][0] == name:
                self.segments[-1] = (name, self.segments[-1][1] + len(batch.events))
            else:
                self.segments.append((name, len(batch.events)))
        self.commits.append((name, batch.commit))

    def take(self) -> Handed:
        handed = Handed(self.events, tuple(self.segments), self.commits, self.since_wall)
        self.events, self.segments, self.commits, self.size = [], [], [], 0
        return handed

    def full(self, max_events: int) -> bool:
        return len(self.events) >= max_events or self.size >= BATCH_MAX_CHARS


class Handoff:
    """A bounded queue from the poller to the settler, which also knows what it is still settling."""

    def __init__(self, depth: int) -> None:
        self.depth = depth
        self._queue: deque[Handed] = deque()
        self._current: Handed | None = None
        self._cond = threading.Condition()

    def put(self, handed: Handed, halt: threading.Event) -> bool:
        """Queue ``handed``, waiting for room; False (not queued) once ``halt`` is set."""
        with self._cond:
            while len(self._queue) >= self.depth and not halt.is_set():
                self._cond.wait(0.1)
            if halt.is_set():
                return False
            self._queue.append(handed)
            self._cond.notify_all()
            return True

    def take(self, timeout: float) -> Handed | None:
        """The oldest batch (it counts as being settled until ``done``), or None after ``timeout``."""
        with self._cond:
            if not self._queue:
                self._cond.wait(timeout)
            if not self._queue:
                return None
            self._current = self._queue.popleft()
            self._cond.notify_all()
            return self._current

    def done(self) -> None:
        with self._cond:
            self._current = None

    def empty(self) -> bool:
        with self._cond:
            return not self._queue and self._current is None

    def wake(self) -> None:
        with self._cond:
            self._cond.notify_all()

    def oldest_by_source(self) -> dict[str, float]:
        """For each source with events not yet durable, when the oldest of them was read (wall clock)."""
        with self._cond:
            waiting = ([self._current] if self._current else []) + list(self._queue)
        oldest: dict[str, float] = {}
        for handed in waiting:
            for name, _ in handed.segments:
                oldest[name] = min(oldest.get(name, handed.created), handed.created)
        return oldest
