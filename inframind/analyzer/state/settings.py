"""Which state backend to open, from ``analyzer.state`` (and ``analyzer.replicas`` for how replicas share it).

The settings themselves are config sections (inframind/config/analyzer.py); they are re-exported here because
the state package is where they are used.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from inframind.analyzer.state.base import StateStore
from inframind.analyzer.state.records import StateError
from inframind.config.analyzer import ReplicaSettings, StateSettings
from inframind.secrets import SecretError

__all__ = ["ReplicaSettings", "StateSettings", "open_state", "replica_settings", "state_settings"]


def state_settings(analyzer_config: Any) -> StateSettings:
    found = getattr(analyzer_config, "state", None)
    return found if isinstance(found, StateSettings) else StateSettings()


def replica_settings(analyzer_config: Any) -> ReplicaSettings:
    found = getattr(analyzer_config, "replicas", None)
    return found if isinstance(found, ReplicaSettings) else ReplicaSettings()


def open_state(settings: StateSettings, state_dir: str | Path) -> StateStore:
    """The configured backend, schema created; a StateError names what failed (never the DSN's secret).
    psycopg is imported only here, when PostgreSQL is configured."""
    if settings.backend == "postgres":
        from inframind.analyzer.state.postgres import PostgresState

        if settings.dsn is None:
            raise StateError("analyzer.state.backend is postgres but analyzer.state.dsn is not set")
        try:
            dsn = settings.dsn.resolve()
        except SecretError as exc:
            raise StateError(f"analyzer.state.dsn: {exc}") from None
        return PostgresState(dsn, settings.connect_timeout)
    from inframind.analyzer.state.sqlite import STATE_FILE, StateDB

    return StateDB(Path(state_dir) / STATE_FILE)
