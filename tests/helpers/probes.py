"""Our exporter's /probe served in-process on a loopback port, for the probers' end-to-end tests."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import requests
from prometheus_client import CollectorRegistry
from prometheus_client.core import Metric
from prometheus_client.parser import text_string_to_metric_families

from inframind.config import ExporterConfig
from inframind.exporters.probe.config import load_probe_config
from inframind.exporters.probe.handler import ProbeService
from inframind.exporters.server import ExporterHTTP, metrics_handler
from inframind.schema import HostPort


@dataclass(frozen=True)
class ProbeExporter:
    """Our exporter's /probe and /metrics on a loopback port, with the given modules and auths."""

    url: str
    service: ProbeService

    def probe(self, target: str, module: str, auth: str | None = None) -> list[Metric]:
        params = {"target": target, "module": module, **({"auth": auth} if auth else {})}
        answer = requests.get(f"{self.url}/probe", params=params, timeout=60)
        assert answer.status_code == 200, answer.text
        return list(text_string_to_metric_families(answer.text))

    def text(self, target: str, module: str) -> str:
        return requests.get(f"{self.url}/probe", params={"target": target, "module": module}, timeout=60).text

    def metrics(self) -> list[Metric]:
        return list(text_string_to_metric_families(requests.get(f"{self.url}/metrics", timeout=10).text))


@contextmanager
def probe_exporter(modules: Mapping[str, Any], auths: Mapping[str, Any] | None = None) -> Iterator[ProbeExporter]:
    """The /probe handler as the exporter serves it (ProbeService behind ExporterHTTP)."""
    config = ExporterConfig(auths=dict(auths or {}), modules=dict(modules))
    registry = CollectorRegistry(auto_describe=False, support_collectors_without_names=True)
    service = ProbeService(config, load_probe_config(config), registry)
    app = ExporterHTTP(HostPort("127.0.0.1", 0), {"/probe": service.handle, "/metrics": metrics_handler(registry)})
    app.start_background()
    host, port = app.address
    try:
        yield ProbeExporter(f"http://{host}:{port}", service)
    finally:
        app.shutdown()
        service.close()
