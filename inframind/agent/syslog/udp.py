"""The UDP side of the syslog receiver: a receive thread that only drains the socket, a worker that parses.

UDP has no flow control: whatever the kernel buffer cannot hold while we are busy is lost, silently for the
sender. So the receive thread does nothing but ``recvfrom`` (draining up to :data:`DRAIN` datagrams per
wake-up without blocking) and hands lists of datagrams to the worker, which decodes them and emits batches.
The socket buffer is made as large as the kernel allows (``SO_RCVBUFFORCE`` when privileged, else up to
``net.core.rmem_max``), and the kernel's own drop counter for the socket (``/proc/net/udp``) is reported
as ``rejected["kernel_drop"]``, so loss is never silent for us.
"""

from __future__ import annotations

import collections
import contextlib
import logging
import os
import socket
import threading
import time
from pathlib import Path

from inframind.agent.source import Emit, SourceStats
from inframind.agent.syslog.event import SyslogDecoder, Tally, plain_address
from inframind.events import LogEvent
from inframind.schema import HostPort

log = logging.getLogger(__name__)

MAX_DATAGRAM = 65535
DRAIN = 256
"""Datagrams taken per wake-up of the receive thread: enough to amortize the hand-over, small enough to keep
the worker fed."""
QUEUE_CHUNKS = 2048
"""Hand-overs the worker may lag behind before datagrams are dropped (counted as ``queue_full``)."""
RECEIVE_BUFFER = 32 << 20
SO_RCVBUFFORCE = getattr(socket, "SO_RCVBUFFORCE", 33)
"""Linux's option to exceed net.core.rmem_max with CAP_NET_ADMIN (missing from typeshed)."""

Datagrams = list[tuple[bytes, tuple[str, int]]]


def bind_udp(listen: HostPort, receive_buffer: int) -> socket.socket:
    """A UDP socket on ``listen`` with a receive buffer as close to ``receive_buffer`` as allowed."""
    family = socket.AF_INET6 if ":" in listen.host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_DGRAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, SO_RCVBUFFORCE, receive_buffer)
    except OSError:  # unprivileged: the kernel caps SO_RCVBUF at net.core.rmem_max
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, receive_buffer)
    try:
        sock.bind((listen.host, listen.port))
    except OSError as exc:
        sock.close()
        hint = " (ports below 1024 need root or CAP_NET_BIND_SERVICE)" if listen.port < 1024 else ""
        message = f"cannot receive syslog on udp {listen} (agent.syslog.udp): {exc.strerror}{hint}"
        raise OSError(exc.errno, message) from None
    return sock


def kernel_drops(sock: socket.socket, proc: Path = Path("/proc/net")) -> int | None:
    """The kernel's count of datagrams dropped for ``sock`` (full buffer), from the ``drops`` column of
    /proc/net/udp[6] matched by the socket's inode; None where there is no such file (not Linux)."""
    inode = str(os.fstat(sock.fileno()).st_ino)
    name = "udp6" if sock.family == socket.AF_INET6 else "udp"
    try:
        lines = (proc / name).read_text().splitlines()[1:]
    except OSError:
        return None
    for line in lines:
        cols = line.split()
        if len(cols) > 12 and cols[9] == inode:
            return int(cols[12])
    return None


