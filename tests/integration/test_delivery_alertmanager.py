"""Delivery end to end with a real Alertmanager (the project's alertmanager.yml, rendered as `inframind up`
does): the analyzer's delivery task posts findings; Alertmanager routes them to the analyzer's Telegram relay
(webhook) and to email (aiosmtpd sink); the relay posts to the loopback Telegram API, split and escaped; a
feedback link from the message creates a real silence; a false positive takes the alert back; a peer that is
down is retried while a restart re-fires nothing; a rack thermal incident inhibits its hosts' alerts.

The analyzer's HTTP side runs in uvicorn on 127.0.0.1 with only the delivery router (the same router the
analyzer's app mounts) behind the real token check.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import html
import re
import subprocess
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests
import uvicorn

from inframind.analyzer.delivery import DeliveryTask
from inframind.analyzer.delivery_api import DeliveryDeps
from inframind.analyzer.delivery_ledger import KeyValueLedger
from inframind.analyzer.feedback_actions import FeedbackHandler
from inframind.analyzer.feedback_marks import KeyValueMarks
from inframind.analyzer.findings import Finding, Severity
from inframind.analyzer.incidents import Cause, Incident, Timeline
from inframind.analyzer.recommendation import Language, Recommendation
from inframind.analyzer.relay import TelegramRelay
from inframind.analyzer.relay_html import units
from inframind.analyzer.sinks.alertmanager import AlertmanagerPeer, alert_json
from inframind.analyzer.state import StateDB
from inframind.config.delivery import AlertmanagerSinkSettings, FeedbackSettings, RelaySettings
from inframind.secrets import SecretRef
from inframind.stack.alertmanager import render_file
from tests.conftest import EMAIL_FROM, EMAIL_TO, TELEGRAM_CHAT_ID
from tests.helpers.delivery_app import OPERATOR_TOKEN, assert_valid_telegram_html, delivery_app
from tests.helpers.incidents import IOWAIT_QUERY, THERMAL, active, inventory, log_finding, metric_finding, resolved
from tests.helpers.procs import free_port, require_binary, wait_until
from tests.helpers.servers import REPO, Running, SMTPSink, start_alertmanager, write_alertmanager_config
from tests.helpers.telegram import Call, TelegramAPI

pytestmark = pytest.mark.integration
BOT_TOKEN = "424242:relay-e2e-token"
FEEDBACK_KEY = "feedback-key-" + "z" * 32


@dataclass
class Stack:
    am: Running
    app_url: str
    state: StateDB
    feedback: FeedbackSettings


def _long_recommendation(finding: Finding, incident: Incident | None, language: Language) -> Recommendation:
    steps = [f"Шаг {i}: проверьте очередь контроллера <ctrl-0> & поднимите queue depth до 64 на {finding.asset_id}."
             for i in range(90)]  # fmt: skip
    return Recommendation(finding.fingerprint, finding.kind, language, f"iowait on {finding.asset_id} <rising>",
                          "\n".join(steps), "Re-measure await < 10 ms", 0.82,
                          "https://runbooks.example/iowait?x=1&y=2")  # fmt: skip


def _serve(app: Any, port: int) -> tuple[uvicorn.Server, threading.Thread]:
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    assert wait_until(lambda: server.started, timeout=10)
    return server, thread


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory, telegram_api: TelegramAPI, smtp_sink: SMTPSink) -> Iterator[Stack]:
    root = tmp_path_factory.mktemp("delivery")
    (root / "bot").write_text(BOT_TOKEN)
    (root / "key").write_text(FEEDBACK_KEY)
    state = StateDB(root / "state.db")
    port = free_port()
    app_url = f"http://127.0.0.1:{port}"
    env = {
        "INFRAMIND_TELEGRAM_RELAY_URL": app_url + "/api/v1/relay/telegram",
        "INFRAMIND_ANALYZER_WEBHOOK_TOKEN": OPERATOR_TOKEN,
        "INFRAMIND_SMTP_SMARTHOST": smtp_sink.smarthost,
        "INFRAMIND_SMTP_FROM": EMAIL_FROM,
        "INFRAMIND_EMAIL_TO": EMAIL_TO,
        "INFRAMIND_SMTP_REQUIRE_TLS": "false",
    }
    am = start_alertmanager(root / "alertmanager", root / "alertmanager" / "data", env)
    feedback = FeedbackSettings(key=SecretRef("file", str(root / "key")), public_url=app_url, silence_hours=(4,))
    relay = TelegramRelay(RelaySettings(telegram_api.url, SecretRef("file", str(root / "bot")), TELEGRAM_CHAT_ID),
                          feedback)  # fmt: skip
    handler = FeedbackHandler(FEEDBACK_KEY.encode, state.feedback, KeyValueMarks(state), state.findings,
                              state.incidents, [AlertmanagerPeer(am.url, timeout=5)])  # fmt: skip
    server, thread = _serve(delivery_app(DeliveryDeps(relay=relay, feedback=handler)), port)
    yield Stack(am, app_url, state, feedback)
    server.should_exit = True
    thread.join(timeout=10)
    am.stop()
    state.close()


def _task(stack: Stack, peers: list[AlertmanagerPeer] | None = None, **kw: Any) -> DeliveryTask:
    marks = KeyValueMarks(stack.state)
    peers = peers or [AlertmanagerPeer(stack.am.url, timeout=5)]
    settings = AlertmanagerSinkSettings(urls=tuple(p.url for p in peers), resend_interval=60.0)
    return DeliveryTask(settings, peers, KeyValueLedger(stack.state), stack.state.findings,
                        incidents=stack.state.incidents, marks=lambda now: marks.since(now - dt.timedelta(days=30)),
                        **kw)  # fmt: skip


def _am_alerts(stack: Stack, **matchers: str) -> list[dict[str, Any]]:
    query = [("filter", f'{k}="{v}"') for k, v in matchers.items()]
    answer = requests.get(stack.am.url + "/api/v2/alerts", params=query, timeout=5)
    answer.raise_for_status()
    return list(answer.json())


def _parts(telegram_api: TelegramAPI, start: int, needle: str) -> list[Call]:
    """Every part of the relay message that mentions ``needle`` in its first part, once all have arrived."""
    found: list[Call] = []

    def complete() -> bool:
        calls = [c for c in telegram_api.calls[start:] if c.token == BOT_TOKEN]
        first = next((i for i, c in enumerate(calls) if needle in c.text), None)
        if first is None:
            return False
        total = re.match(r"<i>\(1/(\d+)\)</i>", calls[first].text)
        count = int(total.group(1)) if total else 1
        found[:] = calls[first : first + count]
        return len(found) == count

    assert wait_until(complete, timeout=30), [c.text[:100] for c in telegram_api.calls[start:]]
    return found


def _finding(asset: str, severity: Severity = "warning") -> Finding:
    now = dt.datetime.now(dt.UTC)
    return metric_finding(asset, "cpu_iowait", IOWAIT_QUERY, 29.0, 8.0, now - dt.timedelta(hours=6), now, unit="%",
                          severity=severity)  # fmt: skip


def test_finding_reaches_telegram_via_relay_and_email_and_a_link_silences_it(
    stack: Stack, telegram_api: TelegramAPI, smtp_sink: SMTPSink
) -> None:
    asset = f"srv-db-{uuid.uuid4().hex[:6]}"
    finding = _finding(asset, "critical")  # critical: email too
    now = dt.datetime.now(dt.UTC)
    stack.state.findings.upsert(active(finding, now - dt.timedelta(minutes=5)))
    start = len(telegram_api.calls)
    report = _task(stack, recommend=_long_recommendation)(now)
    assert report.sent == {stack.am.url: 1} and not report.failed

    (alert,) = _am_alerts(stack, finding=finding.fingerprint)
    stable = {"alertname": "InfraMindMetricAnomaly", "tenant": "acme", "asset": asset, "severity": "critical",
              "category": "performance", "finding": finding.fingerprint}  # fmt: skip
    assert alert["labels"] == stable
    assert alert["annotations"]["runbook_url"] == "https://runbooks.example/iowait?x=1&y=2"
    ends = dt.datetime.fromisoformat(alert["endsAt"].replace("Z", "+00:00"))
    assert 200 <= (ends - now).total_seconds() <= 260  # four resend intervals ahead

    parts = _parts(telegram_api, start, asset)
    assert len(parts) >= 2  # ~9000 characters of recommendation
    for part in parts:
        assert str(part.payload["chat_id"]) == TELEGRAM_CHAT_ID and part.payload["parse_mode"] == "HTML"
        assert units(part.text) <= 4096
        assert_valid_telegram_html(part.text)
    joined = "".join(p.text for p in parts)
    assert f"iowait on {asset} &lt;rising&gt;" in joined  # the recommendation's title is the summary
    assert "очередь контроллера &lt;ctrl-0&gt; &amp; поднимите" in joined
    assert "<ctrl-0>" not in joined
    assert all(f"Шаг {i}:" in joined for i in range(90))  # nothing lost at the cuts

    mail = smtp_sink.mailbox.wait_for(asset)
    assert str(mail["Subject"]).startswith(f"[FIRING:1] InfraMindMetricAnomaly on {asset}")
    html_part, text_part = mail.get_body(("html",)), mail.get_body(("plain",))
    assert html_part is not None and text_part is not None
    assert "&lt;ctrl-0&gt;" in html_part.get_content() and "<ctrl-0>" not in html_part.get_content()
    assert "<ctrl-0>" in text_part.get_content()

    links = dict((t, html.unescape(u)) for u, t in re.findall(r'<a href="([^"]+)">([^<]+)</a>', parts[-1].text))
    assert set(links) >= {"Acknowledge", "False positive", "Silence 4h"}
    page = requests.get(links["Silence 4h"], timeout=5)
    assert page.status_code == 200 and "Confirm" in page.text
    matcher = {"name": "finding", "value": finding.fingerprint, "isRegex": False, "isEqual": True}

    def silences() -> list[dict[str, Any]]:
        found = requests.get(stack.am.url + "/api/v2/silences", timeout=5).json()
        return [s for s in found if s["status"]["state"] == "active" and matcher in s["matchers"]]

    assert silences() == []  # opening the link did nothing by itself
    done = requests.post(links["Silence 4h"], data={"note": "planned work"}, timeout=10)
    assert done.status_code == 200, done.text
    (silence,) = silences()
    length = dt.datetime.fromisoformat(silence["endsAt"].replace("Z", "+00:00")) - dt.datetime.fromisoformat(
        silence["startsAt"].replace("Z", "+00:00"))  # fmt: skip
    assert abs(length.total_seconds() - 4 * 3600) < 5
    assert wait_until(lambda: _am_alerts(stack, finding=finding.fingerprint)[0]["status"]["state"] == "suppressed")
    again = requests.post(links["Silence 4h"], timeout=10)
    assert "Already recorded" in again.text and len(silences()) == 1
    recorded = stack.state.feedback.list(fingerprint=finding.fingerprint)
    assert [(r.action, r.note) for r in recorded] == [("silence", "planned work")]

    tampered = links["Acknowledge"][:-3] + ("AAA" if not links["Acknowledge"].endswith("AAA") else "BBB")
    assert requests.post(tampered, timeout=5).status_code == 403

    # A false positive: the finding is held back from now on, and its alert resolved in Alertmanager.
    assert requests.post(links["False positive"], timeout=10).status_code == 200
    later = dt.datetime.now(dt.UTC)
    second = _task(stack)(later)
    assert second.suppressed == 1 and second.sent == {stack.am.url: 1}
    assert wait_until(lambda: _am_alerts(stack, finding=finding.fingerprint) == [], timeout=10)


def test_a_down_peer_is_retried_and_a_restart_refires_nothing(stack: Stack) -> None:
    asset = f"srv-app-{uuid.uuid4().hex[:6]}"
    finding = _finding(asset)
    now = dt.datetime.now(dt.UTC)
    record = active(finding, now)
    stack.state.findings.upsert(record)
    live, dead = AlertmanagerPeer(stack.am.url, timeout=5), AlertmanagerPeer(f"http://127.0.0.1:{free_port()}", 2)
    first = _task(stack, [live, dead])(now)
    assert first.sent == {live.url: 1} and dead.url in first.failed
    assert "cannot reach Alertmanager" in first.failed[dead.url]

    restarted = _task(stack, [live, dead])  # a new process: the ledger is all it knows
    second = restarted(now + dt.timedelta(seconds=5))
    assert live.url not in second.sent  # not re-fired
    assert dead.url in second.failed  # still retried
    assert restarted(now + dt.timedelta(seconds=5.5)).waiting == [dead.url]  # backing off
    assert len(_am_alerts(stack, finding=finding.fingerprint)) == 1

    stack.state.findings.upsert(resolved(record, now + dt.timedelta(seconds=10)))
    third = restarted(dt.datetime.now(dt.UTC))
    assert third.sent == {live.url: 1}  # the resolution
    assert wait_until(lambda: _am_alerts(stack, finding=finding.fingerprint) == [], timeout=10)


def _alertmanager_on(port: int, root: Path) -> Running:
    """An Alertmanager with the project's config on a given port (to bring one "back" at the same address)."""
    config = write_alertmanager_config(root / "alertmanager.yml", {})
    argv = [require_binary("prometheus-alertmanager"), f"--config.file={config}", f"--storage.path={root / 'data'}",
            f"--web.listen-address=127.0.0.1:{port}", "--cluster.listen-address="]  # fmt: skip
    server = Running(f"alertmanager-{port}", argv, root, f"http://127.0.0.1:{port}")
    server.wait_http(server.url + "/-/ready")
    return server


