"""The tool runner with real processes: stdin prompts, deadlines that kill the whole group, parallel runs,
and runs that share an SDR cache never overlapping."""

from __future__ import annotations

import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from inframind.exporters.ipmi.runner import Command, run, run_all
from tests.helpers.procs import wait_until

PY = sys.executable


def python(code: str, *args: str, key: str = "k", stdin: str = "", exclusive: str | None = None) -> Command:
    return Command("c", key, (PY, "-c", code, *args), stdin, exclusive=exclusive)


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"


def test_stdin_reaches_the_tool_and_the_environment_is_minimal() -> None:
    code = "import os, sys; print(sys.stdin.readline().strip()[::-1], sorted(os.environ))"
    done = run(python(code, stdin="s3cret\n"), time.monotonic() + 10)
    assert done.ok and done.stdout.startswith("terc3s ")
    assert done.stdout.split(" ", 1)[1].strip() == "['LC_ALL', 'PATH']"


def test_the_deadline_kills_the_whole_process_group() -> None:
    code = (
        "import subprocess, sys, time;"
        "child = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)']);"
        "print(child.pid, flush=True); time.sleep(60)"
    )
    start = time.monotonic()
    done = run(python(code), start + 1.0)
    assert done.timed_out and not done.ok and time.monotonic() - start < 4
    grandchild = int(done.stdout.split()[0])
    assert wait_until(lambda: not alive(grandchild), timeout=5)


def test_commands_run_side_by_side(tmp_path: Path) -> None:
    """Each run waits until all three have started: only a parallel runner lets them all finish."""
    code = (
        "import pathlib, sys, time; d = pathlib.Path(sys.argv[1]); (d / sys.argv[2]).touch();"
        "end = time.time() + 5\n"
        "while len(list(d.iterdir())) < 3 and time.time() < end: time.sleep(0.01)\n"
        "sys.exit(0 if len(list(d.iterdir())) == 3 else 1)"
    )
    commands = [python(code, str(tmp_path), name, key=name) for name in ("a", "b", "c")]
    with ThreadPoolExecutor(4) as pool:
        done = run_all(commands, time.monotonic() + 10, pool, {})
    assert [d.command.key for d in done] == ["a", "b", "c"]
    assert all(d.ok for d in done), [d.stderr for d in done]


@pytest.mark.parametrize("how", ["exclusive", "one session slot"])
def test_runs_that_must_not_overlap_take_turns(tmp_path: Path, how: str) -> None:
    code = (
        "import pathlib, sys, time; busy = pathlib.Path(sys.argv[1]) / 'busy'\n"
        "if busy.exists(): sys.exit(3)\n"
        "busy.touch(); time.sleep(0.15); busy.unlink()"
    )
    exclusive = "cache" if how == "exclusive" else None
    commands = [python(code, str(tmp_path), key=str(i), exclusive=exclusive) for i in range(3)]
    locks = {"cache": threading.Lock()} if exclusive else {}
    slots = threading.Semaphore(1) if how == "one session slot" else None
    with ThreadPoolExecutor(4) as pool:
        done = run_all(commands, time.monotonic() + 10, pool, locks, slots)
    assert [d.returncode for d in done] == [0, 0, 0]


def test_a_slot_not_free_by_the_deadline_is_a_timeout() -> None:
    slots = threading.Semaphore(1)
    slots.acquire()
    with ThreadPoolExecutor(2) as pool:
        (done,) = run_all([python("print(1)")], time.monotonic() + 0.3, pool, {}, slots)
    assert done.timed_out and "session slot" in done.stderr


def test_a_missing_tool_is_a_failed_run() -> None:
    done = run(Command("c", "k", ("/nonexistent/ipmi-sensors",)), time.monotonic() + 5)
    assert not done.ok and "cannot run /nonexistent/ipmi-sensors" in done.stderr
