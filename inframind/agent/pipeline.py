"""The pipeline every source feeds: batching, the disk buffer, the shipper, and when cursors may move.

Three threads, so a slow or dead sink never stops reading for longer than one attempt:

- The *poller* polls the pull sources in turn, each for at most its fair share of a batch, until
  ``batch_max_events`` are pending or the oldest has waited ``batch_max_wait``, and hands the batch (with
  its sources' ``commit``s) over through a short queue; it waits when the queue is full (back-pressure).
- The *settler* makes each handed batch durable, then runs its commits (the cursors move). Durable means
  *in the sink* when the buffer is empty and the sink is up (the fast path: no encoding, no second write,
  reading overlaps the sink's IO), else *in the disk buffer*. While the buffer holds anything, new batches
  queue behind it, so a source's events reach the sink in the order they were read.
- The *shipper* sends the oldest buffered batches, forgets them only once the sink has them, and while
  the sink is down retries with exponential backoff (capped). A batch the sink refuses for good is counted
  and dropped, so it cannot block the queue.

Push sources' ``emit`` appends to the buffer directly: durable when it returns, never waiting on the sink.
If the buffer cannot be written either (disk full), the settler retries and commits wait; the queue fills
and reading pauses: nothing is committed that is not durable. Delivery is at-least-once; the store
deduplicates by fingerprint.
"""

from __future__ import annotations

import logging
import math
import sqlite3
import threading
import time
from collections.abc import Callable, Sequence

from inframind.agent.buffer import DiskBuffer, Segments
from inframind.agent.pipeline_handoff import Handed, Handoff, Pending
from inframind.agent.pipeline_stats import PipelineStats
from inframind.agent.sinks import BatchRefused, LogSink, SinkDown
from inframind.agent.source import Emit, PullSource, PushSource
from inframind.events import LogEvent

log = logging.getLogger(__name__)
QUEUE_DEPTH = 2
"""Batches read ahead of the sink: enough to overlap reading with writing, little memory at risk."""


