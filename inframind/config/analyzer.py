"""The analyzer's settings: its API address and the API tokens (hashes only) with roles and tenants."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal

from inframind.schema import Duration, HostPort, PathKey

ANALYZER_PORT = 8050
Role = Literal["viewer", "operator", "admin"]
ROLES: tuple[Role, ...] = ("viewer", "operator", "admin")


_TOKEN_HASH = re.compile(r"^sha256:[0-9a-f]{64}$")


@dataclass(frozen=True)
class ApiToken:
    """An API token as stored in config: only its SHA-256, never the token itself."""

    name: str
    hash: str
    role: Role = "viewer"
    tenant: str = "default"
    expires: dt.datetime | None = None

    def check(self) -> Iterator[tuple[PathKey, str]]:
        if not _TOKEN_HASH.match(self.hash):
            yield ("hash",), "expected sha256:<64 hex digits>; create one with `inframind tokens generate`"


@dataclass(frozen=True)
class IngestSettings:
    """Limits of the ingest API (POST /api/v1/logs, /ingest/events)."""

    max_body_bytes: int = 10 * 2**20
    max_events: int = 10_000
    max_message_bytes: int = 2**20

    def check(self) -> Iterator[tuple[PathKey, str]]:
        for name in ("max_body_bytes", "max_events", "max_message_bytes"):
            if getattr(self, name) < 1:
                yield (name,), "must be at least 1"


@dataclass(frozen=True)
class LogAnalysisSettings:
    """How the analyzer turns the log stream into findings."""

    enabled: bool = True
    rules: tuple[str, ...] = ("rules/logs/*.yml",)
    """Log rule files (globs; a directory means its ``*.yml``)."""
    interval: Duration = 60.0
    """Cadence of the loop: read what is new, mine it, evaluate rules and detectors, persist."""
    batch: int = 5000
    """Events per log-store read."""
    max_cycle_events: int = 200_000
    """At most this many events per cycle, so a backlog is worked off in steps that each commit."""
    parallel_lines: int = 20_000
    """Mine sources in parallel processes when a cycle has at least this many lines over two or more sources."""
    workers: int = 0
    """Processes for parallel mining (0: one per CPU)."""
    warmup: Duration = 86400.0
    """New templates: a (tenant, source) learns silently this long after its first event."""
    asset_warmup: Duration = 3600.0
    """New templates: an asset new to a source learns silently this long."""
    grace: Duration = 300.0
    """New templates: wait this long before reporting, so early over-splits of the miner can heal."""
    repeat_window: Duration = 900.0
    repeat_count: int = 10
    """Repeated errors: this many events of one error template within ``repeat_window`` make one finding."""
    top_n: int = 10
    """Template rate gauges: the busiest templates per asset."""
    rate_window: Duration = 300.0
    """Template rate gauges: events per second over this window."""
    snapshot_every: Duration = 900.0
    """Write the miners' state at least this often while lines flow (always when templates changed)."""

    def check(self) -> Iterator[tuple[PathKey, str]]:
        for name in ("batch", "max_cycle_events", "parallel_lines", "repeat_count", "top_n"):
            if getattr(self, name) < 1:
                yield (name,), "must be at least 1"
        for name in ("interval", "grace", "repeat_window", "rate_window"):
            if getattr(self, name) <= 0:
                yield (name,), "must be positive"
        if self.workers < 0:
            yield ("workers",), "must be 0 (one per CPU) or more"
        if not self.rules:
            yield ("rules",), "name at least one rule file or glob, e.g. rules/logs/*.yml"


@dataclass(frozen=True)
class AnalyzerConfig:
    listen: HostPort = HostPort("127.0.0.1", ANALYZER_PORT)
    tokens: tuple[ApiToken, ...] = ()
    public_metrics: bool = True
    """Serve /metrics without a token (the usual exporter convention; scrape it over a trusted network)."""
    state_dir: str = "var/analyzer"
    """The analyzer's own state (registered assets, findings, cursors) lives here."""
    victoriametrics_url: str = "http://127.0.0.1:8428"
    """The metrics store: queried by detectors, and where /ingest/events samples are imported."""
    ingest: IngestSettings = IngestSettings()
    logs: LogAnalysisSettings = LogAnalysisSettings()

    def check(self) -> Iterator[tuple[PathKey, str]]:
        if not self.victoriametrics_url.startswith(("http://", "https://")):
            yield ("victoriametrics_url",), "expected an http:// or https:// URL"
        seen: dict[str, int] = {}
        for i, token in enumerate(self.tokens):
            if token.name in seen:
                yield ("tokens", i, "name"), f"duplicate token name {token.name!r} (also tokens[{seen[token.name]}])"
            seen.setdefault(token.name, i)
