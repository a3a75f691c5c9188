"""``GET /probe?target=&module=[&auth=]``: one module against one target, answered like blackbox_exporter.

- A bad request (no target, unknown module or auth) is a 400 that says what is wrong and what exists.
- Otherwise a 200 with the module's families plus ``probe_success`` and ``probe_duration_seconds``; a
  target that fails or times out is ``probe_success 0`` and a count in
  ``inframind_probe_errors_total{module,reason}`` on the exporter's own /metrics. Never a 500 or a hang:
  every probe runs in the module's worker pool and is abandoned at its deadline.
- The deadline is the module's timeout, cut to the scraper's ``X-Prometheus-Scrape-Timeout-Seconds``
  minus ``probe.timeout_offset``, so the answer arrives before the scraper gives up.
- A scrape has no side effects on the target beyond reading it; modules with ``cache:`` are polled in the
  background and a scrape returns the latest result with ``inframind_probe_cache_age_seconds``.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily, Metric

from inframind.config import ExporterConfig
from inframind.exporters.exposition import text_format
from inframind.exporters.probe.authclient import ApiAuthResolver, AuthLookupError
from inframind.exporters.probe.base import PROBERS, Outcome, ProbeError, Prober
from inframind.exporters.probe.cache import PollCache
from inframind.exporters.probe.config import Auth, Module, ProbeConfig
from inframind.exporters.server import Request, Response, text

log = logging.getLogger(__name__)

DURATION_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30, 60)


class ProbeMetrics:
    """The exporter's own per-module probe metrics, on its /metrics."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.requests = Counter("inframind_probe_requests", "Probe requests by module.", ["module"], registry=registry)
        self.errors = Counter(
            "inframind_probe_errors", "Failed probes by module and reason.", ["module", "reason"], registry=registry
        )
        self.duration = Histogram(
            "inframind_probe_duration_seconds",
            "Probe durations by module.",
            ["module"],
            buckets=DURATION_BUCKETS,
            registry=registry,
        )


