"""Syslog over UDP: the highest rate our receiver takes without loss, against Debian's rsyslog, same run.

Both receivers are separate processes on 127.0.0.1 with the same 32 MB socket receive buffer: ours is
``bench/syslog_udp.py serve`` (a SyslogReceiver whose emit counts the LogEvents it gets: parsing, time, level,
host and fingerprint all done, nothing stored); the peer is ``rsyslogd -n`` with imudp writing every
message to a file (omfile, traditional format) and its own config, work directory and PID file. A paced
sender (``bench/syslog_udp.py send``, another process) sends real lines: Loghub-2k Linux and OpenSSH syslog
(../shared/bench/loghub2k, given a PRI) and the network-device lines of ../shared/fixtures/syslog/napalm-logs.

For each rate (msgs/s, for ``--seconds`` each) and each receiver in turn: send, wait until the receiver's
count stops moving, compare with what was sent. A rate passes when every message arrived and the sender
really reached 95% of it. The headline is the highest passing rate below the first failing one.

    .venv/bin/python bench/syslog_udp.py [--rates 5000,10000,...,200000] [--seconds 5]

Writes bench/results/syslog.json. The last line printed is ``syslog_udp_max_rate=... rsyslog_udp_max_rate=...
max_rate_ratio=... cpu_ratio_at_goal=...`` (the last: our CPU per message over rsyslog's at 20k msgs/s).
"""

from __future__ import annotations

import argparse
import json
import platform
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import psutil

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from inframind.agent.syslog import SyslogReceiver  # noqa: E402
from inframind.config.agent import SyslogSource  # noqa: E402
from inframind.events import LogEvent  # noqa: E402
from inframind.schema import HostPort  # noqa: E402
from tests.helpers.syslog import Rsyslog, rsyslogd_binary  # noqa: E402

RESULTS = ROOT / "bench" / "results" / "syslog.json"
HELPER = (sys.executable, "-m", "bench.syslog_udp")
"""How the receiver and the sender processes are started: as a module from the repository root, so this
file never stands in for the standard library's ``syslog`` module in them."""
SHARED = ROOT.parent / "shared"
RATES = (5000, 10000, 20000, 40000, 60000, 80000, 100000, 150000, 200000)
GOAL = 20000
RECEIVE_BUFFER = 32 << 20


def payload() -> list[bytes]:
    """Real syslog lines: Loghub Linux/OpenSSH (BSD lines without PRI, given ``<38>`` authpriv.info) and the
    napalm-logs device lines (with their own PRI)."""
    lines: list[bytes] = []
    for name in ("Linux/Linux_2k.log", "OpenSSH/OpenSSH_2k.log"):
        text = (SHARED / "bench" / "loghub2k" / name).read_text(encoding="utf-8", errors="replace")
        lines += [f"<38>{line.rstrip()}".encode() for line in text.splitlines() if line.strip()]
    for path in sorted((SHARED / "fixtures" / "syslog" / "napalm-logs").glob("*/ALL.log")):
        lines += [line.rstrip().encode() for line in path.read_text().splitlines() if line.startswith("<")]
    return lines


# ---------------------------------------------------------------- the two processes we start


def serve() -> None:
    """Our receiver in this process: prints its port, then answers each ``count`` on stdin with the count."""
    received = 0
    lock = threading.Lock()

    def emit(events: Sequence[LogEvent]) -> None:
        nonlocal received
        with lock:
            received += len(events)

    receiver = SyslogReceiver(SyslogSource(udp=HostPort("127.0.0.1", 0)), receive_buffer=RECEIVE_BUFFER)
    receiver.start(emit)
    assert receiver.udp is not None
    print(json.dumps({"port": receiver.udp.address[1]}), flush=True)
    for line in sys.stdin:
        if line.strip() == "count":
            stats = receiver.stats.snapshot()
            print(json.dumps({"received": received, "rejected": stats.rejected, "errors": stats.errors}), flush=True)
    receiver.close()


def send(port: int, rate: int, seconds: float, tag: str) -> None:
    """Send ``rate`` msgs/s for ``seconds``, paced every ~0.2 ms; every message carries ``tag``. Prints
    what was sent and how long it took."""
    lines = [line + b" " + tag.encode() for line in payload()]
    total = int(rate * seconds)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.connect(("127.0.0.1", port))
        out = sock.send
        sent, n = 0, len(lines)
        start = time.perf_counter()
        while sent < total:
            due = min(total, int((time.perf_counter() - start) * rate) + 1)
            while sent < due:
                out(lines[sent % n])
                sent += 1
            time.sleep(0.0002)
        elapsed = time.perf_counter() - start
    print(json.dumps({"sent": sent, "seconds": elapsed}), flush=True)


# ---------------------------------------------------------------- the run


