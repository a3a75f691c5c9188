"""Log shipping throughput: lines per second from a file through the whole agent into SQLite and OpenSearch.

The agent is a real process (``run_agent`` on a YAML config, as ``inframind agent`` runs it), pinned to one
core with ``taskset -c 0`` when taskset exists. It tails one file of real log lines (the eight Loghub-2k
systems in ../shared/bench/loghub2k, interleaved and cycled to ``--lines``), written before it starts, with
``start_at: beginning``; the sink is the configured log store. The rate is taken between the first answer
of its /metrics and the moment ``inframind_agent_events_shipped_total`` reaches the line count (so start-up
is not counted), together with the process's CPU seconds over the same span.

The peer, in the same run, is the store itself: ``LogStore.write`` of the same events (built beforehand by
the agent's own formatter) in batches of 1000, in a process pinned the same way, on a fresh store. The
ratio says what reading, parsing, batching and checkpointing cost on top of the store, which no agent
can beat.

OpenSearch is ``osmem-server`` (an in-memory API emulator; no OpenSearch installs here), pinned to the
other core; its indexing, not the agent, sets that figure, so it runs on fewer lines. The syslog figures
come from :mod:`bench.syslog` (our receiver against Debian's rsyslog, same run), run from here unless
``--syslog-results`` reuses its JSON.

    .venv/bin/python bench/logs.py [--lines 300000] [--opensearch-lines 50000] [--syslog-results]
                                     [--batch-max-events N]

Writes bench/results/logs.json. The last line printed is ``file_sqlite_lines_per_s=...
file_opensearch_lines_per_s=... syslog_udp_max_rate=... rsyslog_udp_max_rate=...``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import psutil
import requests
from prometheus_client.parser import text_string_to_metric_families

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run as a script: the tests' server helpers are imported from the repo root

from inframind.config.agent import SinkSettings  # noqa: E402
from tests.helpers.opensearch import start_osmem, unique_prefix  # noqa: E402
from tests.helpers.procs import free_port  # noqa: E402

RESULTS = ROOT / "bench" / "results" / "logs.json"
LOGHUB = ROOT.parent / "shared" / "bench" / "loghub2k"
SYSTEMS = ("Apache", "BGL", "HDFS", "HPC", "Linux", "OpenSSH", "Proxifier", "Zookeeper")
GOAL_SQLITE = 50_000
AGENT = (
    "import sys\n"
    "from inframind.agent.app import run_agent\n"
    "from inframind.config import load_config\n"
    "run_agent(load_config(sys.argv[1]))\n"
)


def pinned(argv: list[str], core: int = 0) -> list[str]:
    taskset = shutil.which("taskset")
    return [taskset, "-c", str(core), *argv] if taskset else argv


def write_lines(path: Path, count: int) -> int:
    """``count`` real lines, the systems interleaved; returns the bytes written."""
    systems = [(LOGHUB / s / f"{s}_2k.log").read_text(encoding="utf-8", errors="replace").splitlines() for s in SYSTEMS]
    rows = [line for group in zip(*systems, strict=False) for line in group if line.strip()]
    with path.open("w", encoding="utf-8") as out:
        for i in range(count):
            out.write(rows[i % len(rows)] + "\n")
    return path.stat().st_size


def config(root: Path, log: Path, port: int, store: str, batch: int | None = None) -> Path:
    path = root / "inframind.yml"
    path.write_text(
        "agent:\n"
        f"  listen: 127.0.0.1:{port}\n"
        f"  state_dir: {root / 'state'}\n"
        "  hostname: bench-host\n"
        f"  files:\n    - paths: [{log}]\n      start_at: beginning\n"
        + (f"  sink:\n    batch_max_events: {batch}\n" if batch else "")
        + "logstore:\n"
        + "".join(f"  {line}\n" for line in store.splitlines()),
        encoding="utf-8",
    )
    return path


def shipped(port: int) -> float | None:
    try:
        text = requests.get(f"http://127.0.0.1:{port}/metrics", timeout=5).text
    except requests.RequestException:
        return None
    for family in text_string_to_metric_families(text):
        if family.name == "inframind_agent_events_shipped":
            return sum(s.value for s in family.samples if s.name.endswith("_total"))
    return None


def cpu_seconds(proc: psutil.Process) -> float:
    times = proc.cpu_times()
    return float(times.user + times.system)


def run_agent(root: Path, lines: int, store: str, batch: int | None = None) -> dict[str, Any]:
    log = root / "app.log"
    size = write_lines(log, lines)
    port = free_port()
    path = config(root, log, port, store, batch)
    with (root / "agent.log").open("wb") as output:
        child = subprocess.Popen(pinned([sys.executable, "-c", AGENT, str(path)]), stdout=output, stderr=output)
        try:
            proc = psutil.Process(child.pid)
            while (first := shipped(port)) is None:
                if child.poll() is not None:
                    raise RuntimeError(f"the agent exited: {(root / 'agent.log').read_text()[-2000:]}")
                time.sleep(0.02)
            start, cpu_start = time.perf_counter(), cpu_seconds(proc)
            done = first
            while done < lines:
                time.sleep(0.1)
                done = shipped(port) or done
                if time.perf_counter() - start > 900:
                    raise RuntimeError(f"only {done} of {lines} lines shipped after 15 minutes")
            wall, cpu = time.perf_counter() - start, cpu_seconds(proc) - cpu_start
        finally:
            child.terminate()
            child.wait(60)
    measured = lines - first
    return {
        "lines": lines,
        "bytes": size,
        "lines_measured": measured,
        "seconds": round(wall, 3),
        "cpu_seconds": round(cpu, 3),
        "lines_per_s": round(measured / wall),
        "lines_per_cpu_s": round(measured / cpu) if cpu else None,
    }


def store_baseline(lines: int, work: Path, store_yaml: str, batch: int) -> dict[str, Any]:
    """Child process: build the agent's own events for the lines, then time only ``LogStore.write``."""
    from inframind.agent.files_format import LineFormatter
    from inframind.agent.files_lines import Line
    from inframind.config import LogStoreConfig
    from inframind.logstore import open_store
    from inframind.schema import build, parse_yaml

    log = work / "baseline.log"
    write_lines(log, lines)
    formatter = LineFormatter("raw", dt.UTC, "bench-host", lambda _h: ("", "default"))
    now = dt.datetime.now(dt.UTC)
    events, offset = [], 0
    with log.open("rb") as handle:
        for raw in handle:
            text = raw.rstrip(b"\n").decode("utf-8", errors="replace")
            events.append(formatter.event(Line(text, offset, offset + len(raw)), "bench", str(log), now)[0])
            offset += len(raw)
    data, origin = parse_yaml(store_yaml, "store")
    store = open_store(build(LogStoreConfig, data, origin))
    start, cpu = time.perf_counter(), time.process_time()
    for i in range(0, len(events), batch):
        store.write(events[i : i + batch])
    wall, cpu = time.perf_counter() - start, time.process_time() - cpu
    store.close()
    return {"events": len(events), "seconds": round(wall, 3), "events_per_s": round(len(events) / wall),
            "events_per_cpu_s": round(len(events) / cpu)}  # fmt: skip


