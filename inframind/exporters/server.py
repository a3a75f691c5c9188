"""The exporter's HTTP server: ``/metrics``, ``/-/healthy``, a landing page, and routes later issues add.

Standard library only (``http.server`` with a thread per request), so a monitored host needs no web
framework. TLS and basic auth follow the exporter-toolkit web config (:mod:`.webconfig`). The TLS
handshake runs in the request's thread, so a slow or hostile client cannot stall the accept loop.
"""

from __future__ import annotations

import gzip
import logging
import socket
import ssl
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from email.message import Message
from html import escape
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from prometheus_client import CollectorRegistry
from prometheus_client.exposition import choose_encoder

from inframind.exporters.webconfig import BasicAuth, WebConfig, ssl_context
from inframind.schema import HostPort

log = logging.getLogger(__name__)
REQUEST_TIMEOUT = 60.0
"""Seconds a client may stay silent (handshake, headers) before its connection is dropped."""


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    query: Mapping[str, list[str]]
    headers: Message
    client: str

    def arg(self, name: str) -> str | None:
        values = self.query.get(name)
        return values[-1] if values else None


@dataclass
class Response:
    status: int
    body: bytes
    content_type: str = "text/plain; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)


Handler = Callable[[Request], Response]


def metrics_handler(registry: CollectorRegistry) -> Handler:
    """Serve a registry in the text format the scraper asks for (Prometheus or OpenMetrics), gzipped if asked."""

    def handle(request: Request) -> Response:
        encoder, content_type = choose_encoder(request.headers.get("Accept", ""))
        names = request.query.get("name[]")
        target = registry.restricted_registry(names) if names else registry
        body = encoder(target)
        headers = {}
        if "gzip" in request.headers.get("Accept-Encoding", ""):
            body = gzip.compress(body, compresslevel=1)
            headers["Content-Encoding"] = "gzip"
        return Response(200, body, content_type, headers)

    return handle


def text(status: int, message: str) -> Response:
    return Response(status, (message.rstrip("\n") + "\n").encode("utf-8"))


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128  # the default 5 drops SYNs of concurrent scrapers into a 1 s retransmit

    def __init__(self, address: tuple[str, int], app: ExporterHTTP) -> None:
        self.app = app
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        super().__init__(address, _RequestHandler)

    def finish_request(self, request: Any, client_address: Any) -> None:
        tls = self.app.tls
        request.settimeout(REQUEST_TIMEOUT)
        if tls is not None:
            try:
                request = tls.wrap_socket(request, server_side=True)
            except (ssl.SSLError, OSError) as exc:
                log.debug("TLS handshake with %s failed: %s", client_address, exc)
                return
        super().finish_request(request, client_address)


class _RequestHandler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"
    # Headers and body go out in separate writes; with Nagle on, a kept-alive scraper's delayed ACK
    # adds ~40 ms to every scrape.
    disable_nagle_algorithm = True
    server_version = "inframind"
    sys_version = ""

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def do_HEAD(self) -> None:
        self._dispatch("HEAD")

    def _dispatch(self, method: str) -> None:
        app = self.server.app
        url = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(min(length, 1 << 20))
        request = Request(method, url.path, parse_qs(url.query), self.headers, self.client_address[0])
        response = app.handle(request)
        self.send_response(response.status)
        self.send_header("Content-Type", response.content_type)
        self.send_header("Content-Length", str(len(response.body)))
        for key, value in {**app.extra_headers, **response.headers}.items():
            self.send_header(key, value)
        self.end_headers()
        if method != "HEAD":
            self.wfile.write(response.body)

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("%s %s", self.address_string(), format % args)


class ExporterHTTP:
    """Routes plus web config; ``serve()`` blocks, ``shutdown()`` from another thread stops it."""

    def __init__(
        self,
        listen: HostPort,
        routes: Mapping[str, Handler],
        web: WebConfig | None = None,
        title: str = "InfraMind exporter",
    ) -> None:
        self.listen = listen
        self.routes = dict(routes)
        self.web = web or WebConfig()
        self.title = title
        self.tls = ssl_context(self.web.tls_server_config) if self.web.tls_server_config else None
        self.auth = BasicAuth(self.web.basic_auth_users)
        self.extra_headers = dict(self.web.http_server_config.headers)
        self.routes.setdefault("/-/healthy", lambda _r: text(200, "Healthy"))
        self.routes.setdefault("/", self._landing)
        self._server: _Server | None = None
        self._ready = threading.Event()

    def handle(self, request: Request) -> Response:
        if not self.auth.allows(request.headers.get("Authorization")):
            response = text(401, "Unauthorized")
            response.headers["WWW-Authenticate"] = 'Basic realm="inframind"'
            return response
        handler = self.routes.get(request.path)
        if handler is None:
            return text(404, f"Not found: {request.path}. Try /metrics.")
        try:
            return handler(request)
        except Exception:  # a handler bug is a 500 for this request, never a dead server
            log.exception("handler for %s failed", request.path)
            return text(500, "internal error; see the exporter's log")

    def _landing(self, _request: Request) -> Response:
        links = "".join(
            f'<li><a href="{escape(p.lstrip("/"))}">{escape(p)}</a></li>' for p in sorted(self.routes) if p != "/"
        )
        html = (
            f"<html><head><title>{escape(self.title)}</title></head><body><h1>{escape(self.title)}</h1>"
            f"<ul>{links}</ul></body></html>"
        )
        return Response(200, html.encode(), "text/html; charset=utf-8")

    @property
    def address(self) -> tuple[str, int]:
        """The bound address (useful with port 0)."""
        if self._server is None:
            raise RuntimeError("server not started")
        host, port = self._server.server_address[:2]
        return str(host), int(port)

    def bind(self) -> None:
        try:
            self._server = _Server((self.listen.host, self.listen.port), self)
        except OSError as exc:
            raise OSError(exc.errno, f"cannot listen on {self.listen}: {exc.strerror}") from None
        self._ready.set()

    def serve(self) -> None:
        if self._server is None:
            self.bind()
        assert self._server is not None
        scheme = "https" if self.tls else "http"
        host, port = self.address
        log.info("listening on %s://%s:%d", scheme, host, port)
        self._server.serve_forever(poll_interval=0.2)
        self._server.server_close()

    def start_background(self) -> threading.Thread:
        if self._server is None:
            self.bind()
        thread = threading.Thread(target=self.serve, name="exporter-http", daemon=True)
        thread.start()
        return thread

    def shutdown(self) -> None:
        if self._server is not None:
            self._server.shutdown()