class Ours:
    name = "inframind"

    def __init__(self) -> None:
        self.proc = subprocess.Popen(
            [*HELPER, "serve"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=ROOT
        )
        assert self.proc.stdout is not None
        self.port = int(json.loads(self.proc.stdout.readline())["port"])
        self.pid = self.proc.pid

    def status(self) -> dict[str, Any]:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write("count\n")
        self.proc.stdin.flush()
        return dict(json.loads(self.proc.stdout.readline()))

    def count(self, tag: str) -> int:
        return int(self.status()["received"])

    def stop(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        self.proc.wait(30)


class Peer:
    name = "rsyslog"

    def __init__(self, directory: Path) -> None:
        self.server = Rsyslog(directory, RECEIVE_BUFFER)
        self.port = self.server.port
        self.pid = self.server.proc.pid

    def count(self, tag: str) -> int:
        return self.server.count(tag)

    def stop(self) -> None:
        self.server.stop()


def settle(count: Callable[[], int], timeout: float = 60.0) -> int:
    """The count once it has not moved for a second."""
    last, still_since, deadline = count(), time.monotonic(), time.monotonic() + timeout
    while time.monotonic() < deadline:
        time.sleep(0.25)
        now = count()
        if now != last:
            last, still_since = now, time.monotonic()
        elif time.monotonic() - still_since >= 1.0:
            break
    return last


def step(receiver: Ours | Peer, rate: int, seconds: float) -> dict[str, Any]:
    tag = f"bench-{receiver.name}-{rate}-{time.time_ns()}"
    before = receiver.count(tag) if isinstance(receiver, Ours) else 0
    process = psutil.Process(receiver.pid)
    cpu_before = sum(process.cpu_times()[:2])
    argv = [*HELPER, "send", str(receiver.port), str(rate), str(seconds), tag]
    sent_report = json.loads(
        subprocess.run(argv, capture_output=True, text=True, check=True, timeout=600, cwd=ROOT).stdout
    )
    received = settle(lambda: receiver.count(tag)) - before
    cpu = sum(process.cpu_times()[:2]) - cpu_before
    sent, elapsed = int(sent_report["sent"]), float(sent_report["seconds"])
    achieved = sent / elapsed
    sender_kept_up = achieved >= 0.95 * rate
    return {
        "rate": rate,
        "sent": sent,
        "received": received,
        "lost": sent - received,
        "achieved_rate": round(achieved),
        "cpu_seconds": round(cpu, 2),
        "cpu_us_per_message": round(cpu / max(received, 1) * 1e6, 2),
        "passed": received == sent and sender_kept_up,
        "sender_kept_up": sender_kept_up,
    }


def max_rate(steps: list[dict[str, Any]]) -> int:
    """The highest rate passed before the first step that lost messages (0 if the first did)."""
    best = 0
    for result in steps:
        if not result["passed"]:
            break
        best = result["rate"]
    return best


def cpu_at(steps: list[dict[str, Any]], rate: int) -> float | None:
    return next((float(s["cpu_us_per_message"]) for s in steps if s["rate"] == rate and s["passed"]), None)


def run(rates: Sequence[int] = RATES, seconds: float = 5.0) -> dict[str, Any]:
    """Both receivers at each rate (ours first, then rsyslog) until each has lost messages or the
    sender cannot keep up; returns the figures (also what bench/results/syslog.json holds)."""
    work = Path(tempfile.mkdtemp(prefix="bench-syslog-"))
    ours, peer = Ours(), Peer(work / "rsyslog")
    steps: dict[str, list[dict[str, Any]]] = {"inframind": [], "rsyslog": []}
    try:
        for rate in rates:
            for receiver in (ours, peer):
                done = steps[receiver.name]
                if done and not done[-1]["passed"]:
                    continue
                result = step(receiver, rate, seconds)
                done.append(result)
                print(f"{receiver.name:10} {json.dumps(result)}", flush=True)
            last = [s[-1] for s in steps.values()]
            if all(not r["passed"] for r in last) or any(not r["sender_kept_up"] for r in last):
                break
        ours_status = ours.status()
    finally:
        ours.stop()
        peer.stop()
    version = subprocess.run([rsyslogd_binary(), "-v"], capture_output=True, text=True, check=False).stdout
    ours_max, peer_max = max_rate(steps["inframind"]), max_rate(steps["rsyslog"])
    ours_cpu, peer_cpu = cpu_at(steps["inframind"], GOAL), cpu_at(steps["rsyslog"], GOAL)
    return {
        "benchmark": "syslog",
        "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "machine": {"cpus": psutil.cpu_count(), "python": platform.python_version(), "kernel": platform.release()},
        "peer": version.splitlines()[0].split(" compiled")[0].strip() if version else "rsyslogd",
        "seconds_per_rate": seconds,
        "receive_buffer_bytes": RECEIVE_BUFFER,
        "distinct_lines": len(payload()),
        "headline": {
            "syslog_udp_max_rate": ours_max,
            "rsyslog_udp_max_rate": peer_max,
            "max_rate_ratio": round(ours_max / peer_max, 3) if peer_max else None,
            "cpu_ratio_at_goal": round(ours_cpu / peer_cpu, 2) if ours_cpu and peer_cpu else None,
        },
        "max_rate_is_lower_bound": {name: bool(s) and s[-1]["lost"] == 0 for name, s in steps.items()},
        # no loss at the last rate tried: the sender (or the rate list) ran out first, the true maximum is higher
        "goal": {"syslog_udp_max_rate_min": GOAL, "met": ours_max >= GOAL},
        "ours_final_stats": ours_status,
        "results": steps,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    sub = parser.add_subparsers(dest="command")
    sub.add_parser("serve")
    sender = sub.add_parser("send")
    for name in ("port", "rate"):
        sender.add_argument(name, type=int)
    sender.add_argument("seconds", type=float)
    sender.add_argument("tag")
    parser.add_argument("--rates", default=",".join(map(str, RATES)))
    parser.add_argument("--seconds", type=float, default=5.0)
    args = parser.parse_args()
    if args.command == "serve":
        serve()
        return
    if args.command == "send":
        send(args.port, args.rate, args.seconds, args.tag)
        return
    results = run([int(r) for r in args.rates.split(",")], args.seconds)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    print(" ".join(f"{key}={value}" for key, value in results["headline"].items()))


if __name__ == "__main__":
    main()
