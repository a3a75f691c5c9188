"""The analyzer's settings: its API address and the API tokens (hashes only) with roles and tenants."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal

from inframind.schema import HostPort, PathKey

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

    def check(self) -> Iterator[tuple[PathKey, str]]:
        if not self.victoriametrics_url.startswith(("http://", "https://")):
            yield ("victoriametrics_url",), "expected an http:// or https:// URL"
        seen: dict[str, int] = {}
        for i, token in enumerate(self.tokens):
            if token.name in seen:
                yield ("tokens", i, "name"), f"duplicate token name {token.name!r} (also tokens[{seen[token.name]}])"
            seen.setdefault(token.name, i)
