"""Where log events are stored: SQLite on one machine (default) or an OpenSearch cluster at scale."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal

from inframind.schema import Duration, PathKey
from inframind.secrets import SecretRef


@dataclass(frozen=True)
class SQLiteStoreSettings:
    path: str = "var/logs.db"
    retention: Duration = 30 * 86400.0
    """Events older than this (by timestamp) are deleted."""
    max_bytes: int = 10 * 2**30
    """When the database grows past this, the oldest events are deleted first."""
    busy_timeout: Duration = 10.0
    """How long a write waits for another process's lock before it fails (the agent then buffers)."""


@dataclass(frozen=True)
class OpenSearchStoreSettings:
    hosts: tuple[str, ...] = ("https://127.0.0.1:9200",)
    username: str | None = None
    password: SecretRef | None = None
    verify_certs: bool = True
    ca_certs: str | None = None
    index_prefix: str = "inframind-logs"
    """Daily indices ``<prefix>-YYYY.MM.DD`` under one index template."""
    retention_days: int = 30
    shards: int = 1
    replicas: int = 1
    timeout: Duration = 30.0
    max_retries: int = 5
    """Retries of a bulk request on 429 and 5xx answers, with exponential backoff."""
    read_lag: Duration = 2.0
    """Cursor reads only return documents stored at least this long ago: longer than the refresh
    interval plus bulk latency plus clock skew between writers, so no document is skipped."""

    def check(self) -> Iterator[tuple[PathKey, str]]:
        if not self.hosts:
            yield ("hosts",), "give at least one OpenSearch URL"
        if (self.username is None) != (self.password is None):
            yield ("password",), "username and password go together"
        if self.retention_days < 1:
            yield ("retention_days",), "must be at least 1"


@dataclass(frozen=True)
class LogStoreConfig:
    type: Literal["sqlite", "opensearch"] = "sqlite"
    sqlite: SQLiteStoreSettings = SQLiteStoreSettings()
    opensearch: OpenSearchStoreSettings = OpenSearchStoreSettings()
