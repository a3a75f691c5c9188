"""Log stores: the LogStore protocol, SQLite (embedded default) and OpenSearch (at scale).

Shared ground: the agent writes through it, the analyzer reads through it; neither backend is imported
until :func:`open_store` needs it.
"""

from __future__ import annotations

from inframind.config import LogStoreConfig
from inframind.logstore.base import (
    GROUP_FIELDS,
    Bucket,
    GroupField,
    LogStore,
    LogStoreError,
    Page,
    Query,
    WriteResult,
)

__all__ = [
    "GROUP_FIELDS",
    "Bucket",
    "GroupField",
    "LogStore",
    "LogStoreError",
    "Page",
    "Query",
    "WriteResult",
    "open_store",
]


def open_store(config: LogStoreConfig) -> LogStore:
    """The configured store, ready to use (schema or index template created if missing)."""
    if config.type == "opensearch":
        from inframind.logstore.opensearch import OpenSearchStore

        return OpenSearchStore(config.opensearch, read_lag=config.opensearch.read_lag)
    from inframind.logstore.sqlite import SQLiteStore

    return SQLiteStore(config.sqlite)
