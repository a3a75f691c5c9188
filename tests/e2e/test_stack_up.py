"""`inframind up` as a user runs it: the whole stack on free loopback ports, a crashed child restarted,
Ctrl-C stopping every child, and fast, clear failures before anything starts."""

from __future__ import annotations

import os
import re
import signal
import socket
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest
import requests
import yaml

from tests.helpers.procs import free_port, wait_until
from tests.helpers.servers import REPO, wait_for_series

pytestmark = pytest.mark.integration

INFRAMIND = str(Path(sys.executable).parent / "inframind")
COMPONENTS = ("victoriametrics", "alertmanager", "exporter", "vmalert", "analyzer")


def _env() -> dict[str, str]:
    """The caller's environment without notification settings or config overrides that would change the stack."""
    return {k: v for k, v in os.environ.items() if not k.startswith("INFRAMIND")}


def _write_config(tmp_path: Path, **stack: object) -> tuple[Path, dict[str, int]]:
    ports = {name: free_port() for name in COMPONENTS}
    config = {
        "stack": {
            "data_dir": str(tmp_path / "var"),
            "rules_dir": str(REPO / "rules"),
            "alertmanager_dir": str(REPO / "alertmanager"),
            "scrape_interval": "1s",
            "evaluation_interval": "1s",
            "ports": ports,
            **stack,
        },
        "exporter": {"collectors": {"smart": False}},
    }
    path = tmp_path / "inframind.yml"
    path.write_text(yaml.safe_dump(config))
    return path, ports


class Stack:
    """`inframind up` in its own session (so only the test signals it), output in a file to poll."""

    def __init__(self, config: Path, output: Path) -> None:
        self.output = output
        self._out = output.open("wb")
        self.proc = subprocess.Popen(
            [INFRAMIND, "up", "--config", str(config)],
            stdout=self._out,
            stderr=subprocess.STDOUT,
            cwd=config.parent,
            env=_env(),
            start_new_session=True,
        )

    def text(self) -> str:
        return self.output.read_text(errors="replace")

    def wait_for_line(self, pattern: str, timeout: float = 60.0, after: int = 0) -> re.Match[str]:
        found: list[re.Match[str]] = []

        def seen() -> bool:
            match = re.compile(pattern, re.MULTILINE).search(self.text(), after)
            if match:
                found.append(match)
            if self.proc.poll() is not None and not match:
                raise AssertionError(f"inframind up exited with {self.proc.returncode}:\n{self.text()}")
            return match is not None

        assert wait_until(seen, timeout, interval=0.2), f"no line matching {pattern!r}:\n{self.text()}"
        return found[0]

    def close(self) -> None:
        if self.proc.poll() is None:  # only after a failed test: the happy path stops it with SIGINT
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._out.close()


@pytest.fixture
def stack_config(tmp_path: Path) -> tuple[Path, dict[str, int]]:
    return _write_config(tmp_path)


@pytest.fixture
def stack(stack_config: tuple[Path, dict[str, int]], tmp_path: Path) -> Iterator[Stack]:
    running = Stack(stack_config[0], tmp_path / "up.out")
    yield running
    running.close()


