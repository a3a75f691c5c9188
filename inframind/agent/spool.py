"""The agent's spool: LogEvents appended as JSON lines to one file until the shipper delivers them.

Sources call :meth:`JsonlSpool.put` from their own threads; one writer thread appends whatever has
queued up as a batch and fsyncs once per batch. A trap storm thus costs one fsync per burst rather than
per trap, and a slow disk never blocks the UDP receive loop (whose socket buffer would overflow).
Lines are UTF-8 ``LogEvent.to_json`` output; read them back line by line with ``LogEvent.from_json``
(iterate the file, do not ``str.splitlines()``: text may hold U+2028).
"""

from __future__ import annotations

import logging
import os
import queue
import threading
from collections.abc import Sequence
from pathlib import Path

from inframind.events import LogEvent

log = logging.getLogger(__name__)

MAX_QUEUED = 100_000
"""Events held in memory while the disk is slow; beyond that new events are counted as lost."""
MAX_BATCH = 1_000


def append_lines(path: Path, events: Sequence[LogEvent]) -> None:
    """Append ``events`` to ``path`` and fsync: durable when this returns. Creates the file and its folder."""
    created = not path.exists()
    path.parent.mkdir(parents=True, exist_ok=True)
    data = "".join(event.to_json() + "\n" for event in events).encode("utf-8")
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
        os.fsync(fd)
    finally:
        os.close(fd)
    if created:  # the new directory entry must survive a crash too
        dir_fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)


class JsonlSpool:
    """A sink (``spool.put``) backed by a writer thread; ``close()`` writes what is queued, then stops."""

    def __init__(self, path: Path, max_queued: int = MAX_QUEUED, max_batch: int = MAX_BATCH) -> None:
        self.path = path
        self.max_batch = max_batch
        self._queue: queue.Queue[LogEvent | None] = queue.Queue(max_queued)
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self.written = 0
        self.lost = {"queue_full": 0, "write_error": 0}

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="agent-spool", daemon=True)
            self._thread.start()

    def put(self, event: LogEvent) -> None:
        try:
            self._queue.put_nowait(event)
        except queue.Full:
            with self._lock:
                self.lost["queue_full"] += 1

    def close(self, timeout: float = 10.0) -> None:
        if self._thread is None:
            return
        self._queue.put(None)
        self._thread.join(timeout)
        self._thread = None

    def counts(self) -> tuple[int, dict[str, int]]:
        """Events written so far and events lost by reason (a consistent snapshot for /metrics)."""
        with self._lock:
            return self.written, dict(self.lost)

    def _run(self) -> None:
        stopping = False
        while not stopping:
            batch: list[LogEvent] = []
            item = self._queue.get()
            while item is not None:
                batch.append(item)
                if len(batch) >= self.max_batch:
                    break
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
            stopping = item is None
            if batch:
                self._write(batch)

    def _write(self, batch: list[LogEvent]) -> None:
        try:
            append_lines(self.path, batch)
        except OSError as exc:
            log.error("cannot write %d events to the spool %s: %s", len(batch), self.path, exc.strerror or exc)
            with self._lock:
                self.lost["write_error"] += len(batch)
            return
        with self._lock:
            self.written += len(batch)
