"""The metric analyzer's thread: a store that is down skips cycles (counted), and a stop cuts retries short."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from inframind.analyzer.metricloop import MetricAnalyzer
from inframind.analyzer.metricloop_runner import MetricAnalyzerThread
from inframind.analyzer.metricloop_settings import MetricAnalysisSettings
from inframind.analyzer.sources.promql import PromClient, PromSettings
from inframind.analyzer.state import StateDB
from tests.helpers.procs import free_port


def test_a_down_store_skips_cycles_and_stop_does_not_wait_for_the_backoff(tmp_path: Path) -> None:
    stop = threading.Event()
    # nobody listens there; without the stop event the retries would sleep 10 + 20 + 40 s
    settings = PromSettings(f"http://127.0.0.1:{free_port()}", retries=3, backoff=10.0, backoff_max=40.0)
    state = StateDB(tmp_path / "analysis.db")
    analyzer = MetricAnalyzer(PromClient(settings, sleep=stop.wait), state, MetricAnalysisSettings())
    thread = MetricAnalyzerThread(analyzer, interval=60.0, stop=stop)
    thread.start()
    time.sleep(0.3)  # the first cycle is now sleeping between retries
    started = time.monotonic()
    thread.stop(timeout=10.0)
    assert time.monotonic() - started < 2.0
    assert analyzer.errors["unavailable"] == 1
    assert analyzer.snapshot.analyzed_until is None  # nothing was analyzed, nothing published
    assert state.findings.list() == []
