"""SNMP probe cost of our exporter against Debian's snmp_exporter 0.21: same recorded switch, same run.

One snmpsim on 127.0.0.1 serves the recorded Cisco C3750 stack (59 interfaces, community ``public``) on
1 + ``--devices`` UDP endpoints; each endpoint is a device. Ours is ``inframind exporter`` (SMART off) probed
at ``/probe?module=if_mib``; the peer is probed at ``/snmp?module=if_mib`` with the same module written in
its 0.21 format (tests/helpers/snmp.py). Every answer is checked (the full if_mib sample set), so a fast
failure cannot pass for a fast probe.

- Latency: after warm-up, probes of the first endpoint alternate (ours, peer, ours, ...) over kept-alive
  connections; median and p95 wall time of each, and their ratios.
- Throughput: ``--devices`` client threads ask one exporter for one device each, all at once; a round ends
  when the last answer arrives; rounds alternate between the exporters. Devices per second of each, and the
  exporter's CPU seconds per device (psutil). snmpsim is one single-threaded Python process: on a small
  machine it is the ceiling for both, so CPU per device is the figure that tells the exporters apart.

    .venv/bin/python bench/snmp.py [--probes 40] [--devices 100] [--rounds 3] [--max-repetitions 25]

Writes bench/results/snmp.json; the last line printed is ``snmp_latency_ratio=... snmp_devices_per_s=...``.
"""

from __future__ import annotations

import argparse
import json
import platform
import shutil
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import psutil
import requests
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.helpers.procs import free_port  # noqa: E402
from tests.helpers.servers import Running  # noqa: E402
from tests.helpers.snmp import (  # noqa: E402
    CISCO,
    MODULES,
    cleanup,
    peer_if_mib_config,
    raw_samples,
    shared_dir,
    start_snmp_exporter,
    start_snmpsim,
    unpack,
)

RESULTS = ROOT / "bench" / "results" / "snmp.json"
GOAL = 1.0
IGNORED = ("snmp_scrape_", "probe_")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    k = (len(ordered) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def cpu_seconds(pid: int) -> float:
    times = psutil.Process(pid).cpu_times()
    return float(times.user + times.system)


def start_ours(directory: Path, max_repetitions: int | None) -> Running:
    """``inframind exporter`` with the shipped modules, plus ``if_mib_bulk``: if_mib with a deadline long enough
    for 100 devices queued behind one simulator (snmp_exporter 0.21 has no overall deadline at all)."""
    shipped = yaml.safe_load((MODULES / "snmp_if_mib.yml").read_text())["if_mib"]
    bulk = {**shipped, "timeout": "110s"}
    if max_repetitions:
        bulk["snmp"] = {**shipped["snmp"], "max_repetitions": max_repetitions}
    config = {"exporter": {"modules": {"if_mib_bulk": bulk}}}
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "inframind.yml").write_text(yaml.safe_dump(config))
    port = free_port()
    command = shutil.which("inframind", path=str(Path(sys.executable).parent)) or "inframind"
    argv = [command, "exporter", "--config", str(directory / "inframind.yml"), "--listen", f"127.0.0.1:{port}"]
    server = Running("exporter", [*argv, "--no-collector.smart"], directory, f"http://127.0.0.1:{port}", cwd=directory)
    server.wait_http(server.url + "/-/healthy")
    return server


class Side:
    def __init__(self, name: str, server: Running, url: str, expected: dict[str, int]) -> None:
        self.name, self.server, self.url, self.expected = name, server, url, expected
        self.session = requests.Session()
        self.latencies: list[float] = []
        self.rounds: list[float] = []
        self.cpu = 0.0
        self.failures = 0

    def check(self, text: str) -> bool:
        found = {n: len(s) for n, s in raw_samples(text).items() if not n.startswith(IGNORED)}
        return found == self.expected

    def probe(self, port: int, session: requests.Session | None = None) -> bool:
        response = (session or self.session).get(self.url.format(port=port), timeout=120)
        return response.status_code == 200 and self.check(response.text)

    def timed_probe(self, port: int) -> None:
        start = time.perf_counter()
        ok = self.probe(port)
        self.latencies.append(time.perf_counter() - start)
        if not ok:
            sys.exit(f"{self.name}: the probe answered without the full if_mib sample set")

    def burst(self, ports: list[int]) -> None:
        """All devices at once, one client thread each; records the round's wall time and CPU."""
        sessions = [requests.Session() for _ in ports]
        results: list[bool] = []
        gate = threading.Barrier(len(ports) + 1)

        def one(port: int, session: requests.Session) -> None:
            gate.wait()
            results.append(self.probe(port, session))

        threads = [threading.Thread(target=one, args=pair) for pair in zip(ports, sessions, strict=True)]
        for thread in threads:
            thread.start()
        cpu = cpu_seconds(self.server.proc.pid)
        gate.wait()
        start = time.perf_counter()
        for thread in threads:
            thread.join()
        self.rounds.append(time.perf_counter() - start)
        self.cpu += cpu_seconds(self.server.proc.pid) - cpu
        self.failures += results.count(False)