class UdpListener:
    def __init__(
        self,
        listen: HostPort,
        decoder: SyslogDecoder,
        emit: Emit,
        stats: SourceStats,
        *,
        batch_size: int = 1000,
        receive_buffer: int = RECEIVE_BUFFER,
        queue_chunks: int = QUEUE_CHUNKS,
    ) -> None:
        self.listen = listen
        self.decoder = decoder
        self.emit = emit
        self.stats = stats
        self.batch_size = batch_size
        self.receive_buffer = receive_buffer
        self.queue_chunks = queue_chunks
        self._queue: collections.deque[tuple[float, Datagrams]] = collections.deque()
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._received_all = threading.Event()
        self._sock: socket.socket | None = None
        self._threads: list[threading.Thread] = []
        self._drops_seen = 0
        self._last_error_log = 0.0

    @property
    def address(self) -> tuple[str, int]:
        if self._sock is None:
            raise RuntimeError("UDP listener not started")
        host, port = self._sock.getsockname()[:2]
        return str(host), int(port)

    @property
    def listen_family(self) -> int:
        return self._sock.family if self._sock is not None else socket.AF_INET

    def start(self) -> None:
        self._sock = bind_udp(self.listen, self.receive_buffer)
        for target, name in ((self._receive, "syslog-udp-recv"), (self._work, "syslog-udp-parse")):
            thread = threading.Thread(target=target, name=name, daemon=True)
            thread.start()
            self._threads.append(thread)

    def close(self, timeout: float = 10.0) -> None:
        """Stop receiving, parse and emit what was already received, then close the socket."""
        sock = self._sock
        if sock is None:
            return
        self._stopping.set()
        self._wake_receiver(sock)
        receiving, working = self._threads
        receiving.join(timeout)
        self._received_all.set()  # only now may the worker stop at an empty queue
        self._wake.set()
        working.join(timeout)
        sock.close()
        self._sock = None
        self._threads = []

    def _wake_receiver(self, sock: socket.socket) -> None:
        """A blocking recvfrom is cheapest per datagram (no poll first) but only returns for a datagram:
        send it an empty one. Shutting the socket down as well covers an address we cannot send to."""
        host, port = self.address
        target = {"0.0.0.0": "127.0.0.1", "::": "::1"}.get(host, host)  # noqa: S104 # nosec B104
        try:
            with socket.socket(sock.family, socket.SOCK_DGRAM) as waker:
                waker.sendto(b"", (target, port))
        except OSError:
            with contextlib.suppress(OSError):  # Linux wakes the reader even as it reports ENOTCONN
                sock.shutdown(socket.SHUT_RDWR)

    def _receive(self) -> None:
        assert self._sock is not None
        recvfrom, queue, wake = self._sock.recvfrom, self._queue, self._wake
        dontwait = socket.MSG_DONTWAIT
        while not self._stopping.is_set():
            try:
                chunk: Datagrams = [recvfrom(MAX_DATAGRAM)]
            except OSError as exc:
                if self._stopping.is_set():
                    break
                self.stats.error(f"syslog udp receive failed: {exc}")
                time.sleep(0.1)
                continue
            try:
                while len(chunk) < DRAIN:
                    chunk.append(recvfrom(MAX_DATAGRAM, dontwait))
            except OSError:  # BlockingIOError: drained
                pass
            if self._stopping.is_set():  # woken by close(): keep what came with the wake-up, not the wake-up itself
                chunk = [datagram for datagram in chunk if datagram[0]]
            if len(queue) >= self.queue_chunks:
                self.stats.reject("queue_full", len(chunk))
                continue
            queue.append((time.time(), chunk))
            wake.set()

    def _work(self) -> None:
        queue, decode, tally = self._queue, self.decoder.decode, Tally()
        sender = plain_address if self.listen_family == socket.AF_INET6 else str
        events: list[LogEvent] = []
        next_drops = 0.0
        while True:
            self._wake.wait(0.5)
            self._wake.clear()
            while queue:
                received, chunk = queue.popleft()
                for data, addr in chunk:
                    event = decode(data, sender(addr[0]), received, tally)
                    if event is not None:
                        events.append(event)
                if len(events) >= self.batch_size:
                    self.stats.lag_seconds = max(time.time() - received, 0.0)
                    self._emit(events, tally)
                    events = []
            if events:
                self._emit(events, tally)
                events = []
            tally.apply(self.stats)
            self.stats.lag_seconds = 0.0
            if time.monotonic() >= next_drops:
                self._count_kernel_drops()
                next_drops = time.monotonic() + 1.0
            if self._received_all.is_set() and not queue:
                self._count_kernel_drops()
                return

    def _emit(self, events: list[LogEvent], tally: Tally) -> None:
        try:
            self.emit(events)
        except Exception as exc:  # the pipeline's problem must not stop the receiver; counted and reported
            tally.read -= len(events)
            tally.rejected["emit_error"] += len(events)
            self.stats.error(f"syslog emit failed: {exc!r}")
            if time.monotonic() - self._last_error_log > 60:
                self._last_error_log = time.monotonic()
                log.exception("syslog: could not hand %d events to the pipeline", len(events))
        tally.apply(self.stats)

    def _count_kernel_drops(self) -> None:
        sock = self._sock
        if sock is None or sock.fileno() < 0:
            return
        drops = kernel_drops(sock)
        if drops is not None and drops > self._drops_seen:
            self.stats.reject("kernel_drop", drops - self._drops_seen)
            self._drops_seen = drops
