"""One anomaly-and-risk cycle of the metric analyzer over a fleet, against a real VictoriaMetrics.

1. Start VictoriaMetrics on 127.0.0.1 (a temporary data dir, stopped by PID at the end) and load generated history
   (``inframind.analyzer.history_fleet``): ``--assets`` assets x 50 series each under node_exporter, ipmi_exporter
   and smartctl_exporter names; the per-minute signals over ``--fast-hours``, filesystems and SMART hourly over
   ``--slow-days``; the demo stories (a hot node, an iowait spike, a filesystem filling) on the first assets.
2. Warm-up: one cycle that starts a detector for every series and feeds it ``--backfill`` of history (timed on
   its own: a one-time cost, spread over cycles by ``max_new_series`` in the product); the hourly capacity
   forecasts and the daily disk failure models are due in that cycle too and are timed per task.
3. Steady state: ``--cycles`` cycles one minute apart, each reading every signal kind of the whole fleet in one
   query, feeding one new point to every detector, hot/cold nodes and I/O hints, node risk, risk scores and the
   checkpoint share. ``cycle_s`` is the slowest of them (the goal is <= 60 s on 2 cores).

Forecast throughput is the capacity task's series over its seconds, per minute. Not a test: run it by hand.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import json
import math
import os
import platform
import statistics
import sys
import tempfile
import time
import tracemalloc
from collections import Counter
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import psutil

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from inframind.analyzer.detect.anomaly import DetectorConfig, SeriesDetector, for_signal  # noqa: E402
from inframind.analyzer.detect.failure import shipped_model  # noqa: E402
from inframind.analyzer.history_fleet import SERIES_PER_ASSET, asset_series  # noqa: E402
from inframind.analyzer.history_import import demo_fleet, import_history  # noqa: E402
from inframind.analyzer.metricloop import MetricAnalyzer  # noqa: E402
from inframind.analyzer.metricloop_settings import MetricAnalysisSettings  # noqa: E402
from inframind.analyzer.sources.promql import PromClient, PromSettings  # noqa: E402
from inframind.analyzer.state import StateDB  # noqa: E402
from tests.helpers.vmhistory import start_history_vm  # noqa: E402

IMPORT_CHUNK = 50


def update_cost(days: float, step: float = 60.0, timed: int = 3000) -> tuple[float, float]:
    """(ms per update, KB of state) of one detector after ``days`` of one-minute data with a daily rhythm.

    The fleet's detectors are young after the warm-up (two hours: no season learned yet); a detector that has
    seen three weeks keeps daily and weekly profiles and updates more slowly. This measures both ages, so the
    steady cycle can be restated for mature detectors.
    """
    config = for_signal("cpu", replace(DetectorConfig(), step=step))
    rng = np.random.default_rng(0)
    n = int(days * 86400 / step)
    t = 1.7e9 + step * np.arange(n + timed)
    v = (0.3 + 0.1 * np.sin(2 * np.pi * t / 86400) + rng.normal(0, 0.01, t.size)).tolist()
    stamps = t.tolist()
    gc.collect()
    tracemalloc.start()
    detector = SeriesDetector(config)
    for i in range(n):
        detector.update(stamps[i], v[i])
    gc.collect()
    size_kb = tracemalloc.get_traced_memory()[0] / 1024
    tracemalloc.stop()
    started = time.perf_counter()
    for i in range(n, n + timed):
        detector.update(stamps[i], v[i])
    return 1000 * (time.perf_counter() - started) / timed, size_kb


def load(url: str, assets: int, end: float, fast_hours: float, slow_days: float) -> dict[str, Any]:
    fleet = demo_fleet(assets, end)
    started = time.perf_counter()
    series = samples = 0
    for i in range(0, assets, IMPORT_CHUNK):
        chunk = [s for p in fleet[i : i + IMPORT_CHUNK] for s in asset_series(p, end=end, fast_hours=fast_hours,
                                                                              slow_days=slow_days)]  # fmt: skip
        report = import_history(url, chunk)
        series, samples = series + report.series, samples + report.samples
    return {"series": series, "samples": samples, "seconds": round(time.perf_counter() - started, 1)}


def at(end: float, minutes: int, delay: float) -> dt.datetime:
    return dt.datetime.fromtimestamp(end + minutes * 60 + delay, dt.UTC)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--assets", type=int, default=1000)
    parser.add_argument("--cycles", type=int, default=5)
    parser.add_argument("--fast-hours", type=float, default=2.5)
    parser.add_argument("--slow-days", type=float, default=21.0)
    parser.add_argument("--backfill-hours", type=float, default=2.0)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "analyzer_cycle.json")
    args = parser.parse_args()
    end = math.floor(time.time() / 60) * 60 - 60
    first = end - 60 * (args.cycles + 1)
    settings = MetricAnalysisSettings(
        backfill=args.backfill_hours * 3600, max_series=100_000, max_new_series=100_000,
    )  # fmt: skip
    process = psutil.Process()
    with tempfile.TemporaryDirectory(prefix="bench-analyzer-") as tmp:
        vm = start_history_vm(Path(tmp), Path(tmp) / "vm")
        try:
            print(f"loading {args.assets} assets x {SERIES_PER_ASSET} series into {vm.url} ...", flush=True)
            loaded = load(vm.url, args.assets, end, args.fast_hours, args.slow_days)
            print(f"loaded {loaded}", flush=True)
            state = StateDB(Path(tmp) / "analysis.db")
            client = PromClient(PromSettings(vm.url, timeout=300))
            analyzer = MetricAnalyzer(client, state, settings, disk_model=shipped_model())
            started = time.perf_counter()
            warm = analyzer.run_once(at(first, 0, settings.delay))
            warmup_s = time.perf_counter() - started
            tasks = dict(analyzer.snapshot.cycle_seconds)
            counted = dict(analyzer.snapshot.series_analyzed)
            print(f"warm-up {warmup_s:.1f}s: {len(analyzer.bank)} detectors; tasks {tasks}", flush=True)
            cycles: list[dict[str, Any]] = []
            for k in range(1, args.cycles + 1):
                started = time.perf_counter()
                report = analyzer.run_once(at(first, k, settings.delay))
                seconds = time.perf_counter() - started
                ran = {*report.ran, "commit", "risk"}
                spent = {name: v for name, v in analyzer.snapshot.cycle_seconds.items() if name in ran}
                cycles.append({"seconds": round(seconds, 3), "tasks": spent, "emitted": len(report.emitted)})
                print(f"cycle {k}: {seconds:.2f}s {spent}", flush=True)
            findings = Counter(r.finding.kind for r in state.findings.list(state="active", limit=1_000_000))
            rss_mb = process.memory_info().rss / 2**20
            state.close()
        finally:
            vm.stop()
    young_ms, young_kb = update_cost(args.backfill_hours / 24)
    mature_ms, mature_kb = update_cost(21.0)
    detectors = len(analyzer.bank)
    forecast_series = counted.get("capacity", 0)
    forecast_s = tasks.get("capacity", 0.0)
    steady = [float(c["seconds"]) for c in cycles]
    mature_cycle = max(steady) + detectors * max(0.0, mature_ms - young_ms) / 1000
    headline = {
        "cycle_s": round(mature_cycle, 2),
        "assets": args.assets,
        "series": loaded["series"],
        "forecast_series_per_min": round(60 * forecast_series / forecast_s) if forecast_s else None,
    }
    result = {
        "date": dt.date.today().isoformat(),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
        "settings": {
            "assets": args.assets,
            "fast_hours": args.fast_hours,
            "slow_days": args.slow_days,
            "backfill_hours": args.backfill_hours,
            "step_s": settings.step,
            "cycles": args.cycles,
        },
        "headline": headline,
        "loaded": loaded,
        "detector_series": detectors,
        "steady_cycle_s": {"median": statistics.median(steady), "max": max(steady), "all": steady},
        "mature": {
            "note": "cycle_s restates the slowest steady cycle for detectors that have learned daily and weekly "
            "profiles: + detectors x (mature - young) update cost, one point per detector per cycle",
            "young_update_ms": round(young_ms, 4),
            "mature_update_ms": round(mature_ms, 4),
            "young_state_kb": round(young_kb),
            "mature_state_kb": round(mature_kb),
            "projected_detector_memory_mb": round(detectors * mature_kb / 1024),
        },
        "steady_cycles": cycles,
        "warmup": {
            "seconds": round(warmup_s, 1),
            "tasks": tasks,
            "series_analyzed": counted,
            "detectors_per_s": round(len(analyzer.bank) / tasks.get("anomaly", warmup_s), 1),
            "emitted": len(warm.emitted),
        },
        "forecast": {"series": forecast_series, "seconds": forecast_s},
        "active_findings": dict(findings),
        "rss_mb": round(rss_mb),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(" ".join(f"{k}={v}" for k, v in headline.items()))


if __name__ == "__main__":
    main()
