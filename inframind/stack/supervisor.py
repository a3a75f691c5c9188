"""Child processes of `inframind up`: start in dependency order, watch, restart with backoff, stop by PID.

One thread drives everything (:meth:`Supervisor.step` every ``poll`` seconds), so there are no locks and
the state a user sees is the state there is. Each child runs in its own session, so a Ctrl-C in the
terminal reaches only the stack, which then stops every child itself: SIGTERM to each PID (dependents
first), SIGKILL after the grace period. On Linux each child also asks the kernel for SIGTERM should the
stack die without cleaning up (``PR_SET_PDEATHSIG``), so no server outlives a killed stack.
"""

from __future__ import annotations

import ctypes
import enum
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from inframind.stack.components import Component

_PR_SET_PDEATHSIG = 1
_NO_PROXY = urllib.request.build_opener(urllib.request.ProxyHandler({}))


class Phase(enum.Enum):
    WAITING = "waiting"
    STARTED = "started"
    READY = "ready"
    CRASHED = "crashed"
    STOPPED = "stopped"


@dataclass(frozen=True)
class Policy:
    backoff_base: float = 1.0
    backoff_cap: float = 30.0
    stable_after: float = 60.0
    """A child that ran this long before crashing starts its backoff over."""
    grace: float = 10.0
    """Seconds between SIGTERM and SIGKILL at shutdown."""
    poll: float = 0.2


DEFAULT_POLICY = Policy()


def restart_delay(failures: int, policy: Policy) -> float:
    """Exponential backoff: base, 2*base, 4*base ... capped, for the n-th failure in a row (n >= 1)."""
    return float(min(policy.backoff_base * 2 ** max(failures - 1, 0), policy.backoff_cap))


def describe_exit(code: int) -> str:
    if code < 0:
        try:
            return f"killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"killed by signal {-code}"
    return f"exit code {code}"


def http_ready(url: str) -> bool:
    """True when ``url`` answers 200 (proxies from the environment are ignored: this is loopback)."""
    try:
        with _NO_PROXY.open(url, timeout=1.0) as response:
            return int(response.status) == 200
    except (urllib.error.URLError, OSError, ValueError):
        return False


def _death_signal_hook() -> Callable[[], None] | None:
    if not sys.platform.startswith("linux"):
        return None
    prctl = ctypes.CDLL(None, use_errno=True).prctl  # looked up before fork: the child only calls it
    parent = os.getpid()

    def hook() -> None:
        prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
        if os.getppid() != parent:  # the stack died between fork and prctl
            os._exit(1)

    return hook


@dataclass
class Child:
    component: Component
    phase: Phase = Phase.WAITING
    proc: subprocess.Popen[bytes] | None = None
    failures: int = 0
    started_at: float = 0.0
    restart_at: float = 0.0
    was_ready: bool = False
    waiting_reported: bool = False


