"""Agentless targets by API: create/list/update/delete, credentials sealed at rest (refused without a key),
http_sd merging the inventory's and the API's targets, the audited credential lookup, and key rotation."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest
from cryptography.fernet import Fernet

from inframind.analyzer.targets_api import rotate_credentials
from inframind.secretstore import SecretBox
from tests.helpers.apiv1 import World, build_world, headers

PASSWORD = "Sup3r-S3cret-BMC"
BMC = {"address": "10.0.2.7", "kind": "redfish", "interval": 30, "labels": {"room": "b1"},
       "credential": {"username": "monitor", "password": PASSWORD}}  # fmt: skip


@pytest.fixture
def world(tmp_path: Path) -> World:
    return build_world(tmp_path)


def call(world: World, method: str, url: str, who: str = "acme-operator", body: Any = None) -> tuple[int, Any]:
    answer = world.client.request(method, url, headers=headers(who), json=body)
    return answer.status_code, (answer.json() if answer.content else None)


def test_create_list_update_delete(world: World) -> None:
    status, created = call(world, "POST", "/api/v1/targets", body=BMC)
    assert status == 201, created
    tid = created["id"]
    assert created["module"] == "redfish" and created["tenant"] == "acme" and created["asset"] == "10.0.2.7"
    assert created["auth"] == f"api:{tid}" and created["credential"] == {
        "stored": True,
        "fields": ["password", "username"],
    }
    assert PASSWORD not in str(created)
    listed = call(world, "GET", "/api/v1/targets?source=api", "acme-viewer")[1]
    assert [t["id"] for t in listed["items"]] == [tid] and listed["total"] == 1
    assert call(world, "GET", "/api/v1/targets", "globex-viewer")[1]["total"] == 0
    assert call(world, "GET", f"/api/v1/targets/{tid}", "globex-operator")[0] == 404

    change = {k: v for k, v in BMC.items() if k != "credential"} | {"interval": 120, "labels": {"room": "b2"}}
    status, updated = call(world, "PUT", f"/api/v1/targets/{tid}", body=change)
    assert status == 200 and updated["interval"] == 120 and updated["labels"] == {"room": "b2"}
    assert updated["credential"]["stored"] is True, "a credential left out on PUT is kept"
    status, cleared = call(world, "PUT", f"/api/v1/targets/{tid}", body=change | {"credential": None})
    assert status == 200 and cleared["credential"] is None and cleared["auth"] is None

    assert call(world, "DELETE", f"/api/v1/targets/{tid}", "acme-viewer")[0] == 403
    assert call(world, "DELETE", f"/api/v1/targets/{tid}")[0] == 204
    assert call(world, "GET", f"/api/v1/targets/{tid}")[0] == 404


def test_credentials_are_encrypted_at_rest_and_refused_without_a_key(world: World, tmp_path: Path) -> None:
    tid = call(world, "POST", "/api/v1/targets", body=BMC)[1]["id"]
    raw = (tmp_path / "targets.db").read_bytes()
    assert PASSWORD.encode() not in raw and b"monitor" not in raw
    sealed = sqlite3.connect(tmp_path / "targets.db").execute("SELECT credential FROM api_targets").fetchone()[0]
    assert world.key is not None
    assert PASSWORD in Fernet(world.key.encode()).decrypt(sealed.encode()).decode()
    assert tid

    keyless = build_world(tmp_path / "nokey", key=False)
    status, body = call(keyless, "POST", "/api/v1/targets", body=BMC)
    assert status == 409 and "no encryption key" in body["detail"]
    assert call(keyless, "GET", "/api/v1/targets?source=api")[1]["total"] == 0
    status, _ = call(keyless, "POST", "/api/v1/targets", body={"address": "10.0.2.8", "kind": "tcp"})
    assert status == 201, "a target without a credential needs no key"


def test_validation_names_the_field_and_why(world: World) -> None:
    status, body = call(world, "POST", "/api/v1/targets", body={**BMC, "credential": {"username": "x", "pasword": 1}})
    assert status == 422
    fields = {tuple(e["loc"]) for e in body["detail"]}
    assert ("body", "credential", "pasword") in fields or ("body", "credential", "password") in fields
    status, body = call(world, "POST", "/api/v1/targets", body={**BMC, "module": "if_mib"})
    assert status == 422 and body["detail"][0]["loc"] == ["body", "module"]
    assert "snmp prober, not redfish" in body["detail"][0]["msg"]
    status, body = call(world, "POST", "/api/v1/targets", body={**BMC, "labels": {"tenant": "globex"}})
    assert status == 422 and body["detail"][0]["loc"][:2] == ["body", "labels"]
    status, body = call(world, "POST", "/api/v1/targets", body={**BMC, "interval": 1})
    assert status == 422 and body["detail"][0]["loc"] == ["body", "interval"]
    assert PASSWORD not in str(body)


def test_duplicates_tenants_and_inventory_conflicts(world: World) -> None:
    assert call(world, "POST", "/api/v1/targets", body=BMC)[0] == 201
    assert call(world, "POST", "/api/v1/targets", body=BMC)[0] == 409
    status, body = call(world, "POST", "/api/v1/targets", body={"address": "10.0.1.1", "kind": "redfish"})
    assert status == 409 and "bmc-r3-01" in body["detail"]
    assert call(world, "POST", "/api/v1/targets", body={**BMC, "tenant": "globex"})[0] == 403
    status, made = call(world, "POST", "/api/v1/targets", "admin", body={**BMC, "tenant": "globex"})
    assert status == 201 and made["tenant"] == "globex"


def test_http_sd_merges_inventory_and_api_targets(world: World) -> None:
    tid = call(world, "POST", "/api/v1/targets", body=BMC)[1]["id"]
    status, groups = call(world, "GET", "/api/v1/targets/http_sd", "acme-viewer")
    assert status == 200
    by_device = {g["labels"]["__param_target"]: g for g in groups}
    assert set(by_device) == {"10.0.1.1", "10.0.2.7"}
    inventory, api = by_device["10.0.1.1"]["labels"], by_device["10.0.2.7"]["labels"]
    assert inventory["__param_auth"] == "idrac" and inventory["asset"] == "bmc-r3-01"
    assert api["__param_auth"] == f"api:{tid}" and api["__scrape_interval__"] == "30s"
    assert api["__metrics_path__"] == "/probe" and api["room"] == "b1" and api["tenant"] == "acme"
    assert by_device["10.0.2.7"]["targets"] == ["127.0.0.1:10121"]
    assert PASSWORD not in str(groups)
    assert call(world, "GET", "/api/v1/targets/http_sd", "globex-viewer")[1] == []


def test_auth_lookup_is_operator_only_tenant_scoped_and_audited(world: World) -> None:
    tid = call(world, "POST", "/api/v1/targets", body=BMC)[1]["id"]
    answer = world.client.get(f"/api/v1/auths/api:{tid}", headers=headers("acme-operator"))
    assert answer.status_code == 200 and answer.headers["cache-control"] == "no-store"
    assert answer.json() == {"name": f"api:{tid}", "type": "redfish", "tenant": "acme",
                             "settings": {"username": "monitor", "password": PASSWORD}}  # fmt: skip
    assert call(world, "GET", f"/api/v1/auths/{tid}", "acme-viewer")[0] == 403
    assert call(world, "GET", f"/api/v1/auths/{tid}", "globex-operator")[0] == 404
    records = call(world, "GET", "/api/v1/audit?action=secret.read", "admin")[1]["items"]
    assert [(r["actor"], r["outcome"], r["status"]) for r in reversed(records)] == [
        ("acme-operator", "ok", 200),
        ("acme-viewer", "denied", 403),
        ("globex-operator", "failed", 404),
    ]
    assert all(r["target"] == f"/api/v1/auths/{tid}" for r in records[:2])


def test_rotation_reencrypts_with_the_new_primary_key(world: World) -> None:
    call(world, "POST", "/api/v1/targets", body=BMC)
    assert world.key is not None and world.deps.api_targets is not None
    store = world.deps.api_targets.store
    new = Fernet.generate_key()
    box = SecretBox([new, world.key.encode()])
    assert rotate_credentials(store, box) == (1, 0)
    assert rotate_credentials(store, box) == (0, 1)
    sealed = next(iter(store.all_sealed()))[1]
    assert SecretBox([new]).open(sealed)["password"] == PASSWORD


def test_inventory_and_api_targets_are_listed_together(world: World) -> None:
    tids = [call(world, "POST", "/api/v1/targets", body={"address": f"10.0.3.{n}", "kind": "tcp"})[1]["id"]
            for n in range(3)]  # fmt: skip
    listed = call(world, "GET", "/api/v1/targets", "acme-viewer")[1]
    assert [(t["id"], t["source"]) for t in listed["items"]] == [("inventory:bmc-r3-01", "inventory")] + [
        (tid, "api") for tid in tids
    ]
    curated = listed["items"][0]
    assert curated["kind"] == "redfish" and curated["auth"] == "idrac" and curated["address"] == "10.0.1.1"
    second = call(world, "GET", "/api/v1/targets?limit=2&offset=1")[1]
    assert [t["id"] for t in second["items"]] == tids[:2] and second["total"] == 4 and second["next_offset"] == 3
    first = call(world, "GET", "/api/v1/targets?limit=1")[1]
    assert [t["id"] for t in first["items"]] == ["inventory:bmc-r3-01"] and first["total"] == 4
    assert call(world, "GET", "/api/v1/targets?source=inventory")[1]["total"] == 1
    assert call(world, "GET", "/api/v1/targets?kind=tcp")[1]["total"] == 3
    assert call(world, "GET", "/api/v1/targets", "globex-viewer")[1]["total"] == 0
    status, body = call(world, "DELETE", "/api/v1/targets/inventory:bmc-r3-01")
    assert status == 404 and "changed in the inventory (git)" in body["detail"]
