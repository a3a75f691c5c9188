"""The prober contract: one protocol (SNMP, Redfish, IPMI, SSH, TCP) that collects one target per call.

A prober is created once per exporter (it may keep an SNMP engine or a connection pool) and then called
concurrently from request threads: ``probe()`` must be thread-safe, must honour ``timeout`` itself as far
as its protocol allows, and must raise :class:`ProbeError` with a bounded ``reason`` for anything that
makes the target unreadable. The /probe handler turns that into ``probe_success 0`` and an error counter.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol, cast

from prometheus_client.core import Metric

from inframind.config import ExporterConfig

REASONS = (
    "timeout",  # the target did not answer within the deadline
    "unreachable",  # no route, DNS failure, connection reset
    "refused",  # the port is closed
    "auth",  # credentials rejected
    "tls",  # certificate or handshake failure
    "protocol",  # the answer made no sense (malformed payload, unexpected status)
    "concurrency_limit",  # the module's concurrency limit was full until the deadline
    "internal",  # a bug in the prober: logged with a traceback
)
"""Every value the ``reason`` label of the error counter can take (bounded by design)."""


class ProbeError(Exception):
    """The target could not be read; ``reason`` is one of :data:`REASONS`, ``message`` says what to do."""

    def __init__(self, reason: str, message: str) -> None:
        if reason not in REASONS:
            raise ValueError(f"unknown probe error reason {reason!r}")
        super().__init__(message)
        self.reason = reason
        self.message = message


@dataclass(frozen=True)
class Outcome:
    """What one probe produced: its families (empty on failure), success, duration, and why it failed."""

    families: list[Metric]
    success: bool
    duration: float
    reason: str | None = None
    cache_age: float | None = None


class Prober(Protocol):
    """One protocol's collector for remote targets, created on first use and kept for the process."""

    def probe(self, target: str, settings: Any, auth: Any | None, timeout: float) -> Iterable[Metric]: ...

    def close(self) -> None: ...


@dataclass(frozen=True)
class ProberSpec:
    """Where a prober lives. The settings module is light (dataclasses only) so validating a config never
    imports pysnmp or paramiko; the implementation is imported when a module of this prober is first probed."""

    name: str
    settings_module: str
    """Defines ``Settings`` (the module block under the prober's name) and ``Auth`` (its auths entries, or None)."""
    implementation: str
    """Defines ``create(config: ExporterConfig) -> Prober``."""

    def settings_type(self) -> type[Any]:
        return cast(type[Any], importlib.import_module(self.settings_module).Settings)

    def auth_type(self) -> type[Any] | None:
        return cast(type[Any] | None, importlib.import_module(self.settings_module).Auth)

    def create(self, config: ExporterConfig) -> Prober:
        return cast(Prober, importlib.import_module(self.implementation).create(config))


PROBERS: Mapping[str, ProberSpec] = {
    spec.name: spec
    for spec in (
        ProberSpec("tcp", "inframind.exporters.probe.tcp", "inframind.exporters.probe.tcp"),
        ProberSpec("snmp", "inframind.exporters.snmp.settings", "inframind.exporters.snmp.prober"),
        ProberSpec("redfish", "inframind.exporters.redfish.settings", "inframind.exporters.redfish.prober"),
        ProberSpec("ipmi", "inframind.exporters.ipmi.settings", "inframind.exporters.ipmi.prober"),
        ProberSpec("ssh", "inframind.exporters.ssh.settings", "inframind.exporters.ssh.prober"),
    )
}
