"""The VictoriaMetrics import client: metric names, the JSON-lines body, and errors that say what happened.
(A real VictoriaMetrics takes these lines in tests/integration/test_ingest_vm.py.)"""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

import pytest

from inframind.analyzer.sinks.victoriametrics import (
    MetricsImportError,
    Sample,
    VictoriaMetricsImporter,
    import_lines,
    sanitize_metric_name,
)


def test_metric_names_keep_only_prometheus_characters() -> None:
    assert sanitize_metric_name("disk.used-%") == "disk_used__"
    assert sanitize_metric_name("Temp °C") == "Temp__C"
    assert sanitize_metric_name("ok_name_2") == "ok_name_2"


def test_one_line_per_series_in_time_order() -> None:
    labels = {"tenant": "acme", "asset": "ws-17"}
    body = import_lines(
        [
            Sample("inframind_agent_cpu", labels, 0.5, 2000),
            Sample("inframind_agent_cpu", {"asset": "ws-17", "tenant": "acme"}, 0.25, 1000),
            Sample("inframind_agent_cpu", {**labels, "asset": "ws-18"}, 1.0, 1000),
        ]
    )
    assert body.endswith(b"\n")
    lines = [json.loads(line) for line in body.decode().splitlines()]
    assert lines == [
        {"metric": {"__name__": "inframind_agent_cpu", "asset": "ws-17", "tenant": "acme"},
         "values": [0.25, 0.5], "timestamps": [1000, 2000]},
        {"metric": {"__name__": "inframind_agent_cpu", "asset": "ws-18", "tenant": "acme"},
         "values": [1.0], "timestamps": [1000]},
    ]  # fmt: skip
    assert import_lines([]) == b""
    with pytest.raises(ValueError, match="not a finite number"):
        import_lines([Sample("x", {}, float("nan"), 0)])


class Refusing(BaseHTTPRequestHandler):
    received: ClassVar[list[bytes]] = []

    def do_POST(self) -> None:
        Refusing.received.append(self.rfile.read(int(self.headers["Content-Length"])))
        self.send_response(400)
        self.end_headers()
        self.wfile.write(b"cannot parse line 1: unexpected end of JSON\n")

    def log_message(self, format: str, *args: object) -> None:
        return


@pytest.fixture
def refusing_url() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Refusing)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


def test_a_refused_import_is_an_error_with_the_answer(refusing_url: str) -> None:
    importer = VictoriaMetricsImporter(refusing_url)
    assert importer.url == refusing_url.rstrip("/") + "/api/v1/import"
    with pytest.raises(MetricsImportError, match=r"answered 400: cannot parse line 1"):
        importer.import_samples([Sample("inframind_agent_cpu", {"asset": "a"}, 1.0, 1000)])
    assert Refusing.received[-1].startswith(b'{"metric":{"__name__":"inframind_agent_cpu"')
    importer.import_samples([])  # nothing to send: no request
    assert len(Refusing.received) == 1


def test_an_unreachable_victoriametrics_names_the_url() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again: nothing listens there
    importer = VictoriaMetricsImporter(f"http://127.0.0.1:{port}", timeout=2.0)
    with pytest.raises(
        MetricsImportError, match=rf"cannot reach VictoriaMetrics at http://127.0.0.1:{port}/api/v1/import"
    ):
        importer.import_samples([Sample("x", {}, 1.0, 0)])
