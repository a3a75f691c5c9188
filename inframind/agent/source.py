"""The contract between event sources and the agent's pipeline.

Two shapes, by how events arrive:

- A :class:`PullSource` reads with a cursor (files, journald, BMC event logs, Windows EventLog). The
  pipeline calls ``poll()``, makes the batch durable in the disk buffer, and only then calls
  ``batch.commit()``, which persists the source's cursor. A crash in between re-reads the batch: events
  are delivered at least once, and their fingerprints (stable for re-read entries: they carry a record id
  such as a file offset, a journald cursor or a SEL record id) let the store keep each once.
- A :class:`PushSource` receives (syslog, SNMP traps). ``start(emit)`` hands it a thread-safe ``emit``;
  events are durable when ``emit`` returns, so a receiver acknowledges (e.g. an inform) only after it.

Every source reports what it did through its :class:`SourceStats` (read, rejected by reason, lag), which
the agent turns into its /metrics.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from inframind.events import LogEvent

Emit = Callable[[Sequence[LogEvent]], None]


@dataclass
class Batch:
    events: list[LogEvent]
    commit: Callable[[], None] = field(default=lambda: None)
    """Persist the cursor past these events; the pipeline calls it once they are in the buffer."""


@dataclass
class SourceStats:
    """Counters a source keeps about itself; thread-safe; read by the agent's metrics collector."""

    read: int = 0
    """Events produced."""
    rejected: dict[str, int] = field(default_factory=dict)
    """Input that could not become an event, by reason (malformed, invalid_utf8, too_long ...)."""
    flagged: dict[str, int] = field(default_factory=dict)
    """Events kept but altered, by reason (truncated, invalid_utf8_replaced, clock_skew ...)."""
    lag_seconds: float = 0.0
    """How far behind its input the source is (seconds since the newest unread input appeared), 0 if none."""
    last_error: str | None = None
    errors: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def add_read(self, n: int = 1) -> None:
        with self._lock:
            self.read += n

    def reject(self, reason: str, n: int = 1) -> None:
        with self._lock:
            self.rejected[reason] = self.rejected.get(reason, 0) + n

    def flag(self, reason: str, n: int = 1) -> None:
        with self._lock:
            self.flagged[reason] = self.flagged.get(reason, 0) + n

    def error(self, message: str) -> None:
        with self._lock:
            self.errors += 1
            self.last_error = message

    def snapshot(self) -> SourceStats:
        with self._lock:
            return SourceStats(
                self.read, dict(self.rejected), dict(self.flagged), self.lag_seconds, self.last_error, self.errors
            )


class PullSource(Protocol):
    name: str
    """Stable and unique per source (``file:/var/log/syslog``, ``journald``, ``sel:bmc-01``): the cursor key
    and the ``source`` label of the agent's metrics."""
    stats: SourceStats

    def poll(self, max_events: int) -> Batch | None:
        """The next events (at most ``max_events``), or None when there is nothing new. Must not block for
        long: the pipeline polls every source in turn."""
        ...

    def close(self) -> None: ...


class PushSource(Protocol):
    name: str
    stats: SourceStats

    def start(self, emit: Emit) -> None:
        """Bind and start receiving in background threads; raise OSError with a clear message on bind errors."""
        ...

    def close(self) -> None: ...
