"""Scrape cost of our host exporter against Debian's node_exporter, same machine, same run.

Both exporters run on 127.0.0.1; scrapes alternate (ours, theirs, ours, ...) so load changes hit both
alike. For each: median and p95 wall latency of a full /metrics scrape over a kept-alive connection (as
Prometheus scrapes), CPU seconds the exporter process spent per scrape, resident memory after the run
and at its peak, and samples per scrape. Two node_exporter configurations are measured:

- ``default``: node_exporter as Debian runs it (all default collectors): the headline ratio;
- ``same``: node_exporter limited to the collectors we implement, for a like-for-like view.

Our exporter runs with the SMART collector off (the goal is stated that way; smartctl work happens in a
background thread anyway, never during a scrape).

    .venv/bin/python bench/exporter_vs_node_exporter.py [--scrapes 200]

Writes bench/results/exporter.json; the last line printed is
``latency_ratio=... p95_ratio=... rss_mb=... node_exporter_rss_mb=...``.
"""

from __future__ import annotations

import argparse
import json
import platform
import shutil
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import psutil
import requests

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results" / "exporter.json"
SAME_COLLECTORS = [
    "cpu",
    "loadavg",
    "meminfo",
    "filesystem",
    "diskstats",
    "netdev",
    "stat",
    "time",
    "hwmon",
    "mdadm",
    "uname",
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start(argv: list[str], url: str) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if requests.get(url, timeout=2).ok:
                return proc
        except requests.RequestException:
            time.sleep(0.1)
    proc.kill()
    sys.exit(f"{argv[0]} did not answer {url}")


def cpu_seconds(pid: int) -> float:
    times = psutil.Process(pid).cpu_times()
    return float(times.user + times.system)


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def version_line(binary: str) -> str:
    done = subprocess.run([binary, "--version"], check=False, capture_output=True, text=True, timeout=10)
    return (done.stdout or done.stderr).splitlines()[0]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    k = (len(ordered) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


class Target:
    def __init__(self, name: str, proc: subprocess.Popen[bytes], url: str) -> None:
        self.name, self.proc, self.url = name, proc, url
        self.session = requests.Session()
        self.latencies: list[float] = []
        self.samples = 0
        self.cpu = 0.0

    def scrape(self) -> None:
        before = cpu_seconds(self.proc.pid)
        start = time.perf_counter()
        response = self.session.get(self.url, timeout=30)
        body = response.content
        self.latencies.append(time.perf_counter() - start)
        self.cpu += cpu_seconds(self.proc.pid) - before
        response.raise_for_status()
        self.samples = sum(1 for line in body.splitlines() if line and not line.startswith(b"#"))

    def summary(self) -> dict[str, Any]:
        n = len(self.latencies)
        info = psutil.Process(self.proc.pid).memory_info()
        return {
            "scrapes": n,
            "median_ms": round(statistics.median(self.latencies) * 1000, 3),
            "p95_ms": round(percentile(self.latencies, 0.95) * 1000, 3),
            "cpu_ms_per_scrape": round(self.cpu / n * 1000, 3),
            "rss_mb": round(info.rss / 2**20, 1),
            "peak_rss_mb": round(peak_rss_mb(self.proc.pid), 1),
            "samples_per_scrape": self.samples,
        }


def run_pair(ours: Target, theirs: Target, scrapes: int) -> None:
    for _ in range(5):  # warm-up: first scrapes pay imports, page faults, connection setup
        ours.scrape()
        theirs.scrape()
    ours.latencies.clear()
    theirs.latencies.clear()
    ours.cpu = theirs.cpu = 0.0
    for i in range(scrapes):
        first, second = (ours, theirs) if i % 2 == 0 else (theirs, ours)
        first.scrape()
        second.scrape()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scrapes", type=int, default=200, help="scrapes of each exporter (default 200)")
    args = parser.parse_args()
    node_exporter = shutil.which("prometheus-node-exporter")
    if not node_exporter:
        sys.exit("prometheus-node-exporter not found: apt-get install prometheus-node-exporter")
    inframind = str(Path(sys.executable).parent / "inframind")

    port = free_port()
    ours_url = f"http://127.0.0.1:{port}/metrics"
    ours_proc = start(
        [inframind, "exporter", "--listen", f"127.0.0.1:{port}", "--no-collector.smart", "--log.level", "warning"],
        ours_url,
    )
    procs = [ours_proc]
    results: dict[str, Any] = {}
    try:
        for variant, extra in (
            ("default", []),
            ("same", ["--collector.disable-defaults", *(f"--collector.{c}" for c in SAME_COLLECTORS)]),
        ):
            nport = free_port()
            url = f"http://127.0.0.1:{nport}/metrics"
            theirs_proc = start([node_exporter, f"--web.listen-address=127.0.0.1:{nport}", *extra], url)
            procs.append(theirs_proc)
            ours, theirs = Target("inframind", ours_proc, ours_url), Target("node_exporter", theirs_proc, url)
            run_pair(ours, theirs, args.scrapes)
            results[variant] = {"inframind": ours.summary(), "node_exporter": theirs.summary()}
            theirs_proc.terminate()
            theirs_proc.wait(10)
            print(f"{variant}: ours {results[variant]['inframind']}", file=sys.stderr)
            print(f"{variant}: node_exporter {results[variant]['node_exporter']}", file=sys.stderr)
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.terminate()
                proc.wait(10)

    d_ours, d_ne = results["default"]["inframind"], results["default"]["node_exporter"]
    s_ours, s_ne = results["same"]["inframind"], results["same"]["node_exporter"]
    headline = {
        "latency_ratio": round(d_ours["median_ms"] / d_ne["median_ms"], 3),
        "p95_ratio": round(d_ours["p95_ms"] / d_ne["p95_ms"], 3),
        "cpu_ratio": round(d_ours["cpu_ms_per_scrape"] / max(d_ne["cpu_ms_per_scrape"], 1e-9), 3),
        "same_collectors_latency_ratio": round(s_ours["median_ms"] / s_ne["median_ms"], 3),
        "rss_mb": d_ours["rss_mb"],
        "node_exporter_rss_mb": d_ne["rss_mb"],
    }
    report = {
        "benchmark": "exporter_vs_node_exporter",
        "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "machine": {"cpus": psutil.cpu_count(), "python": platform.python_version(), "kernel": platform.release()},
        "peer": version_line(node_exporter),
        "scrapes_each": args.scrapes,
        "headline": headline,
        "goal": {
            "latency_ratio_max": 1.0,
            "rss_mb_max": 40.0,
            "met": headline["latency_ratio"] <= 1.0 and headline["rss_mb"] <= 40.0,
        },
        "results": results,
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(report, indent=2) + "\n")
    print(" ".join(f"{k}={headline[k]}" for k in ("latency_ratio", "p95_ratio", "rss_mb", "node_exporter_rss_mb")))


if __name__ == "__main__":
    main()
