"""The syslog receiver when things go wrong: a failing or stalled pipeline, kernel drops, taken ports, bad settings,
and close() while messages are in flight. Loss is never silent."""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Sequence

import pytest

from inframind.agent.source import SourceStats
from inframind.agent.syslog import SyslogDecoder, SyslogReceiver
from inframind.agent.syslog.udp import UdpListener, bind_udp, kernel_drops
from inframind.config.agent import SyslogSource, SyslogTLS
from inframind.events import LogEvent
from inframind.schema import HostPort
from tests.helpers.procs import wait_until
from tests.helpers.syslog import Collector, Running, send_udp

pytestmark = pytest.mark.integration

LOOPBACK = HostPort("127.0.0.1", 0)


def test_failing_emit_is_counted_and_receiving_goes_on() -> None:
    failing = threading.Event()
    failing.set()
    collector = Collector()

    def emit(events: Sequence[LogEvent]) -> None:
        if failing.is_set():
            raise RuntimeError("buffer full")
        collector(events)

    receiver = SyslogReceiver(SyslogSource(udp=LOOPBACK))
    receiver.start(emit)
    try:
        assert receiver.udp is not None
        port = receiver.udp.address[1]
        send_udp(port, b"<13>Nov 26 11:59:58 h app: lost")
        assert wait_until(lambda: receiver.stats.snapshot().rejected.get("emit_error", 0) == 1, 10, 0.02)
        failing.clear()
        send_udp(port, b"<13>Nov 26 11:59:58 h app: kept")
        collector.containing("kept")
        stats = receiver.stats.snapshot()
        assert (stats.read, stats.errors) == (1, 1)
        assert "buffer full" in (stats.last_error or "")
    finally:
        receiver.close()


def test_loss_is_never_silent_when_the_pipeline_stalls() -> None:
    """With emit blocked, datagrams pile up in our queue, then in the kernel: every one sent ends up
    received, or counted as queue_full or kernel_drop."""
    release, collector, stats = threading.Event(), Collector(), SourceStats()

    def emit(events: Sequence[LogEvent]) -> None:
        release.wait(30)
        collector(events)

    listener = UdpListener(LOOPBACK, SyslogDecoder(), emit, stats, receive_buffer=64 << 10, queue_chunks=4)
    listener.start()
    try:
        sent = 20_000
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            for i in range(sent):
                sock.sendto(f"<13>Nov 26 11:59:58 h app: n{i}".encode(), listener.address)
        time.sleep(0.5)
        release.set()

        def accounted() -> int:
            snap = stats.snapshot()
            return snap.read + snap.rejected.get("queue_full", 0) + snap.rejected.get("kernel_drop", 0)

        assert wait_until(lambda: accounted() == sent, 15, 0.1), stats.snapshot()
    finally:
        listener.close()
    snap = stats.snapshot()
    # emit is blocked, so our queue overflows; whether the kernel also drops depends on how fast the
    # reader thread drains the socket (kernel drops are tested on their own below)
    assert snap.rejected.get("queue_full", 0) > 0
    assert len(collector.events) == snap.read


def test_kernel_drops_of_a_socket_nobody_reads() -> None:
    sock = bind_udp(LOOPBACK, 16 << 10)
    sock.setblocking(False)
    try:
        assert kernel_drops(sock) == 0
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sender:
            for _ in range(500):
                sender.sendto(b"x" * 200, sock.getsockname())
        queued = 0
        drops = kernel_drops(sock)
        while True:
            try:
                sock.recv(1000)
            except BlockingIOError:
                break
            queued += 1
        assert drops is not None and drops > 0
        assert drops + queued == 500
    finally:
        sock.close()


def test_close_emits_what_was_received() -> None:
    running = Running(SyslogSource(udp=LOOPBACK))
    send_udp(running.udp, *(f"<13>Nov 26 11:59:58 h app: c{i}".encode() for i in range(50)))
    running.receiver.close()
    assert len(running.collector.events) == 50
    assert running.receiver.udp is None


def test_taken_ports_fail_start_with_the_setting_named() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp, socket.socket() as tcp:
        udp.bind(("127.0.0.1", 0))
        tcp.bind(("127.0.0.1", 0))
        tcp.listen()
        taken_udp = HostPort("127.0.0.1", udp.getsockname()[1])
        taken_tcp = HostPort("127.0.0.1", tcp.getsockname()[1])
        with pytest.raises(OSError, match=r"agent\.syslog\.udp"):
            SyslogReceiver(SyslogSource(udp=taken_udp)).start(Collector())
        receiver = SyslogReceiver(SyslogSource(udp=LOOPBACK, tcp=taken_tcp))
        with pytest.raises(OSError, match=r"agent\.syslog\.tcp"):
            receiver.start(Collector())
        assert receiver.udp is None and receiver.tcp is None  # the UDP listener it had started is stopped


def test_settings_errors() -> None:
    with pytest.raises(ValueError, match="udp and/or tcp"):
        SyslogReceiver(SyslogSource())
    with pytest.raises(ValueError, match=r"needs agent\.syslog\.tcp"):
        SyslogReceiver(SyslogSource(udp=LOOPBACK, tls=SyslogTLS("c.pem", "k.pem")))
    with pytest.raises(ValueError, match=r"cannot load /nonexistent/cert\.pem"):
        SyslogReceiver(SyslogSource(tcp=LOOPBACK, tls=SyslogTLS("/nonexistent/cert.pem", "/nonexistent/key.pem")))
    assert os.path.exists("/proc/net/udp")