class Supervisor:
    def __init__(
        self,
        components: Sequence[Component],
        log_dir: Path,
        report: Callable[[str], None],
        *,
        policy: Policy = DEFAULT_POLICY,
        env: Mapping[str, str] | None = None,
        probe: Callable[[str], bool] = http_ready,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.children = {c.name: Child(c) for c in components}
        self.log_dir = log_dir
        self.report = report
        self.policy = policy
        self.env = dict(os.environ if env is None else env)
        self.probe = probe
        self.clock = clock
        self._hook = _death_signal_hook()

    def log_path(self, name: str) -> Path:
        return self.log_dir / f"{name}.log"

    def pids(self) -> dict[str, int]:
        return {n: c.proc.pid for n, c in self.children.items() if c.proc is not None and c.proc.poll() is None}

    def _start(self, child: Child) -> None:
        spec = child.component
        self.log_dir.mkdir(parents=True, exist_ok=True)
        with self.log_path(spec.name).open("ab") as log:
            stamp = time.strftime("%Y-%m-%dT%H:%M:%S")
            log.write(f"--- inframind up: {stamp} starting {' '.join(spec.argv)}\n".encode())
            log.flush()
            try:
                child.proc = subprocess.Popen(
                    spec.argv,
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    env={**self.env, **spec.env},
                    start_new_session=True,  # a terminal's Ctrl-C reaches the stack only; it stops children
                    preexec_fn=self._hook,  # noqa: PLW1509 - one thread spawns; the hook only calls prctl
                )
            except OSError as exc:  # e.g. the binary vanished since the preflight check: retry like a crash
                log.write(f"cannot start {spec.argv[0]}: {exc.strerror or exc}\n".encode())
                log.flush()
                child.proc = None
                child.started_at = self.clock()
                self._on_exit(child, 127, child.started_at)
                return
        child.phase = Phase.STARTED
        child.started_at = self.clock()
        self.report(f"{spec.name}: started (pid {child.proc.pid})")

    def log_tail(self, name: str, lines: int = 8) -> list[str]:
        """The last lines the child's latest run wrote (the log keeps every run, separated by markers)."""
        try:
            text = self.log_path(name).read_text(errors="replace")
        except OSError:
            return []
        run = text.rsplit("--- inframind up:", 1)[-1].splitlines()[1:]
        return run[-lines:]

    def _on_exit(self, child: Child, code: int, now: float) -> None:
        name = child.component.name
        child.failures = 1 if now - child.started_at >= self.policy.stable_after else child.failures + 1
        delay = restart_delay(child.failures, self.policy)
        child.phase = Phase.CRASHED
        child.restart_at = now + delay
        # The whole tail once; while it keeps failing the same way, its last line is enough.
        tail = "".join(f"\n    | {line}" for line in self.log_tail(name, 8 if child.failures == 1 else 1))
        self.report(f"{name}: crashed ({describe_exit(code)}); restarting in {delay:g}s{tail}")

    def step(self) -> None:
        """One pass over the children: start those whose dependencies were ready, notice exits and
        readiness, restart those whose backoff has passed."""
        now = self.clock()
        for child in self.children.values():
            spec = child.component
            if child.phase is Phase.WAITING:
                pending = [d for d in spec.after if not self.children[d].was_ready]
                if not pending:
                    self._start(child)
                elif not child.waiting_reported:
                    child.waiting_reported = True
                    self.report(f"{spec.name}: waiting for {', '.join(pending)}")
            elif child.phase in (Phase.STARTED, Phase.READY):
                assert child.proc is not None
                code = child.proc.poll()
                if code is not None:
                    self._on_exit(child, code, now)
                elif child.phase is Phase.STARTED and self.probe(spec.ready_url):
                    child.phase = Phase.READY
                    child.was_ready = True
                    self.report(f"{spec.name}: ready after {now - child.started_at:.1f}s at {spec.url}")
            elif child.phase is Phase.CRASHED and now >= child.restart_at:
                self.report(f"{spec.name}: restarting (attempt {child.failures + 1})")
                self._start(child)

    def run(self, stop: threading.Event) -> None:
        while not stop.is_set():
            self.step()
            stop.wait(self.policy.poll)

    def shutdown(self, force: threading.Event | None = None) -> None:
        """Stop every running child by its PID: SIGTERM, and SIGKILL if it is still there after the grace
        period (or at once when ``force`` is set, e.g. by a second Ctrl-C). Dependents go first, so vmalert
        can still flush to VictoriaMetrics while it stops. Every child is reaped."""
        running = {n: c for n, c in self.children.items() if c.proc is not None and c.proc.poll() is None}
        termed: dict[str, float] = {}
        while running:
            now = self.clock()
            hurry = force is not None and force.is_set()
            for name, child in reversed(list(running.items())):
                assert child.proc is not None
                code = child.proc.poll()
                if code is not None:
                    del running[name]
                    self._stopped(child, f"{describe_exit(code)} after {now - termed.get(name, now):.1f}s")
                elif name in termed:
                    if hurry or now - termed[name] >= self.policy.grace:
                        self.report(f"{name}: still running, SIGKILL to pid {child.proc.pid}")
                        child.proc.kill()
                        del running[name]
                        self._stopped(child, describe_exit(child.proc.wait()))
                elif hurry or not any(name in running[d].component.after for d in running if d != name):
                    self.report(f"{name}: stopping (SIGTERM to pid {child.proc.pid})")
                    child.proc.send_signal(signal.SIGTERM)
                    termed[name] = now
            time.sleep(0.05)
        for child in self.children.values():
            if child.proc is not None:
                child.proc.wait()  # crashed ones were reaped by poll() already; this only makes sure
            child.phase = Phase.STOPPED
        self.report("all components stopped")

    def _stopped(self, child: Child, how: str) -> None:
        child.phase = Phase.STOPPED
        self.report(f"{child.component.name}: stopped ({how})")
