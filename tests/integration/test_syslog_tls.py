"""The syslog receiver over TLS (RFC 5425) on 127.0.0.1, with openssl-made certificates: server-only, and with a
required client certificate (trusted, missing, from an untrusted CA)."""

from __future__ import annotations

import contextlib
import socket
import ssl
import time
from pathlib import Path

import pytest

from inframind.config.agent import SyslogSource, SyslogTLS
from inframind.schema import HostPort
from tests.helpers.syslog import Running, make_certs, marker, octet_frame, tls_client

pytestmark = pytest.mark.integration

LOOPBACK = HostPort("127.0.0.1", 0)


@pytest.fixture(scope="module")
def certs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return make_certs(tmp_path_factory.mktemp("certs"))


def tls_send(port: int, context: ssl.SSLContext, payload: bytes) -> None:
    with (
        socket.create_connection(("127.0.0.1", port), timeout=10) as raw,
        context.wrap_socket(raw, server_hostname="localhost") as sock,
    ):
        sock.sendall(payload)


def test_tls(certs: dict[str, Path]) -> None:
    running = Running(SyslogSource(tcp=LOOPBACK, tls=SyslogTLS(str(certs["server"]), str(certs["server_key"]))))
    try:
        m = marker()
        tls_send(running.tcp, tls_client(certs["ca"]), octet_frame(f"<13>1 - h app - - - {m} over tls".encode()))
        (event,) = running.collector.containing(m)
        assert (event.fields["transport"], event.message) == ("tls", f"{m} over tls")
        assert "tls_peer" not in event.fields
        with socket.create_connection(("127.0.0.1", running.tcp), timeout=10) as sock:  # plain text to a TLS port
            sock.sendall(b"<13>not tls\n")
        running.wait_stat("rejected", "tls_handshake", 1)
    finally:
        running.receiver.close()


def test_tls_with_required_client_certificate(certs: dict[str, Path]) -> None:
    tls = SyslogTLS(str(certs["server"]), str(certs["server_key"]), client_ca_file=str(certs["ca"]))
    running = Running(SyslogSource(tcp=LOOPBACK, tls=tls))
    try:
        m = marker()
        trusted = tls_client(certs["ca"], certs["client"], certs["client_key"])
        tls_send(running.tcp, trusted, f"<13>Nov 26 11:59:58 sw-01 app: {m} trusted\n".encode())
        (event,) = running.collector.containing(m)
        assert event.fields["tls_peer"] == "switch-01"
        for client in (tls_client(certs["ca"]), tls_client(certs["ca"], certs["rogue"], certs["rogue_key"])):
            with contextlib.suppress(OSError):  # TLS 1.3 reports the refusal on the client's write, or not at all
                tls_send(running.tcp, client, f"<13>Nov 26 11:59:58 x app: {m} refused\n".encode())
        running.wait_stat("rejected", "tls_handshake", 2)
        time.sleep(0.2)
        assert not running.collector.matching(lambda e: "refused" in e.message)
    finally:
        running.receiver.close()
