"""Background polling for slow targets: BMCs can take tens of seconds to answer a full inventory.

A module with ``cache: {interval: 2m}`` gets one poller thread per (module, target, auth). The first scrape
starts it and waits for the first result (within its own deadline); later scrapes return the latest result
at once, with its age. A poller that no scrape has asked for in ``idle_stop`` stops itself, so targets
removed from the scrape config stop being polled.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

from inframind.exporters.probe.base import Outcome

if TYPE_CHECKING:
    from inframind.exporters.probe.config import Auth, Module

Key = tuple[str, str, str]
Runner = Callable[["Module", str, "Auth | None", float], Outcome]


class _Poller:
    def __init__(self, cache: PollCache, module: Module, target: str, auth: Auth | None) -> None:
        self.cache, self.module, self.target, self.auth = cache, module, target, auth
        self.result: Outcome | None = None
        self.result_at = 0.0
        self.last_asked = cache.clock()
        self.first = threading.Event()
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.loop, daemon=True, name=f"poll-{module.name}-{target}")

    def loop(self) -> None:
        assert self.module.cache is not None
        interval, idle_stop = self.module.cache.interval, self.module.cache.idle_stop
        while not self.stop.is_set():
            outcome = self.cache.runner(self.module, self.target, self.auth, self.module.timeout)
            self.result, self.result_at = outcome, self.cache.clock()
            self.first.set()
            if self.cache.clock() - self.last_asked > idle_stop:
                break
            self.stop.wait(interval)
        self.cache.forget(self)


class PollCache:
    def __init__(self, runner: Runner, clock: Callable[[], float]) -> None:
        self.runner = runner
        self.clock = clock
        self._pollers: dict[Key, _Poller] = {}
        self._lock = threading.Lock()

    @staticmethod
    def key(module: Module, target: str, auth: Auth | None) -> Key:
        return (module.name, target, auth.name if auth else "")

    def get(self, module: Module, target: str, auth: Auth | None, timeout: float) -> Outcome:
        key = self.key(module, target, auth)
        with self._lock:
            poller = self._pollers.get(key)
            if poller is None:
                poller = self._pollers[key] = _Poller(self, module, target, auth)
                poller.thread.start()
            poller.last_asked = self.clock()
        if not poller.first.wait(timeout):
            return Outcome([], False, timeout, "timeout", cache_age=None)
        result = poller.result
        assert result is not None
        return Outcome(
            result.families, result.success, result.duration, result.reason, cache_age=self.clock() - poller.result_at
        )

    def forget(self, poller: _Poller) -> None:
        with self._lock:
            key = self.key(poller.module, poller.target, poller.auth)
            if self._pollers.get(key) is poller:
                del self._pollers[key]

    def active(self) -> list[Key]:
        with self._lock:
            return sorted(self._pollers)

    def close(self) -> None:
        with self._lock:
            pollers = list(self._pollers.values())
        for poller in pollers:
            poller.stop.set()