def test_a_resolution_made_while_alertmanager_is_down_survives_a_restart(stack: Stack, tmp_path: Path) -> None:
    port = free_port()
    am = _alertmanager_on(port, tmp_path / "first")
    peer = AlertmanagerPeer(am.url, timeout=2)
    finding = _finding(f"srv-web-{uuid.uuid4().hex[:6]}")
    now = dt.datetime.now(dt.UTC)
    record = active(finding, now)
    stack.state.findings.upsert(record)
    ledger = KeyValueLedger(stack.state)
    try:
        assert _task(stack, [peer])(now).sent == {peer.url: 1}
    finally:
        am.stop()
    stack.state.findings.upsert(resolved(record, now + dt.timedelta(seconds=1)))
    down = _task(stack, [peer])(now + dt.timedelta(seconds=2))
    assert peer.url in down.failed
    pending = ledger.load()[finding.fingerprint]
    assert not pending.active and pending.sent[peer.url].digest != pending.digest  # the resolution waits

    back = _alertmanager_on(port, tmp_path / "second")
    try:
        restarted = _task(stack, [peer])  # a new analyzer process, same state
        report = restarted(dt.datetime.now(dt.UTC))
        assert report.sent == {peer.url: 1} and not report.failed
        assert finding.fingerprint not in ledger.load()  # delivered, so settled and forgotten
        assert restarted(dt.datetime.now(dt.UTC)).sent == {}  # and never sent again
    finally:
        back.stop()