def measure_baseline(work: Path, lines: int, store_yaml: str, batch: int) -> dict[str, Any]:
    """The store's own write rate for the same events, in a process pinned like the agent."""
    work.mkdir()
    here = str(Path(__file__).resolve())
    argv = pinned([sys.executable, here, "store-baseline", str(lines), str(work), store_yaml, str(batch)])
    done = subprocess.run(argv, capture_output=True, text=True, check=True, timeout=1800)
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def measure(base: Path, name: str, lines: int, store_yaml: str, batch: int | None) -> dict[str, Any]:
    """The agent (file -> store), then the store alone, on fresh stores, with the same batch size."""
    (base / name).mkdir()

    def fresh(work: Path) -> str:  # its own file or index prefix: the two runs share no data
        return store_yaml.replace("@", str(work)).replace("%", unique_prefix("bench"))

    size = batch or SinkSettings().batch_max_events  # the agent's default when none is given
    agent = run_agent(base / name, lines, fresh(base / name), batch)
    alone = measure_baseline(base / f"{name}-alone", lines, fresh(base / f"{name}-alone"), size)
    agent["batch_max_events"] = size
    agent["store_write_alone"] = alone
    agent["agent_vs_store_write_ratio"] = round(agent["lines_per_s"] / alone["events_per_s"], 3)
    print(f"file -> {name}: {json.dumps(agent)}", flush=True)
    return agent


