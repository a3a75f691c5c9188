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


def test_serves_https_and_requires_client_certificates_when_configured(tmp_path: Path) -> None:
    """``analyzer.tls`` with a client CA: HTTPS with mutual TLS on the real process (openssl-made PKI)."""
    from tests.helpers.syslog import make_certs

    pki = make_certs(tmp_path / "pki")
    conf = tmp_path / "inframind.yml"
    conf.write_text(
        f"analyzer:\n  tls:\n    cert_file: {pki['server']}\n    key_file: {pki['server_key']}\n"
        f"    client_ca_file: {pki['ca']}\n"
    )
    port = free_port()
    argv = [sys.executable, "-m", "inframind.cli", "analyzer", "--config", str(conf), "--listen", f"127.0.0.1:{port}"]
    server = Server("analyzer-tls", argv, tmp_path, cwd=tmp_path)
    url = f"https://127.0.0.1:{port}/health"
    client = (str(pki["client"]), str(pki["client_key"]))
    try:

        def up() -> bool:
            if server.proc.poll() is not None:
                raise RuntimeError(server.log_tail())
            return requests.get(url, verify=str(pki["ca"]), cert=client, timeout=2).ok

        from tests.helpers.procs import wait_until

        assert wait_until(up, timeout=30), server.log_tail()
        # Without a client certificate the handshake fails (TLS 1.2) or the server hangs up right after it (1.3).
        with pytest.raises(requests.exceptions.ConnectionError):
            requests.get(url, verify=str(pki["ca"]), timeout=5)
        with pytest.raises(requests.exceptions.ConnectionError):
            requests.get(url, verify=str(pki["ca"]), cert=(str(pki["rogue"]), str(pki["rogue_key"])), timeout=5)
        with pytest.raises(requests.exceptions.ConnectionError):
            requests.get(url.replace("https", "http"), timeout=5)
        assert "analyzer API on https://" in server.log_tail()
    finally:
        server.stop()


def test_a_missing_certificate_file_is_named(tmp_path: Path) -> None:
    conf = tmp_path / "inframind.yml"
    conf.write_text("analyzer:\n  tls: {cert_file: /nonexistent/server.pem, key_file: /nonexistent/server.key}\n")
    done = subprocess.run(
        [sys.executable, "-m", "inframind.cli", "config", "check", "--config", str(conf)],
        check=False,
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
    )
    assert done.returncode != 0
    assert "analyzer.tls.cert_file: no such file: /nonexistent/server.pem" in done.stdout + done.stderr
