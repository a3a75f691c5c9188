"""Start the real servers the integration tests use, each on a free 127.0.0.1 port with its log in a tmp dir.

Every server started here is remembered in :data:`STARTED`, so tests/conftest.py can print their log
tails when a test fails. Stopping is by PID (:meth:`tests.helpers.procs.Server.stop`).
"""

from __future__ import annotations

import email
import email.policy
import sys
import threading
import time
from collections.abc import Mapping
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import requests
import yaml
from aiosmtpd.controller import Controller

from inframind.stack.alertmanager import render_file
from inframind.stack.files import PRIVATE, write_atomic
from tests.helpers.procs import Server, free_port, require_binary, wait_until

REPO = Path(__file__).resolve().parents[2]
RULE_GLOBS = (str(REPO / "rules" / "alerts" / "*.yml"), str(REPO / "rules" / "recording" / "*.yml"))
STARTED: list[Running] = []


class Running(Server):
    """A started server that knows its base URL."""

    def __init__(self, name: str, argv: list[str], log_dir: Path, url: str, **kwargs: Any) -> None:
        super().__init__(name, argv, log_dir, **kwargs)
        self.url = url
        STARTED.append(self)


# ---------------------------------------------------------------- VictoriaMetrics


def start_victoriametrics(log_dir: Path, data_dir: Path, scrape_config: Mapping[str, Any] | None = None) -> Running:
    port = free_port()
    argv = [
        require_binary("victoria-metrics"),
        f"-httpListenAddr=127.0.0.1:{port}",
        f"-storageDataPath={data_dir}",
        "-retentionPeriod=1d",
        "-search.latencyOffset=0s",
        "-selfScrapeInterval=0",
    ]
    if scrape_config is not None:
        scrape_file = log_dir / "scrape.yml"
        log_dir.mkdir(parents=True, exist_ok=True)
        scrape_file.write_text(yaml.safe_dump(dict(scrape_config), sort_keys=False))
        argv.append(f"-promscrape.config={scrape_file}")
    server = Running("victoriametrics", argv, log_dir, f"http://127.0.0.1:{port}")
    server.wait_http(server.url + "/health")
    return server


def vm_query(vm_url: str, promql: str) -> list[dict[str, Any]]:
    """Instant query result (a list of {metric, value}); flushes recent samples first."""
    requests.get(vm_url + "/internal/force_flush", timeout=5)
    answer = requests.get(vm_url + "/api/v1/query", params={"query": promql}, timeout=5)
    answer.raise_for_status()
    return list(answer.json()["data"]["result"])


def wait_for_series(vm_url: str, promql: str, timeout: float = 30.0) -> list[dict[str, Any]]:
    """Poll until ``promql`` returns something; fails with the query and the timeout."""
    found: list[dict[str, Any]] = []

    def has_series() -> bool:
        found[:] = vm_query(vm_url, promql)
        return bool(found)

    if not wait_until(has_series, timeout, interval=0.5):
        raise AssertionError(f"VictoriaMetrics at {vm_url} returned nothing for {promql!r} within {timeout}s")
    return found


# ---------------------------------------------------------------- vmalert


def start_vmalert(log_dir: Path, vm_url: str, am_url: str, evaluation_interval: str = "1s") -> Running:
    port = free_port()
    argv = [
        require_binary("vmalert"),
        f"-httpListenAddr=127.0.0.1:{port}",
        *(f"-rule={glob}" for glob in RULE_GLOBS),
        f"-datasource.url={vm_url}",
        f"-remoteWrite.url={vm_url}",
        f"-remoteRead.url={vm_url}",
        f"-notifier.url={am_url}",
        f"-evaluationInterval={evaluation_interval}",
        "-remoteWrite.flushInterval=500ms",
    ]
    server = Running("vmalert", argv, log_dir, f"http://127.0.0.1:{port}")
    server.wait_http(server.url + "/health")
    return server


# ---------------------------------------------------------------- Alertmanager


def write_alertmanager_config(path: Path, env: Mapping[str, str]) -> Path:
    """Render the project's template as `inframind up` does, with test timings (no group wait, 1 s interval)."""
    rendered = render_file(REPO / "alertmanager" / "alertmanager.yml", env)
    doc = yaml.safe_load(rendered.text)
    doc["route"].update({"group_wait": "0s", "group_interval": "1s", "repeat_interval": "1h"})
    write_atomic(path, yaml.safe_dump(doc, sort_keys=False), PRIVATE)
    return path


def start_alertmanager(log_dir: Path, data_dir: Path, env: Mapping[str, str]) -> Running:
    port = free_port()
    config = write_alertmanager_config(log_dir / "alertmanager.yml", env)
    argv = [
        require_binary("prometheus-alertmanager"),
        f"--config.file={config}",
        f"--storage.path={data_dir}",
        f"--web.listen-address=127.0.0.1:{port}",
        "--cluster.listen-address=",  # else it also binds 0.0.0.0:9094
    ]
    server = Running("alertmanager", argv, log_dir, f"http://127.0.0.1:{port}")
    server.wait_http(server.url + "/-/ready")
    return server


# ---------------------------------------------------------------- our exporter


def start_exporter(log_dir: Path, port: int | None = None, *extra_args: str) -> Running:
    """``inframind exporter`` as a subprocess; SMART is off (smartctl is slow and wakes disks)."""
    port = port or free_port()
    argv = [
        sys.executable,
        "-m",
        "inframind.cli",
        "exporter",
        "--listen",
        f"127.0.0.1:{port}",
        "--no-collector.smart",
        *extra_args,
    ]
    server = Running("exporter", argv, log_dir, f"http://127.0.0.1:{port}", cwd=log_dir)
    server.wait_http(server.url + "/-/healthy")
    return server


# ---------------------------------------------------------------- email sink


class Mailbox:
    """An aiosmtpd handler keeping every message it accepts."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self._changed = threading.Condition()

    async def handle_DATA(self, server: object, session: object, envelope: Any) -> str:
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        with self._changed:
            self.messages.append(message)
            self._changed.notify_all()
        return "250 OK"

    def wait_for(self, needle: str, timeout: float = 20.0) -> EmailMessage:
        """The first message whose subject contains ``needle``."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                for message in self.messages:
                    if needle in str(message["Subject"]):
                        return message
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    subjects = [str(m["Subject"]) for m in self.messages]
                    raise AssertionError(f"no email with {needle!r} in the subject within {timeout}s; got {subjects}")
                self._changed.wait(remaining)


class SMTPSink:
    def __init__(self) -> None:
        self.mailbox = Mailbox()
        self.port = free_port()
        self._controller = Controller(self.mailbox, hostname="127.0.0.1", port=self.port)
        self._controller.start()

    @property
    def smarthost(self) -> str:
        return f"127.0.0.1:{self.port}"

    def close(self) -> None:
        self._controller.stop()