def syslog_figures(reuse: bool) -> dict[str, Any]:
    results = ROOT / "bench" / "results" / "syslog.json"
    if not reuse:
        run_syslog = importlib.import_module("bench.syslog_udp").run
        data = run_syslog()
        return {"source": "bench/syslog_udp.py, this run", **data["headline"]}
    data = json.loads(results.read_text(encoding="utf-8"))
    return {"source": f"bench/results/syslog.json of {data.get('date')}", **data["headline"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lines", type=int, default=300_000, help="lines for file -> SQLite")
    parser.add_argument("--opensearch-lines", type=int, default=50_000, help="lines for file -> the emulator")
    parser.add_argument("--syslog-results", action="store_true", help="reuse bench/results/syslog.json")
    parser.add_argument("--batch-max-events", type=int, help="agent.sink.batch_max_events (default: config's)")
    args, rest = parser.parse_known_args()
    if rest[:1] == ["store-baseline"]:
        print(json.dumps(store_baseline(int(rest[1]), Path(rest[2]), rest[3], int(rest[4]))))
        return
    with tempfile.TemporaryDirectory(prefix="inframind-bench-logs-") as tmp:
        base = Path(tmp)
        sqlite = measure(base, "sqlite", args.lines, "sqlite:\n  path: @/logs.db\n", args.batch_max_events)
        osmem = start_osmem(base)
        try:
            if shutil.which("taskset"):  # the emulator on the other core: it is not what is measured
                subprocess.run(["taskset", "-a", "-cp", "1", str(osmem.proc.pid)], capture_output=True, check=False)
            store = (f"type: opensearch\nopensearch:\n  hosts: ['{osmem.url}']\n"
                     "  index_prefix: '%'\n  replicas: 0\n")  # fmt: skip
            opensearch = measure(base, "opensearch", args.opensearch_lines, store, args.batch_max_events)
        finally:
            osmem.stop()
    syslog = syslog_figures(args.syslog_results)
    headline = {
        "file_sqlite_lines_per_s": sqlite["lines_per_s"],
        "file_opensearch_lines_per_s": opensearch["lines_per_s"],
        "syslog_udp_max_rate": syslog.get("syslog_udp_max_rate"),
        "rsyslog_udp_max_rate": syslog.get("rsyslog_udp_max_rate"),
    }
    machine = {"cpus": os.cpu_count(), "python": platform.python_version(), "kernel": platform.release(),
               "load_average_1m_at_end": round(os.getloadavg()[0], 2)}  # fmt: skip
    results = {
        "benchmark": "logs",
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "machine": machine,
        "agent_pinned_to_one_core": shutil.which("taskset") is not None,
        "file_sqlite": sqlite,
        "file_opensearch_osmem": opensearch,
        "syslog": syslog,
        "headline": headline,
        "goal": {"file_sqlite_lines_per_s_min": GOAL_SQLITE, "met": sqlite["lines_per_s"] >= GOAL_SQLITE},
    }
    RESULTS.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(" ".join(f"{key}={value}" for key, value in headline.items()))


if __name__ == "__main__":
    main()
