"""The ``ipmi`` prober: one BMC per probe, read by FreeIPMI (or ipmitool) tools run side by side.

Every collector's commands start at once (up to ``max_sessions`` on one BMC, over all probes of it), so
a probe costs its slowest command rather than the sum. A collector that fails
is ``ipmi_up{collector} 0`` while the others report; when every collector failed before the BMC let us
in (no answer, refused credentials), the whole probe fails with that reason. The prober owns a private
directory (mode 0700) for the empty config file and the per-target SDR caches, removed on close.
"""

from __future__ import annotations

import hashlib
import logging
import shutil
import tempfile
import threading
import time
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path
from typing import Protocol

from prometheus_client.core import Metric

from inframind.config import ExporterConfig
from inframind.exporters.ipmi import families, freeipmi, ipmitool
from inframind.exporters.ipmi.readings import Failure, OutputError
from inframind.exporters.ipmi.runner import Call, Command, Completed, find_tool, run_all
from inframind.exporters.ipmi.settings import Auth, Settings
from inframind.exporters.probe.base import ProbeError
from inframind.exporters.probe.tcp import split_target
from inframind.secrets import SecretError

log = logging.getLogger(__name__)

MARGIN = 0.05
"""Seconds kept back from the probe's deadline to build the answer."""
SESSION_REASONS = ("auth", "unreachable", "timeout", "protocol")
"""When every collector failed to open a session, the first of these among them is the probe's reason."""


class Driver(Protocol):
    def commands(self, collector: str, call: Call, settings: Settings) -> list[Command]: ...

    def classify(self, done: Completed) -> Failure: ...

    def collect(self, collector: str, outputs: Mapping[str, str], settings: Settings) -> list[Metric]: ...


DRIVERS: Mapping[str, Driver] = {"freeipmi": freeipmi, "ipmitool": ipmitool}


class IpmiProber:
    def __init__(self, workers: int = 64) -> None:
        self.workdir = Path(tempfile.mkdtemp(prefix="inframind-ipmi-"))
        (self.workdir / freeipmi.EMPTY_CONFIG).touch(mode=0o600)
        self._pool = ThreadPoolExecutor(workers, thread_name_prefix="ipmi-tool")
        self._guard = threading.Lock()
        self._exclusive: dict[str, threading.Lock] = {}
        self._sessions: dict[str, threading.Semaphore] = {}
        self._tools: dict[str, str | None] = {}

    def probe(self, target: str, settings: Settings, auth: Auth | None, timeout: float) -> list[Metric]:
        start = time.monotonic()
        deadline = start + min(max(timeout - MARGIN, 0.1), settings.command_timeout)
        call = self._call(target, settings, auth, deadline - start)
        driver = DRIVERS[settings.driver]
        planned = [c for collector in settings.collectors for c in driver.commands(collector, call, settings)]
        slots = self._slots(call.address, settings.max_sessions)
        results = run_all(self._resolve(planned), deadline, self._pool, self._locks_for(planned), slots)
        found, up, failures = collect_results(driver, settings, results)
        error = probe_error(target, up, failures)
        if error is not None:
            raise error
        for collector, failure in failures.items():
            log.debug("ipmi collector %s on %s failed (%s): %s", collector, target, failure.reason, failure.message)
        found.append(families.up_family(up))
        found.append(families.gauge("ipmi_scrape_duration_seconds", time.monotonic() - start))
        return found

    def _call(self, target: str, settings: Settings, auth: Auth | None, timeout: float) -> Call:
        return make_call(target, settings, auth, timeout, self.workdir)

    def _resolve(self, planned: list[Command]) -> list[Command]:
        """Commands with the tool's full path (FreeIPMI lives in sbin); a missing tool is a deployment error."""
        resolved = []
        for command in planned:
            name = command.argv[0]
            with self._guard:
                if name not in self._tools:
                    self._tools[name] = find_tool(name)
                path = self._tools[name]
            if path is None:
                package = "ipmitool" if name == "ipmitool" else "freeipmi-tools"
                raise ProbeError("internal", f"{name} is not installed (Debian package {package})")
            resolved.append(replace(command, argv=(path, *command.argv[1:])))
        return resolved

    def _slots(self, address: str, count: int) -> threading.Semaphore:
        """The BMC's session slots, shared by every probe of it (modules that differ in count get their own)."""
        with self._guard:
            return self._sessions.setdefault(f"{address}/{count}", threading.Semaphore(count))

    def _locks_for(self, planned: list[Command]) -> dict[str, threading.Lock]:
        """One lock per exclusive key: probes of one target take turns on its SDR cache and SEL reservation."""
        with self._guard:
            for command in planned:
                if command.exclusive and command.exclusive not in self._exclusive:
                    self._exclusive[command.exclusive] = threading.Lock()
            return {c.exclusive: self._exclusive[c.exclusive] for c in planned if c.exclusive}

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
        shutil.rmtree(self.workdir, ignore_errors=True)


def collect_results(
    driver: Driver, settings: Settings, results: list[Completed]
) -> tuple[list[Metric], dict[str, bool], dict[str, Failure]]:
    """Families of the collectors whose runs all succeeded; ``ipmi_up`` and the failure of the others."""
    found: list[Metric] = []
    up: dict[str, bool] = {}
    failures: dict[str, Failure] = {}
    for collector in settings.collectors:
        runs = [r for r in results if r.command.collector == collector]
        failed = next((r for r in runs if not r.ok), None)
        try:
            if failed is not None:
                failures[collector] = driver.classify(failed)
            else:
                found.extend(driver.collect(collector, {r.command.key: r.stdout for r in runs}, settings))
        except OutputError as exc:
            failures[collector] = Failure("protocol", f"unexpected {collector} output: {exc}")
        up[collector] = collector not in failures
    return found, up, failures


def probe_error(target: str, up: Mapping[str, bool], failures: Mapping[str, Failure]) -> ProbeError | None:
    """The whole probe fails only when nothing was read and every run failed before a session opened."""
    if any(up.values()) or not failures or not all(f.session for f in failures.values()):
        return None
    reason = next(r for r in SESSION_REASONS if any(f.reason == r for f in failures.values()))
    message = next(f.message for f in failures.values() if f.reason == reason)
    return ProbeError(reason, f"BMC {target}: {message}")


def make_call(target: str, settings: Settings, auth: Auth | None, timeout: float, workdir: Path) -> Call:
    """How to reach ``target``: its address, the module's session settings, the auth's secrets resolved now.

    ``workdir`` holds the empty config file and a per-target SDR cache directory (made here, mode 0700).
    Shared with the agent's SEL source, which reads the same BMCs with the same modules and auths."""
    host, port = split_target(target, settings.port)
    try:
        password = auth.password.resolve() if auth else None
        k_g = auth.k_g.resolve() if auth and auth.k_g else None
    except SecretError as exc:
        raise ProbeError("auth", str(exc)) from None
    cache = workdir / ("sdr-" + hashlib.sha256(f"{host}:{port}".encode()).hexdigest()[:16])
    cache.mkdir(mode=0o700, exist_ok=True)
    return Call(
        host=host,
        port=port,
        interface=settings.interface,
        username=auth.username if auth else None,
        privilege=auth.privilege if auth else "user",
        cipher_suite=auth.cipher_suite if auth else 3,
        timeout=timeout,
        workdir=str(workdir),
        sdr_cache=str(cache),
        workaround_flags=settings.workaround_flags,
        password=password,
        k_g=k_g,
    )


def create(config: ExporterConfig) -> IpmiProber:
    return IpmiProber()
