"""`inframind analyzer` as a process opens what the ingest API needs from config: the log store it writes
events into, the state file with registered assets, and the inventory it resolves assets through."""

from __future__ import annotations

import datetime as dt
import signal
import sys
from pathlib import Path

import pytest
import requests
import yaml

from inframind.analyzer.assets import AssetRegistry
from inframind.config import SQLiteStoreSettings
from inframind.events import LogEvent
from inframind.logstore import Query
from inframind.logstore.sqlite import SQLiteStore
from inframind.tokens import generate_token
from tests.helpers.procs import Server, free_port

pytestmark = pytest.mark.integration


def test_the_analyzer_process_ingests_into_the_configured_stores(tmp_path: Path) -> None:
    token, token_hash = generate_token()
    inventory = {"defaults": {"tenant": "acme"}, "assets": [{"id": "srv-1", "kind": "host", "addresses": ["10.0.0.1"]}]}
    (tmp_path / "inventory.yml").write_text(yaml.safe_dump(inventory))
    config = {
        "inventory": "inventory.yml",
        "analyzer": {"tokens": [{"name": "agent", "hash": token_hash, "role": "operator", "tenant": "acme"}]},
        "logstore": {"type": "sqlite", "sqlite": {"path": str(tmp_path / "logs.db")}},
    }
    (tmp_path / "inframind.yml").write_text(yaml.safe_dump(config))
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    server = Server(
        "analyzer-ingest",
        [
            sys.executable,
            "-m",
            "inframind.cli",
            "analyzer",
            "--config",
            "inframind.yml",
            "--listen",
            f"127.0.0.1:{port}",
        ],
        tmp_path,
        cwd=tmp_path,
    )
    headers = {"Authorization": f"Bearer {token}"}
    try:
        server.wait_http(url + "/health")
        event = LogEvent(dt.datetime(2026, 11, 26, 12, tzinfo=dt.UTC), "file", "error", "disk full", host="10.0.0.1")
        logs = requests.post(url + "/api/v1/logs", json={"events": [event.to_dict()]}, headers=headers, timeout=10)
        assert logs.json() == {"written": 1, "duplicates": 0, "rejected": []}
        asset = requests.post(
            url + "/assets", json={"id": "ws-9", "addresses": ["ws9.lan"]}, headers=headers, timeout=10
        )
        assert asset.json()["tenant"] == "acme"
        legacy = [
            {"asset_id": "ws9.lan", "message": "hello", "timestamp": "2026-11-26T12:00:01Z"},
            {"asset_id": "10.0.0.1", "message": "from the inventory", "timestamp": "2026-11-26T12:00:02Z"},
        ]
        answer = requests.post(url + "/ingest/events", json={"events": legacy}, headers=headers, timeout=10)
        assert answer.json()["written"] == 2
        server.proc.send_signal(signal.SIGTERM)
        assert server.proc.wait(15) == 0, server.log_tail()
    finally:
        server.stop()
    store = SQLiteStore(SQLiteStoreSettings(path=str(tmp_path / "logs.db")))
    registry = AssetRegistry(tmp_path / "var" / "analyzer" / "state.db")
    try:
        stored = {e.message: e for e in store.search(Query(tenant="acme")).events}
        assert set(stored) == {"disk full", "hello", "from the inventory"}
        assert stored["hello"].asset_id == "ws-9"
        assert stored["from the inventory"].asset_id == "srv-1"
        found = registry.resolve("ws-9", "acme")
        assert found is not None and found.asset.addresses == ("ws9.lan",)
    finally:
        store.close()
        registry.close()
