"""An alert posted to Alertmanager (API v2) reaches the email sink and the loopback Telegram API, rendered
with the project's templates. Alertmanager runs with the project's template rendered for the sinks."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
import requests

from tests.conftest import EMAIL_FROM, EMAIL_TO, TELEGRAM_CHAT_ID, TELEGRAM_TOKEN
from tests.helpers.servers import Running, SMTPSink
from tests.helpers.telegram import TelegramAPI

pytestmark = pytest.mark.integration


def _post_alert(alertmanager: Running, alertname: str, severity: str) -> None:
    now = dt.datetime.now(dt.UTC)
    alert = {
        "labels": {"alertname": alertname, "severity": severity, "asset": "srv-db-03", "tenant": "acme"},
        "annotations": {
            "summary": "Filesystem /var on srv-db-03 is <b>almost</b> full",
            "description": "Only 3% of /var is free.",
            "runbook_url": "docs/runbooks/HostFilesystemAlmostFull.md",
        },
        "startsAt": now.isoformat(),
        "endsAt": (now + dt.timedelta(minutes=10)).isoformat(),
        "generatorURL": "http://127.0.0.1/vmalert",
    }
    answer = requests.post(alertmanager.url + "/api/v2/alerts", json=[alert], timeout=5)
    assert answer.status_code == 200, answer.text


def test_critical_alert_reaches_telegram_and_email(
    alertmanager: Running, telegram_api: TelegramAPI, smtp_sink: SMTPSink
) -> None:
    name = f"InframindTestCritical{uuid.uuid4().hex[:8]}"
    _post_alert(alertmanager, name, "critical")

    call = telegram_api.wait_for(name)
    assert call.token == TELEGRAM_TOKEN
    assert call.method == "sendMessage"
    assert str(call.payload["chat_id"]) == TELEGRAM_CHAT_ID
    assert call.payload.get("parse_mode") == "HTML"
    assert "[FIRING:1]" in call.text
    assert "srv-db-03" in call.text
    # Values from alerts are escaped for Telegram's HTML mode; only the template's own tags stay.
    assert "&lt;b&gt;almost&lt;/b&gt;" in call.text
    assert "<b>almost</b>" not in call.text
    assert "runbook: docs/runbooks/HostFilesystemAlmostFull.md" in call.text

    message = smtp_sink.mailbox.wait_for(name)
    assert message["To"] == EMAIL_TO
    assert message["From"] == EMAIL_FROM
    assert str(message["Subject"]).startswith(f"[FIRING:1] {name} on srv-db-03")
    text = message.get_body(("plain",))
    assert text is not None
    body = text.get_content()
    assert "Filesystem /var on srv-db-03 is <b>almost</b> full" in body
    assert "severity=critical" in body


def test_warning_alert_reaches_telegram(alertmanager: Running, telegram_api: TelegramAPI) -> None:
    name = f"InframindTestWarning{uuid.uuid4().hex[:8]}"
    _post_alert(alertmanager, name, "warning")
    call = telegram_api.wait_for(name)
    assert "<b>warning</b>" in call.text