def test_rack_thermal_incident_inhibits_its_hosts_alerts(stack: Stack) -> None:
    now = dt.datetime.now(dt.UTC)
    tenant, incident_id = "acme", f"inc-{uuid.uuid4().hex[:6]}"
    rack = log_finding("R3", THERMAL, 12, now - dt.timedelta(hours=1), now, tenant=tenant)
    host = metric_finding("R3-01", "cpu_temp", "node_hwmon_temp_celsius", 81.0, 60.0, now - dt.timedelta(hours=1),
                          now, tenant=tenant)  # fmt: skip
    for f in (rack, host):
        stack.state.findings.upsert(active(f, now))
    stack.state.incidents.upsert(Incident(incident_id, tenant, "Thermal warnings in rack R3", "warning", "open",
                                          (rack.fingerprint, host.fingerprint), ("R3", "R3-01"),
                                          Timeline(now - dt.timedelta(hours=1), now),
                                          causes=(Cause(rack.fingerprint, "R3", rack.kind, 0.9),)))  # fmt: skip
    report = _task(stack, inventory=inventory())(now)
    assert not report.failed
    (source,) = _am_alerts(stack, alertname="InfraMindRackIncident", finding=incident_id)
    assert (source["labels"]["rack"], source["labels"]["category"]) == ("R3", "thermal")

    def inhibited() -> bool:
        (target,) = _am_alerts(stack, finding=host.fingerprint)
        return target["status"]["state"] == "suppressed" and bool(target["status"]["inhibitedBy"])

    assert wait_until(inhibited, timeout=10)
    (target,) = _am_alerts(stack, finding=host.fingerprint)
    assert (target["labels"]["asset_kind"], target["labels"]["rack"]) == ("host", "R3")
    (cause,) = _am_alerts(stack, finding=rack.fingerprint)
    assert cause["status"]["state"] == "active"  # the rack's own alert is not inhibited
    assert report.notified == [incident_id]
    incident = stack.state.incidents.get(incident_id)
    notified = incident.timeline.notified_at if incident is not None else None
    assert notified is not None and abs((notified - now).total_seconds()) < 1  # stored to the second

    # The incident closes: every alert of it is resolved, and the host's alert is no longer inhibited by anything.
    assert incident is not None
    stack.state.incidents.upsert(dataclasses.replace(incident, state="resolved"))
    for f in (rack, host):
        stack.state.findings.upsert(resolved(active(f, now), now))
    closing = _task(stack, inventory=inventory())(dt.datetime.now(dt.UTC))
    assert closing.sent == {stack.am.url: 3}
    assert wait_until(lambda: _am_alerts(stack, alertname="InfraMindRackIncident", finding=incident_id) == [])


