"""Assemble the exporter: enabled collectors, self-metrics, HTTP routes. ``inframind exporter`` runs this."""

from __future__ import annotations

import logging
import platform
import signal
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from prometheus_client import CollectorRegistry, ProcessCollector
from prometheus_client.core import GaugeMetricFamily, Metric

from inframind import __version__
from inframind.config import Config
from inframind.exporters.base import CollectorSet
from inframind.exporters.probe.authclient import ApiAuthResolver, AuthApiSettings
from inframind.exporters.probe.config import load_probe_config
from inframind.exporters.probe.handler import ProbeService
from inframind.exporters.registry import build_collectors, enabled_names
from inframind.exporters.server import ExporterHTTP, metrics_handler
from inframind.exporters.webconfig import WebConfig, load_web_config
from inframind.schema import HostPort

log = logging.getLogger(__name__)


class BuildInfo:
    name = "build_info"

    def collect(self) -> Iterator[Metric]:
        info = GaugeMetricFamily(
            "inframind_exporter_build_info",
            "The exporter's version, always 1.",
            labels=["version", "python_version"],
        )
        info.add_metric([__version__, platform.python_version()], 1.0)
        yield info


@dataclass
class Exporter:
    http: ExporterHTTP
    collectors: CollectorSet
    registry: CollectorRegistry
    probes: ProbeService

    def close(self) -> None:
        self.http.shutdown()
        self.collectors.close()
        self.probes.close()


def build_exporter(
    config: Config,
    flags: Mapping[str, bool] | None = None,
    listen: HostPort | None = None,
    web_config_file: str | None = None,
) -> Exporter:
    """Everything but the serving loop; raises ConfigError for a bad collector name or web config."""
    exporter_cfg = config.exporter
    names = enabled_names(exporter_cfg, flags, config.origin)
    web_file = web_config_file or exporter_cfg.web_config_file
    web = load_web_config(web_file) if web_file else WebConfig()
    collectors = CollectorSet(build_collectors(exporter_cfg, names), namespace="node")
    registry = CollectorRegistry(auto_describe=False, support_collectors_without_names=True)
    registry.register(collectors)
    registry.register(BuildInfo())
    registry.register(ProcessCollector(registry=None))
    probe_config = load_probe_config(exporter_cfg, config.origin)
    api_auth = ApiAuthResolver(AuthApiSettings.from_env())
    probes = ProbeService(exporter_cfg, probe_config, registry, api_auth=api_auth)
    routes = {"/metrics": metrics_handler(registry), "/probe": probes.handle}
    http = ExporterHTTP(listen or exporter_cfg.listen, routes, web)
    log.info("enabled collectors: %s", ", ".join(names))
    log.info("probe modules: %s", ", ".join(sorted(probes.config.modules)))
    return Exporter(http, collectors, registry, probes)


def run_exporter(exporter: Exporter) -> None:
    """Serve until SIGINT or SIGTERM, then stop background work cleanly."""
    stop = threading.Event()

    def on_signal(signum: int, _frame: object) -> None:
        log.info("received %s, shutting down", signal.Signals(signum).name)
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    exporter.http.start_background()
    stop.wait()
    exporter.close()
