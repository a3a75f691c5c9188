"""Every route of the analyzer app, called as two tenants: neither ever sees or changes the other's data.

The app is the real one over real SQLite stores (tests/helpers/apiv1.py); routes are enumerated from the app
itself, so a new route is covered (and a route this table does not know fails the build).
"""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path
from typing import Any

import pytest
from fastapi.routing import APIRoute

from inframind.analyzer.auth import POLICY_KEY, api_routes
from inframind.events import LogEvent
from tests.helpers.apiv1 import NOW, World, build_world, headers

EXPECTED_POLICY: dict[tuple[str, str], str] = {
    ("GET", "/alerts"): "viewer",
    ("POST", "/api/v1/alertmanager/webhook"): "operator",
    ("GET", "/api/v1/anomalies"): "viewer",
    ("GET", "/api/v1/assets"): "viewer",
    ("GET", "/api/v1/assets/{asset_id}"): "viewer",
    ("GET", "/api/v1/assets/{asset_id}/risk"): "viewer",
    ("GET", "/api/v1/audit"): "admin",
    ("GET", "/api/v1/audit/export"): "admin",
    ("GET", "/api/v1/audit/verify"): "admin",
    ("GET", "/api/v1/auths/{name}"): "operator",
    ("GET", "/api/v1/explain/{fingerprint}"): "viewer",
    ("GET", "/api/v1/feedback"): "viewer",
    ("GET", "/api/v1/feedback/link/{token}"): "public",
    ("POST", "/api/v1/feedback/link/{token}"): "public",
    ("GET", "/api/v1/findings"): "viewer",
    ("GET", "/api/v1/findings/{fingerprint}"): "viewer",
    ("GET", "/api/v1/findings/{fingerprint}/recommendation"): "viewer",
    ("GET", "/api/v1/forecasts"): "viewer",
    ("GET", "/api/v1/incidents"): "viewer",
    ("GET", "/api/v1/incidents/{incident_id}"): "viewer",
    ("GET", "/api/v1/incidents/{incident_id}/rca"): "viewer",
    ("POST", "/api/v1/logs"): "operator",
    ("POST", "/api/v1/relay/telegram"): "operator",
    ("GET", "/api/v1/targets"): "viewer",
    ("POST", "/api/v1/targets"): "operator",
    ("GET", "/api/v1/targets/http_sd"): "viewer",
    ("DELETE", "/api/v1/targets/{target_id}"): "operator",
    ("GET", "/api/v1/targets/{target_id}"): "viewer",
    ("PUT", "/api/v1/targets/{target_id}"): "operator",
    ("GET", "/api/v1/templates"): "viewer",
    ("GET", "/api/v1/whoami"): "viewer",
    ("GET", "/assets"): "viewer",
    ("POST", "/assets"): "operator",
    ("GET", "/assets/{asset_id}/events"): "viewer",
    ("GET", "/assets/{asset_id}/recommendation"): "viewer",
    ("GET", "/health"): "public",
    ("POST", "/ingest/events"): "operator",
    ("GET", "/insights"): "viewer",
    ("GET", "/metrics"): "public",
    ("GET", "/overview"): "viewer",
}
"""Each route's required role. A new route must be added here, with the role its data calls for."""

BELOW = {"operator": "acme-viewer", "admin": "acme-operator"}
PARAM = re.compile(r"\{(\w+)\}")


@pytest.fixture
def world(tmp_path: Path) -> World:
    return build_world(tmp_path)


def _routes(world: World) -> list[tuple[str, APIRoute]]:
    routes = api_routes(world.client.app.routes)  # type: ignore[attr-defined]
    return [(m, r) for r in routes for m in sorted(r.methods or ())]


def test_every_route_requires_exactly_the_role_in_the_table(world: World) -> None:
    actual = {(m, r.path): (r.openapi_extra or {}).get(POLICY_KEY) for m, r in _routes(world)}
    assert actual == EXPECTED_POLICY


