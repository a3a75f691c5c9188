"""Fixtures for the LogStore contract: one fresh store per test, for every implementation.

``store`` is parametrized over the backends, so every test in the contract suite runs against each:
SQLite in a temporary file, OpenSearch as the osmem-server emulator (one process for the session, stopped
by its PID; each store gets its own index prefix). The OpenSearch store is opened with ``read_lag=0`` and
``refresh_on_write``: the contract is about what is stored, and the lag has its own tests.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from inframind.config import SQLiteStoreSettings
from inframind.logstore.base import LogStore
from inframind.logstore.opensearch import OpenSearchStore
from inframind.logstore.sqlite import SQLiteStore
from tests.contract.sample import Backend
from tests.helpers.opensearch import start_osmem, store_settings
from tests.helpers.servers import Running

BACKENDS = ("sqlite", pytest.param("opensearch", marks=pytest.mark.integration))


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
