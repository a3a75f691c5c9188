"""The collector contract and the runner that times and guards each collector.

A collector builds its metric families fresh on every ``collect()`` (client_python's Collector protocol)
and may raise: :class:`CollectorSet` turns a failure into ``<ns>_scrape_collector_success 0`` and one log
line per distinct error, so one broken source never breaks the scrape (node_exporter's behaviour).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from typing import Protocol

from prometheus_client.core import GaugeMetricFamily, Metric

log = logging.getLogger(__name__)


class Collector(Protocol):
    """One source of metric families. ``name`` is the label value in the scrape_collector families."""

    name: str

    def collect(self) -> Iterable[Metric]: ...


class Closable(Protocol):
    def close(self) -> None: ...


class CollectorError(Exception):
    """A collector could not read its source; the message says what and where, for the log line."""


class CollectorSet:
    """Runs collectors in order; emits their families plus per-collector duration and success.

    ``namespace`` is ``node`` for the host exporter so the self-metrics keep node_exporter's names.
    """

    def __init__(self, collectors: Sequence[Collector], namespace: str = "node") -> None:
        self.collectors = list(collectors)
        self.namespace = namespace
        self._last_error: dict[str, str] = {}
        self._lock = threading.Lock()

    def collect(self) -> Iterator[Metric]:
        duration = GaugeMetricFamily(
            f"{self.namespace}_scrape_collector_duration_seconds",
            "Seconds a collector took in this scrape.",
            labels=["collector"],
        )
        success = GaugeMetricFamily(
            f"{self.namespace}_scrape_collector_success",
            "Whether a collector succeeded in this scrape (1) or failed (0).",
            labels=["collector"],
        )
        for collector in self.collectors:
            start = time.perf_counter()
            try:
                families = list(collector.collect())
            except Exception as exc:  # noqa: BLE001 - a collector must never break the scrape
                ok = 0.0
                families = []
                self._note_failure(collector.name, exc)
            else:
                ok = 1.0
                self._note_success(collector.name)
            duration.add_metric([collector.name], time.perf_counter() - start)
            success.add_metric([collector.name], ok)
            yield from families
        yield duration
        yield success

    def _note_failure(self, name: str, exc: Exception) -> None:
        message = f"{type(exc).__name__}: {exc}" if not isinstance(exc, CollectorError) else str(exc)
        with self._lock:
            repeated = self._last_error.get(name) == message
            self._last_error[name] = message
        if not repeated:  # log a failure once, not on every scrape
            log.error("collector %s failed: %s", name, message)

    def _note_success(self, name: str) -> None:
        with self._lock:
            had_error = self._last_error.pop(name, None)
        if had_error is not None:
            log.info("collector %s recovered", name)

    def close(self) -> None:
        for collector in self.collectors:
            close = getattr(collector, "close", None)
            if callable(close):
                close()