def test_roles_are_enforced_by_the_one_layer_for_every_route(tmp_path: Path) -> None:
    world = build_world(tmp_path, auth_failure_limit=0)  # this test fails authentication on purpose, often
    for method, route in _routes(world):
        role = EXPECTED_POLICY[(method, route.path)]
        url = PARAM.sub("x", route.path)
        if role == "public":
            continue
        anonymous = world.client.request(method, url)
        assert anonymous.status_code == 401, (method, url)
        if role in BELOW:
            under = world.client.request(method, url, headers=headers(BELOW[role]), content=b"{}")
            assert under.status_code == 403, (method, url, under.text)


def _seed(world: World) -> dict[str, dict[str, str]]:
    """Objects of each tenant that routes can be asked about; returns ids per tenant."""
    made: dict[str, dict[str, str]] = {}
    for tenant, address in (("acme", "10.0.2.7"), ("globex", "10.9.2.7")):
        body = {"address": address, "kind": "redfish", "credential": {"username": "mon", "password": f"pw-{tenant}"}}
        created = world.client.post("/api/v1/targets", headers=headers(f"{tenant}-operator"), json=body)
        assert created.status_code == 201, created.text
        host = "srv-db-03" if tenant == "acme" else "gx-1"
        event = LogEvent(NOW - dt.timedelta(minutes=1), "syslog", "error", f"secret-of-{tenant} disk", host, host)
        sent = world.client.post(
            "/api/v1/logs", headers=headers(f"{tenant}-operator"), json={"events": [event.to_dict()]}
        )
        assert sent.status_code < 300, sent.text
        made[tenant] = {
            "target_id": created.json()["id"],
            "name": created.json()["id"],
            "asset_id": host,
            "fingerprint": world.fingerprints["db-burst" if tenant == "acme" else "gx"],
            "incident_id": "inc-none",
        }
    return made


def _markers(world: World, ids: dict[str, str], tenant: str) -> set[str]:
    extra = {"srv-web-01", "bmc-r3-01", world.fingerprints["web-rule"]} if tenant == "acme" else set()
    return {ids["target_id"], ids["asset_id"], ids["fingerprint"], f"secret-of-{tenant}", f"pw-{tenant}"} | extra


@pytest.mark.parametrize(("me", "other"), [("acme", "globex"), ("globex", "acme")])
def test_a_tenant_never_reads_or_changes_another_tenants_data(world: World, me: str, other: str) -> None:
    ids = _seed(world)
    theirs = _markers(world, ids[other], other)
    for method, route in _routes(world):
        role = EXPECTED_POLICY[(method, route.path)]
        if role in ("public", "admin"):
            continue  # public routes carry no tenant data; admins span tenants by design
        who = f"{me}-{'operator' if role == 'operator' else 'viewer'}"
        url = PARAM.sub(lambda m: ids[other].get(m.group(1), "x"), route.path)
        body: Any = {"address": "10.0.9.9", "kind": "redfish", "tenant": other} if "targets" in url else {}
        answer = world.client.request(method, url, headers=headers(who), json=body if method != "GET" else None)
        text = answer.text
        leaked = sorted(m for m in theirs if m in text and m not in url)  # echoing the id asked for tells nothing
        assert not leaked, f"{method} {url} as {who} showed {other}'s {leaked}: {text[:300]}"
        if PARAM.search(route.path):
            assert answer.status_code in (403, 404, 422), (method, url, answer.status_code)
    # their objects are untouched
    mine = world.client.get(f"/api/v1/targets/{ids[other]['target_id']}", headers=headers(f"{other}-viewer"))
    assert mine.status_code == 200 and mine.json()["address"] in ("10.0.2.7", "10.9.2.7")
    logs = world.client.get(f"/assets/{ids[other]['asset_id']}/events", headers=headers(f"{other}-viewer"))
    assert f"secret-of-{other}" in logs.text
    created = world.client.get("/api/v1/targets?source=api", headers=headers(f"{other}-viewer")).json()
    assert [t["address"] for t in created["items"]] == [json.loads(mine.text)["address"]]