def summary(side: Side, devices: int) -> dict[str, Any]:
    total = devices * len(side.rounds)
    return {
        "latency_median_s": round(statistics.median(side.latencies), 4),
        "latency_p95_s": round(percentile(side.latencies, 0.95), 4),
        "latency_mean_s": round(statistics.fmean(side.latencies), 4),
        "devices_per_s": round(total / sum(side.rounds), 2),
        "round_s": [round(r, 2) for r in side.rounds],
        "cpu_s_per_device": round(side.cpu / total, 4),
        "failed_probes": side.failures,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--probes", type=int, default=40, help="latency probes per exporter")
    parser.add_argument("--devices", type=int, default=100, help="simulated devices probed at once")
    parser.add_argument("--rounds", type=int, default=3, help="throughput rounds per exporter")
    parser.add_argument(
        "--max-repetitions", type=int, help="GETBULK size for both exporters (default: each one's, 25 for both)"
    )
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="inframind-bench-snmp-"))
    data = shared_dir("inframind-bench-snmpsim-")
    unpack(CISCO, data / "public.snmprec")
    servers: list[Running] = []
    try:
        sim = start_snmpsim(data, work / "snmpsim", endpoints=1 + args.devices)
        servers.append(sim)
        peer_config = peer_if_mib_config("public")
        if args.max_repetitions:
            peer_config["if_mib"]["max_repetitions"] = args.max_repetitions
        peer = start_snmp_exporter(work / "snmp_exporter", peer_config)
        servers.append(peer)
        ours = start_ours(work / "exporter", args.max_repetitions)
        module = "if_mib_bulk" if args.max_repetitions else "if_mib"
        servers.append(ours)
        reference = requests.get(f"{peer.url}/snmp?target=127.0.0.1:{sim.port}&module=if_mib", timeout=60).text
        expected = {n: len(s) for n, s in raw_samples(reference).items() if not n.startswith(IGNORED)}
        sides = [
            Side("ours", ours, ours.url + "/probe?target=127.0.0.1:{port}&module=" + module, expected),
            Side("snmp_exporter", peer, peer.url + "/snmp?target=127.0.0.1:{port}&module=if_mib", expected),
        ]
        for side in sides:
            for _ in range(3):
                side.timed_probe(sim.port)
            side.latencies.clear()
        for _ in range(args.probes):
            for side in sides:
                side.timed_probe(sim.port)

        devices = sim.ports[1:]
        bulk = [
            Side("ours", ours, ours.url + "/probe?target=127.0.0.1:{port}&module=if_mib_bulk", expected),
            Side("snmp_exporter", peer, peer.url + "/snmp?target=127.0.0.1:{port}&module=if_mib", expected),
        ]
        for _ in range(args.rounds):
            for side in bulk:
                side.burst(devices)
        for side, burst in zip(sides, bulk, strict=True):
            side.rounds, side.cpu, side.failures = burst.rounds, burst.cpu, burst.failures
    finally:
        for server in reversed(servers):
            server.stop()
        cleanup(data, work)

    mine, theirs = (summary(side, args.devices) for side in sides)
    ratio = mine["latency_median_s"] / theirs["latency_median_s"]
    p95_ratio = mine["latency_p95_s"] / theirs["latency_p95_s"]
    result = {
        "date": time.strftime("%Y-%m-%d"),
        "machine": f"{platform.machine()}, {psutil.cpu_count()} CPUs, Python {platform.python_version()}",
        "setup": {
            "device": "snmpsim 0.4.5, recorded Cisco C3750 (59 interfaces, ~2090 var-binds per if_mib probe)",
            "peer": "prometheus-snmp-exporter 0.21.0 (Debian), if_mib in the 0.21 format",
            "ours": "inframind exporter --no-collector.smart, shipped if_mib (4 parallel chains)",
            "max_repetitions": args.max_repetitions or 25,
            "probes": args.probes,
            "devices": args.devices,
            "rounds": args.rounds,
        },
        "ours": mine,
        "snmp_exporter": theirs,
        "latency_ratio": round(ratio, 3),
        "p95_ratio": round(p95_ratio, 3),
        "goal_latency_ratio": GOAL,
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    for name, figures in (("ours", mine), ("snmp_exporter", theirs)):
        median, p95 = figures["latency_median_s"] * 1000, figures["latency_p95_s"] * 1000
        print(
            f"{name:14} median {median:7.1f} ms  p95 {p95:7.1f} ms  {figures['devices_per_s']:6.2f} devices/s"
            f"  {figures['cpu_s_per_device'] * 1000:6.1f} ms CPU/device  failed {figures['failed_probes']}"
        )
    print(f"snmp_exporter_devices_per_s={theirs['devices_per_s']}")
    print(f"snmp_latency_ratio={ratio:.3f} snmp_devices_per_s={mine['devices_per_s']}")


if __name__ == "__main__":
    main()
