"""Jira issues and ServiceNow incidents from Alertmanager's webhook: one ticket per incident, created once,
updated when what a person reads changes, resolved when every alert ended; credentials from secret refs.

No Jira or ServiceNow server can run here: the clients are tested against the exchanges stored in
tests/fixtures/itsm/ (documented API shapes, replayed in order with the ``responses`` library), and each
request the client made is checked against the fields the exchange expects. The webhook side runs through
the real FastAPI router with the analyzer's token check.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
import responses
from fastapi.testclient import TestClient
from responses import registries

from inframind.analyzer.delivery_api import DeliveryDeps
from inframind.analyzer.itsm.jira import JiraTickets
from inframind.analyzer.itsm.servicenow import ServiceNowTickets
from inframind.analyzer.itsm.sync import TicketSync
from inframind.analyzer.state import StateDB
from inframind.config.delivery import JiraSettings, ServiceNowSettings
from inframind.secrets import SecretRef
from tests.helpers.delivery_app import OTHER_TENANT_TOKEN, bearer, delivery_app

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "itsm"
JIRA = "https://jira.example.net"
SNOW = "https://acme.service-now.com"


def _subset(expected: Any, actual: Any) -> bool:
    if isinstance(expected, Mapping):
        return isinstance(actual, Mapping) and all(k in actual and _subset(v, actual[k]) for k, v in expected.items())
    if isinstance(expected, list) and isinstance(actual, list):
        return all(any(_subset(e, a) for a in actual) for e in expected)
    return bool(expected == actual)


def replay(mock: responses.RequestsMock, name: str, base: str) -> list[dict[str, Any]]:
    """Register the scenario's answers in order; returns its exchanges to check the requests against."""
    exchanges: list[dict[str, Any]] = json.loads((FIXTURES / name).read_text())
    for x in exchanges:
        req, res = x["request"], x["response"]
        mock.add(req["method"], base + req["path"], status=res["status"], json=res.get("json"),
                 headers=res.get("headers"))  # fmt: skip
    return exchanges


def check_requests(mock: responses.RequestsMock, exchanges: list[dict[str, Any]]) -> None:
    assert len(mock.calls) == len(exchanges)
    for call, x in zip(mock.calls, exchanges, strict=True):
        req = x["request"]
        assert call.request.method == req["method"]
        assert call.request.path_url.split("?")[0] == req["path"]
        for key, value in (req.get("query") or {}).items():
            assert f"{key}={value.replace(',', '%2C')}" in call.request.path_url
        if "json" in req:
            body = json.loads(call.request.body or b"{}")
            assert _subset(req["json"], body), (req["json"], body)


def _alert(status: str, severity: str = "critical", summary: str = "iowait 29% on srv-db-03") -> dict[str, Any]:
    return {
        "status": status,
        "labels": {
            "alertname": "InfraMindMetricAnomaly",
            "tenant": "acme",
            "asset": "srv-db-03",
            "severity": severity,
            "finding": "f00d",
        },
        "annotations": {
            "summary": summary,
            "incident": "inc-7",
            "recommendation": "Raise queue depth to 64.",
            "next_step": "Re-measure await.",
            "evidence": "iowait = 29 % (expected 8)",
            "probability": "0.81",
            "runbook_url": "https://runbooks.example/iowait",
        },
        "startsAt": "2026-11-26T06:00:00Z",
        "endsAt": "0001-01-01T00:00:00Z",
        "fingerprint": "c0ffee",
    }


def _payload(*alerts: dict[str, Any]) -> dict[str, Any]:
    status = "firing" if any(a["status"] == "firing" for a in alerts) else "resolved"
    return {"version": "4", "status": status, "receiver": "analyzer-itsm", "groupKey": "{}:{tenant=\"acme\"}",
            "alerts": list(alerts), "commonLabels": {"tenant": "acme"}}  # fmt: skip


@pytest.fixture
def state(tmp_path: Path) -> Iterator[StateDB]:
    db = StateDB(tmp_path / "state.db")
    yield db
    db.close()


@pytest.fixture(autouse=True)
def _secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IM_JIRA_TOKEN", "jira-api-token-123")
    monkeypatch.setenv("IM_SNOW_PASSWORD", "snow-password-456")


def _jira(version: int = 2) -> JiraTickets:
    settings = JiraSettings(JIRA, "OPS", SecretRef("env", "IM_JIRA_TOKEN"), username="bot@example.net",
                            api_version=version, priorities={"critical": "Highest", "warning": "High"})  # type: ignore[arg-type]  # fmt: skip
    return JiraTickets(settings, sleep=lambda s: None)


def test_jira_issue_follows_the_incident_through_the_webhook(state: StateDB) -> None:
    sync = TicketSync([_jira()], state.tickets, state)
    client = TestClient(delivery_app(DeliveryDeps(tickets=sync)))
    with responses.RequestsMock(registry=registries.OrderedRegistry) as mock:
        exchanges = replay(mock, "jira_v2_lifecycle.json", JIRA)
        first = client.post("/api/v1/alertmanager/webhook", json=_payload(_alert("firing")), headers=bearer())
        assert first.status_code == 200, first.text
        assert first.json()["created"] == ["jira:inc-7"]
        repeat = client.post("/api/v1/alertmanager/webhook", json=_payload(_alert("firing")), headers=bearer())
        assert repeat.json()["unchanged"] == ["jira:inc-7"]  # Alertmanager's repeat adds no comment
        lower = client.post(
            "/api/v1/alertmanager/webhook", json=_payload(_alert("firing", "warning")), headers=bearer()
        )
        assert lower.json()["updated"] == ["jira:inc-7"]
        done = client.post("/api/v1/alertmanager/webhook", json=_payload(_alert("resolved", "warning")),
                           headers=bearer())  # fmt: skip
        assert done.json()["resolved"] == ["jira:inc-7"]
        check_requests(mock, exchanges)
        assert "labels+%3D+%22inframind-inc-7%22" in mock.calls[0].request.path_url  # looked up before creating
        created = json.loads(mock.calls[1].request.body or b"{}")["fields"]
        assert created["summary"] == "[acme] iowait 29% on srv-db-03"
        assert "Raise queue depth to 64." in created["description"]
        assert "iowait = 29 % (expected 8)" in created["description"]
        assert mock.calls[0].request.headers["Authorization"].startswith("Basic ")
    ticket = state.tickets.get("inc-7", "jira")
    assert ticket is not None and (ticket.key, ticket.state) == ("OPS-42", "resolved")
    assert ticket.url == f"{JIRA}/browse/OPS-42"


