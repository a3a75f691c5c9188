"""A Redfish SessionService in front of a real Redfish server, for what sushy-tools 2.2 lacks.

sushy-emulator answers 404 to a session login and sushy-static 204 without a token, so neither can show
that a probe logs in once and logs out. :class:`SessionGateway` creates and deletes sessions as DSP0266
describes (POST to the Sessions collection answers 201 with ``X-Auth-Token`` and ``Location``; DELETE of
that URI ends it; a BMC-like limit refuses more), refuses every other request without a live token (or
basic credentials, when allowed), and forwards the rest unchanged to the real server behind it. It counts
live sessions and how requests authenticated, so a test can see that a probe left nothing behind.
"""

from __future__ import annotations

import base64
import itertools
import json
import secrets
import threading
import time
import warnings
from collections import Counter
from collections.abc import Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import requests

Json = dict[str, Any]
SESSIONS = "/redfish/v1/SessionService/Sessions"


class SessionGateway:
    """A SessionService in front of ``upstream`` (a sushy server's base URL) on a loopback port."""

    def __init__(
        self,
        upstream: str,
        username: str,
        password: str,
        limit: int = 4,
        allow_basic: bool = True,
        guard_root: bool = False,
        delay: float = 0.0,
    ) -> None:
        self.upstream = upstream
        self.guard_root = guard_root
        """Demand credentials for the service root too, as a few BMCs do against the specification."""
        self.delay = delay
        """Seconds each forwarded GET takes, like a busy BMC."""
        self.username, self.password = username, password
        self.limit = limit
        self.allow_basic = allow_basic
        self.lock = threading.Lock()
        self.sessions: dict[str, str] = {}
        """token -> session id, for the sessions alive now."""
        self.created = 0
        self.deleted = 0
        self.peak = 0
        self.requests: Counter[str] = Counter()
        """Authenticated requests by how they authenticated: token or basic."""
        self.paths: list[str] = []
        """Every path forwarded to the upstream, in order."""
        self.in_flight = 0
        self.peak_in_flight = 0
        """The most forwarded GETs the gateway was answering at once."""
        self._ids = itertools.count(1)
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self.thread = threading.Thread(
            target=self.server.serve_forever, args=(0.05,), name="session-gateway", daemon=True
        )
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    @property
    def target(self) -> str:
        return f"127.0.0.1:{self.server.server_address[1]}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def login(self, body: Json) -> tuple[int, str | None, str | None]:
        """(status, token, session id) for a POST to the Sessions collection."""
        if (body.get("UserName"), body.get("Password")) != (self.username, self.password):
            return 401, None, None
        with self.lock:
            if len(self.sessions) >= self.limit:
                return 503, None, None
            token, sid = secrets.token_hex(16), str(next(self._ids))
            self.sessions[token] = sid
            self.created += 1
            self.peak = max(self.peak, len(self.sessions))
        return 201, token, sid

    def logout(self, token: str | None, sid: str) -> int:
        with self.lock:
            if token not in self.sessions:
                return 401
            owner = next((t for t, s in self.sessions.items() if s == sid), None)
            if owner is None:
                return 404
            del self.sessions[owner]
            self.deleted += 1
        return 204

    def authenticated(self, token: str | None, authorization: str | None) -> bool:
        with self.lock:
            if token is not None and token in self.sessions:
                self.requests["token"] += 1
                return True
        expected = "Basic " + base64.b64encode(f"{self.username}:{self.password}".encode()).decode()
        if self.allow_basic and authorization == expected:
            with self.lock:
                self.requests["basic"] += 1
            return True
        return False


def _handler(gateway: SessionGateway) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            return None  # requests are counted on the gateway; a line per request would flood pytest's output

        def _send(self, status: int, body: Json | bytes | None, headers: Mapping[str, str] | None = None) -> None:
            data = body if isinstance(body, bytes) else (json.dumps(body).encode() if body is not None else b"")
            self.send_response(status)
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _error(self, status: int, message_id: str) -> None:
            self._send(status, {"error": {"code": message_id, "message": message_id}})

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b"{}"
            if self.path.rstrip("/") != SESSIONS:
                self._error(405, "Base.1.8.OperationNotAllowed")
                return
            status, token, sid = gateway.login(json.loads(raw or b"{}"))
            if token is None:
                self._error(status, "Base.1.8.SessionLimitExceeded" if status == 503 else "Base.1.8.NoValidSession")
                return
            uri = f"{SESSIONS}/{sid}"
            body = {"@odata.id": uri, "Id": sid, "UserName": gateway.username}
            self._send(201, body, {"X-Auth-Token": token or "", "Location": uri})

        def do_DELETE(self) -> None:
            if not self.path.startswith(SESSIONS + "/"):
                self._error(405, "Base.1.8.OperationNotAllowed")
                return
            status = gateway.logout(self.headers.get("X-Auth-Token"), self.path.rstrip("/").rsplit("/", 1)[-1])
            self._send(status, None)

        def do_GET(self) -> None:
            path = self.path.rstrip("/")
            if path == "/redfish/v1" and not gateway.guard_root:
                self._root()
                return
            if not gateway.authenticated(self.headers.get("X-Auth-Token"), self.headers.get("Authorization")):
                challenge = {"WWW-Authenticate": 'Basic realm="bmc"'}
                self._send(401, {"error": {"code": "Base.1.8.NoValidSession"}}, challenge)
                return
            if path == "/redfish/v1":
                self._root()
                return
            if path == SESSIONS:
                with gateway.lock:
                    members = [{"@odata.id": f"{SESSIONS}/{sid}"} for sid in gateway.sessions.values()]
                self._send(200, {"@odata.id": SESSIONS, "Members": members, "Members@odata.count": len(members)})
                return
            with gateway.lock:
                gateway.paths.append(self.path)
                gateway.in_flight += 1
                gateway.peak_in_flight = max(gateway.peak_in_flight, gateway.in_flight)
            try:
                time.sleep(gateway.delay)
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    answer = requests.get(gateway.upstream + self.path, timeout=10, verify=False)
            finally:
                with gateway.lock:
                    gateway.in_flight -= 1
            self._send(answer.status_code, answer.content)

        def _root(self) -> None:
            """The upstream's root, advertising this SessionService where the upstream has none."""
            answer = requests.get(gateway.upstream + "/redfish/v1/", timeout=10)
            root: Json = answer.json()
            root.setdefault("SessionService", {"@odata.id": "/redfish/v1/SessionService"})
            root.setdefault("Links", {}).setdefault("Sessions", {"@odata.id": SESSIONS})
            self._send(200, root)

    return Handler
