"""`inframind analyzer` as a process: serves on --listen, refuses a busy port, stops cleanly on SIGTERM."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from tests.helpers.procs import Server, free_port

pytestmark = pytest.mark.integration


def test_serves_and_exits_zero_on_sigterm(tmp_path: Path) -> None:
    port = free_port()
    server = Server(
        "analyzer",
        [sys.executable, "-m", "inframind.cli", "analyzer", "--listen", f"127.0.0.1:{port}"],
        tmp_path,
        cwd=tmp_path,
    )
    try:
        server.wait_http(f"http://127.0.0.1:{port}/health")
        assert requests.get(f"http://127.0.0.1:{port}/api/v1/whoami", timeout=5).status_code == 401
        server.proc.send_signal(signal.SIGTERM)
        assert server.proc.wait(15) == 0, server.log_tail()
        assert "analyzer stopped on SIGTERM" in server.log_tail()
    finally:
        server.stop()


def test_busy_port_is_a_clear_error(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        done = subprocess.run(
            [sys.executable, "-m", "inframind.cli", "analyzer", "--listen", f"127.0.0.1:{port}"],
            check=False,
            capture_output=True,
            text=True,
            timeout=60,
            cwd=tmp_path,
        )
    assert done.returncode == 1
    assert f"cannot listen on 127.0.0.1:{port}" in done.stderr
