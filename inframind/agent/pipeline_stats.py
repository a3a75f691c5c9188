"""What the pipeline counts about delivery, per source: shipped, retried, dropped, rejected by the sink,
and the sink's state. Thread-safe; read by :mod:`inframind.agent.pipeline_metrics`."""

from __future__ import annotations

import logging
import threading
from collections import Counter
from collections.abc import Callable
from typing import TYPE_CHECKING

from inframind.agent.buffer import Segments

if TYPE_CHECKING:
    from inframind.agent.sinks import SinkResult

log = logging.getLogger(__name__)
DOWN_LOG_EVERY = 60.0
"""While the sink stays down, repeat the warning this often (not per retry)."""


def source_of(segments: Segments, index: int | None) -> str:
    """The source whose run holds position ``index`` of a batch (None: the first run's)."""
    end = 0
    for name, n in segments:
        end += n
        if index is None or index < end:
            return name
    return segments[-1][0]


class PipelineStats:
    def __init__(self, wall: Callable[[], float]) -> None:
        self.wall = wall
        self._lock = threading.Lock()
        self.shipped: Counter[str] = Counter()
        self.retried: Counter[str] = Counter()
        self.dropped: Counter[str] = Counter()
        """Whole batches the sink refused for good, by source (reason ``refused``)."""
        self.rejected: Counter[tuple[str, str]] = Counter()
        """Events the sink refused one by one, by source and reason (``sink_invalid``, ``sink_too_large``)."""
        self.errors: Counter[str] = Counter()
        """Cursor saves that failed, by source."""
        self.buffer_errors = 0
        self.sink_up: bool | None = None
        """None until the first attempt."""
        self.last_success = 0.0
        self.last_error: str | None = None
        self._last_down_log = -DOWN_LOG_EVERY

    def delivered(self, segments: Segments, result: SinkResult) -> None:
        refused = Counter((source_of(segments, index), f"sink_{reason}") for index, reason in result.rejected)
        with self._lock:
            for name, n in segments:
                self.shipped[name] += n
            for (name, reason), n in refused.items():
                self.shipped[name] -= n
                self.rejected[(name, reason)] += n
            was_down = self.sink_up is False
            self.sink_up, self.last_success, self.last_error = True, self.wall(), None
        if was_down:
            log.info("the sink is back: shipping again")

    def down(self, segments: Segments, message: str, sink: str) -> None:
        now = self.wall()
        with self._lock:
            for name, n in segments:
                self.retried[name] += n
            report = self.sink_up is not False or now - self._last_down_log >= DOWN_LOG_EVERY
            self.sink_up, self.last_error = False, message
            if report:
                self._last_down_log = now
        if report:
            log.warning("the sink (%s) is down, events wait in the disk buffer and are retried: %s", sink, message)

    def refused(self, segments: Segments, message: str) -> None:
        total = sum(n for _, n in segments)
        log.error("dropped a batch of %d events the sink will never take: %s", total, message)
        with self._lock:
            for name, n in segments:
                self.dropped[name] += n
            self.sink_up, self.last_success = True, self.wall()

    def cursor_error(self, name: str, message: str) -> None:
        with self._lock:
            self.errors[name] += 1
            self.last_error = message

    def buffer_error(self, message: str) -> None:
        with self._lock:
            self.buffer_errors += 1
            self.last_error = message

    def snapshot(self) -> PipelineStats:
        """A consistent copy for one scrape."""
        copy = PipelineStats(self.wall)
        with self._lock:
            copy.shipped, copy.retried = Counter(self.shipped), Counter(self.retried)
            copy.dropped = Counter(self.dropped)
            copy.rejected, copy.errors = Counter(self.rejected), Counter(self.errors)
            copy.buffer_errors, copy.sink_up, copy.last_success = self.buffer_errors, self.sink_up, self.last_success
            copy.last_error = self.last_error
        return copy
