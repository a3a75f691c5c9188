"""What the read routes read, as small interfaces: the metric loop's outputs, mined templates, recommendations.

Each is optional on :class:`~inframind.analyzer.api.Deps`; a route whose source is missing answers 503 saying
which part of the analyzer is not running, never a 500.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from inframind.analyzer.detect.templates import MinerSet
from inframind.analyzer.findings import Finding
from inframind.analyzer.metricloop_metrics import MetricSnapshot
from inframind.analyzer.recommendation import Language, Recommendation

MINERS_KEY = "miners"
"""The log loop's key of its miner snapshot (under a shard's prefix with replicas)."""


class MetricOutputs(Protocol):
    """The metric analyzer as far as forecasts and anomalies go: its last published snapshot."""

    @property
    def snapshot(self) -> MetricSnapshot: ...


Recommender = Callable[[Finding, Language], Recommendation]


@dataclass(frozen=True)
class TemplateRow:
    tenant: str
    source: str
    template_id: str
    text: str
    count: int

    def to_dict(self) -> dict[str, Any]:
        return {"tenant": self.tenant, "source": self.source, "template_id": self.template_id, "text": self.text,
                "count": self.count}  # fmt: skip


class TemplateSource(Protocol):
    def templates(self) -> Sequence[TemplateRow]:
        """Every live template of every (tenant, source)."""
        ...


class StateTemplates:
    """Templates from the log loop's miner snapshots in the state store (read-only), re-read at most every
    ``ttl`` seconds: a snapshot of a busy fleet is megabytes of JSON."""

    def __init__(
        self,
        get: Callable[[str], Any],
        prefixes: Sequence[str] = ("",),
        ttl: float = 15.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._get, self.prefixes, self.ttl, self._clock = get, tuple(prefixes), ttl, clock
        self._rows: list[TemplateRow] = []
        self._read_at: float | None = None
        self._lock = threading.Lock()

    def templates(self) -> Sequence[TemplateRow]:
        with self._lock:
            now = self._clock()
            if self._read_at is None or now - self._read_at >= self.ttl:
                self._rows, self._read_at = self._read(), now
            return self._rows

    def _read(self) -> list[TemplateRow]:
        rows: list[TemplateRow] = []
        for prefix in self.prefixes:
            snapshot = self._get(prefix + MINERS_KEY)
            if snapshot is None:
                continue
            miners = MinerSet.restore(snapshot)
            for tenant, source in miners:
                for t in miners.miner(tenant, source).templates():
                    rows.append(TemplateRow(tenant, source, t.template_id, t.text, t.size))
        return rows


def default_recommender() -> Recommender:
    """The shipped templates without store measurements (the service installs one that measures)."""
    from inframind.analyzer.recommend import recommend

    return recommend
