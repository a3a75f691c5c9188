"""Agent test helpers: a scripted ingest API on 127.0.0.1, fake sources and sinks, agent processes and a
log writer that rotates like logrotate."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import signal
import sqlite3
import sys
import threading
import time
from collections.abc import Callable, Sequence
from contextlib import closing
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, TextIO

from inframind.agent.sinks import SinkDown, SinkResult
from inframind.agent.source import Batch, Emit, SourceStats
from inframind.events import LogEvent
from tests.helpers.exposition import Family, parse, scrape_text
from tests.helpers.procs import Server, free_port, wait_until

Answer = tuple[int, dict[str, Any] | str]


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: dict[str, Any]


class IngestAPI:
    """A loopback ``POST /api/v1/logs`` whose answers the test scripts (``answers``; then 200 with counts)."""

    def __init__(self) -> None:
        self.requests: list[Received] = []
        self.answers: list[Answer | Callable[[dict[str, Any]], Answer]] = []
        api = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                api.requests.append(Received(self.path, dict(self.headers), body))
                answer: Any = api.answers.pop(0) if api.answers else None
                if callable(answer):
                    answer = answer(body)
                status, payload = answer or (200, {"written": len(body["events"]), "duplicates": 0, "rejected": []})
                data = (payload if isinstance(payload, str) else json.dumps(payload)).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:
                return

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


def numbered(start: int, count: int, source: str = "file") -> list[LogEvent]:
    stamp = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)
    kind: Any = source
    return [
        LogEvent(stamp, kind, "info", f"event {n}", host="h", record_id=str(n)) for n in range(start, start + count)
    ]


@dataclass
class ListSource:
    """A pull source over a list; ``committed`` is how far its cursor was persisted."""

    name: str
    events: list[LogEvent]
    position: int = 0
    committed: int = 0
    stats: SourceStats = field(default_factory=SourceStats)

    def poll(self, max_events: int) -> Batch | None:
        taken = self.events[self.position : self.position + max_events]
        if not taken:
            return None
        self.position += len(taken)
        end = self.position
        self.stats.add_read(len(taken))

        def commit() -> None:
            self.committed = end

        return Batch(list(taken), commit)

    def close(self) -> None:
        return


@dataclass
class PushList:
    name: str
    stats: SourceStats = field(default_factory=SourceStats)
    emit: Emit | None = None

    def start(self, emit: Emit) -> None:
        self.emit = emit

    def close(self) -> None:
        self.emit = None


class MemorySink:
    """A sink that keeps what it takes; ``down`` makes it fail like an unreachable store."""

    description = "memory"

    def __init__(self) -> None:
        self.events: list[LogEvent] = []
        self.down = False
        self.attempts = 0
        self.lock = threading.Lock()

    def write(self, events: Sequence[LogEvent]) -> SinkResult:
        with self.lock:
            self.attempts += 1
            if self.down:
                raise SinkDown("memory sink is down")
            self.events.extend(events)
            return SinkResult(len(events))

    def close(self) -> None:
        return


def agent_process(config_path: Path, log_dir: Path, name: str = "agent", env: dict[str, str] | None = None) -> Server:
    """``run_agent`` on a YAML config in a process of its own (what the reliability tests kill)."""
    code = (
        "import sys\n"
        "from inframind.agent.app import run_agent\n"
        "from inframind.config import load_config\n"
        "from inframind.logsetup import setup_logging\n"
        "setup_logging('info', 'logfmt')\n"
        "run_agent(load_config(sys.argv[1]))\n"
    )
    return Server(name, [sys.executable, "-c", code, str(config_path)], log_dir, env=env, cwd=config_path.parent)


class AgentRun:
    """One agent configuration in a directory; ``start`` may be called again after a kill (a restart)."""

    def __init__(self, root: Path, files_yaml: str, sink_yaml: str = "") -> None:
        self.root = root
        self.port = free_port()
        self.db = root / "logs.db"
        self.config = root / "inframind.yml"
        self.config.write_text(
            "agent:\n"
            f"  listen: 127.0.0.1:{self.port}\n"
            f"  state_dir: {root / 'state'}\n"
            "  hostname: test-host\n"
            f"  files:\n{files_yaml}"
            "  sink:\n"
            "    batch_max_wait: 0.2\n"
            f"{sink_yaml}"
            "logstore:\n"
            "  sqlite:\n"
            f"    path: {self.db}\n",
            encoding="utf-8",
        )
        self.runs = 0
        self.env: dict[str, str] | None = None
        self.server: Server | None = None

    def start(self, env: dict[str, str] | None = None) -> Server:
        self.runs += 1
        self.env = env or self.env
        self.server = agent_process(self.config, self.root / "logs", f"agent-{self.runs}", self.env)
        return self.server

    def metrics(self) -> dict[str, Family]:
        return parse(scrape_text(f"http://127.0.0.1:{self.port}/metrics"))

    def wait_ready(self) -> None:
        assert self.server is not None
        self.server.wait_http(f"http://127.0.0.1:{self.port}/-/healthy", timeout=30)

    def stop(self) -> None:
        """SIGTERM and a clean exit (0) within the shutdown grace."""
        assert self.server is not None
        self.server.proc.send_signal(signal.SIGTERM)
        assert self.server.proc.wait(30) == 0, self.server.log_tail()
        self.server.stop()

    def kill(self) -> None:
        assert self.server is not None
        self.server.proc.kill()  # SIGKILL to this PID: no cleanup at all
        self.server.proc.wait(10)
        self.server.stop()

    def rows(self, sql: str) -> tuple[Any, ...]:
        if not self.db.exists():
            return (0,)
        with closing(sqlite3.connect(f"file:{self.db}?mode=ro", uri=True, timeout=30)) as db:
            if db.execute("SELECT 1 FROM sqlite_master WHERE name = 'events'").fetchone() is None:
                return (0,)  # the store is creating its schema
            return tuple(db.execute(sql).fetchone())


def line(n: int) -> str:
    return f"{n:06d} 2026-03-01T10:00:00Z INFO reliability line number {n} {'.' * 40}\n"


class Writer:
    """Writes numbered lines like an application (append mode), rotating like logrotate."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.out: TextIO = path.open("a", encoding="utf-8")
        self.rotations = 0
        self.written = 0

    def write(self, count: int) -> None:
        self.out.write("".join(line(self.written + i) for i in range(count)))
        self.out.flush()
        self.written += count

    def rotate(self, how: str) -> None:
        self.rotations += 1
        rotated = self.path.with_name(f"{self.path.name}.{self.rotations}")
        if how == "rename":  # logrotate's default: move, then the application reopens
            self.out.close()
            os.rename(self.path, rotated)
            self.out = self.path.open("a", encoding="utf-8")
        else:  # copytruncate: the application keeps writing to the same (now empty) file
            shutil.copyfile(self.path, rotated)
            os.truncate(self.path, 0)

    def close(self) -> None:
        self.out.close()


def hold_write_lock(db: Path, seconds: float, log_dir: Path) -> Server:
    """Another process holding SQLite's write lock on the store: to the agent, the store is down."""
    code = (
        "import sqlite3, sys, time\n"
        "db = sqlite3.connect(sys.argv[1], isolation_level=None)\n"
        "db.execute('BEGIN EXCLUSIVE')\n"
        "print('locked', flush=True)\n"
        "time.sleep(float(sys.argv[2]))\n"
        "db.execute('ROLLBACK')\n"
    )
    locker = Server("store-lock", [sys.executable, "-c", code, str(db), str(seconds)], log_dir)
    assert wait_until(lambda: "locked" in locker.log_tail(), 10, 0.05), locker.log_tail()
    return locker


class Load:
    """Lines at a steady rate into one file, written in bursts of 100 between checks."""

    def __init__(self, writer: Writer, rate: float = 1_000.0) -> None:
        self.writer, self.rate = writer, rate

    def run_for(self, seconds: float) -> None:
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            self.writer.write(100)
            time.sleep(100 / self.rate)
