"""The metric analyzer in the analyzer process: built from config, run on a thread at its cadence, stopped cleanly."""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from collections.abc import Callable, Mapping

from prometheus_client import CollectorRegistry

from inframind.analyzer.assets import AssetDirectory
from inframind.analyzer.detect.failure import DiskModel, shipped_model
from inframind.analyzer.metricloop import MetricAnalyzer
from inframind.analyzer.metricloop_settings import MetricAnalysisSettings
from inframind.analyzer.sources.promql import PromClient, PromSettings
from inframind.analyzer.state import LoopState

log = logging.getLogger(__name__)


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def build_metric_analyzer(
    settings: MetricAnalysisSettings,
    vm_url: str,
    state: LoopState,
    *,
    directory: AssetDirectory | None = None,
    registry: CollectorRegistry | None = None,
    sleep: Callable[[float], object] = time.sleep,
    headers: Mapping[str, str] | None = None,
) -> MetricAnalyzer:
    """The analyzer reading ``vm_url``, with the inventory's SLOs and groups, the assets' criticality, the
    shipped disk model and its metrics on ``registry``; ``sleep`` waits between retries (a stop event's ``wait``
    lets a stop cut them short)."""
    client = PromClient(
        PromSettings(
            url=vm_url,
            timeout=settings.timeout,
            retries=settings.retries,
            max_points=settings.max_points,
            path_prefix=settings.path_prefix,
            headers=dict(headers or {}),
        ),
        sleep=sleep,
    )

    def criticality(asset: str) -> str:
        found = directory.resolve(asset, None) if directory is not None else None
        return found.criticality if found is not None else "medium"

    model = _disk_model()
    analyzer = MetricAnalyzer(
        client,
        state,
        settings,
        inventory=directory.inventory if directory is not None else None,
        criticality=criticality,
        disk_model=model,
    )
    if registry is not None:
        registry.register(analyzer.collector())
    log.info(
        "metric analysis of %s: %d detectors resumed, %d SLOs", vm_url, len(analyzer.bank), len(analyzer.objectives)
    )
    return analyzer


def _disk_model() -> DiskModel | None:
    """The package's disk failure model; without it (a broken install) disk predictions are off, said once."""
    try:
        return shipped_model()
    except (OSError, ValueError) as exc:
        log.warning("metric analysis: no usable disk failure model (%s); disk failure predictions are off", exc)
        return None


class MetricAnalyzerThread:
    """Runs ``analyzer.run_once`` every ``interval`` seconds until :meth:`stop`; a failed cycle is logged and the
    next one retries (from the committed state). A cycle longer than the interval is followed at once by the next."""

    def __init__(
        self,
        analyzer: MetricAnalyzer,
        interval: float,
        clock: Callable[[], dt.datetime] = _utcnow,
        stop: threading.Event | None = None,
    ) -> None:
        self.analyzer, self.interval, self.clock = analyzer, interval, clock
        self._stop = stop or threading.Event()
        self._thread = threading.Thread(target=self._run, name="metric-analyzer", daemon=True)
        self.cycles = 0

    def start(self) -> None:
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            started = self.clock()
            try:
                report = self.analyzer.run_once(started)
                self.cycles += 1
                if report.emitted or report.resolved:
                    log.info(
                        "metric analysis (%s): %d new findings, %d resolved, %d active",
                        ", ".join(report.ran),
                        len(report.emitted),
                        len(report.resolved),
                        report.active,
                    )
            except Exception:
                self.analyzer.errors["cycle"] += 1
                log.exception("metric analysis cycle failed; retrying in %.0fs", self.interval)
            spent = (self.clock() - started).total_seconds()
            self._stop.wait(max(0.0, self.interval - spent))

    def stop(self, timeout: float = 120.0) -> None:
        """Finish the cycle in flight, then stop the thread and close the client."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout)
        self.analyzer.close()
