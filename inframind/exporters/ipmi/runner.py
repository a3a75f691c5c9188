"""Running the IPMI tools: never through a shell, secrets on stdin, each run bounded and killable.

Each tool runs in its own session (``start_new_session``), which does two jobs: a timeout kills the
whole process group, and with no controlling terminal the tools' password prompt (``-P``/``-a``, glibc
``getpass``) reads stdin, so a password is in no argv, no environment and no file (ipmitool takes a K_g
only from argv or its environment: the environment, readable by the same user alone). The environment
is otherwise PATH and ``LC_ALL=C``, which keeps numbers and messages as the parsers and classifiers expect.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import threading
import time
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass, field
from typing import Protocol

SBIN_DIRS = ("/usr/sbin", "/usr/local/sbin", "/sbin")
"""FreeIPMI installs in sbin, which a service user's PATH often lacks."""
KILL_GRACE = 2.0


class Hold(Protocol):
    """A lock or a semaphore: something a run waits for, with a timeout, before it starts."""

    def acquire(self, blocking: bool = ..., timeout: float = ...) -> bool: ...

    def release(self) -> None: ...


@dataclass(frozen=True)
class Command:
    """One tool run: ``key`` names it within its collector (``info``, ``entries``)."""

    collector: str
    key: str
    argv: tuple[str, ...]
    stdin: str = field(default="", repr=False)
    """Answers to the tool's prompts (password, then K_g), one per line."""
    env: Mapping[str, str] = field(default_factory=dict, repr=False)
    exclusive: str | None = None
    """Runs of the same ``exclusive`` key never overlap: they share an SDR cache file, or a BMC's SEL
    reservation (concurrent listings cancel each other's and fail)."""


@dataclass(frozen=True)
class Call:
    """Everything a driver needs to build one probe's commands (secrets already resolved, never shown)."""

    host: str
    port: int
    interface: str
    username: str | None
    privilege: str
    cipher_suite: int
    timeout: float
    """Seconds each command may take."""
    workdir: str
    """The prober's private directory: an empty config file and the per-target SDR caches live here."""
    sdr_cache: str
    workaround_flags: tuple[str, ...] = ()
    password: str | None = field(default=None, repr=False)
    k_g: str | None = field(default=None, repr=False)

    @property
    def address(self) -> str:
        return f"[{self.host}]:{self.port}" if ":" in self.host else f"{self.host}:{self.port}"


@dataclass(frozen=True)
class Completed:
    command: Command
    returncode: int | None
    stdout: str
    stderr: str
    seconds: float
    timed_out: bool = False

    @property
    def ok(self) -> bool:
        return self.returncode == 0 and not self.timed_out


def find_tool(name: str) -> str | None:
    return shutil.which(name) or shutil.which(name, path=os.pathsep.join(SBIN_DIRS))


def run(command: Command, deadline: float, holds: Sequence[Hold] = ()) -> Completed:
    """Run until it exits or ``deadline`` (monotonic) passes; then its process group is killed.

    ``holds`` (an exclusive key's lock, then the target's session slots) are taken first, in order, each
    waited for no longer than the deadline allows."""
    start = time.monotonic()
    with ExitStack() as held:
        for hold in holds:
            if not hold.acquire(timeout=max(deadline - time.monotonic(), 0.0)):
                message = f"waited for {command.exclusive or 'a session slot'} until the deadline"
                return Completed(command, None, "", message, time.monotonic() - start, timed_out=True)
            held.callback(hold.release)
        return _run(command, deadline, start)


def _run(command: Command, deadline: float, start: float) -> Completed:
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LC_ALL": "C", **command.env}
    try:
        proc = subprocess.Popen(
            command.argv,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
            start_new_session=True,
            text=True,
        )
    except OSError as exc:
        return Completed(command, None, "", f"cannot run {command.argv[0]}: {exc.strerror}", 0.0)
    try:
        out, err = proc.communicate(command.stdin, timeout=max(deadline - time.monotonic(), 0.0))
    except subprocess.TimeoutExpired:
        _kill_group(proc)
        try:
            out, err = proc.communicate(timeout=KILL_GRACE)
        except subprocess.TimeoutExpired:
            out, err = "", ""
        return Completed(command, None, out or "", err or "", time.monotonic() - start, timed_out=True)
    return Completed(command, proc.returncode, out, err, time.monotonic() - start)


def _kill_group(proc: subprocess.Popen[str]) -> None:
    """Kill the group this runner started for ``proc`` (its own session), and only it."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        return


def run_all(
    commands: Sequence[Command],
    deadline: float,
    pool: ThreadPoolExecutor,
    locks: Mapping[str, threading.Lock],
    slots: threading.Semaphore | None = None,
) -> list[Completed]:
    """All commands at once (a probe costs its slowest command, not their sum), in the order given; at most
    ``slots`` sessions open on the BMC at a time."""
    if not commands:
        return []

    def holds(command: Command) -> list[Hold]:
        lock = locks.get(command.exclusive or "")
        found: list[Hold] = [lock] if lock is not None else []
        return found + ([slots] if slots is not None else [])

    first, *rest = commands
    futures = [pool.submit(run, c, deadline, holds(c)) for c in rest]
    done = [run(first, deadline, holds(first))]
    return done + [f.result() for f in futures]
