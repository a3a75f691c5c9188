"""The TCP side of the syslog receiver (RFC 6587), optionally over TLS (RFC 5425).

A thread per connection: syslog senders keep few, long-lived connections, and a blocking read per
connection is the simplest code that cannot starve one sender behind another. The TLS handshake runs in
the connection's thread under a timeout, so a silent client never holds up ``accept``. Every message of
one read is emitted as one batch; TCP's flow control makes a slow pipeline slow the sender down instead of
losing messages.
"""

from __future__ import annotations

import contextlib
import logging
import socket
import ssl
import threading
import time
from collections.abc import Callable

from inframind.agent.source import Emit, SourceStats
from inframind.agent.syslog.event import SyslogDecoder, Tally, plain_address
from inframind.agent.syslog.framing import FrameSplitter, FrameTooLong, MalformedFrame
from inframind.config.agent import SyslogTLS
from inframind.events import LogEvent
from inframind.schema import HostPort

log = logging.getLogger(__name__)

READ_SIZE = 1 << 16
HANDSHAKE_TIMEOUT = 10.0
MAX_CONNECTIONS = 512


def server_context(tls: SyslogTLS) -> ssl.SSLContext:
    """TLS 1.2+ with our certificate; with ``client_ca_file``, senders must show a certificate it signed."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    try:
        context.load_cert_chain(tls.cert_file, tls.key_file)
        if tls.client_ca_file:
            context.verify_mode = ssl.CERT_REQUIRED
            context.load_verify_locations(cafile=tls.client_ca_file)
    except (OSError, ssl.SSLError) as exc:
        files = ", ".join(f for f in (tls.cert_file, tls.key_file, tls.client_ca_file) if f)
        raise ValueError(f"agent.syslog.tls: cannot load {files}: {exc}") from None
    return context


def peer_name(conn: ssl.SSLSocket) -> str:
    """The client certificate's common name (empty without a verified client certificate)."""
    subject = (conn.getpeercert() or {}).get("subject", ())
    for rdn in subject if isinstance(subject, tuple) else ():
        for attribute in rdn:
            if isinstance(attribute, tuple) and attribute[0] == "commonName":
                return str(attribute[1])
    return ""


