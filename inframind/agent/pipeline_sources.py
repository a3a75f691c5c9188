"""The agent's sources, built from config: files, journald, syslog, SNMP traps, BMC event logs, EventLog.

Each optional source's module is imported only when it is configured, so a host that reads only files
never loads pysnmp or pywinrm. Every name is unique: it is the cursor key and the ``source`` label.
"""

from __future__ import annotations

import logging
import socket
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from inframind.agent.cursors import CursorStore
from inframind.agent.files import FileTailSource
from inframind.agent.files_format import LineFormatter
from inframind.agent.source import PullSource, PushSource
from inframind.config import Config
from inframind.inventory import Inventory
from inframind.normalize import resolve_asset, timezone

log = logging.getLogger(__name__)


@dataclass
class Sources:
    pull: list[PullSource] = field(default_factory=list)
    push: list[PushSource] = field(default_factory=list)
    collectors: list[Any] = field(default_factory=list)
    """Prometheus collectors some sources bring (trap counters, inframind_eventlog_*)."""
    traps: Any = None
    """The SNMP trap receiver, when enabled (its health is the agent's)."""


def agent_hostname(config: Config) -> str:
    return config.agent.hostname or socket.gethostname()


class AssetCache:
    """Host name to (asset_id, tenant) through the inventory, remembered (a file names few hosts)."""

    def __init__(self, inventory: Inventory | None) -> None:
        self.inventory = inventory
        self._known: dict[str, tuple[str, str]] = {}

    def __call__(self, host: str) -> tuple[str, str]:
        found = self._known.get(host)
        if found is None:
            if len(self._known) > 4096:
                self._known.clear()
            found = self._known[host] = resolve_asset(self.inventory, host)
        return found


def file_sources(config: Config, cursors: CursorStore, inventory: Inventory | None) -> list[PullSource]:
    host = agent_hostname(config)
    assets = AssetCache(inventory)
    sources: list[PullSource] = []
    names: set[str] = set()
    for index, settings in enumerate(config.agent.files):
        name = "file:" + ",".join(settings.paths)
        if name in names:
            name = f"{name}#{index}"
        names.add(name)
        formatter = LineFormatter(settings.format, timezone(settings.timezone), host, assets)
        sources.append(FileTailSource(settings, name, cursors, formatter))
    return sources


def build_sources(
    config: Config, cursors: CursorStore, inventory: Inventory | None, env: Mapping[str, str] | None
) -> Sources:
    """Every configured source; raises ConfigError, SecretError or ValueError naming what is wrong."""
    agent = config.agent
    out = Sources(pull=file_sources(config, cursors, inventory))
    if agent.traps.enabled:
        from inframind.agent.traps import TrapReceiver

        out.traps = TrapReceiver(agent.traps, inventory=inventory, env=env)
        out.push.append(out.traps)
        out.collectors.append(out.traps)
    else:
        log.info("SNMP trap receiver disabled (agent.traps.enabled: false)")
    if agent.syslog.udp is not None or agent.syslog.tcp is not None:
        from inframind.agent.syslog import SyslogReceiver

        out.push.append(SyslogReceiver(agent.syslog, inventory=inventory))
    if agent.journald.enabled:
        from inframind.agent.journald import JournaldSource

        out.pull.append(JournaldSource(agent.journald, cursors, inventory=inventory, hostname=agent_hostname(config)))
    if agent.bmc_logs.enabled:
        from inframind.agent.bmclogs import bmc_sources

        out.pull.extend(bmc_sources(config, inventory, cursors))
    if agent.eventlog.targets:
        from inframind.agent.eventlog import build_eventlog_sources

        eventlog, metrics = build_eventlog_sources(agent.eventlog, cursors, inventory=inventory, env=env)
        out.pull.extend(eventlog)
        out.collectors.append(metrics)
    return out
