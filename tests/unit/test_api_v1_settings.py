"""open_api_v1: the analyzer's stores for the REST API opened from config, the audit log in the state store's
table when one is handed over, the credential key from the environment (and none: credentials refused)."""

from __future__ import annotations

from contextlib import ExitStack
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from fastapi.testclient import TestClient
from prometheus_client import CollectorRegistry

from inframind.analyzer.api import Deps, create_app
from inframind.analyzer.api_settings import open_api_v1
from inframind.analyzer.state import StateDB
from inframind.config import AnalyzerConfig, Config
from tests.helpers.apiv1 import NOW, api_tokens, headers

BODY = {"address": "10.0.2.7", "kind": "redfish", "credential": {"username": "u", "password": "p"}}


def config(tmp_path: Path) -> Config:
    return Config(analyzer=AnalyzerConfig(state_dir=str(tmp_path), tokens=api_tokens()))


def test_the_audit_log_is_the_state_stores_table(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("INFRAMIND_SECRET_KEY", Fernet.generate_key().decode())
    cfg, state = config(tmp_path), StateDB(tmp_path / "analysis.db")
    with ExitStack() as resources:
        deps = Deps(registry=CollectorRegistry(), clock=lambda: NOW)
        open_api_v1(cfg, deps, resources, kv_get=state.get, feedback=state.feedback, state=state)
        client = TestClient(create_app(cfg.analyzer, deps))
        assert client.post("/api/v1/targets", headers=headers("acme-operator"), json=BODY).status_code == 201
        assert deps.templates is not None and deps.feedback_reader is state.feedback
    entries = state.audit.list()
    assert [(e.event.actor, e.event.action, e.event.status) for e in entries] == [
        ("acme-operator", "POST /api/v1/targets", 201)
    ]
    assert state.audit.verify_chain().ok
    assert (tmp_path / "targets.db").exists() and not (tmp_path / "audit.db").exists()


def test_without_a_key_credentials_are_refused_and_the_audit_log_has_its_own_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("INFRAMIND_SECRET_KEY", raising=False)
    cfg = config(tmp_path)
    with ExitStack() as resources:
        deps = Deps(registry=CollectorRegistry(), clock=lambda: NOW)
        open_api_v1(cfg, deps, resources)
        client = TestClient(create_app(cfg.analyzer, deps))
        answer = client.post("/api/v1/targets", headers=headers("acme-operator"), json=BODY)
        assert answer.status_code == 409 and "INFRAMIND_SECRET_KEY" in answer.json()["detail"]
        audit = client.get("/api/v1/audit", headers=headers("admin")).json()
        assert [(r["status"], r["outcome"]) for r in audit["items"]] == [(409, "failed")]
        assert deps.templates is None and deps.feedback_reader is None
    assert (tmp_path / "audit.db").exists()


def test_a_malformed_key_is_a_startup_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("INFRAMIND_SECRET_KEY", "not-a-fernet-key")
    with ExitStack() as resources, pytest.raises(OSError, match="INFRAMIND_SECRET_KEY is not a Fernet key"):
        open_api_v1(config(tmp_path), Deps(registry=CollectorRegistry()), resources)
