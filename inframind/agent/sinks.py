"""Where the agent ships: the configured log store directly, or the analyzer's ingest API over HTTP.

A sink either takes a batch (some events may be rejected one by one: counted, never retried), or raises:

- :class:`SinkDown` — try again later (store unreachable or locked, HTTP 5xx/408/429, a refused token:
  the operator fixes the token and the buffer drains; dropping would lose everything meanwhile);
- :class:`BatchRefused` — this batch can never be delivered (HTTP 400/422 ...): the pipeline counts and
  drops it, so one bad batch cannot block the queue forever.

A batch the API finds too large (413) is split in halves until it fits; a single event that is still too
large is rejected (``too_large``).
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import requests

from inframind.config import Config
from inframind.config.agent import SinkSettings
from inframind.events import LogEvent
from inframind.logstore import LogStore, LogStoreError, open_store

log = logging.getLogger(__name__)
INGEST_PATH = "/api/v1/logs"


class SinkDown(Exception):
    """The sink cannot take anything now; the message says why and what to check."""


class BatchRefused(Exception):
    """The sink will never take this batch; the message says why."""


@dataclass
class SinkResult:
    written: int = 0
    duplicates: int = 0
    rejected: list[tuple[int | None, str]] = field(default_factory=list)
    """``(index in the batch, reason)`` of events refused one by one; reason is ``invalid`` or ``too_large``;
    the index is None when the answer did not say which event it was."""


class LogSink(Protocol):
    description: str
    """For logs and errors: ``logstore sqlite:var/logs.db``, ``http http://analyzer:8050``."""

    def write(self, events: Sequence[LogEvent]) -> SinkResult: ...

    def close(self) -> None: ...


class LogStoreSink:
    """Writes through a LogStore, opened on first use and reopened after a failure (a store that was down
    when the agent started, or a database file replaced under it)."""

    def __init__(self, opener: Callable[[], LogStore], description: str) -> None:
        self.description = description
        self._opener = opener
        self._store: LogStore | None = None
        self._lock = threading.Lock()

    def write(self, events: Sequence[LogEvent]) -> SinkResult:
        with self._lock:
            try:
                if self._store is None:
                    self._store = self._opener()
                result = self._store.write(events)
            except LogStoreError as exc:
                self._reset()
                raise SinkDown(str(exc)) from None
            except Exception as exc:  # noqa: BLE001 - a store client's own errors (connection, timeout): retry
                self._reset()
                raise SinkDown(f"{self.description}: {type(exc).__name__}: {exc}") from None
        return SinkResult(result.written, result.duplicates)

    def _reset(self) -> None:
        if self._store is not None:
            try:
                self._store.close()
            except Exception as exc:  # noqa: BLE001 - closing a broken store must not hide what broke it
                log.debug("closing %s after an error: %s", self.description, exc)
            self._store = None

    def close(self) -> None:
        with self._lock:
            self._reset()


class HttpSink:
    """POSTs ``{"events": [LogEvent.to_dict(), ...]}`` to the analyzer's ``/api/v1/logs`` with a bearer token."""

    def __init__(
        self, settings: SinkSettings, env: Mapping[str, str] | None = None, session: requests.Session | None = None
    ) -> None:
        self.settings = settings
        self.url = settings.url.rstrip("/") + INGEST_PATH
        self.description = f"http {self.url}"
        self._env = env
        self._session = session or requests.Session()
        self._verify: bool | str = settings.ca_file or settings.verify_tls
        self._lock = threading.Lock()

    def write(self, events: Sequence[LogEvent]) -> SinkResult:
        with self._lock:
            return self._post(list(events), 0)

    def _post(self, events: list[LogEvent], base: int) -> SinkResult:
        body = json.dumps({"events": [e.to_dict() for e in events]}, ensure_ascii=False).encode("utf-8")
        headers = {"Content-Type": "application/json; charset=utf-8"}
        if self.settings.token is not None:  # resolved at use: a rotated token file is picked up
            headers["Authorization"] = f"Bearer {self.settings.token.resolve(self._env)}"
        try:
            answer = self._session.post(
                self.url, data=body, headers=headers, timeout=self.settings.timeout, verify=self._verify
            )
        except requests.RequestException as exc:
            raise SinkDown(f"cannot reach {self.url}: {exc}") from None
        status = answer.status_code
        if 200 <= status < 300:
            return _result(answer, base, len(events))
        if status == 413:
            return self._split(events, base)
        detail = answer.text[:300].strip()
        if status in (401, 403):
            raise SinkDown(f"{self.url} refused the token (HTTP {status}): check agent.sink.token; {detail}")
        if status in (408, 429) or status >= 500:
            raise SinkDown(f"{self.url} answered HTTP {status}: {detail}")
        raise BatchRefused(f"{self.url} refused a batch of {len(events)} events (HTTP {status}): {detail}")

    def _split(self, events: list[LogEvent], base: int) -> SinkResult:
        if len(events) == 1:
            log.warning("%s: event %s is too large for the ingest API (HTTP 413)", self.url, events[0].fingerprint)
            return SinkResult(rejected=[(base, "too_large")])
        half = len(events) // 2
        first, second = self._post(events[:half], base), self._post(events[half:], base + half)
        return SinkResult(
            first.written + second.written, first.duplicates + second.duplicates, first.rejected + second.rejected
        )

    def close(self) -> None:
        self._session.close()


def _result(answer: requests.Response, base: int, count: int) -> SinkResult:
    """``{"written": n, "duplicates": m, "rejected": [{"index": i, "reason": "..."}, ...]}``; a body without
    counts (an older API) means all were taken."""
    try:
        data: Any = answer.json()
    except ValueError:
        data = {}
    if not isinstance(data, dict):
        data = {}
    rejected: list[tuple[int | None, str]] = []
    for item in data.get("rejected") or []:
        index = item.get("index") if isinstance(item, dict) else item
        if isinstance(index, int) and not isinstance(index, bool) and 0 <= index < count:
            rejected.append((base + index, "invalid"))
        else:
            rejected.append((None, "invalid"))
        log.warning("ingest API rejected an event: %s", str(item)[:300])
    written = data.get("written")
    duplicates = data.get("duplicates")
    return SinkResult(
        int(written) if isinstance(written, int) else count - len(rejected),
        int(duplicates) if isinstance(duplicates, int) else 0,
        rejected,
    )


def build_sink(config: Config, env: Mapping[str, str] | None = None) -> LogSink:
    """The sink ``agent.sink`` names; the log store is opened on first write, not here."""
    settings = config.agent.sink
    if settings.type == "http":
        return HttpSink(settings, env)
    store = config.logstore
    where = store.sqlite.path if store.type == "sqlite" else ",".join(store.opensearch.hosts)
    return LogStoreSink(lambda: open_store(store), f"logstore {store.type}:{where}")
