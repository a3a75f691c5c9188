"""GET /api/v1/incidents, /incidents/{id} and /incidents/{id}/rca over incidents the correlation task wrote
into the SQLite state store: tenant scoping, paging, 404s, and what the RCA answer holds."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from prometheus_client import CollectorRegistry

from inframind.analyzer.api import Deps, create_app
from inframind.analyzer.correlation_task import CorrelationTask
from inframind.analyzer.incidents import incident_id
from inframind.analyzer.state import FindingRecord, StateDB
from inframind.config import AnalyzerConfig, ApiToken
from inframind.tokens import generate_token
from tests.helpers.incidents import (
    IOWAIT_QUERY,
    LUN_QUERY,
    THERMAL,
    active,
    at,
    inventory,
    log_finding,
    metric_finding,
    resolved,
)

ACME, ACME_HASH = generate_token()
GLOBEX, GLOBEX_HASH = generate_token()
ADMIN, ADMIN_HASH = generate_token()


@dataclass
class Setup:
    client: TestClient
    records: dict[str, FindingRecord]

    def get(self, token: str, url: str) -> tuple[int, Any]:
        response = self.client.get(url, headers={"Authorization": f"Bearer {token}"})
        return response.status_code, response.json()

    def incident(self, name: str) -> str:
        return incident_id(self.records[name].fingerprint)


def scenario() -> dict[str, FindingRecord]:
    return {
        "iowait": active(metric_finding("srv-db-03", "iowait", IOWAIT_QUERY, 29, 8, at(0), at(360), unit="%"), at(40)),
        "lun": active(metric_finding("lun-12", "write throughput", LUN_QUERY, 5.2e8, 8e7, at(-10), at(360)), at(30)),
        "r3-01": active(log_finding("R3-01", THERMAL, 7, at(100), at(160)), at(160)),
        "r3-02": active(log_finding("R3-02", THERMAL, 5, at(105), at(165)), at(165)),
        "globex": active(log_finding("gx-1", THERMAL, 3, at(0), at(60), tenant="globex"), at(60)),
    }


@pytest.fixture
def setup(tmp_path: Path) -> Iterator[Setup]:
    db = StateDB(tmp_path / "analysis.db")
    records = scenario()
    for record in records.values():
        db.findings.upsert(record)
    task = CorrelationTask(db.findings, db.incidents, inventory(), transaction=db.transaction)
    task(at(361))
    for name in ("r3-01", "r3-02"):  # the rack incident is over
        db.findings.upsert(resolved(records[name], at(370)))
    task(at(371))
    tokens = (
        ApiToken("acme-grafana", ACME_HASH, "viewer", "acme"),
        ApiToken("globex-grafana", GLOBEX_HASH, "viewer", "globex"),
        ApiToken("ops", ADMIN_HASH, "admin", "acme"),
    )
    deps = Deps(registry=CollectorRegistry(), clock=lambda: at(400), findings=db.findings, incidents=db.incidents,
                inventory=inventory())  # fmt: skip
    yield Setup(TestClient(create_app(AnalyzerConfig(tokens=tokens), deps)), records)
    db.close()


def ids(body: dict[str, Any]) -> list[str]:
    return [item["id"] for item in body["items"]]


def test_the_list_is_tenant_scoped_and_filtered_by_state(setup: Setup) -> None:
    lun, rack, globex = setup.incident("lun"), setup.incident("r3-01"), setup.incident("globex")
    status, body = setup.get(ACME, "/api/v1/incidents")
    assert status == 200 and ids(body) == [lun]  # open by default
    assert body["total"] == 1 and body["next_offset"] is None
    assert ids(setup.get(ACME, "/api/v1/incidents?state=resolved")[1]) == [rack]
    assert set(ids(setup.get(ACME, "/api/v1/incidents?state=all")[1])) == {lun, rack}
    assert ids(setup.get(GLOBEX, "/api/v1/incidents?state=all")[1]) == [globex]
    assert set(ids(setup.get(ADMIN, "/api/v1/incidents?state=all")[1])) == {lun, rack, globex}
    assert ids(setup.get(ADMIN, "/api/v1/incidents?tenant=globex")[1]) == [globex]
    assert setup.get(ACME, "/api/v1/incidents?tenant=globex")[0] == 403
    assert setup.get(ACME, "/api/v1/incidents?state=closed")[0] == 422
    assert setup.client.get("/api/v1/incidents").status_code == 401


def test_pages(setup: Setup) -> None:
    first = setup.get(ADMIN, "/api/v1/incidents?state=all&limit=2")[1]
    assert len(first["items"]) == 2 and first["next_offset"] == 2 and first["total"] is None
    last = setup.get(ADMIN, "/api/v1/incidents?state=all&limit=2&offset=2")[1]
    assert len(last["items"]) == 1 and last["next_offset"] is None and last["total"] == 3
    assert set(ids(first) + ids(last)) == {setup.incident(n) for n in ("lun", "r3-01", "globex")}
    assert setup.get(ADMIN, "/api/v1/incidents?limit=0")[0] == 422


def test_one_incident_and_404s(setup: Setup) -> None:
    lun = setup.incident("lun")
    status, body = setup.get(ACME, f"/api/v1/incidents/{lun}")
    assert status == 200 and body["id"] == lun and body["severity"] == "warning" and body["state"] == "open"
    assert body["causes"][0]["asset_id"] == "lun-12"
    assert setup.get(GLOBEX, f"/api/v1/incidents/{lun}")[0] == 404  # another tenant's: as if unknown
    assert setup.get(GLOBEX, f"/api/v1/incidents/{lun}/rca")[0] == 404
    assert setup.get(ACME, "/api/v1/incidents/inc-000000000000")[0] == 404
    assert setup.get(ACME, "/api/v1/incidents/inc-000000000000/rca")[0] == 404
    assert setup.get(ADMIN, f"/api/v1/incidents/{setup.incident('globex')}")[0] == 200


def test_the_rca_holds_the_chain_causes_evidence_and_timeline(setup: Setup) -> None:
    host, lun = setup.records["iowait"].fingerprint, setup.records["lun"].fingerprint
    status, rca = setup.get(ACME, f"/api/v1/incidents/{setup.incident('lun')}/rca")
    assert status == 200
    assert [(s["asset_id"], s["role"], s["edge_to_next"]) for s in rca["chain"]] == [
        ("lun-12", "cause", "uses-lun"),
        ("srv-db-03", "affected", None),
    ]
    assert [f["fingerprint"] for f in rca["chain"][1]["findings"]] == [host]
    top = rca["causes"][0]
    assert top["finding"]["fingerprint"] == lun and not top["inferred"] and top["asset_kind"] == "lun"
    assert top["path"]["text"] == "lun-12 -[uses-lun]-> srv-db-03"
    assert [(e["fingerprint"], e["path"]["assets"]) for e in top["explains"]] == [(host, ["lun-12", "srv-db-03"])]
    shelf = next(c for c in rca["causes"] if c["asset_id"] == "shelf-a2")
    assert shelf["inferred"] and shelf["finding"] is None
    evidence = {f["fingerprint"]: f["evidence"][0] for f in rca["findings"]}
    assert evidence[host]["observed"] == 29 and evidence[host]["expected"] == 8 and evidence[host]["unit"] == "%"
    assert evidence[lun]["query"] == LUN_QUERY and len(evidence[lun]["points"]) == 7
    timeline = rca["timeline"]
    assert timeline["first_signal_at"] == "2026-11-26T05:50:00Z" and timeline["detected_at"] == "2026-11-26T06:30:00Z"
    assert timeline["detected_after_seconds"] == 2400 and timeline["resolved_at"] is None


def test_the_rca_of_an_inferred_cause(setup: Setup) -> None:
    rca = setup.get(ACME, f"/api/v1/incidents/{setup.incident('r3-01')}/rca")[1]
    assert rca["incident"]["state"] == "resolved" and rca["timeline"]["resolved_at"] == "2026-11-26T12:11:00Z"
    assert [(s["asset_id"], s["role"]) for s in rca["chain"]] == [
        ("crac-3", "cause"),
        ("R3", "via"),
        ("R3-01", "affected"),
    ]
    top = rca["causes"][0]
    assert top["inferred"] and top["asset_kind"] == "cooling"
    assert [e["path"]["text"] for e in top["explains"]] == [
        "crac-3 -[cooled-by]-> R3 -[in-rack]-> R3-01",
        "crac-3 -[cooled-by]-> R3 -[in-rack]-> R3-02",
    ]


def test_without_an_incident_store_the_routes_answer_503() -> None:
    tokens = (ApiToken("acme-grafana", ACME_HASH, "viewer", "acme"),)
    client = TestClient(create_app(AnalyzerConfig(tokens=tokens), Deps(registry=CollectorRegistry())))
    headers = {"Authorization": f"Bearer {ACME}"}
    assert client.get("/api/v1/incidents", headers=headers).status_code == 503
    assert client.get("/api/v1/incidents/inc-1/rca", headers=headers).status_code == 503
