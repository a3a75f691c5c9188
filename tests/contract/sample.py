"""Sample events and small helpers shared by the LogStore contract tests."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable

from inframind.events import LogEvent
from inframind.logstore.base import LogStore

BASE = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC)
MSK = dt.timezone(dt.timedelta(hours=3))


def ev(second: float, **kw: object) -> LogEvent:
    values: dict[str, object] = {
        "timestamp": BASE + dt.timedelta(seconds=second),
        "source": "syslog",
        "level": "info",
        "message": f"event number {second}",
        "host": "web-1",
        "asset_id": "web-1",
        "tenant": "acme",
    }
    values.update(kw)
    return LogEvent(**values)  # type: ignore[arg-type]


def fps(events: Iterable[LogEvent]) -> list[str]:
    return [e.fingerprint for e in events]


def read_all(store: LogStore, position: str | None = None, step: int = 1000, tenant: str | None = None) -> list[str]:
    found: list[str] = []
    while True:
        events, position = store.read_after(position, step, tenant)
        if not events:
            return found
        found += fps(events)


class Backend:
    """One backend's storage for one test; :meth:`open` may be called again to reopen the same data."""

    def __init__(self, name: str, open_store: Callable[[], LogStore]) -> None:
        self.name = name
        self._open = open_store
        self.opened: list[LogStore] = []

    def open(self) -> LogStore:
        store = self._open()
        self.opened.append(store)
        return store
