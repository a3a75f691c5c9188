"""The log analyzer in the analyzer process: built from config, run on a thread at its cadence, stopped cleanly."""

from __future__ import annotations

import datetime as dt
import logging
import multiprocessing
import os
import threading
from collections.abc import Callable
from concurrent.futures import Executor, ProcessPoolExecutor

from prometheus_client import CollectorRegistry

from inframind.analyzer.assets import AssetDirectory
from inframind.analyzer.logloop import LogAnalyzer
from inframind.analyzer.logloop_settings import LogAnalysisSettings
from inframind.analyzer.rulefiles import load_log_rules
from inframind.analyzer.state import LoopState
from inframind.logstore import LogStore

log = logging.getLogger(__name__)


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def process_pool(workers: int) -> Callable[[], Executor]:
    """A factory for the mining pool; ``spawn`` because the analyzer process runs threads (fork would copy locks)."""

    def make() -> Executor:
        context = multiprocessing.get_context("spawn")
        return ProcessPoolExecutor(max_workers=workers or os.cpu_count() or 1, mp_context=context)

    return make


def build_log_analyzer(
    settings: LogAnalysisSettings,
    store: LogStore,
    state: LoopState,
    directory: AssetDirectory | None = None,
    registry: CollectorRegistry | None = None,
) -> LogAnalyzer:
    """The analyzer with the configured rules (a ConfigError names the file, line and field of a bad one), the
    assets' criticality from the inventory and registrations, and its metrics on ``registry``."""
    rules = load_log_rules(settings.rules)

    def criticality(asset: str) -> str:
        found = directory.resolve(asset, None) if directory is not None else None
        return found.criticality if found is not None else "medium"

    analyzer = LogAnalyzer(
        store, state, settings, rules, criticality=criticality, executor_factory=process_pool(settings.workers)
    )
    if registry is not None:
        registry.register(analyzer.collector())
    log.info("log analysis: %d log rules from %s", len(analyzer.rules), ", ".join(settings.rules))
    return analyzer


class LogAnalyzerThread:
    """Runs ``analyzer.run_once`` every ``interval`` seconds until :meth:`stop`; a failed cycle is logged and the
    next one retries (from the committed state)."""

    def __init__(self, analyzer: LogAnalyzer, interval: float, clock: Callable[[], dt.datetime] = _utcnow) -> None:
        self.analyzer, self.interval, self.clock = analyzer, interval, clock
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="log-analyzer", daemon=True)
        self.cycles = 0

    def start(self) -> None:
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                report = self.analyzer.run_once(self.clock())
                self.cycles += 1
                if report.emitted or report.resolved:
                    log.info("log analysis: %d events, %d new findings, %d resolved, %d active", report.events,
                             len(report.emitted), len(report.resolved), report.active)  # fmt: skip
            except Exception:
                log.exception("log analysis cycle failed; retrying in %.0fs", self.interval)
            self._stop.wait(self.interval)

    def stop(self, timeout: float = 60.0) -> None:
        """Finish the cycle in flight, then stop the thread and the mining pool."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout)
        self.analyzer.close()
