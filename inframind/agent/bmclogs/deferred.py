"""A BMC log source whose credential lives in the analyzer (``auth: api:<target id>``).

The credential is fetched through the exporter's authenticated, cached lookup when the source first polls,
not at agent start: an analyzer that is away delays this one source (shown as its error, retried every
``retry`` seconds), never the agent. Once built, the inner source does the work and shares its stats.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from inframind.agent.source import Batch, PullSource, SourceStats
from inframind.exporters.probe.authclient import ApiAuthResolver, AuthLookupError


class DeferredAuthSource:
    def __init__(
        self,
        name: str,
        reference: str,
        prober: str,
        resolver: ApiAuthResolver,
        build: Callable[[Any], PullSource],
        *,
        retry: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.name = name
        self.stats = SourceStats()
        self._reference, self._prober, self._resolver, self._build = reference, prober, resolver, build
        self._retry, self._clock = retry, clock
        self._next_try = float("-inf")
        self._inner: PullSource | None = None

    def _ready(self) -> PullSource | None:
        if self._inner is not None:
            return self._inner
        now = self._clock()
        if now < self._next_try:
            return None
        self._next_try = now + self._retry
        try:
            auth = self._resolver.resolve(self._reference)
        except AuthLookupError as exc:
            self.stats.error(str(exc))
            return None
        if auth.type != self._prober:
            self.stats.error(f"auth {self._reference} is for {auth.type}, this BMC log is read with {self._prober}")
            return None
        self._inner = self._build(auth.settings)
        self._inner.stats = self.stats  # the pipeline's metrics keep following one stats object
        return self._inner

    def poll(self, max_events: int) -> Batch | None:
        inner = self._ready()
        return inner.poll(max_events) if inner is not None else None

    def close(self) -> None:
        if self._inner is not None:
            self._inner.close()
