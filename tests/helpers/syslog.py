"""Syslog test and benchmark helpers: a collecting emit, senders, openssl certificates and rsyslog as a peer."""

from __future__ import annotations

import shutil
import socket
import ssl
import subprocess
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest

from inframind.agent.source import SourceStats
from inframind.agent.syslog import SyslogReceiver
from inframind.config.agent import SyslogSource
from inframind.events import LogEvent
from tests.helpers.procs import Server, free_port, wait_until

FIXTURES = Path(__file__).resolve().parents[3] / "shared" / "fixtures" / "syslog"


class Collector:
    """A thread-safe ``emit`` that keeps every event, with a wait for the ones a test expects."""

    def __init__(self) -> None:
        self.events: list[LogEvent] = []
        self.batches = 0
        self._lock = threading.Lock()

    def __call__(self, events: Sequence[LogEvent]) -> None:
        with self._lock:
            self.events.extend(events)
            self.batches += 1

    def matching(self, predicate: Callable[[LogEvent], bool]) -> list[LogEvent]:
        with self._lock:
            return [e for e in self.events if predicate(e)]

    def wait_for(self, predicate: Callable[[LogEvent], bool], count: int = 1, timeout: float = 10.0) -> list[LogEvent]:
        """The events matching ``predicate`` once there are ``count`` of them; fails the test on timeout."""
        if not wait_until(lambda: len(self.matching(predicate)) >= count, timeout, interval=0.02):
            found = self.matching(predicate)
            pytest.fail(f"expected {count} matching events within {timeout}s, got {len(found)}: {found[:3]}")
        return self.matching(predicate)

    def containing(self, marker: str, count: int = 1, timeout: float = 10.0) -> list[LogEvent]:
        return self.wait_for(lambda e: marker in e.message, count, timeout)


class Running:
    """A SyslogReceiver started with a Collector as its emit, and its bound ports."""

    def __init__(self, settings: SyslogSource) -> None:
        self.collector = Collector()
        self.receiver = SyslogReceiver(settings)
        self.receiver.start(self.collector)
        self.udp = self.receiver.udp.address[1] if self.receiver.udp else 0
        self.tcp = self.receiver.tcp.address[1] if self.receiver.tcp else 0

    @property
    def stats(self) -> SourceStats:
        return self.receiver.stats.snapshot()

    def wait_stat(self, kind: str, reason: str, at_least: int) -> None:
        def reached() -> bool:
            counts: dict[str, int] = getattr(self.receiver.stats.snapshot(), kind)
            return counts.get(reason, 0) >= at_least

        assert wait_until(reached, 10.0, 0.02), f"{kind}[{reason}] < {at_least}: {self.stats}"


def marker() -> str:
    """A unique word a test puts into its messages to find its own events among the others."""
    return f"m-{uuid.uuid4().hex[:12]}"


def send_udp(port: int, *datagrams: bytes) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        for datagram in datagrams:
            sock.sendto(datagram, ("127.0.0.1", port))


def send_tcp(port: int, payload: bytes) -> None:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(payload)


def octet_frame(message: bytes) -> bytes:
    return str(len(message)).encode() + b" " + message


def logger_binary() -> str:
    path = shutil.which("logger")
    if path is None:
        pytest.fail("logger not found on PATH: install the Debian package `bsdutils` (util-linux's logger)")
    return path


def run_logger(port: int, *options: str, message: str) -> None:
    """util-linux ``logger`` to a remote server on 127.0.0.1 (``--udp``/``--tcp``, ``--rfc5424`` ...)."""
    argv = [logger_binary(), "--server", "127.0.0.1", "--port", str(port), *options, "--", message]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=30, check=False)
    assert done.returncode == 0, f"{argv} failed: {done.stderr}"


# ---------------------------------------------------------------- TLS


