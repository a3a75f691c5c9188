"""``GET /api/v1/explain/{fingerprint}``: why a finding, or the Alertmanager alert sent for it, fired; over
findings and incidents in the SQLite state store and alert label sets in delivery's ledger. The lookup through
a real Alertmanager is in tests/integration/test_explain_alertmanager.py."""

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
from inframind.analyzer.delivery_alerts import Placement, alert_labels
from inframind.analyzer.delivery_ledger import AlertRecord, KeyValueLedger, MemoryKeyValue
from inframind.analyzer.explain_alerts import alertmanager_fingerprint, delivered_alert_findings
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
)
from tests.helpers.procs import free_port

ACME, ACME_HASH = generate_token()
GLOBEX, GLOBEX_HASH = generate_token()
TOKENS = (ApiToken("acme", ACME_HASH, "viewer", "acme"), ApiToken("globex", GLOBEX_HASH, "viewer", "globex"))


@dataclass
class Setup:
    db: StateDB
    records: dict[str, FindingRecord]
    alerts: dict[str, str]
    """Finding name -> the fingerprint Alertmanager gives the alert delivery sent for it."""

    def client(self, alertmanager_urls: tuple[str, ...] = ()) -> TestClient:
        kv = MemoryKeyValue()
        KeyValueLedger(kv).save(
            [AlertRecord(self.records[n].fingerprint, self.labels(n), {}, at(0)) for n in self.alerts], at(0)
        )
        alert_findings = delivered_alert_findings(kv, alertmanager_urls, 2.0)
        deps = Deps(registry=CollectorRegistry(), findings=self.db.findings, incidents=self.db.incidents,
                    inventory=inventory(), alert_findings=alert_findings)  # fmt: skip
        return TestClient(create_app(AnalyzerConfig(tokens=TOKENS), deps))

    def labels(self, name: str) -> dict[str, str]:
        return alert_labels(self.records[name].finding, Placement(kind="host", rack="R3"))


def get(client: TestClient, token: str, fingerprint: str) -> tuple[int, Any]:
    answer = client.get(f"/api/v1/explain/{fingerprint}", headers={"Authorization": f"Bearer {token}"})
    return answer.status_code, answer.json()


@pytest.fixture
def setup(tmp_path: Path) -> Iterator[Setup]:
    db = StateDB(tmp_path / "analysis.db")
    records = {
        "iowait": active(metric_finding("srv-db-03", "iowait", IOWAIT_QUERY, 29, 8, at(0), at(360), unit="%"), at(40)),
        "lun": active(metric_finding("lun-12", "write throughput", LUN_QUERY, 5.2e8, 8e7, at(-10), at(360)), at(30)),
        "r3-01": active(log_finding("R3-01", THERMAL, 7, at(100), at(160)), at(160)),
        "r3-02": active(log_finding("R3-02", THERMAL, 5, at(105), at(165)), at(165)),
        "web": active(log_finding("srv-web-01", "OOM killed <*>", 2, at(0), at(5), kind="log.burst"), at(5)),
    }
    for record in records.values():
        db.findings.upsert(record)
    CorrelationTask(db.findings, db.incidents, inventory(), transaction=db.transaction)(at(361))
    setup = Setup(db, records, {})
    setup.alerts = {name: alertmanager_fingerprint(setup.labels(name)) for name in ("iowait", "r3-02")}
    yield setup
    db.close()


def test_a_metric_finding_names_its_detector_series_and_the_path_from_its_cause(setup: Setup) -> None:
    host, lun = setup.records["iowait"].fingerprint, setup.records["lun"].fingerprint
    status, body = get(setup.client(), ACME, host)
    assert status == 200 and body["fingerprint"] == host and body["resolved_from"] == "finding"
    assert body["alert_fingerprint"] is None
    assert body["detector"] == {"kind": "metric.anomaly", "family": "metric", "key": IOWAIT_QUERY, "rule": None,
                                "model": "ensemble"}  # fmt: skip
    [series] = body["series"]
    assert (series["query"], series["observed"], series["expected"], series["unit"]) == (IOWAIT_QUERY, 29, 8, "%")
    assert len(series["points"]) == 7 and body["log_templates"] == [] and body["facts"] == []
    assert body["finding"]["first_seen"] == "2026-11-26T06:40:00.000000Z" and body["finding"]["state"] == "active"
    path = body["dependency_path"]
    assert path["cause"] == {"asset_id": "lun-12", "kind": "metric.anomaly", "fingerprint": lun, "score": 1.0}
    assert (path["assets"], path["edges"], path["text"]) == (
        ["lun-12", "srv-db-03"],
        ["uses-lun"],
        "lun-12 -[uses-lun]-> srv-db-03",
    )
    assert body["incident"]["title"].startswith("write throughput anomaly on lun-12")