def test_the_relay_route_needs_the_webhook_token(stack: Stack) -> None:
    body = {"version": "4", "status": "firing", "alerts": []}
    assert requests.post(stack.app_url + "/api/v1/relay/telegram", json=body, timeout=5).status_code == 401


def test_host_down_inhibits_the_services_on_it(stack: Stack) -> None:
    now = dt.datetime.now(dt.UTC)
    host = f"srv-{uuid.uuid4().hex[:6]}"
    down = {"alertname": "InfraMindHostUnreachable", "tenant": "acme", "asset": host, "severity": "critical",
            "category": "availability", "finding": host + "-down", "asset_kind": "host", "host": host}  # fmt: skip
    service = {"alertname": "InfraMindLogBurst", "tenant": "acme", "asset": host + "-pg", "severity": "warning",
               "category": "logs", "finding": host + "-pg", "asset_kind": "service", "host": host}  # fmt: skip
    elsewhere = {**service, "finding": host + "-other", "host": "another-host"}
    peer = AlertmanagerPeer(stack.am.url, timeout=5)
    later = now + dt.timedelta(minutes=5)
    peer.post_alerts([alert_json(labels, {"summary": "x"}, now, later) for labels in (down, service, elsewhere)])

    def state_of(finding: str) -> str:
        return str(_am_alerts(stack, finding=finding)[0]["status"]["state"])

    assert wait_until(lambda: state_of(host + "-pg") == "suppressed", timeout=10)
    assert state_of(host + "-other") == "active" and state_of(host + "-down") == "active"
    peer.post_alerts([alert_json(labels, {"summary": "x"}, now, dt.datetime.now(dt.UTC)) for labels in (down,)])
    assert wait_until(lambda: state_of(host + "-pg") == "active", timeout=10)  # host back: the service alert shows


