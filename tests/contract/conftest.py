"""Fixtures for the LogStore and state-store contracts: one fresh store per test, for every implementation.

``store`` is parametrized over the backends, so every test in the contract suite runs against each:
SQLite in a temporary file, OpenSearch as the osmem-server emulator (one process for the session, stopped
by its PID; each store gets its own index prefix). The OpenSearch store is opened with ``read_lag=0`` and
``refresh_on_write``: the contract is about what is stored, and the lag has its own tests.

``state_backend`` does the same for the analyzer's state store: SQLite in a temporary file, PostgreSQL as a
private cluster on 127.0.0.1 (one for the session, stopped by its PID) with a fresh schema per test.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from inframind.analyzer.state import StateDB, StateStore
from inframind.analyzer.state.postgres import PostgresState
from inframind.config import SQLiteStoreSettings
from inframind.logstore.base import LogStore
from inframind.logstore.opensearch import OpenSearchStore
from inframind.logstore.sqlite import SQLiteStore
from tests.contract.sample import Backend
from tests.helpers.opensearch import start_osmem, store_settings
from tests.helpers.postgres import PostgresCluster, postgres_cluster
from tests.helpers.servers import Running

BACKENDS = ("sqlite", pytest.param("opensearch", marks=pytest.mark.integration))
STATE_BACKENDS = ("sqlite", pytest.param("postgres", marks=pytest.mark.integration))
__all__ = ["postgres_cluster"]


@pytest.fixture(scope="session")
def opensearch_emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    server = start_osmem(tmp_path_factory.mktemp("osmem"))
    yield server
    server.stop()


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backend]:
    name: str = request.param
    if name == "sqlite":
        # events of fixed past dates: retention must not age them out against the real clock
        sqlite_settings = SQLiteStoreSettings(path=str(tmp_path / "logs.db"), retention=100 * 365 * 86400.0)
        found = Backend(name, lambda: SQLiteStore(sqlite_settings))
    else:
        emulator: Running = request.getfixturevalue("opensearch_emulator")
        # The suite's events are dated March 2026: a long retention keeps open-time retention off them.
        os_settings = store_settings(emulator.url, retention_days=3650)
        found = Backend(name, lambda: OpenSearchStore(os_settings, read_lag=0.0, refresh_on_write=True))
    yield found
    for store in found.opened:
        store.close()


@pytest.fixture
def store(backend: Backend) -> LogStore:
    """A fresh, empty store of the backend under test."""
    return backend.open()


@dataclass
class StateBackend:
    """Opens state stores on one fresh database (each ``open()`` is another connection, as another replica)."""

    name: str
    connect: Callable[[], StateStore]
    opened: list[StateStore] = field(default_factory=list)

    def open(self) -> StateStore:
        store = self.connect()
        self.opened.append(store)
        return store


@pytest.fixture(params=STATE_BACKENDS)
def state_backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[StateBackend]:
    name: str = request.param
    if name == "sqlite":
        found = StateBackend(name, lambda: StateDB(tmp_path / "analysis.db"))
    else:
        cluster: PostgresCluster = request.getfixturevalue("postgres_cluster")
        dsn = cluster.fresh_dsn()
        found = StateBackend(name, lambda: PostgresState(dsn))
    yield found
    for opened in found.opened:
        opened.close()


@pytest.fixture
def state(state_backend: StateBackend) -> StateStore:
    """A fresh, empty state store of the backend under test."""
    return state_backend.open()