class ProbeService:
    """Owns the probers, the per-module worker pools and the background caches."""

    def __init__(
        self,
        exporter: ExporterConfig,
        probe_config: ProbeConfig,
        registry: CollectorRegistry,
        clock: Callable[[], float] = time.monotonic,
        api_auth: ApiAuthResolver | None = None,
    ) -> None:
        self.exporter = exporter
        self.config = probe_config
        self.api_auth = api_auth
        """Resolves ``auth=api:<name>`` (credentials stored through the analyzer's API) with a cached lookup."""
        self.metrics = ProbeMetrics(registry)
        self.clock = clock
        self._probers: dict[str, Prober] = {}
        self._pools: dict[str, ThreadPoolExecutor] = {}
        self._lock = threading.Lock()
        self.cache = PollCache(self._run_recorded, clock)

    # ------------------------------------------------------------ request handling

    def handle(self, request: Request) -> Response:
        target = (request.arg("target") or "").strip()
        module_name = request.arg("module") or ""
        if not target:
            return text(400, "missing parameter `target`: /probe?target=<address>&module=<module>[&auth=<auth>]")
        module = self.config.modules.get(module_name)
        if module is None:
            known = ", ".join(sorted(self.config.modules)) or "none configured"
            return text(400, f"unknown module {module_name!r}; modules: {known}")
        auth_name = request.arg("auth") or module.auth
        auth: Auth | None = None
        if auth_name and ApiAuthResolver.handles(auth_name):
            if self.api_auth is None:
                return text(400, f"unknown auth {auth_name!r}: api: auths need INFRAMIND_AUTH_API_URL (the analyzer)")
            try:
                auth = self.api_auth.resolve(auth_name)
            except AuthLookupError as exc:
                return text(400 if exc.unknown else 503, str(exc))
        elif auth_name:
            auth = self.config.auths.get(auth_name)
            if auth is None:
                known = ", ".join(sorted(self.config.auths)) or "none configured"
                return text(400, f"unknown auth {auth_name!r}; auths: {known}")
        if auth is not None and auth.type != module.prober:
            return text(400, f"auth {auth_name!r} is for {auth.type}, module {module_name!r} uses {module.prober}")
        timeout = self.deadline(module, request.headers.get("X-Prometheus-Scrape-Timeout-Seconds"))
        outcome = self.run(module, target, auth, timeout)
        return self.render(outcome)

    def deadline(self, module: Module, header: str | None) -> float:
        settings = self.config.settings
        timeout = min(module.timeout, settings.max_timeout)
        try:
            scraper = float(header) if header else None
        except ValueError:
            scraper = None
        if scraper is not None and scraper > 0:
            timeout = min(timeout, max(scraper - settings.timeout_offset, 0.1))
        return timeout

    def run(self, module: Module, target: str, auth: Auth | None, timeout: float) -> Outcome:
        """One scrape's answer; with a cache, probes (and their metrics) happen on the poller's schedule."""
        self.metrics.requests.labels(module.name).inc()
        if module.cache is not None:
            return self.cache.get(module, target, auth, timeout)
        return self._run_recorded(module, target, auth, timeout)

    def _run_recorded(self, module: Module, target: str, auth: Auth | None, timeout: float) -> Outcome:
        outcome = self._run_uncached(module, target, auth, timeout)
        self.metrics.duration.labels(module.name).observe(outcome.duration)
        if not outcome.success and outcome.reason:
            self.metrics.errors.labels(module.name, outcome.reason).inc()
        return outcome

    def render(self, outcome: Outcome) -> Response:
        success = GaugeMetricFamily("probe_success", "Whether the probe succeeded.", value=float(outcome.success))
        duration = GaugeMetricFamily(
            "probe_duration_seconds", "How long the probe took, in seconds.", value=outcome.duration
        )
        families = [*outcome.families, success, duration]
        if outcome.cache_age is not None:
            families.append(
                GaugeMetricFamily(
                    "inframind_probe_cache_age_seconds",
                    "Age of the cached probe result served, in seconds.",
                    value=outcome.cache_age,
                )
            )
        body, content_type = text_format(families)  # text 0.0.4 always, as the Go exporters answer
        return Response(200, body, content_type)

    # ------------------------------------------------------------ running a prober

    def _pool(self, module: Module) -> ThreadPoolExecutor:
        with self._lock:
            pool = self._pools.get(module.name)
            if pool is None:
                pool = ThreadPoolExecutor(module.max_concurrency, thread_name_prefix=f"probe-{module.name}")
                self._pools[module.name] = pool
            return pool

    def _prober(self, name: str) -> Prober:
        with self._lock:
            prober = self._probers.get(name)
            if prober is None:
                prober = self._probers[name] = PROBERS[name].create(self.exporter)
            return prober

    def _run_uncached(self, module: Module, target: str, auth: Auth | None, timeout: float) -> Outcome:
        start = self.clock()
        pool = self._pool(module)
        future: Future[list[Metric]] = pool.submit(self._call, module, target, auth, timeout, start)
        try:
            families = future.result(timeout=timeout)
        except FutureTimeout:
            future.cancel()
            return self._failed(module, target, "timeout", f"no answer within {timeout:.1f}s", start)
        except ProbeError as exc:
            return self._failed(module, target, exc.reason, exc.message, start)
        except Exception:  # a prober bug must cost one probe, never the server
            log.exception("probe of %s with module %s failed unexpectedly", target, module.name)
            return Outcome([], False, self.clock() - start, "internal")
        return Outcome(families, True, self.clock() - start)

    def _call(self, module: Module, target: str, auth: Auth | None, timeout: float, queued: float) -> list[Metric]:
        remaining = timeout - (self.clock() - queued)
        if remaining <= 0:
            raise ProbeError(
                "concurrency_limit",
                f"module {module.name} was busy until the deadline (max_concurrency {module.max_concurrency})",
            )
        prober = self._prober(module.prober)
        return list(prober.probe(target, module.settings, auth.settings if auth else None, remaining))

    def _failed(self, module: Module, target: str, reason: str, message: str, start: float) -> Outcome:
        log.debug("probe of %s with module %s failed (%s): %s", target, module.name, reason, message)
        return Outcome([], False, self.clock() - start, reason)

    def close(self) -> None:
        self.cache.close()
        with self._lock:
            pools, probers = list(self._pools.values()), list(self._probers.values())
        for pool in pools:
            pool.shutdown(wait=False, cancel_futures=True)
        for prober in probers:
            prober.close()
