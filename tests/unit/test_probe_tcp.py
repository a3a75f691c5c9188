"""The tcp prober against real loopback listeners: open, refused, TLS certificate expiry and verification."""

from __future__ import annotations

import datetime as dt
import socket
import ssl
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from inframind.exporters.probe.base import ProbeError
from inframind.exporters.probe.tcp import Settings, TcpProber, split_target
from tests.helpers.exposition import value


def test_split_target() -> None:
    assert split_target("10.0.0.1:443", None) == ("10.0.0.1", 443)
    assert split_target("bmc-1", 443) == ("bmc-1", 443)
    assert split_target("[::1]:8443", None) == ("::1", 8443)
    assert split_target("[::1]", 22) == ("::1", 22)
    with pytest.raises(ProbeError, match="no port"):
        split_target("bmc-1", None)


def test_open_and_refused_ports() -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        families = TcpProber().probe(f"127.0.0.1:{port}", Settings(), None, 2.0)
        assert value(families, "probe_ip_protocol") == 4.0
    with pytest.raises(ProbeError) as err:
        TcpProber().probe(f"127.0.0.1:{port}", Settings(), None, 2.0)
    assert err.value.reason == "refused"


@pytest.fixture(scope="module")
def tls_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[int, dt.datetime]]:
    d = tmp_path_factory.mktemp("tls")
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "30",
            "-subj",
            "/CN=bmc.test",
            "-keyout",
            str(d / "k.pem"),
            "-out",
            str(d / "c.pem"),
        ],
        check=True,
        capture_output=True,
    )
    from cryptography import x509

    expiry = x509.load_pem_x509_certificate(Path(d / "c.pem").read_bytes()).not_valid_after_utc
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(d / "c.pem", d / "k.pem")
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    stop = threading.Event()
    refused: list[Exception] = []

    def serve() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            try:
                with context.wrap_socket(conn, server_side=True):
                    pass
            except (ssl.SSLError, OSError) as exc:  # a verifying client hangs up mid-handshake: expected
                refused.append(exc)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield listener.getsockname()[1], expiry
    stop.set()
    thread.join()
    listener.close()


def test_tls_certificate_expiry_is_reported(tls_server: tuple[int, dt.datetime]) -> None:
    port, expiry = tls_server
    families = TcpProber().probe(f"127.0.0.1:{port}", Settings(tls=True, insecure_skip_verify=True), None, 5.0)
    assert value(families, "probe_ssl_earliest_cert_expiry") == expiry.timestamp()
    assert value(families, "probe_tls_version_info", version="TLSv1.3") == 1.0


def test_unverifiable_certificate_is_a_tls_error(tls_server: tuple[int, dt.datetime]) -> None:
    port, _ = tls_server
    with pytest.raises(ProbeError) as err:
        TcpProber().probe(f"127.0.0.1:{port}", Settings(tls=True), None, 5.0)
    assert err.value.reason == "tls" and "does not verify" in err.value.message
