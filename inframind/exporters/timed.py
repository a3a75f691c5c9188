"""Blocking calls with a deadline, for a syscall that can hang for good (statvfs of a dead NFS mount).

Calls run on pooled daemon threads, so a call stuck in the kernel never holds up the scrape or the
process exit; a batch waits at most ``timeout`` in all. A key whose call has not returned is *stuck*: it
is answered with None at once and not called again until that call returns, so one dead server costs one
thread, not one per scrape. Both host backends use it: procfs with ``os.statvfs``, psutil with
``os.statvfs`` or (Windows) ``psutil.disk_usage``.
"""

from __future__ import annotations

import functools
import logging
import queue
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from typing import Generic, TypeVar

log = logging.getLogger(__name__)
T = TypeVar("T")


class TimedCalls(Generic[T]):
    def __init__(self, call: Callable[[str], T], what: str, max_workers: int = 16) -> None:
        self.call = call
        self.what = what
        """Names the call in log lines, e.g. ``filesystem: stat of``."""
        self.max_workers = max_workers
        self._stuck: set[str] = set()
        self._jobs: queue.SimpleQueue[tuple[str, Future[T]]] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._threads = self._idle = self._queued = 0

    def run(self, keys: Sequence[str], timeout: float) -> list[T | None]:
        """``call(key)`` per key, None for a failed, hung or still-stuck one."""
        with self._lock:
            stuck = set(self._stuck)
        futures = [None if key in stuck else self._submit(key) for key in keys]
        deadline = time.monotonic() + timeout
        return [
            None if future is None else self._wait(key, future, deadline, timeout)
            for key, future in zip(keys, futures, strict=True)
        ]

    def _submit(self, key: str) -> Future[T]:
        future: Future[T] = Future()
        with self._lock:
            self._queued += 1
            spawn = self._queued > self._idle and self._threads < self.max_workers
            if spawn:
                self._threads += 1
        self._jobs.put((key, future))
        if spawn:
            threading.Thread(target=self._work, name=self.what, daemon=True).start()
        return future

    def _work(self) -> None:
        while True:
            with self._lock:
                self._idle += 1
            key, future = self._jobs.get()
            with self._lock:
                self._idle -= 1
                self._queued -= 1
            if not future.set_running_or_notify_cancel():
                continue
            try:
                future.set_result(self.call(key))
            except Exception as exc:  # noqa: BLE001 - handed to the waiting scrape, which reports it
                future.set_exception(exc)

    def _wait(self, key: str, future: Future[T], deadline: float, timeout: float) -> T | None:
        try:
            error = future.exception(timeout=max(0.0, deadline - time.monotonic()))
        except TimeoutError:  # raised only while the call still runs; the call's own errors are returned
            with self._lock:
                self._stuck.add(key)
            log.warning("%s %s hangs (>%gs); skipping it until it returns", self.what, key, timeout)
            future.add_done_callback(functools.partial(self._unstick, key))
            return None
        if error is not None:
            log.debug("%s %s failed: %s", self.what, key, error)
            return None
        return future.result()

    def _unstick(self, key: str, _future: object) -> None:
        with self._lock:
            self._stuck.discard(key)
        log.info("%s %s returned; monitoring it again", self.what, key)
