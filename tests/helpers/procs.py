"""Start real binaries on loopback for tests, wait until they answer, and stop them by their own PID."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest
import requests

DEBIAN_PACKAGES = {
    "victoria-metrics": "victoria-metrics",
    "vmalert": "victoria-metrics",
    "vmagent": "victoria-metrics",
    "vmauth": "victoria-metrics",
    "prometheus-alertmanager": "prometheus-alertmanager",
    "amtool": "prometheus-alertmanager",
    "promtool": "prometheus",
    "prometheus-node-exporter": "prometheus-node-exporter",
    "smartctl": "smartmontools",
    "snmptrap": "snmp",
    "snmpinform": "snmp",
    "snmpd": "snmpd",
    "snmpsimd": "snmpsim",
    "prometheus-snmp-exporter": "prometheus-snmp-exporter",
    "ipmi_sim": "openipmi",
    "ipmitool": "ipmitool",
    "ipmi-sensors": "freeipmi-tools",
    "prometheus-ipmi-exporter": "prometheus-ipmi-exporter",
    "sshd": "openssh-server",
    "sudo": "sudo",
}


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def require_binary(name: str) -> str:
    """The binary's path; a missing one fails the test with the package to install (never a skip)."""
    path = shutil.which(name)
    if path is None:
        package = DEBIAN_PACKAGES.get(name, name)
        pytest.fail(f"{name} not found on PATH: install the Debian package `{package}` (make test does this as root)")
    return path


def wait_until(predicate: Callable[[], bool], timeout: float = 20.0, interval: float = 0.1) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if predicate():
                return True
        except (requests.RequestException, OSError):
            pass
        time.sleep(interval)
    return False


class Server:
    """A child process with its output in a log file; ``stop()`` signals exactly this PID."""

    def __init__(
        self, name: str, argv: Sequence[str], log_dir: Path, env: dict[str, str] | None = None, cwd: Path | None = None
    ) -> None:
        self.name = name
        self.argv = list(argv)
        self.log_path = log_dir / f"{name}.log"
        log_dir.mkdir(parents=True, exist_ok=True)
        self._log = self.log_path.open("ab")
        self.proc = subprocess.Popen(
            self.argv,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            env={**os.environ, **(env or {})},
            cwd=cwd,
            start_new_session=True,
        )

    def wait_http(self, url: str, timeout: float = 30.0, status: int = 200) -> None:
        def ready() -> bool:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.proc.returncode}:\n{self.log_tail()}")
            return requests.get(url, timeout=2).status_code == status

        if not wait_until(ready, timeout):
            self.stop()
            pytest.fail(f"{self.name} did not answer {url} within {timeout}s:\n{self.log_tail()}")

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "<no log>"

    def stop(self, timeout: float = 10.0) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self._log.close()
