"""The supervisor with real child processes: backoff restarts, dependency order, shutdown by PID with
SIGKILL after the grace period, own sessions, and no orphans when the stack itself is killed."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Callable
from pathlib import Path

import psutil
import pytest

from inframind.schema import HostPort
from inframind.stack.components import Component
from inframind.stack.supervisor import Phase, Policy, Supervisor
from tests.helpers.procs import free_port, wait_until

pytestmark = pytest.mark.integration

FAST = Policy(backoff_base=0.1, backoff_cap=0.4, grace=0.5, poll=0.02)
IGNORES_TERM = (
    "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); print('up', flush=True); time.sleep(60)"
)


def _python(name: str, code: str, port: int = 1, after: tuple[str, ...] = ()) -> Component:
    return Component(name, (sys.executable, "-c", code), HostPort("127.0.0.1", port), "/", "x", after=after)


def _http_server(name: str, port: int, after: tuple[str, ...] = ()) -> Component:
    argv = (sys.executable, "-m", "http.server", "--bind", "127.0.0.1", str(port))
    return Component(name, argv, HostPort("127.0.0.1", port), "/", f"stack.ports.{name}", after=after)


def _drive(supervisor: Supervisor, until: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not until():
        assert time.monotonic() < deadline, "supervisor did not get there in time"
        supervisor.step()
        time.sleep(FAST.poll)


def test_crashing_child_is_restarted_with_capped_exponential_backoff(tmp_path: Path) -> None:
    counter = tmp_path / "starts"
    code = f"open({str(counter)!r}, 'a').write('x'); print('boom: disk on fire', flush=True); raise SystemExit(3)"
    reports: list[str] = []
    supervisor = Supervisor([_python("flaky", code)], tmp_path / "logs", reports.append, policy=FAST)
    try:
        _drive(supervisor, lambda: sum("restarting in" in r for r in reports) >= 5)
    finally:
        supervisor.shutdown()
    delays = [r.split("restarting in ")[1].split("s")[0] for r in reports if "restarting in" in r]
    assert delays[:5] == ["0.1", "0.2", "0.4", "0.4", "0.4"]
    crash = next(r for r in reports if "crashed" in r)
    assert crash.startswith("flaky: crashed (exit code 3)")
    assert "| boom: disk on fire" in crash  # the log tail says why
    assert len(counter.read_text()) >= 5
    assert (tmp_path / "logs" / "flaky.log").read_text().count("--- inframind up:") >= 5


def test_dependents_start_after_their_dependency_is_ready(tmp_path: Path) -> None:
    first, second = free_port(), free_port()
    reports: list[str] = []
    supervisor = Supervisor(
        [_http_server("second", second, after=("first",)), _http_server("first", first)],
        tmp_path,
        reports.append,
        policy=FAST,
    )
    try:
        _drive(supervisor, lambda: supervisor.children["second"].phase is Phase.READY)
    finally:
        supervisor.shutdown()

    def index_of(prefix: str) -> int:
        return next(i for i, r in enumerate(reports) if r.startswith(prefix))

    assert index_of("second: waiting for first") < index_of("first: started")
    assert index_of("first: ready") < index_of("second: started")
    assert all(c.phase is Phase.STOPPED for c in supervisor.children.values())


def test_shutdown_terms_then_kills_and_reaps_everything(tmp_path: Path) -> None:
    port = free_port()
    reports: list[str] = []
    supervisor = Supervisor(
        [_http_server("polite", port), _python("stubborn", IGNORES_TERM)], tmp_path, reports.append, policy=FAST
    )
    _drive(supervisor, lambda: supervisor.children["polite"].phase is Phase.READY)
    assert wait_until(lambda: "up" in (tmp_path / "stubborn.log").read_text(), 5)
    pids = supervisor.pids()
    for pid in pids.values():
        assert os.getsid(pid) == pid  # own session: a terminal's Ctrl-C does not reach it directly
    started = time.monotonic()
    supervisor.shutdown()
    assert time.monotonic() - started < 3
    assert "stubborn: still running, SIGKILL to pid" in "\n".join(reports)
    assert any(r.startswith("polite: stopped (killed by SIGTERM after") for r in reports)
    assert "stubborn: stopped (killed by SIGKILL)" in reports
    assert reports[-1] == "all components stopped"
    for pid in pids.values():
        assert not psutil.pid_exists(pid)


def test_second_signal_skips_the_grace_period(tmp_path: Path) -> None:
    supervisor = Supervisor(
        [_python("stubborn", IGNORES_TERM)], tmp_path, lambda _m: None, policy=Policy(grace=30, poll=0.02)
    )
    supervisor.step()
    assert wait_until(lambda: "up" in (tmp_path / "stubborn.log").read_text(), 5)
    force = threading.Event()
    threading.Timer(0.3, force.set).start()
    started = time.monotonic()
    supervisor.shutdown(force)
    assert time.monotonic() - started < 5


def test_children_die_with_a_killed_stack(tmp_path: Path) -> None:
    """SIGKILL cannot be cleaned up after; the kernel's parent-death signal stops the children instead."""
    script = textwrap.dedent(
        f"""
        import sys, time
        from pathlib import Path
        from inframind.schema import HostPort
        from inframind.stack.components import Component
        from inframind.stack.supervisor import Supervisor
        child = Component("sleeper", (sys.executable, "-c", "import time; time.sleep(60)"),
                          HostPort("127.0.0.1", 1), "/", "x")
        supervisor = Supervisor([child], Path({str(tmp_path)!r}), lambda m: None)
        supervisor.step()
        print(supervisor.pids()["sleeper"], flush=True)
        time.sleep(60)
        """
    )
    stack = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    try:
        assert stack.stdout is not None
        child = psutil.Process(int(stack.stdout.readline()))
        assert child.is_running()
        stack.send_signal(signal.SIGKILL)
        stack.wait(5)
        assert wait_until(lambda: not child.is_running() or child.status() == psutil.STATUS_ZOMBIE, 5)
    finally:
        if stack.poll() is None:
            stack.kill()
            stack.wait()


def test_a_child_that_cannot_be_executed_is_retried_not_fatal(tmp_path: Path) -> None:
    gone = Component("gone", (str(tmp_path / "deleted-binary"),), HostPort("127.0.0.1", 1), "/", "x")
    reports: list[str] = []
    supervisor = Supervisor([gone], tmp_path, reports.append, policy=FAST)
    _drive(supervisor, lambda: sum("restarting in" in r for r in reports) >= 2)
    supervisor.shutdown()
    assert reports[0].startswith("gone: crashed (exit code 127); restarting in 0.1s")
    assert "cannot start" in reports[0]
    assert reports[-1] == "all components stopped"
