"""POST /assets: registration in the caller's tenant, persisted in the state file, checked like inventory
entries, ids unique across tenants, and merged with the inventory when events are resolved."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from inframind.analyzer.assets import AssetDirectory, AssetRegistry
from tests.unit.test_ingest_api import ADMIN, BETA, NOW, Harness, harnesses


@pytest.fixture
def make(tmp_path: Path) -> Iterator[Callable[..., Harness]]:
    with harnesses(tmp_path) as factory:
        yield factory


@pytest.fixture
def app(make: Callable[..., Harness]) -> Harness:
    return make()


WS17 = {
    "id": "ws-17",
    "kind": "windows",
    "addresses": ["10.1.0.17", "WS-17.corp.example"],
    "labels": {"env": "prod"},
    "rack": "R9",
    "os": "Windows Server 2019",  # earlier agents send more; ignored
}


def test_register_answers_the_stored_asset_and_persists_it(app: Harness) -> None:
    response = app.post("/assets", WS17)
    assert response.status_code == 200
    assert response.json() == {
        "id": "ws-17",
        "kind": "windows",
        "tenant": "acme",
        "site": "",
        "rack": "R9",
        "role": "",
        "addresses": ["10.1.0.17", "WS-17.corp.example"],
        "labels": {"env": "prod"},
        "updated_at": "2026-11-26T12:00:00Z",
    }
    reopened = AssetRegistry(app.assets.path)
    try:
        found = reopened.resolve("ws-17.CORP.example", "acme")
        assert found is not None and found.asset.rack == "R9" and found.updated_at == NOW
        assert reopened.resolve("ws-17", "beta") is None
    finally:
        reopened.close()


def test_an_update_replaces_the_registration(app: Harness) -> None:
    app.post("/assets", WS17)
    moved = app.post("/assets", {"id": "ws-17", "kind": "windows", "addresses": ["10.2.0.17"], "rack": "R1"})
    assert moved.json()["addresses"] == ["10.2.0.17"]
    assert app.assets.resolve("10.1.0.17", "acme") is None
    found = app.assets.resolve("10.2.0.17", "acme")
    assert found is not None and found.asset.rack == "R1" and found.asset.labels == {}


def test_ids_belong_to_one_tenant(app: Harness) -> None:
    assert app.post("/assets", WS17).status_code == 200
    taken = app.post("/assets", WS17, token=BETA)
    assert taken.status_code == 409
    assert taken.json()["detail"] == "asset id 'ws-17' is registered by another tenant"
    curated = app.post("/assets", {"id": "srv-db-03"}, token=BETA)
    assert curated.status_code == 409
    assert curated.json()["detail"] == "asset id 'srv-db-03' belongs to another tenant in the inventory"
    assert app.post("/assets", {"id": "srv-db-03", "addresses": ["db3.lan"]}).status_code == 200


def test_only_admins_register_into_other_tenants(app: Harness) -> None:
    refused = app.post("/assets", {**WS17, "tenant": "beta"})
    assert refused.status_code == 403
    assert refused.json()["detail"] == "tenant 'beta' is not yours: this token registers into 'acme'"
    admin = app.post("/assets", {**WS17, "tenant": "beta"}, token=ADMIN)
    assert admin.json()["tenant"] == "beta"
    assert app.post("/assets", {**WS17, "tenant": "acme"}).status_code == 409


@pytest.mark.parametrize(
    ("body", "where", "message"),
    [
        ({"id": "bad id!"}, ["body", "id"], "expected letters, digits"),
        ({"id": "ws-1", "labels": {"tenant": "x"}}, ["body", "labels", "tenant"], "reserved"),
        ({"id": "ws-1", "labels": {"9lives": "x"}}, ["body", "labels", "9lives"], "not a valid Prometheus label name"),
        ({"id": "ws-1", "kind": "toaster"}, ["body", "kind"], "Input should be 'host'"),
        ({"kind": "host"}, ["body", "id"], "Field required"),
    ],
)
def test_invalid_assets_are_422_naming_the_field(
    app: Harness, body: dict[str, object], where: list[str], message: str
) -> None:
    response = app.post("/assets", body)
    assert response.status_code == 422
    [problem] = response.json()["detail"]
    assert problem["loc"] == where and message in problem["msg"]


def test_events_resolve_through_registrations_after_the_inventory(app: Harness) -> None:
    app.post("/assets", WS17)
    app.post("/assets", {"id": "srv-db-03", "rack": "R-registered", "addresses": ["db3.lan"]})
    events = [
        {"asset_id": "WS-17.corp.example", "message": "a", "timestamp": "2026-11-26T11:00:00Z"},
        {"asset_id": "db3.lan", "message": "b", "timestamp": "2026-11-26T11:00:00Z"},
        {"asset_id": "srv-db-03", "message": "c", "timestamp": "2026-11-26T11:00:00Z"},
    ]
    assert app.post("/ingest/events", {"events": events}).json()["written"] == 3
    resolved = {e.message: e.asset_id for e in app.stored("acme")}
    assert resolved == {"a": "ws-17", "b": "srv-db-03", "c": "srv-db-03"}
    via_registration = AssetDirectory(app.inventory, app.assets).resolve("db3.lan", "acme")
    assert via_registration is not None and via_registration.rack == "R3"  # the inventory stays the curated truth


def test_a_broken_state_file_is_503(make: Callable[..., Harness]) -> None:
    app = make()
    app.assets.close()
    response = app.post("/assets", WS17)
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "5"
    app.assets = AssetRegistry(app.assets.path)  # so the harness can close it
