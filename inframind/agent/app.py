"""Assemble the agent: sources, the pipeline (disk buffer, sink), ``/metrics`` and ``/-/healthy``.

``build_agent`` resolves secrets and checks what config validation cannot (so errors come before any
socket is bound); ``Agent.start`` binds and starts everything in background threads, which is what tests
use in-process; ``run_agent`` adds the wait for SIGINT/SIGTERM and the clean stop: receivers close, what
was read is made durable, the buffer is shipped for up to ``SHUTDOWN_GRACE`` seconds, the rest waits on disk.
"""

from __future__ import annotations

import logging
import platform
import signal
import sqlite3
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from prometheus_client import CollectorRegistry, ProcessCollector
from prometheus_client.core import GaugeMetricFamily, Metric

from inframind import __version__
from inframind.agent.buffer import DiskBuffer
from inframind.agent.cursors import CursorStore
from inframind.agent.pipeline import Pipeline
from inframind.agent.pipeline_metrics import PipelineCollector
from inframind.agent.pipeline_sources import build_sources
from inframind.agent.sinks import LogSink, build_sink
from inframind.config import Config
from inframind.exporters.server import ExporterHTTP, Request, Response, metrics_handler, text
from inframind.exporters.webconfig import WebConfig, load_web_config
from inframind.inventory import Inventory, load_inventory
from inframind.schema import HostPort

log = logging.getLogger(__name__)

BUFFER_FILE = "buffer.db"
CURSORS_FILE = "cursors.db"
SHUTDOWN_GRACE = 10.0


class AgentInfo:
    """The agent's build info."""

    name = "agent"

    def collect(self) -> Iterator[Metric]:
        info = GaugeMetricFamily(
            "inframind_agent_build_info", "The agent's version, always 1.", labels=["version", "python_version"]
        )
        info.add_metric([__version__, platform.python_version()], 1.0)
        yield info


@dataclass
class Agent:
    http: ExporterHTTP
    registry: CollectorRegistry
    pipeline: Pipeline
    cursors: CursorStore
    traps: Any = None
    """The SNMP trap receiver (a TrapReceiver) when enabled."""
    _serving: threading.Thread | None = field(default=None, init=False, repr=False)
    _closed: bool = field(default=False, init=False, repr=False)

    def start(self) -> None:
        """Bind and start everything in the background; on any failure stop what started and re-raise."""
        try:
            self.pipeline.start()
            self._serving = self.http.start_background()
        except BaseException:
            self.close(grace=0.0)
            raise

    def healthy(self, _request: Request) -> Response:
        if self.traps is not None and not self.traps.alive():
            return text(503, "the SNMP trap receiver has stopped")
        if not self.pipeline.alive():
            return text(503, "the log pipeline is not running")
        return text(200, "Healthy")

    def close(self, grace: float = SHUTDOWN_GRACE) -> None:
        """Stop receiving and reading, ship for up to ``grace`` seconds, then stop serving /metrics."""
        if self._closed:
            return
        self._closed = True
        self.pipeline.stop(grace)
        self.cursors.close()
        if self._serving is not None:
            self.http.shutdown()
            self._serving.join(10)
            self._serving = None


def build_agent(
    config: Config,
    listen: HostPort | None = None,
    *,
    sink: LogSink | None = None,
    inventory: Inventory | None = None,
    env: Mapping[str, str] | None = None,
) -> Agent:
    """Everything but the serving loop, nothing bound yet.

    ``listen`` overrides ``agent.listen``; ``sink`` replaces the configured one (tests); ``inventory``
    replaces the one ``config.inventory`` names; ``env`` resolves ``env:`` secrets (default: the process
    environment). Raises ConfigError (bad engine id, bad inventory), SecretError (a secret that cannot be
    read) or OSError (the state directory cannot be used).
    """
    agent_cfg = config.agent
    if inventory is None and config.inventory:
        inventory = load_inventory(config.inventory)
    state = Path(agent_cfg.state_dir)
    try:
        cursors = CursorStore(state / CURSORS_FILE)
        buffer = DiskBuffer(state / BUFFER_FILE, agent_cfg.buffer.max_bytes)
    except (OSError, sqlite3.Error) as exc:
        raise OSError(f"cannot keep the agent's state in {state} (agent.state_dir): {exc}") from None
    try:
        sources = build_sources(config, cursors, inventory, env)
    except BaseException:
        buffer.close()
        cursors.close()
        raise
    pipeline = Pipeline(
        sink or build_sink(config, env),
        buffer,
        batch_max_events=agent_cfg.sink.batch_max_events,
        batch_max_wait=agent_cfg.sink.batch_max_wait,
    )
    pipeline.pull.extend(sources.pull)
    pipeline.push.extend(sources.push)
    registry = CollectorRegistry(auto_describe=False, support_collectors_without_names=True)
    registry.register(AgentInfo())
    registry.register(ProcessCollector(registry=None))
    registry.register(PipelineCollector(pipeline))
    for collector in sources.collectors:
        registry.register(collector)
    web = load_web_config(agent_cfg.web_config_file) if agent_cfg.web_config_file else WebConfig()
    routes = {"/metrics": metrics_handler(registry)}
    http = ExporterHTTP(listen or agent_cfg.listen, routes, web, title="InfraMind agent")
    agent = Agent(http, registry, pipeline, cursors, sources.traps)
    http.routes["/-/healthy"] = agent.healthy
    return agent


def run_agent(config: Config, listen: HostPort | None = None) -> None:
    """Run until SIGINT or SIGTERM, then stop cleanly. Raises ConfigError, SecretError or OSError on start."""
    stop = threading.Event()

    def on_signal(signum: int, _frame: object) -> None:
        log.info("received %s, shutting down", signal.Signals(signum).name)
        stop.set()

    agent = build_agent(config, listen)
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    agent.start()
    host, port = agent.http.address
    log.info("agent metrics on http://%s:%d/metrics", host, port)
    stop.wait()
    agent.close()
    log.info("agent stopped")