def test_jira_cloud_v3_sends_adf_and_waits_out_a_429(state: StateDB) -> None:
    slept: list[float] = []
    jira = _jira(3)
    jira._sleep = slept.append
    sync = TicketSync([jira], state.tickets, state)
    with responses.RequestsMock(registry=registries.OrderedRegistry) as mock:
        exchanges = replay(mock, "jira_v3_create_rate_limited.json", JIRA)
        from inframind.analyzer.relay_webhook import parse_webhook

        report = sync.handle(parse_webhook(_payload(_alert("firing"))))
        check_requests(mock, exchanges)
        description = json.loads(mock.calls[2].request.body or b"{}")["fields"]["description"]
        texts = [p["content"][0]["text"] for p in description["content"]]
        assert "Raise queue depth to 64." in texts
    assert report.created == ["jira:inc-7"] and slept == [2.0]


def test_servicenow_incident_lifecycle_and_a_refusal(state: StateDB) -> None:
    settings = ServiceNowSettings(SNOW, "inframind", SecretRef("env", "IM_SNOW_PASSWORD"),
                                  assignment_group="Storage Operations")  # fmt: skip
    sync = TicketSync([ServiceNowTickets(settings, sleep=lambda s: None)], state.tickets, state)
    client = TestClient(delivery_app(DeliveryDeps(tickets=sync)))
    with responses.RequestsMock(registry=registries.OrderedRegistry) as mock:
        exchanges = replay(mock, "servicenow_lifecycle.json", SNOW)
        for alert in (_alert("firing"), _alert("firing", "warning"), _alert("resolved", "warning")):
            answer = client.post("/api/v1/alertmanager/webhook", json=_payload(alert), headers=bearer())
            assert answer.status_code == 200, answer.text
        check_requests(mock, exchanges)
        assert mock.calls[0].request.headers["Authorization"].startswith("Basic ")
    ticket = state.tickets.get("inc-7", "servicenow")
    assert ticket is not None and (ticket.key, ticket.state) == ("INC0010042", "resolved")

    other = dict(_alert("firing"), annotations={**_alert("firing")["annotations"], "incident": "inc-8"})
    with responses.RequestsMock(registry=registries.OrderedRegistry) as mock:
        replay(mock, "servicenow_unauthorized.json", SNOW)
        refused = client.post("/api/v1/alertmanager/webhook", json=_payload(other), headers=bearer())
    assert refused.status_code == 502  # Alertmanager retries the notification
    failed = refused.json()["detail"]["failed"]["servicenow:inc-8"]
    assert "401" in failed and "snow-password-456" not in refused.text
    assert state.tickets.get("inc-8", "servicenow") is None


def test_a_ticket_the_state_lost_is_found_and_updated_not_created_again(state: StateDB) -> None:
    settings = ServiceNowSettings(SNOW, "inframind", SecretRef("env", "IM_SNOW_PASSWORD"))
    sync = TicketSync([ServiceNowTickets(settings, sleep=lambda s: None)], state.tickets, state)
    client = TestClient(delivery_app(DeliveryDeps(tickets=sync)))
    with responses.RequestsMock(registry=registries.OrderedRegistry) as mock:
        exchanges = replay(mock, "servicenow_recovers_existing.json", SNOW)
        answer = client.post("/api/v1/alertmanager/webhook", json=_payload(_alert("firing")), headers=bearer())
        assert answer.status_code == 200, answer.text
        check_requests(mock, exchanges)
        assert "correlation_id%3Dinc-7%5Eactive%3Dtrue" in mock.calls[0].request.path_url
    assert answer.json()["recovered"] == ["servicenow:inc-7"] and answer.json()["created"] == []
    ticket = state.tickets.get("inc-7", "servicenow")
    assert ticket is not None and (ticket.key, ticket.state) == ("INC0010040", "open")


def test_webhook_checks_token_tenant_and_payload(state: StateDB) -> None:
    sync = TicketSync([_jira()], state.tickets, state)
    client = TestClient(delivery_app(DeliveryDeps(tickets=sync)))
    assert client.post("/api/v1/alertmanager/webhook", json=_payload(_alert("firing"))).status_code == 401
    with responses.RequestsMock() as mock:  # another tenant's token: the acme alert is skipped, nothing is called
        skipped = client.post("/api/v1/alertmanager/webhook", json=_payload(_alert("firing")),
                              headers=bearer(OTHER_TENANT_TOKEN))  # fmt: skip
        assert skipped.status_code == 200 and skipped.json()["created"] == []
        assert len(mock.calls) == 0
    bad = client.post("/api/v1/alertmanager/webhook", json={"alerts": [{"status": "maybe"}]}, headers=bearer())
    assert bad.status_code == 422 and "alerts[0].status" in bad.text
    unconfigured = TestClient(delivery_app(DeliveryDeps()))
    assert unconfigured.post("/api/v1/alertmanager/webhook", json=_payload(), headers=bearer()).status_code == 503
