"""Every write and every denied request reaches the audit log (with who, why, and nothing of the request's
body or query), and admins read, export and verify it over the API."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from inframind.analyzer.audit import AuditRecord, verify
from tests.helpers.apiv1 import World, build_world, headers


@pytest.fixture
def world(tmp_path: Path) -> World:
    return build_world(tmp_path)


def audit(world: World, **params: Any) -> list[dict[str, Any]]:
    answer = world.client.get("/api/v1/audit", headers=headers("admin"), params=params)
    assert answer.status_code == 200, answer.text
    return list(answer.json()["items"])


def test_writes_are_recorded_whatever_their_outcome(world: World) -> None:
    body = {"address": "10.0.2.7", "kind": "tcp", "labels": {"secret_note": "hunter2"}}
    assert world.client.post("/api/v1/targets", headers=headers("acme-operator"), json=body).status_code == 201
    assert world.client.post("/api/v1/targets", headers=headers("acme-operator"), json=body).status_code == 409
    assert world.client.post("/api/v1/targets?x=hunter2", headers=headers("acme-operator"), json={}).status_code == 422
    records = audit(world, action="POST ")
    assert [(r["actor"], r["role"], r["tenant"], r["status"], r["outcome"]) for r in reversed(records)] == [
        ("acme-operator", "operator", "acme", 201, "ok"),
        ("acme-operator", "operator", "acme", 409, "failed"),
        ("acme-operator", "operator", "acme", 422, "failed"),
    ]
    assert {r["action"] for r in records} == {"POST /api/v1/targets"}
    assert all(r["target"] == "/api/v1/targets" and r["client"] == "testclient" for r in records)
    assert "hunter2" not in json.dumps(records)


def test_denied_requests_say_who_and_why(world: World) -> None:
    client = world.client
    assert client.get("/api/v1/assets").status_code == 401
    assert client.get("/api/v1/assets", headers={"Authorization": "Bearer not-a-token"}).status_code == 401
    assert client.post("/api/v1/targets", headers=headers("acme-viewer"), json={}).status_code == 403
    assert client.get("/api/v1/audit", headers=headers("acme-operator")).status_code == 403
    assert client.get("/api/v1/assets?tenant=globex", headers=headers("acme-viewer")).status_code == 403
    denied = list(reversed(audit(world, outcome="denied")))
    assert [(r["actor"], r["detail"], r["action"]) for r in denied] == [
        ("-", "missing_token", "GET /api/v1/assets"),
        ("-", "unknown_token", "GET /api/v1/assets"),
        ("acme-viewer", "forbidden", "POST /api/v1/targets"),
        ("acme-operator", "forbidden", "GET /api/v1/audit"),
        ("acme-viewer", "forbidden", "GET /api/v1/assets"),
    ]
    assert "not-a-token" not in json.dumps(denied)


def test_reads_are_not_recorded_beyond_the_login(world: World) -> None:
    for _ in range(3):
        assert world.client.get("/api/v1/assets", headers=headers("acme-viewer")).status_code == 200
    assert world.client.get("/health").status_code == 200
    assert [(r["actor"], r["action"]) for r in audit(world)] == [("acme-viewer", "auth.login")]


def test_export_is_verifiable_jsonl_and_verify_finds_tampering(world: World, tmp_path: Path) -> None:
    assert world.client.get("/api/v1/whoami", headers=headers("admin")).status_code == 200  # seq 1: the login
    for n in range(3):
        world.client.post("/api/v1/targets", headers=headers("acme-operator"), json={"address": f"h{n}", "kind": "tcp"})
    answer = world.client.get("/api/v1/audit/export", headers=headers("admin"))
    assert answer.status_code == 200 and answer.headers["content-type"] == "application/x-ndjson"
    records = [AuditRecord(**json.loads(line)) for line in answer.text.splitlines()]
    assert [r.seq for r in records] == [1, 2, 3, 4] and records[0].action == "auth.login"
    assert world.deps.audit is not None and verify(records, world.deps.audit.verify().anchor).ok
    status = world.client.get("/api/v1/audit/verify", headers=headers("admin")).json()
    assert status["ok"] and status["records"] == 4 and status["head"] == records[-1].hash
    db = sqlite3.connect(tmp_path / "analysis.db")
    db.execute("UPDATE audit SET status = 200 WHERE seq = 2")
    db.commit()
    status = world.client.get("/api/v1/audit/verify", headers=headers("admin")).json()
    assert not status["ok"] and status["problem"] == "record 2: content does not match its hash"


def test_audit_records_are_counted(world: World) -> None:
    world.client.get("/api/v1/assets")
    metrics = world.client.get("/metrics", headers=headers("acme-viewer")).text
    assert 'inframind_analyzer_audit_records_total{outcome="denied"} 1.0' in metrics
