"""Probe latency of our ``ipmi`` module against Debian's prometheus-ipmi-exporter, same BMC, same run.

One ipmi_sim on 127.0.0.1 (tests/helpers/ipmi.py) serves both. Ours is ``inframind exporter`` (SMART off)
probed at ``/probe?module=ipmi_sim`` (sensors, SEL with entries by severity, chassis); the peer is probed at
``/ipmi?module=ipmi_sim`` with the same collectors (ipmi, sel, chassis), LAN_2_0 and the workaround the
simulator needs. After 5 warm-up probes each (SDR caches filled), probes alternate (ours, peer, ours, ...)
over kept-alive connections; every answer is checked (all collectors up) so a fast failure cannot pass for
a fast probe. Reported: median and p95 wall latency, and CPU per probe of each exporter with the FreeIPMI
tools it ran. To show where the time goes, the sensor tool alone is also timed both ways: ``ipmi-sensors``
with our empty config files, and ``ipmimonitoring`` as ipmi_exporter runs it (default config files).

    .venv/bin/python bench/ipmi.py [--probes 200]

Writes bench/results/ipmi.json; the last line printed is ``ipmi_latency_ratio=... p95_ratio=... ...``.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import psutil
import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from prometheus_client.parser import text_string_to_metric_families  # noqa: E402

from tests.helpers.ipmi import PASSWORD, USERNAME, IpmiSim, start_our_exporter, start_peer_exporter  # noqa: E402
from tests.helpers.servers import Running  # noqa: E402

RESULTS = ROOT / "bench" / "results" / "ipmi.json"
GOAL = 0.5


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    k = (len(ordered) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def cpu_with_children(pid: int) -> float:
    """CPU seconds of the exporter and of the tools it ran and reaped."""
    t = psutil.Process(pid).cpu_times()
    return float(t.user + t.system + t.children_user + t.children_system)


class Side:
    def __init__(self, name: str, server: Running, url: str, expect_up: set[str]) -> None:
        self.name, self.server, self.url, self.expect_up = name, server, url, expect_up
        self.session = requests.Session()
        self.latencies: list[float] = []
        self.cpu = 0.0

    def probe(self) -> None:
        before = cpu_with_children(self.server.proc.pid)
        start = time.perf_counter()
        response = self.session.get(self.url, timeout=30)
        self.latencies.append(time.perf_counter() - start)
        self.cpu += cpu_with_children(self.server.proc.pid) - before
        response.raise_for_status()
        up = {
            s.labels["collector"]
            for f in text_string_to_metric_families(response.text)
            for s in f.samples
            if s.name == "ipmi_up" and s.value == 1.0
        }
        if up != self.expect_up:
            sys.exit(f"{self.name}: collectors up {sorted(up)}, expected {sorted(self.expect_up)}")

    def summary(self) -> dict[str, Any]:
        return {
            "probes": len(self.latencies),
            "median_ms": round(statistics.median(self.latencies) * 1000, 3),
            "p95_ms": round(percentile(self.latencies, 0.95) * 1000, 3),
            "mean_ms": round(statistics.fmean(self.latencies) * 1000, 3),
            "cpu_ms_per_probe": round(self.cpu / len(self.latencies) * 1000, 3),
        }


def time_tool(argv: list[str], runs: int) -> float:
    """Median milliseconds of one tool run, password on stdin as the prober passes it."""
    took = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(argv, input=PASSWORD + "\n", capture_output=True, text=True, check=True, start_new_session=True)
        took.append(time.perf_counter() - start)
    return round(statistics.median(took) * 1000, 3)


def sensor_tool_costs(sim: IpmiSim, work: Path, runs: int = 50) -> dict[str, float]:
    empty = work / "empty.conf"
    empty.touch()
    (work / "cache").mkdir(mode=0o700, exist_ok=True)
    common = ["-h", sim.target, "-D", "LAN_2_0", "-u", USERNAME, "-l", "USER", "-W", "opensesspriv", "-P"]
    output = ["--comma-separated-output", "--no-header-output", "--output-sensor-state", "--quiet-cache"]
    cache = [f"--sdr-cache-directory={work / 'cache'}", "--sdr-cache-recreate"]
    ours = ["ipmi-sensors", *common, f"--config-file={empty}", f"--sensor-state-config-file={empty}"]
    theirs = ["ipmimonitoring", *common, "--ignore-unrecognized-events", "--output-event-bitmask"]
    return {
        "ipmi_sensors_minimal_config_ms": time_tool([*ours, *output, *cache], runs),
        "ipmimonitoring_default_config_ms": time_tool([*theirs, *output, *cache], runs),
        "ipmi_sensors_default_config_ms": time_tool(["ipmi-sensors", *common, *output, *cache], runs),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--probes", type=int, default=200, help="probes of each exporter (default 200)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-ipmi-") as tmp:
        work = Path(tmp)
        sim = IpmiSim(work / "sim")
        servers: list[Running] = [sim]
        try:
            ours_server = start_our_exporter(work / "ours")
            servers.append(ours_server)
            peer_server = start_peer_exporter(work / "peer")
            servers.append(peer_server)
            query = f"target={sim.target}&module=ipmi_sim"
            ours = Side("inframind", ours_server, f"{ours_server.url}/probe?{query}", {"ipmi", "sel", "chassis"})
            peer = Side("ipmi_exporter", peer_server, f"{peer_server.url}/ipmi?{query}", {"ipmi", "sel", "chassis"})
            for _ in range(5):
                ours.probe()
                peer.probe()
            ours.latencies.clear()
            peer.latencies.clear()
            ours.cpu = peer.cpu = 0.0
            for i in range(args.probes):
                for side in (ours, peer) if i % 2 == 0 else (peer, ours):
                    side.probe()
            tools = sensor_tool_costs(sim, work)
            peer_version = subprocess.run(
                [peer_server.argv[0], "--version"], capture_output=True, text=True, check=False, timeout=10
            )
        finally:
            for server in reversed(servers):
                server.stop()
    mine, theirs = ours.summary(), peer.summary()
    headline = {
        "ipmi_latency_ratio": round(mine["median_ms"] / theirs["median_ms"], 3),
        "p95_ratio": round(mine["p95_ms"] / theirs["p95_ms"], 3),
        "cpu_ratio": round(mine["cpu_ms_per_probe"] / theirs["cpu_ms_per_probe"], 3),
        "ours_median_ms": mine["median_ms"],
        "peer_median_ms": theirs["median_ms"],
        "sensor_tool_ratio": round(
            tools["ipmi_sensors_minimal_config_ms"] / tools["ipmimonitoring_default_config_ms"], 3
        ),
    }
    report = {
        "benchmark": "ipmi",
        "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "machine": {"cpus": psutil.cpu_count(), "python": platform.python_version(), "kernel": platform.release()},
        "peer": (peer_version.stdout or peer_version.stderr).splitlines()[0],
        "probes_each": args.probes,
        "headline": headline,
        "goal": {"ipmi_latency_ratio_max": GOAL, "met": headline["ipmi_latency_ratio"] <= GOAL},
        "results": {"inframind": mine, "ipmi_exporter": theirs, "sensor_tool_alone": tools},
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(report, indent=2) + "\n")
    print(f"ours {mine}\npeer {theirs}\nsensor tool alone {tools}", file=sys.stderr)
    print(" ".join(f"{k}={v}" for k, v in headline.items()))


if __name__ == "__main__":
    main()