def test_the_cause_itself_has_a_path_of_one_asset(setup: Setup) -> None:
    body = get(setup.client(), ACME, setup.records["lun"].fingerprint)[1]
    assert body["dependency_path"]["assets"] == ["lun-12"] and body["dependency_path"]["text"] == "lun-12"


def test_a_thermal_warning_shows_its_templates_and_the_related_ones(setup: Setup) -> None:
    r1, r2 = setup.records["r3-01"].fingerprint, setup.records["r3-02"].fingerprint
    body = get(setup.client(), ACME, r2)[1]
    assert body["detector"]["rule"] == "BmcThermalWarnings" and body["detector"]["family"] == "log"
    assert [(t["finding"], t["asset_id"], t["own"], t["count"]) for t in body["log_templates"]] == [
        (r2, "R3-02", True, 5),
        (r1, "R3-01", False, 7),
    ]
    assert all(t["template"] == THERMAL for t in body["log_templates"]) and body["series"] == []
    path = body["dependency_path"]
    assert path["cause"]["asset_id"] == "crac-3" and path["cause"]["fingerprint"] is None
    assert path["cause"]["kind"] == "inferred" and path["text"] == "crac-3 -[cooled-by]-> R3 -[in-rack]-> R3-02"


def test_an_alert_fingerprint_resolves_through_the_delivery_ledger(setup: Setup) -> None:
    alert = setup.alerts["iowait"]
    status, body = get(setup.client(), ACME, alert)
    assert status == 200 and body["resolved_from"] == "alert" and body["alert_fingerprint"] == alert
    assert body["fingerprint"] == setup.records["iowait"].fingerprint
    assert body["dependency_path"]["text"] == "lun-12 -[uses-lun]-> srv-db-03"


def test_other_tenants_and_unknown_fingerprints_answer_404(setup: Setup) -> None:
    client = setup.client()
    assert get(client, GLOBEX, setup.records["iowait"].fingerprint)[0] == 404
    assert get(client, GLOBEX, setup.alerts["iowait"])[0] == 404
    status, body = get(client, ACME, "0123456789abcdef")
    assert status == 404 and body["detail"] == "no finding or alert 0123456789abcdef"
    assert client.get(f"/api/v1/explain/{setup.alerts['iowait']}").status_code == 401


def test_a_lone_finding_has_its_own_incident_and_path(setup: Setup) -> None:
    body = get(setup.client(), ACME, setup.records["web"].fingerprint)[1]
    assert body["dependency_path"]["assets"] == ["srv-web-01"] and body["detector"]["kind"] == "log.burst"
    assert body["log_templates"][0]["own"] and len(body["log_templates"]) == 1


def test_an_unknown_fingerprint_with_alertmanager_down_is_a_503_naming_it(setup: Setup) -> None:
    down = f"http://127.0.0.1:{free_port()}"
    client = setup.client((down,))
    assert get(client, ACME, setup.alerts["r3-02"])[0] == 200  # the ledger answers before Alertmanager is asked
    status, body = get(client, ACME, "fedcba9876543210")
    assert status == 503 and "alerts cannot be looked up: no Alertmanager answered" in body["detail"]
    assert down in body["detail"]


def test_alertmanager_fingerprints_follow_the_label_set() -> None:
    a = {"alertname": "X", "asset": "srv-1", "severity": "warning"}
    assert alertmanager_fingerprint(a) == alertmanager_fingerprint(dict(reversed(a.items())))
    assert alertmanager_fingerprint(a) != alertmanager_fingerprint({**a, "asset": "srv-2"})
    assert len(alertmanager_fingerprint(a)) == 16 and alertmanager_fingerprint({}) == "cbf29ce484222325"