def _amtool(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([require_binary("amtool"), *args], capture_output=True, text=True, timeout=30, check=False)


EVERY_RECEIVER = {
    "INFRAMIND_TELEGRAM_RELAY_URL": "http://127.0.0.1:8050/api/v1/relay/telegram",
    "INFRAMIND_ANALYZER_ITSM_URL": "http://127.0.0.1:8050/api/v1/alertmanager/webhook",
    "INFRAMIND_ANALYZER_WEBHOOK_TOKEN": "alertmanager-token",
    "INFRAMIND_SLACK_WEBHOOK_URL": "http://127.0.0.1:9/services/T0/B0/x",
    "INFRAMIND_SMTP_SMARTHOST": "127.0.0.1:25",
    "INFRAMIND_SMTP_FROM": "alerts@example.net",
    "INFRAMIND_EMAIL_TO": "oncall@example.net",
    "INFRAMIND_TENANT_EMAIL_TENANT": "globex",
    "INFRAMIND_TENANT_EMAIL_TO": "noc@globex.example",
    "INFRAMIND_EMAIL_TO_STORAGE": "storage@example.net",
    "INFRAMIND_EMAIL_TO_NETWORK": "network@example.net",
    "INFRAMIND_EMAIL_TO_FACILITY": "facility@example.net",
}


@pytest.mark.parametrize(
    ("labels", "expected"),
    [
        (["severity=critical", "tenant=acme"], "email,telegram-relay,slack,analyzer-itsm"),
        (["severity=warning", "tenant=globex"], "telegram-relay,slack,email-tenant"),
        (["severity=warning", "tenant=acme", "team=storage"], "telegram-relay,slack,email-team-storage"),
        (
            ["severity=critical", "tenant=acme", "team=facility"],
            "email,telegram-relay,slack,analyzer-itsm,email-team-facility",
        ),
        (["severity=info", "tenant=globex", "team=network"], "default"),
    ],
)
def test_routes_by_severity_tenant_and_team(tmp_path: Path, labels: list[str], expected: str) -> None:
    path = tmp_path / "alertmanager.yml"
    path.write_text(render_file(REPO / "alertmanager" / "alertmanager.yml", EVERY_RECEIVER).text)
    check = _amtool("check-config", str(path))
    assert check.returncode == 0, check.stdout + check.stderr
    assert "9 receivers" in check.stdout and "5 inhibit rules" in check.stdout
    routed = _amtool("config", "routes", "test", f"--config.file={path}", "alertname=X", *labels)
    assert routed.returncode == 0, routed.stderr
    assert routed.stdout.strip() == expected
