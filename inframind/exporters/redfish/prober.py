"""The ``redfish`` prober: one BMC (iDRAC, iLO, XClarity, OpenBMC, AMI, ...) per call, read over Redfish.

A probe reads the service root (unreachable, refused, TLS, auth and a root that is not Redfish fail the
probe with a bounded reason), logs in, runs the module's sections concurrently over one client, and
logs out. A section that fails costs its own families and shows as
``inframind_redfish_scrape_collector_success{collector="storage"} 0``; ``probe_success`` stays 1. The
probe only reads: log entries are counted, never acknowledged or cleared.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlsplit

from prometheus_client.core import Metric

from inframind.config import ExporterConfig
from inframind.exporters.probe.base import ProbeError
from inframind.exporters.redfish import parse
from inframind.exporters.redfish.client import RedfishClient
from inframind.exporters.redfish.families import build_families
from inframind.exporters.redfish.parse import Json
from inframind.exporters.redfish.readings import Readings, SectionOutcome
from inframind.exporters.redfish.settings import Auth, Settings
from inframind.exporters.redfish.walk import SECTIONS, Walk
from inframind.secrets import SecretError

log = logging.getLogger(__name__)


def base_url(target: str, settings: Settings) -> str:
    """``https://host[:port]`` from ``host``, ``host:port``, ``[v6]:port`` or a URL (whose scheme wins)."""
    scheme: str = settings.scheme
    port = settings.port
    if "://" in target:
        parts = urlsplit(target)
        scheme, host = parts.scheme.lower(), parts.hostname or ""
        try:
            port = parts.port or port
        except ValueError:
            raise ProbeError("protocol", f"target {target!r}: the port must be a number") from None
    elif target.startswith("["):
        host, _, rest = target[1:].partition("]")
        port = int(rest[1:]) if rest[1:].isdigit() else port
    elif target.count(":") == 1:
        host, _, port_text = target.partition(":")
        if not port_text.isdigit():
            raise ProbeError("protocol", f"target {target!r}: the port must be a number")
        port = int(port_text)
    else:
        host = target
    if scheme not in ("http", "https") or not host:
        raise ProbeError("protocol", f"target {target!r}: expected host, host:port or an http(s) URL")
    netloc = f"[{host}]" if ":" in host else host
    return f"{scheme}://{netloc}" + (f":{port}" if port else "")


class RedfishProber:
    """Thread-safe: every probe has its own client, HTTP session and worker pool."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock

    def probe(self, target: str, settings: Settings, auth: Auth | None, timeout: float) -> list[Metric]:
        deadline = self.clock() + timeout
        url = base_url(target, settings)
        credentials = None
        if auth is not None:
            try:
                credentials = (auth.username, auth.password.resolve())
            except SecretError as exc:
                raise ProbeError("auth", f"{url}: {exc}") from None
        readings = Readings()
        with RedfishClient(url, settings, credentials, deadline, self.clock) as client:
            root = client.open()
            readings.service = parse.service_info(root)
            outcomes = self._sections(client, root, settings, readings)
            auth_method = client.auth_method
        return build_families(readings, outcomes, auth_method)

    def _sections(
        self, client: RedfishClient, root: Json, settings: Settings, readings: Readings
    ) -> list[SectionOutcome]:
        names = list(settings.sections)
        if not names:
            return []
        with ThreadPoolExecutor(len(names), thread_name_prefix="redfish-section") as sections:
            futures = [sections.submit(self._section, name, client, root, settings, readings) for name in names]
            return [f.result() for f in futures]

    def _section(
        self, name: str, client: RedfishClient, root: Json, settings: Settings, readings: Readings
    ) -> SectionOutcome:
        walk = Walk(client)
        start = self.clock()
        try:
            SECTIONS[name](walk, root, settings, readings)
        except Exception:  # a parser bug on one odd BMC must cost one section, never the probe
            log.exception("redfish section %s of %s failed unexpectedly", name, client.base_url)
            walk.failures.append("internal error")
        if walk.failures:
            log.debug("redfish section %s of %s: %s", name, client.base_url, "; ".join(walk.failures[:5]))
        return SectionOutcome(name, not walk.failures, self.clock() - start, walk.missing)

    def close(self) -> None:
        return None


def create(config: ExporterConfig) -> RedfishProber:
    return RedfishProber()