def make_certs(directory: Path) -> dict[str, Path]:
    """A CA, a server certificate for 127.0.0.1 and a client certificate (CN ``switch-01``), all signed by
    the CA, plus a client certificate from a second, untrusted CA: real openssl, no Python crypto."""
    directory.mkdir(parents=True, exist_ok=True)
    names = ("ca", "server", "client", "rogue", "rogue_ca")
    paths = {f"{name}{suffix}": directory / f"{name}{suffix}.pem" for name in names for suffix in ("", "_key")}

    def openssl(*args: str) -> None:
        done = subprocess.run(["openssl", *args], capture_output=True, text=True, timeout=60, check=False)
        assert done.returncode == 0, f"openssl {' '.join(args)}: {done.stderr}"

    for ca, key, cn in (("ca", "ca_key", "InfraMind test CA"), ("rogue_ca", "rogue_ca_key", "Rogue CA")):
        openssl(
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-subj",
            f"/CN={cn}",
            "-keyout",
            str(paths[key]),
            "-out",
            str(paths[ca]),
        )
    ext = directory / "server.ext"
    ext.write_text("subjectAltName=IP:127.0.0.1,DNS:localhost\n")
    for cert, key, cn, issuer in (
        ("server", "server_key", "localhost", "ca"),
        ("client", "client_key", "switch-01", "ca"),
        ("rogue", "rogue_key", "rogue-01", "rogue_ca"),
    ):
        csr = directory / f"{cert}.csr"
        openssl(
            "req", "-newkey", "rsa:2048", "-nodes", "-subj", f"/CN={cn}", "-keyout", str(paths[key]), "-out", str(csr)
        )
        extra = ["-extfile", str(ext)] if cert == "server" else []
        openssl(
            "x509",
            "-req",
            "-in",
            str(csr),
            "-CA",
            str(paths[issuer]),
            "-CAkey",
            str(paths[f"{issuer}_key"]),
            "-CAcreateserial",
            "-days",
            "2",
            "-out",
            str(paths[cert]),
            *extra,
        )
    return paths


def tls_client(ca: Path, cert: Path | None = None, key: Path | None = None) -> ssl.SSLContext:
    context = ssl.create_default_context(cafile=str(ca))
    if cert is not None:
        context.load_cert_chain(str(cert), str(key) if key else None)
    return context


# ---------------------------------------------------------------- rsyslog


def rsyslogd_binary() -> str:
    path = shutil.which("rsyslogd") or ("/usr/sbin/rsyslogd" if Path("/usr/sbin/rsyslogd").exists() else None)
    if path is None:
        pytest.fail("rsyslogd not found: install the Debian package `rsyslog`")
    return path


class Rsyslog(Server):
    """rsyslogd in the foreground with its own config, work directory and PID file (never the system's),
    receiving UDP on 127.0.0.1 and writing every message to ``out`` in the traditional file format; with
    ``forward_tcp``, also forwarding each as RFC 5424 over octet-counted TCP to that 127.0.0.1 port."""

    def __init__(self, directory: Path, receive_buffer: int = 32 << 20, forward_tcp: int | None = None) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.out = directory / "messages.log"
        config = directory / "rsyslog.conf"
        forward = (
            f'action(type="omfwd" target="127.0.0.1" port="{forward_tcp}" protocol="tcp" '
            'TCP_Framing="octet-counted" template="RSYSLOG_SyslogProtocol23Format")\n'
            if forward_tcp
            else ""
        )
        config.write_text(
            f'global(workDirectory="{directory}" maxMessageSize="64k")\n'
            'module(load="imudp")\n'
            f'input(type="imudp" address="127.0.0.1" port="{self.port}" rcvbufSize="{receive_buffer}")\n'
            f'action(type="omfile" file="{self.out}" template="RSYSLOG_TraditionalFileFormat")\n{forward}'
        )
        argv = [rsyslogd_binary(), "-n", "-f", str(config), "-i", str(directory / "rsyslogd.pid")]
        super().__init__("rsyslogd", argv, directory)
        marker = f"rsyslog-ready-{time.time_ns()}"

        def ready() -> bool:
            if self.proc.poll() is not None:
                raise RuntimeError(f"rsyslogd exited with {self.proc.returncode}:\n{self.log_tail()}")
            send_udp(self.port, f"<14>bench: {marker}".encode())
            return self.out.exists() and marker in self.out.read_text(errors="replace")

        if not wait_until(ready, 20.0, interval=0.2):
            self.stop()
            pytest.fail(f"rsyslogd did not write to {self.out} within 20s:\n{self.log_tail()}")

    def count(self, marker: str) -> int:
        """Lines written so far that contain ``marker``."""
        needle, found, tail = marker.encode(), 0, b""
        with self.out.open("rb") as f:
            for chunk in iter(lambda: f.read(1 << 20), b""):
                window = tail + chunk  # a marker may straddle two reads
                found += window.count(needle)
                tail = window[-(len(needle) - 1) :] if len(needle) > 1 else b""
        return found