class Pipeline:
    def __init__(
        self,
        sink: LogSink,
        buffer: DiskBuffer,
        *,
        batch_max_events: int = 1000,
        batch_max_wait: float = 1.0,
        backoff_initial: float = 0.5,
        backoff_max: float = 30.0,
        idle_sleep: float = 0.1,
        clock: Callable[[], float] = time.monotonic,
        wall: Callable[[], float] = time.time,
    ) -> None:
        self.sink = sink
        self.buffer = buffer
        self.batch_max_events = max(1, batch_max_events)
        self.batch_max_wait = batch_max_wait
        self.backoff_initial, self.backoff_max = backoff_initial, backoff_max
        self.idle_sleep = idle_sleep
        self.clock = clock
        self.pull: list[PullSource] = []
        self.push: list[PushSource] = []
        self.stats = PipelineStats(wall)
        self._handoff = Handoff(QUEUE_DEPTH)
        self._stopping = threading.Event()
        self._halt = threading.Event()
        """Set when the shutdown grace is over: no more sink attempts, what is handed goes to the buffer."""
        self._work = threading.Event()
        self._threads: dict[str, threading.Thread] = {}

    # ------------------------------------------------------------ lifecycle

    def emit_for(self, name: str) -> Emit:
        def emit(events: Sequence[LogEvent]) -> None:
            if events:
                self.buffer.append(events, ((name, len(events)),))
                self._work.set()

        return emit

    def start(self) -> None:
        """Start the threads, then the push sources (which may raise OSError on bind: stop() cleans up)."""
        for name, target in (("poller", self._poll_loop), ("settler", self._settle_loop), ("shipper", self._ship_loop)):
            self._threads[name] = threading.Thread(target=target, name=f"agent-{name}", daemon=True)
            self._threads[name].start()
        for source in self.push:
            source.start(self.emit_for(source.name))

    def alive(self) -> bool:
        return bool(self._threads) and all(t.is_alive() for t in self._threads.values())

    def _running(self, name: str) -> bool:
        thread = self._threads.get(name)
        return thread is not None and thread.is_alive()

    def stop(self, grace: float = 10.0) -> None:
        """Stop receiving and polling, make what was read durable, ship what can be within ``grace``
        seconds; the rest stays in the buffer for the next start."""
        for push in self.push:
            push.close()
        self._stopping.set()
        self._work.set()
        deadline = self.clock() + grace
        for thread in self._threads.values():  # poller: last batch handed; settler: queue empty; shipper: drained
            while thread.is_alive() and self.clock() < deadline:
                thread.join(0.05)
        self._halt.set()
        self._handoff.wake()
        for thread in self._threads.values():
            thread.join(60)
        for pull in self.pull:
            pull.close()
        self.sink.close()
        self.buffer.close()

    # ------------------------------------------------------------ polling

    def _poll_loop(self) -> None:
        pending = Pending()
        while not self._stopping.is_set():
            got = self._poll_round(pending)
            now = self.clock()
            if pending.commits and (pending.full(self.batch_max_events) or now - pending.since >= self.batch_max_wait):
                self._handoff.put(pending.take(), self._halt)
            elif not got:
                wait = self.idle_sleep
                if pending.commits:
                    wait = min(wait, pending.since + self.batch_max_wait - now)
                self._stopping.wait(max(wait, 0.001))
        if pending.commits:
            self._handoff.put(pending.take(), self._halt)

    def _poll_round(self, pending: Pending) -> int:
        share = math.ceil(self.batch_max_events / max(len(self.pull), 1))
        got = 0
        for source in self.pull:
            room = self.batch_max_events - len(pending.events)
            if room <= 0 or pending.full(self.batch_max_events):
                break
            try:
                batch = source.poll(min(share, room))
            except Exception as exc:  # one broken source must not stop the others
                log.exception("%s: poll failed", source.name)
                source.stats.error(f"poll failed: {exc}")
                continue
            if batch is not None:
                pending.add(source.name, batch, self.clock(), self.stats.wall())
                got += len(batch.events)
        return got

    # ------------------------------------------------------------ settling

    def _settle_loop(self) -> None:
        while True:
            handed = self._handoff.take(0.2)
            if handed is not None:
                self._settle(handed, use_sink=not self._halt.is_set())
                self._handoff.done()
            elif (self._halt.is_set() or (self._stopping.is_set() and not self._running("poller"))) and (
                self._handoff.empty()
            ):
                return

    def _settle(self, handed: Handed, use_sink: bool) -> None:
        """Make a handed batch durable (sink or buffer), then run its commits."""
        if handed.events:
            fast = use_sink and self.buffer.empty() and self.stats.sink_up is not False
            if not (fast and self._send(handed.events, handed.segments)) and not self._append(handed):
                return  # halting before the disk took it: not committed, read again at the next start
        for name, commit in handed.commits:
            try:
                commit()
            except Exception as exc:  # a cursor not saved means a re-read, never a loss
                log.exception("%s: saving the cursor failed", name)
                self.stats.cursor_error(name, str(exc))

    def _append(self, handed: Handed) -> bool:
        backoff = self.backoff_initial
        while True:
            try:
                self.buffer.append(handed.events, handed.segments, handed.created)
            except sqlite3.Error as exc:
                log.error("cannot write %d events to the disk buffer %s: %s", len(handed.events), self.buffer.path, exc)
                self.stats.buffer_error(str(exc))
                if self._halt.wait(backoff):
                    return False
                backoff = min(backoff * 2, self.backoff_max)
                continue
            self._work.set()
            return True

    def _send(self, events: list[LogEvent], segments: Segments) -> bool:
        """One attempt; True when the sink has the batch or refused it for good."""
        try:
            result = self.sink.write(events)
        except SinkDown as exc:
            self.stats.down(segments, str(exc), self.sink.description)
            return False
        except BatchRefused as exc:
            self.stats.refused(segments, str(exc))
            return True
        self.stats.delivered(segments, result)
        return True

    # ------------------------------------------------------------ shipping

    def _ship_loop(self) -> None:
        backoff, retry_at = self.backoff_initial, 0.0
        while not self._halt.is_set():
            now = self.clock()
            if self.buffer.empty():
                if self._stopping.is_set() and not self._running("settler"):
                    return
                wait = 0.2
            elif now >= retry_at:
                if self._ship_buffered():
                    backoff, retry_at = self.backoff_initial, 0.0
                else:
                    retry_at, backoff = now + backoff, min(backoff * 2, self.backoff_max)
                continue
            else:
                wait = min(retry_at - now, 0.2)
            self._work.wait(wait)
            self._work.clear()

    def _ship_buffered(self) -> bool:
        entries = self.buffer.peek(self.batch_max_events)
        ids = [entry.id for entry in entries]
        events = [event for entry in entries for event in entry.events]
        segments = tuple(segment for entry in entries for segment in entry.segments)
        if self._send(events, segments):
            self.buffer.ack(ids)
            return True
        self.buffer.release(ids)
        return False

    # ------------------------------------------------------------ metrics

    def lag_seconds(self) -> dict[str, float]:
        """Per source: how long its oldest input not yet in the sink has waited (unread, handed over, or
        in the buffer)."""
        now = self.stats.wall()
        waiting = self._handoff.oldest_by_source()
        for name, created in self.buffer.oldest_by_source().items():
            waiting[name] = min(waiting.get(name, created), created)
        lags = {}
        sources: list[PullSource | PushSource] = [*self.pull, *self.push]
        for source in sources:
            queued = now - waiting[source.name] if source.name in waiting else 0.0
            lags[source.name] = max(source.stats.lag_seconds, queued, 0.0)
        return lags
