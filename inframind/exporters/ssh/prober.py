"""The ``ssh`` prober: one script per scrape over a (kept) SSH connection -> node_exporter's families.

A scrape opens one channel and runs the fixed script of :mod:`.script` (plus one smartctl command when
smart is on and the scan found devices). The families are the host exporter's own, so a host scraped
over SSH and one running our exporter look the same to rules and dashboards; ``inframind_ssh_*`` says
how the scrape went (connection reused, connect and command durations, why smartctl could not run).
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable

import paramiko
from prometheus_client.core import GaugeMetricFamily, Metric

from inframind.config import ExporterConfig
from inframind.exporters.base import CollectorError
from inframind.exporters.probe.base import ProbeError
from inframind.exporters.probe.tcp import split_target
from inframind.exporters.smart.families import DeviceState
from inframind.exporters.ssh import connection, smart
from inframind.exporters.ssh.families import TargetState, collector_calls, run_collectors
from inframind.exporters.ssh.pool import Lease, Pool, PoolKey
from inframind.exporters.ssh.script import Section, build_script, new_nonce, split_sections
from inframind.exporters.ssh.settings import Auth, Settings

MAX_TARGETS = 4096
"""Targets whose CPU counter floor is remembered (least recently scraped forgotten first)."""
SMART_MARGIN = 0.5
"""Seconds the smartctl command leaves before the probe's deadline for the answer to be built and sent."""
POWERMODE = "standby"
"""smartctl --nocheck: leave sleeping disks asleep, as the smart collector does."""


class _Session:
    """One scrape's use of a connection: kept (and retried once on a fresh one if it went stale) or not."""

    def __init__(self, pool: Pool, key: PoolKey, settings: Settings, auth: Auth, deadline: float) -> None:
        self.pool, self.key, self.settings, self.auth, self.deadline = pool, key, settings, auth, deadline
        self.connect_seconds = 0.0
        self.client: paramiko.SSHClient | None = None
        self.lease: Lease | None = None
        self.reused = False

    def _connect(self) -> paramiko.SSHClient:
        start = time.monotonic()
        host, port, _ = self.key
        client = connection.connect(host, port, self.auth, self.settings.connect_timeout, self.deadline)
        self.connect_seconds = time.monotonic() - start
        return client

    def open(self) -> None:
        if self.settings.pool.enabled:
            self.lease, self.reused = self.pool.acquire(self.key, self.settings.pool.idle_timeout, self._connect)
            self.client = self.lease.client
        else:
            self.client = self._connect()

    def run(self, script: str, deadline: float | None = None) -> connection.Output:
        """The script's output; raises CommandTimeout at the deadline, ProbeError if the link fails."""
        assert self.client is not None
        try:
            stale_bound = self.settings.connect_timeout if self.reused else None
            return connection.run(self.client, script, self.deadline if deadline is None else deadline, stale_bound)
        except (paramiko.SSHException, EOFError, OSError) as exc:
            if not self.reused:
                raise ProbeError("unreachable", f"the SSH connection to {self.key[0]} failed: {exc}") from None
        # A kept connection went stale (sshd restarted, NAT forgot it): retry once on a new one.
        assert self.lease is not None
        self.pool.retire(self.key, self.lease)
        self.close()
        self.open()
        return self.run(script, deadline)

    def close(self) -> None:
        if self.lease is not None:
            self.pool.release(self.lease)
            self.lease = None
        elif self.client is not None:
            self.client.close()
        self.client = None


