"""Assemble the agent: event sources, the spool, ``/metrics`` and ``/-/healthy``. ``inframind agent`` runs this.

``build_agent`` resolves secrets and checks what config validation cannot (so errors come before any
socket is bound); ``Agent.start`` binds and starts everything in background threads, which is what tests
use in-process; ``run_agent`` adds the wait for SIGINT/SIGTERM.
"""

from __future__ import annotations

import logging
import platform
import signal
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from prometheus_client import CollectorRegistry, ProcessCollector
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric

from inframind import __version__
from inframind.agent.spool import JsonlSpool
from inframind.agent.traps import Sink, TrapReceiver
from inframind.config import Config
from inframind.exporters.server import ExporterHTTP, Request, Response, metrics_handler, text
from inframind.inventory import Inventory, load_inventory
from inframind.schema import HostPort

log = logging.getLogger(__name__)

TRAPS_SPOOL = "traps.jsonl"


class AgentInfo:
    """The agent's build info and spool counters."""

    name = "agent"

    def __init__(self, spool: JsonlSpool | None) -> None:
        self.spool = spool

    def collect(self) -> Iterator[Metric]:
        info = GaugeMetricFamily(
            "inframind_agent_build_info", "The agent's version, always 1.", labels=["version", "python_version"]
        )
        info.add_metric([__version__, platform.python_version()], 1.0)
        yield info
        if self.spool is None:
            return
        written, lost = self.spool.counts()
        yield CounterMetricFamily(
            "inframind_agent_spool_events_written", "Events appended (and fsynced) to the spool.", value=written
        )
        lost_family = CounterMetricFamily(
            "inframind_agent_spool_events_lost",
            "Events that never reached the spool, by reason: queue_full (disk too slow), write_error.",
            labels=["reason"],
        )
        for reason, value in sorted(lost.items()):
            lost_family.add_metric([reason], value)
        yield lost_family


@dataclass
class Agent:
    http: ExporterHTTP
    registry: CollectorRegistry
    spool: JsonlSpool | None = None
    traps: TrapReceiver | None = None
    _serving: threading.Thread | None = field(default=None, init=False, repr=False)

    def start(self) -> None:
        """Bind and start everything in the background; on any failure stop what started and re-raise."""
        try:
            if self.spool is not None:
                self.spool.start()
            if self.traps is not None:
                self.traps.start()
            self._serving = self.http.start_background()
        except BaseException:
            self.close()
            raise

    def healthy(self, _request: Request) -> Response:
        if self.traps is not None and not self.traps.alive():
            return text(503, "the SNMP trap receiver has stopped")
        return text(200, "Healthy")

    def close(self) -> None:
        """Stop receiving first, then drain the spool, so nothing accepted is left unwritten."""
        if self._serving is not None:
            self.http.shutdown()
            self._serving.join(10)
            self._serving = None
        if self.traps is not None:
            self.traps.close()
        if self.spool is not None:
            self.spool.close()


def build_agent(
    config: Config,
    listen: HostPort | None = None,
    *,
    sink: Sink | None = None,
    inventory: Inventory | None = None,
    env: Mapping[str, str] | None = None,
) -> Agent:
    """Everything but the serving loop, nothing bound yet.

    ``listen`` overrides ``agent.listen``; ``sink`` replaces the spool (tests); ``inventory`` replaces the
    one ``config.inventory`` names; ``env`` resolves ``env:`` secrets (default: the process environment).
    Raises ConfigError (bad engine id, bad inventory) or SecretError (a secret that cannot be read).
    """
    agent_cfg = config.agent
    if inventory is None and config.inventory:
        inventory = load_inventory(config.inventory)
    spool = None
    if sink is None:
        spool = JsonlSpool(Path(agent_cfg.state_dir) / TRAPS_SPOOL)
        sink = spool.put
    traps = TrapReceiver(agent_cfg.traps, sink, inventory=inventory, env=env) if agent_cfg.traps.enabled else None
    registry = CollectorRegistry(auto_describe=False, support_collectors_without_names=True)
    registry.register(AgentInfo(spool))
    registry.register(ProcessCollector(registry=None))
    if traps is not None:
        registry.register(traps)
    http = ExporterHTTP(listen or agent_cfg.listen, {"/metrics": metrics_handler(registry)}, title="InfraMind agent")
    agent = Agent(http, registry, spool, traps)
    http.routes["/-/healthy"] = agent.healthy
    if traps is None:
        log.info("SNMP trap receiver disabled (agent.traps.enabled: false)")
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
