"""Running smartctl: device discovery and one JSON report per device, each bounded by a timeout.

The per-device arguments are smartctl_exporter's, so the same JSON fields (and so the same series) come
back: ``--nocheck=standby`` leaves sleeping disks asleep, ``--tolerance=verypermissive`` goes on past
commands a disk rejects, ``--log=error`` adds the ATA error log count. Each run gets its own process
group so a timeout kills smartctl and anything it started, and ``LC_ALL=C`` keeps its messages in English
so "Permission denied" can be recognised.
"""

from __future__ import annotations

import logging
import os
import shutil
import signal
import subprocess
import threading
from collections.abc import Sequence
from dataclasses import dataclass

from inframind.exporters.smart.parse import (
    EXEC_FAILED,
    INVALID_JSON,
    TIMEOUT,
    classify,
    decode,
    describe_exit_status,
    exit_status,
    parse_device,
    parse_scan,
    parse_version,
)
from inframind.exporters.smart.readings import DeviceReadings, DeviceRef, ScanEntry, SmartctlVersion

SCAN_ARGS = ("--scan-open", "--json")
DEVICE_ARGS = (
    "--json",
    "--info",
    "--health",
    "--attributes",
    "--tolerance=verypermissive",
    "--format=brief",
    "--log=error",
)
SBIN_DIRS = ("/usr/sbin", "/usr/local/sbin", "/sbin")
"""Where smartctl lives when the service's PATH has no sbin directory (common for non-root users)."""
KILL_GRACE = 5.0

log = logging.getLogger(__name__)


def find_smartctl(configured: str) -> str | None:
    """The executable to run: a path as given, else a name on PATH or in the sbin directories."""
    if os.sep in configured:
        return configured if os.path.isfile(configured) and os.access(configured, os.X_OK) else None
    return shutil.which(configured) or shutil.which(configured, path=os.pathsep.join(SBIN_DIRS))


def missing_smartctl_message(configured: str) -> str:
    where = (
        f"{configured!r} is not an executable file"
        if os.sep in configured
        else f"{configured!r} is not on PATH nor in {', '.join(SBIN_DIRS)}"
    )
    return (
        f"smartctl not found ({where}): install smartmontools >= 7.0 (e.g. `apt install smartmontools`) "
        "or set exporter.smart.smartctl to its path"
    )


def permission_message(where: str) -> str:
    return (
        f"smartctl cannot open {where}: run the exporter as root, or give it CAP_SYS_RAWIO "
        "(and CAP_SYS_ADMIN for NVMe devices)"
    )


@dataclass(frozen=True)
class Completed:
    returncode: int | None
    stdout: str
    timed_out: bool = False
    error: str | None = None
    """Why smartctl could not be started (an OSError), if it could not."""


@dataclass(frozen=True)
class ScanOutcome:
    entries: tuple[ScanEntry, ...] = ()
    version: SmartctlVersion | None = None
    problem: str | None = None
    """Why there is no device list: the scan timed out, could not run, or printed no JSON."""


@dataclass(frozen=True)
class DeviceOutcome:
    device: DeviceRef
    exit_status: int | None = None
    readings: DeviceReadings | None = None
    reason: str | None = None
    detail: str = ""
    version: SmartctlVersion | None = None


class SmartctlRunner:
    """Runs one smartctl executable; :meth:`cancel` stops the run in progress (used on shutdown)."""

    def __init__(self, executable: str, timeout: float, powermode_check: str = "standby") -> None:
        self.executable = executable
        self.timeout = timeout
        self.powermode_check = powermode_check
        self._lock = threading.Lock()
        self._current: subprocess.Popen[bytes] | None = None
        self._cancelled = False

    def scan(self) -> ScanOutcome:
        done = self._run(SCAN_ARGS)
        command = f"{self.executable} {' '.join(SCAN_ARGS)}"
        if done.error is not None:
            return ScanOutcome(problem=f"{command} could not run: {done.error}")
        if done.timed_out:
            return ScanOutcome(problem=f"{command} did not finish within {self.timeout:g}s")
        doc = decode(done.stdout)
        if doc is None:
            return ScanOutcome(
                problem=f"{command} printed no JSON (exit status {done.returncode}): smartmontools >= 7.0 is needed"
            )
        status = exit_status(doc)
        if status is not None and status & 1:
            return ScanOutcome(problem=f"{command} failed: {describe_exit_status(status)}")
        return ScanOutcome(tuple(parse_scan(doc)), parse_version(doc))

    def read(self, device: DeviceRef) -> DeviceOutcome:
        args = [*DEVICE_ARGS, f"--nocheck={self.powermode_check}"]
        args += [*([f"--device={device.type}"] if device.type else []), device.name]
        done = self._run(args)
        if done.error is not None:
            return DeviceOutcome(device, reason=EXEC_FAILED, detail=f"smartctl could not run: {done.error}")
        if done.timed_out:
            return DeviceOutcome(device, reason=TIMEOUT, detail=f"smartctl did not finish within {self.timeout:g}s")
        doc = decode(done.stdout)
        if doc is None:
            detail = f"smartctl printed no JSON (exit status {done.returncode})"
            return DeviceOutcome(device, exit_status=done.returncode, reason=INVALID_JSON, detail=detail)
        status, reason, detail = classify(doc, done.returncode or 0)
        readings = parse_device(doc) if reason is None else None
        return DeviceOutcome(device, status, readings, reason, detail, parse_version(doc))

    def cancel(self) -> None:
        with self._lock:
            self._cancelled = True
            proc = self._current
        if proc is not None and proc.returncode is None:  # once reaped, its group id may be reused
            _kill_group(proc)

    def _run(self, args: Sequence[str]) -> Completed:
        env = {**os.environ, "LC_ALL": "C"}
        with self._lock:
            if self._cancelled:
                return Completed(None, "", error="cancelled")
            try:
                proc = subprocess.Popen(
                    [self.executable, *args],
                    stdin=subprocess.DEVNULL,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.DEVNULL,
                    env=env,
                    start_new_session=True,
                )
            except OSError as exc:
                return Completed(None, "", error=exc.strerror or str(exc))
            self._current = proc
        try:
            stdout, _ = proc.communicate(timeout=self.timeout)
        except subprocess.TimeoutExpired:
            _kill_group(proc)
            try:
                proc.communicate(timeout=KILL_GRACE)
            except subprocess.TimeoutExpired:
                # Stuck in the kernel on a dying disk: SIGKILL lands once the IO returns; Popen reaps it then.
                log.warning("smartctl (pid %d) has not exited %gs after SIGKILL", proc.pid, KILL_GRACE)
            return Completed(None, "", timed_out=True)
        finally:
            with self._lock:
                self._current = None
        return Completed(proc.returncode, stdout.decode("utf-8", errors="replace"))


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    """Kill the process group this runner started for ``proc`` (and only it)."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        return