def test_up_runs_restarts_and_stops_the_whole_stack(
    stack: Stack, stack_config: tuple[Path, dict[str, int]], tmp_path: Path
) -> None:
    _, ports = stack_config
    vm = f"http://127.0.0.1:{ports['victoriametrics']}"
    for name in COMPONENTS:
        stack.wait_for_line(rf"^\S+ {name}: ready after")
    assert "alertmanager receivers: default; disabled: telegram" in stack.text()

    # VictoriaMetrics scrapes the exporter (labelled as asset "local") and the stack's own servers.
    series = wait_for_series(vm, 'up{job="node", asset="local"} == 1')
    assert series[0]["metric"]["instance"] == f"127.0.0.1:{ports['exporter']}"
    wait_for_series(vm, 'node_cpu_seconds_total{asset="local"}')
    for job in ("victoriametrics", "vmalert", "alertmanager", "inframind-analyzer"):
        wait_for_series(vm, f'up{{job="{job}"}} == 1')

    groups = requests.get(f"http://127.0.0.1:{ports['vmalert']}/api/v1/rules", timeout=5).json()["data"]["groups"]
    assert {"host", "host.recording"} <= {g["name"] for g in groups}
    rendered = tmp_path / "var" / "alertmanager.yml"
    assert stat.S_IMODE(rendered.stat().st_mode) == 0o600
    status = requests.get(f"http://127.0.0.1:{ports['alertmanager']}/api/v2/status", timeout=5).json()
    assert status["config"]["original"].count("name: default") == 1

    # A crashed child is restarted.
    started = stack.wait_for_line(r"^\S+ exporter: started \(pid (\d+)\)")
    old_pid = int(started.group(1))
    os.kill(old_pid, signal.SIGKILL)
    stack.wait_for_line(r"exporter: crashed \(killed by SIGKILL\); restarting in 1s", 10, after=started.end())
    restarted = stack.wait_for_line(r"^\S+ exporter: started \(pid (\d+)\)", 10, after=started.end())
    assert int(restarted.group(1)) != old_pid
    stack.wait_for_line(r"exporter: ready after", 20, after=restarted.end())

    # Ctrl-C stops every child and exits 0.
    children = psutil.Process(stack.proc.pid).children(recursive=True)
    assert len(children) >= len(COMPONENTS)
    stack.proc.send_signal(signal.SIGINT)
    assert stack.proc.wait(30) == 0
    assert "all components stopped" in stack.text()
    alive = [c for c in children if c.is_running() and c.status() != psutil.STATUS_ZOMBIE]
    assert alive == [], [c.cmdline() for c in alive]
    for port in ports.values():
        with socket.socket() as probe:
            assert probe.connect_ex(("127.0.0.1", port)) != 0, f"something still listens on {port}"


def _up_fails(config: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [INFRAMIND, "up", "--config", str(config)],
        capture_output=True,
        text=True,
        timeout=30,
        env={**_env(), **(env or {})},
        cwd=config.parent,
        check=False,
    )


def test_missing_binary_fails_fast_naming_the_package(tmp_path: Path) -> None:
    config, _ = _write_config(tmp_path, binaries={"victoriametrics": "/nonexistent/vm"})
    result = _up_fails(config)
    assert result.returncode == 1
    assert "victoriametrics: executable '/nonexistent/vm' not found (stack.binaries.victoriametrics)" in result.stderr
    assert "apt-get install victoria-metrics" in result.stderr
    assert not (tmp_path / "var").exists()  # nothing was started or written


def test_busy_port_fails_fast_naming_component_and_setting(tmp_path: Path) -> None:
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", 0))
        squatter.listen(1)
        port = squatter.getsockname()[1]
        config, _ = _write_config(tmp_path)
        data = yaml.safe_load(config.read_text())
        data["stack"]["ports"]["alertmanager"] = port
        config.write_text(yaml.safe_dump(data))
        result = _up_fails(config)
    assert result.returncode == 1
    assert f"alertmanager: port {port} on 127.0.0.1 is already in use" in result.stderr
    assert "stack.ports.alertmanager" in result.stderr


def test_unusable_receiver_variable_fails_fast_without_echoing_it(tmp_path: Path) -> None:
    config, _ = _write_config(tmp_path)
    env = {"INFRAMIND_TELEGRAM_BOT_TOKEN": "1:secret-token", "INFRAMIND_TELEGRAM_CHAT_ID": "not-a-number"}
    result = _up_fails(config, env)
    assert result.returncode == 1
    assert "INFRAMIND_TELEGRAM_CHAT_ID: expected an integer" in result.stderr
    assert "not-a-number" not in result.stderr
    assert "secret-token" not in result.stderr
