"""A loopback stand-in for api.telegram.org that Alertmanager's telegram receiver posts to (``api_url``).

It records every ``/bot<token>/<method>`` call and answers like Telegram (``{"ok": true, "result": ...}``);
anything else makes Alertmanager retry instead of counting the message as sent.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs


@dataclass(frozen=True)
class Call:
    token: str
    method: str
    payload: dict[str, Any]

    @property
    def text(self) -> str:
        return str(self.payload.get("text", ""))


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if "json" in self.headers.get("Content-Type", ""):
            payload = json.loads(body or b"{}")
        else:
            payload = {k: v[-1] for k, v in parse_qs(body.decode()).items()}
        _, _, rest = self.path.partition("/bot")
        token, _, method = rest.partition("/")
        call = Call(token, method, payload)
        self.server.api.record(call)
        chat = str(payload.get("chat_id", "0"))
        result = {
            "message_id": len(self.server.api.calls),
            "date": int(time.time()),
            "chat": {"id": int(chat) if chat.lstrip("-").isdigit() else 0, "type": "private"},
            "text": call.text,
        }
        answer = json.dumps({"ok": True, "result": result}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, format: str, *args: Any) -> None:  # keep test output clean
        pass


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, api: TelegramAPI) -> None:
        self.api = api
        super().__init__(("127.0.0.1", 0), _Handler)


class TelegramAPI:
    def __init__(self) -> None:
        self.calls: list[Call] = []
        self._changed = threading.Condition()
        self._server = _Server(self)
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def record(self, call: Call) -> None:
        with self._changed:
            self.calls.append(call)
            self._changed.notify_all()

    def wait_for(self, needle: str, timeout: float = 20.0) -> Call:
        """The first sendMessage whose text contains ``needle``; fails the test after ``timeout``."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                for call in self.calls:
                    if call.method == "sendMessage" and needle in call.text:
                        return call
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    texts = [c.text[:200] for c in self.calls]
                    raise AssertionError(f"no Telegram message containing {needle!r} within {timeout}s; got {texts}")
                self._changed.wait(remaining)

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