class TcpListener:
    def __init__(
        self,
        listen: HostPort,
        new_decoder: Callable[[], SyslogDecoder],
        emit: Emit,
        stats: SourceStats,
        *,
        tls: ssl.SSLContext | None = None,
        max_connections: int = MAX_CONNECTIONS,
    ) -> None:
        self.listen = listen
        self.new_decoder = new_decoder
        self.emit = emit
        self.stats = stats
        self.tls = tls
        self.max_connections = max_connections
        self._sock: socket.socket | None = None
        self._accepting: threading.Thread | None = None
        self._connections: dict[socket.socket, threading.Thread] = {}
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._last_error_log = 0.0

    @property
    def address(self) -> tuple[str, int]:
        if self._sock is None:
            raise RuntimeError("TCP listener not started")
        host, port = self._sock.getsockname()[:2]
        return str(host), int(port)

    def start(self) -> None:
        family = socket.AF_INET6 if ":" in self.listen.host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((self.listen.host, self.listen.port))
            sock.listen(128)
        except OSError as exc:
            sock.close()
            hint = " (ports below 1024 need root or CAP_NET_BIND_SERVICE)" if self.listen.port < 1024 else ""
            kind = "tls" if self.tls else "tcp"
            raise OSError(
                exc.errno, f"cannot receive syslog on {kind} {self.listen} (agent.syslog.tcp): {exc.strerror}{hint}"
            ) from None
        self._sock = sock
        self._accepting = threading.Thread(target=self._accept, name="syslog-tcp-accept", daemon=True)
        self._accepting.start()

    def close(self, timeout: float = 10.0) -> None:
        """Stop accepting, end every connection (each emits what it had read), wait for their threads."""
        sock = self._sock
        if sock is None:
            return
        self._stopping.set()
        with contextlib.suppress(OSError):  # wakes accept() on Linux; elsewhere close() below does
            sock.shutdown(socket.SHUT_RDWR)
        sock.close()
        if self._accepting is not None:
            self._accepting.join(timeout)  # after this, no connection can be added
        with self._lock:
            connections = dict(self._connections)
        for conn in connections:
            with contextlib.suppress(OSError):  # the peer may have closed it already
                conn.shutdown(socket.SHUT_RDWR)
        for thread in connections.values():
            thread.join(timeout)
        self._sock = None

    def _accept(self) -> None:
        assert self._sock is not None
        while not self._stopping.is_set():
            try:
                conn, addr = self._sock.accept()
            except OSError:
                if self._stopping.is_set():
                    return
                time.sleep(0.05)  # EMFILE and friends: back off instead of spinning
                continue
            with self._lock:
                if self._stopping.is_set():
                    conn.close()
                    return
                if len(self._connections) >= self.max_connections:
                    self.stats.reject("too_many_connections")
                    conn.close()
                    continue
                sender = plain_address(str(addr[0]))
                thread = threading.Thread(
                    target=self._serve, args=(conn, sender), name=f"syslog-tcp-{sender}", daemon=True
                )
                self._connections[conn] = thread
            thread.start()

    def _serve(self, conn: socket.socket, sender: str) -> None:
        stream: socket.socket = conn
        try:
            transport, peer = "tcp", ""
            if self.tls is not None:
                transport = "tls"
                try:
                    stream, peer = self._handshake(conn)
                except OSError as exc:  # ssl.SSLError, a timeout, a reset
                    self.stats.reject("tls_handshake")
                    self._note(f"syslog tls handshake with {sender} failed: {exc}")
                    return
            self._read(stream, sender, transport, peer)
        except OSError as exc:
            if not self._stopping.is_set():
                self._note(f"syslog {transport} connection from {sender} failed: {exc}")
        finally:
            with self._lock:
                self._connections.pop(conn, None)
                self._connections.pop(stream, None)
            stream.close()

    def _handshake(self, conn: socket.socket) -> tuple[ssl.SSLSocket, str]:
        assert self.tls is not None
        conn.settimeout(HANDSHAKE_TIMEOUT)
        stream = self.tls.wrap_socket(conn, server_side=True, do_handshake_on_connect=False)
        with self._lock:  # close() must be able to shut this one down too
            thread = self._connections.pop(conn)
            self._connections[stream] = thread
        stream.do_handshake()
        stream.settimeout(None)
        return stream, peer_name(stream)

    def _read(self, stream: socket.socket, sender: str, transport: str, peer: str) -> None:
        decoder = self.new_decoder()
        splitter = FrameSplitter(decoder.max_message_bytes)
        tally = Tally()
        while True:
            chunk = stream.recv(READ_SIZE)
            received = time.time()
            try:
                frames = splitter.feed(chunk) if chunk else splitter.finish()
            except (FrameTooLong, MalformedFrame) as exc:
                reason = "frame_too_long" if isinstance(exc, FrameTooLong) else "malformed_frame"
                tally.rejected[reason] += 1
                tally.apply(self.stats)
                self._note(f"syslog {transport} from {sender}: {exc}; closing the connection")
                return
            events: list[LogEvent] = []
            for frame in frames:
                event = decoder.decode(
                    frame.data, sender, received, tally, transport=transport, peer=peer, truncated=frame.truncated
                )
                if event is not None:
                    events.append(event)
            if events:
                self._emit(events, tally)
            tally.apply(self.stats)
            if not chunk:
                return

    def _emit(self, events: list[LogEvent], tally: Tally) -> None:
        try:
            self.emit(events)
        except Exception as exc:  # noqa: BLE001 - a failing pipeline must not end the connection; counted
            tally.read -= len(events)
            tally.rejected["emit_error"] += len(events)
            self._note(f"syslog emit failed: {exc!r}")

    def _note(self, message: str) -> None:
        """Record an error in the stats; log it at most once a minute (a broken sender can be loud)."""
        self.stats.error(message)
        if time.monotonic() - self._last_error_log > 60:
            self._last_error_log = time.monotonic()
            log.warning("%s", message)
