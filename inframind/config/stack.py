"""`inframind up`: ports, binaries and data paths of the local stack (everything on 127.0.0.1)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from inframind.config.analyzer import ANALYZER_PORT
from inframind.config.exporter import EXPORTER_PORT
from inframind.schema import Duration, PathKey


@dataclass(frozen=True)
class StackPorts:
    victoriametrics: int = 8428
    vmalert: int = 8880
    alertmanager: int = 9093
    exporter: int = EXPORTER_PORT
    analyzer: int = ANALYZER_PORT

    def check(self) -> Iterator[tuple[PathKey, str]]:
        seen: dict[int, str] = {}
        for name, port in vars(self).items():
            if not 0 < port < 65536:
                yield (name,), f"expected a port between 1 and 65535, got {port}"
            elif port in seen:
                yield (name,), f"port {port} is also given to {seen[port]}"
            seen.setdefault(port, name)


@dataclass(frozen=True)
class StackBinaries:
    victoriametrics: str = "victoria-metrics"
    vmalert: str = "vmalert"
    alertmanager: str = "prometheus-alertmanager"


@dataclass(frozen=True)
class StackConfig:
    """`inframind up`: every component on 127.0.0.1, data under ``data_dir``."""

    data_dir: str = "var"
    rules_dir: str = "rules"
    alertmanager_dir: str = "alertmanager"
    scrape_interval: Duration = 15.0
    evaluation_interval: Duration = 15.0
    retention_period: str = "30d"
    ports: StackPorts = StackPorts()
    binaries: StackBinaries = StackBinaries()
