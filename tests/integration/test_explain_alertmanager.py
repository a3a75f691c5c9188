""" "Why did this alert fire?" for an alert a real Alertmanager holds: the fingerprint we compute for a label set
is the one Alertmanager gives the alert, and ``GET /api/v1/explain/{alert fingerprint}`` answers through it.

A private Alertmanager (one receiver that sends nothing) keeps these alerts away from the session server the
notification tests count on."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
import yaml
from fastapi.testclient import TestClient
from prometheus_client import CollectorRegistry

from inframind.analyzer.api import Deps, create_app
from inframind.analyzer.correlation_task import CorrelationTask
from inframind.analyzer.delivery_alerts import Placement, alert_labels
from inframind.analyzer.explain_alerts import AlertmanagerAlerts, alertmanager_fingerprint
from inframind.analyzer.state import StateDB
from inframind.config import AnalyzerConfig, ApiToken
from inframind.tokens import generate_token
from tests.helpers.incidents import IOWAIT_QUERY, LUN_QUERY, active, at, inventory, metric_finding
from tests.helpers.procs import free_port, require_binary, wait_until
from tests.helpers.servers import Running

pytestmark = pytest.mark.integration
TOKEN, TOKEN_HASH = generate_token()


@pytest.fixture(scope="module")
def alertmanager(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    directory = tmp_path_factory.mktemp("explain-am")
    config = directory / "alertmanager.yml"
    config.write_text(yaml.safe_dump({"route": {"receiver": "nobody"}, "receivers": [{"name": "nobody"}]}))
    port = free_port()
    argv = [
        require_binary("prometheus-alertmanager"),
        f"--config.file={config}",
        f"--storage.path={directory / 'data'}",
        f"--web.listen-address=127.0.0.1:{port}",
        "--cluster.listen-address=",
    ]
    server = Running("alertmanager-explain", argv, directory, f"http://127.0.0.1:{port}")
    server.wait_http(server.url + "/-/ready")
    yield server
    server.stop()


def test_an_alert_in_alertmanager_is_explained_by_its_fingerprint(alertmanager: Running, tmp_path: Path) -> None:
    host = active(metric_finding("srv-db-03", "iowait", IOWAIT_QUERY, 29, 8, at(0), at(360), unit="%"), at(40))
    lun = active(metric_finding("lun-12", "write throughput", LUN_QUERY, 5.2e8, 8e7, at(-10), at(360)), at(30))
    labels = alert_labels(host.finding, Placement(kind="host", rack="R3", host="srv-db-03", team="dba"))
    ends = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=10)
    alert = {"labels": labels, "annotations": {"summary": host.finding.title}, "endsAt": ends.isoformat()}
    requests.post(alertmanager.url + "/api/v2/alerts", json=[alert], timeout=5).raise_for_status()
    held: list[dict[str, object]] = []

    def listed() -> bool:
        held[:] = requests.get(alertmanager.url + "/api/v2/alerts", timeout=5).json()
        return bool(held)

    assert wait_until(listed, timeout=10)
    [stored] = held
    assert stored["labels"] == labels and stored["fingerprint"] == alertmanager_fingerprint(labels)

    resolver = AlertmanagerAlerts([f"http://127.0.0.1:{free_port()}", alertmanager.url], timeout=2)
    assert resolver.finding_of(str(stored["fingerprint"])) == host.fingerprint  # the first peer is down
    assert resolver.finding_of("0000000000000000") is None

    db = StateDB(tmp_path / "analysis.db")
    for record in (host, lun):
        db.findings.upsert(record)
    CorrelationTask(db.findings, db.incidents, inventory())(at(361))
    deps = Deps(registry=CollectorRegistry(), findings=db.findings, incidents=db.incidents, inventory=inventory(),
                alert_findings=resolver)  # fmt: skip
    client = TestClient(create_app(AnalyzerConfig(tokens=(ApiToken("ops", TOKEN_HASH, "viewer", "acme"),)), deps))
    answer = client.get(f"/api/v1/explain/{stored['fingerprint']}", headers={"Authorization": f"Bearer {TOKEN}"})
    db.close()
    assert answer.status_code == 200
    body = answer.json()
    assert body["resolved_from"] == "alert" and body["fingerprint"] == host.fingerprint
    assert body["series"][0]["query"] == IOWAIT_QUERY and body["series"][0]["observed"] == 29
    assert body["dependency_path"]["text"] == "lun-12 -[uses-lun]-> srv-db-03"