class SshProber:
    def __init__(self) -> None:
        self.pool = Pool()
        self._states: OrderedDict[str, TargetState] = OrderedDict()
        self._lock = threading.Lock()

    def probe(self, target: str, settings: Settings, auth: Auth | None, timeout: float) -> list[Metric]:
        deadline = time.monotonic() + timeout
        if auth is None:
            raise ProbeError("auth", "the ssh prober needs credentials: set `auth:` in the module or pass &auth=")
        host, port = split_target(target, settings.port)
        nonce = new_nonce()
        script = build_script(
            settings.collectors,
            nonce,
            settings.filesystem.stat_timeout,
            settings.smartctl_timeout,
            settings.use_sudo_for_smartctl,
        )
        session = _Session(self.pool, (host, port, auth), settings, auth, deadline)
        try:
            session.open()
            started = time.monotonic()
            try:
                output = session.run(script)
            except connection.CommandTimeout:
                raise ProbeError("timeout", f"the script on {target} did not finish within {timeout:g}s") from None
            command_seconds = {"collect": time.monotonic() - started}
            sections = split_sections(output.stdout, nonce)
            if not sections:
                said = " ".join(f"{output.stderr} {output.stdout}".split())[:200]
                raise ProbeError("protocol", f"{target} did not run the script (is the login shell sh-like?): {said}")
            state = self._state(f"{host}:{port}")
            calls = collector_calls(settings, sections, state)
            problems: list[str] = []
            if "smart" in settings.collectors:
                calls["smart"] = self._smart_call(session, settings, sections, problems, command_seconds)
            families = run_collectors(calls, state, target)
        finally:
            session.close()
        return [*families, *self._self_families(session, command_seconds, problems)]

    @staticmethod
    def _smart_call(
        session: _Session,
        settings: Settings,
        sections: dict[str, Section],
        problems: list[str],
        command_seconds: dict[str, float],
    ) -> Callable[[], list[Metric]]:
        def call() -> list[Metric]:
            try:
                scan = smart.read_scan(sections.get("smartscan"))
                states: list[DeviceState] = []
                if scan.devices:
                    nonce = new_nonce()
                    sudo = settings.use_sudo_for_smartctl
                    script = smart.device_script(scan.devices, nonce, settings.smartctl_timeout, sudo, POWERMODE)
                    started = time.monotonic()
                    try:  # end early enough that the rest of the scrape still reaches the scraper
                        output = session.run(script, session.deadline - SMART_MARGIN)
                    except connection.CommandTimeout:
                        raise smart.SmartProblem("timeout", "smartctl did not finish before the deadline") from None
                    except ProbeError as exc:
                        if exc.reason != "timeout":
                            raise
                        raise smart.SmartProblem("timeout", exc.message) from None
                    finally:
                        command_seconds["smartctl"] = time.monotonic() - started
                    states = smart.device_states(scan.devices, split_sections(output.stdout, nonce))
                return smart.smart_families(scan, states)
            except smart.SmartProblem as exc:
                problems.append(exc.reason)
                raise CollectorError(str(exc)) from None

        return call

    @staticmethod
    def _self_families(session: _Session, command_seconds: dict[str, float], problems: list[str]) -> list[Metric]:
        reused = GaugeMetricFamily(
            "inframind_ssh_connection_reused",
            "Whether this scrape used a kept SSH connection.",
            value=float(session.reused),
        )
        connect = GaugeMetricFamily(
            "inframind_ssh_connect_duration_seconds",
            "Seconds the TCP connect, SSH handshake and authentication took (0 when a kept connection was used).",
            value=0.0 if session.reused else session.connect_seconds,
        )
        commands = GaugeMetricFamily(
            "inframind_ssh_command_duration_seconds",
            "Seconds each remote command took (collect: the files; smartctl: the per-device runs).",
            labels=["command"],
        )
        for command, seconds in command_seconds.items():
            commands.add_metric([command], seconds)
        return [reused, connect, commands, *(smart.error_family(reason) for reason in problems)]

    def _state(self, key: str) -> TargetState:
        with self._lock:
            state = self._states.get(key)
            if state is None:
                state = self._states[key] = TargetState()
                while len(self._states) > MAX_TARGETS:
                    self._states.popitem(last=False)
            else:
                self._states.move_to_end(key)
            return state

    def close(self) -> None:
        self.pool.close()


def create(config: ExporterConfig) -> SshProber:
    connection.quiet_paramiko()
    return SshProber()
