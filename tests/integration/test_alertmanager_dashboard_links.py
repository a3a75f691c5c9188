"""Dashboard links in notifications: a real Alertmanager, running the project's config rendered with
``INFRAMIND_GRAFANA_URL``, puts the Grafana base URL before an alert's relative ``dashboard`` annotation in
Telegram, both email parts and Slack, leaves an absolute ``dashboard_url`` as it is, and without the variable
(the session's Alertmanager) prints the relative path unchanged.

Telegram and Slack post to loopback listeners (:class:`tests.helpers.telegram.TelegramAPI` records any POST and
answers 200, which is all Alertmanager's Slack receiver needs); email goes to an aiosmtpd sink.
"""

from __future__ import annotations

import datetime as dt
import html
import uuid
from collections.abc import Iterator

import pytest
import requests

from inframind.stack.alertmanager import RenderError, render
from tests.conftest import EMAIL_FROM, EMAIL_TO, TELEGRAM_CHAT_ID, TELEGRAM_TOKEN
from tests.helpers.procs import wait_until
from tests.helpers.servers import REPO, Running, SMTPSink, start_alertmanager
from tests.helpers.telegram import TelegramAPI

pytestmark = pytest.mark.integration
GRAFANA = "https://grafana.example.net/monitor"
PATH = "/d/inframind-host?var-tenant=acme&var-asset=srv-db-03"
ABSOLUTE = "https://other.example.net/d/inframind-storage?var-asset=srv-db-03"


@pytest.fixture(scope="module")
def listeners() -> Iterator[tuple[TelegramAPI, TelegramAPI, SMTPSink]]:
    telegram, slack, smtp = TelegramAPI(), TelegramAPI(), SMTPSink()
    try:
        yield telegram, slack, smtp
    finally:
        telegram.close()
        slack.close()
        smtp.close()


@pytest.fixture(scope="module")
def linked_alertmanager(
    tmp_path_factory: pytest.TempPathFactory, listeners: tuple[TelegramAPI, TelegramAPI, SMTPSink]
) -> Iterator[Running]:
    telegram, slack, smtp = listeners
    env = {
        "INFRAMIND_GRAFANA_URL": GRAFANA + "/",  # the trailing slash is dropped
        "INFRAMIND_TELEGRAM_BOT_TOKEN": TELEGRAM_TOKEN,
        "INFRAMIND_TELEGRAM_CHAT_ID": TELEGRAM_CHAT_ID,
        "INFRAMIND_TELEGRAM_API_URL": telegram.url,
        "INFRAMIND_SMTP_SMARTHOST": smtp.smarthost,
        "INFRAMIND_SMTP_FROM": EMAIL_FROM,
        "INFRAMIND_EMAIL_TO": EMAIL_TO,
        "INFRAMIND_SMTP_REQUIRE_TLS": "false",
        "INFRAMIND_SLACK_WEBHOOK_URL": slack.url + "/services/T0/B0/x",
    }
    base = tmp_path_factory.mktemp("alertmanager-links")
    server = start_alertmanager(base, base / "data", env)
    try:
        yield server
    finally:
        server.stop()


def post_alert(alertmanager: Running, name: str, **annotations: str) -> None:
    now = dt.datetime.now(dt.UTC)
    alert = {
        "labels": {"alertname": name, "severity": "critical", "asset": "srv-db-03", "tenant": "acme"},
        "annotations": {"summary": "Filesystem /var on srv-db-03 is almost full", **annotations},
        "startsAt": now.isoformat(),
        "endsAt": (now + dt.timedelta(minutes=10)).isoformat(),
    }
    answer = requests.post(alertmanager.url + "/api/v2/alerts", json=[alert], timeout=5)
    assert answer.status_code == 200, answer.text


def slack_text(slack: TelegramAPI, needle: str) -> str:
    """Title and text of the first Slack post mentioning ``needle`` (Alertmanager sends them as attachments)."""

    def texts() -> list[str]:
        found = ["\n".join(f"{a.get('title', '')}\n{a.get('text', '')}" for a in c.payload.get("attachments", []))
                 for c in list(slack.calls)]  # fmt: skip
        return [t for t in found if needle in t]

    assert wait_until(lambda: bool(texts())), [c.payload for c in slack.calls]
    return texts()[0]


def test_relative_links_get_the_grafana_url_in_every_text(
    linked_alertmanager: Running, listeners: tuple[TelegramAPI, TelegramAPI, SMTPSink]
) -> None:
    telegram, slack, smtp = listeners
    name = f"InframindLinkTest{uuid.uuid4().hex[:8]}"
    post_alert(linked_alertmanager, name, dashboard=PATH, dashboard_url=ABSOLUTE)
    link = GRAFANA + PATH

    message = telegram.wait_for(name).text
    assert f"dashboard: {html.escape(link, quote=False)}" in message  # & escaped for Telegram's HTML mode
    assert f"dashboard: {ABSOLUTE}" in message

    mail = smtp.mailbox.wait_for(name)
    text, page = mail.get_body(("plain",)), mail.get_body(("html",))
    assert text is not None and page is not None
    assert f"dashboard: {link}" in text.get_content() and f"dashboard: {ABSOLUTE}" in text.get_content()
    body = page.get_content()
    assert f"Dashboard: {html.escape(link)}" in body, body  # html/template escapes & in the HTML part
    assert f"Dashboard: {ABSOLUTE}" in body

    posted = slack_text(slack, name)
    assert f"dashboard: {link}" in posted and f"dashboard: {ABSOLUTE}" in posted
    assert GRAFANA + "//d/" not in message + text.get_content() + body + posted


def test_without_the_variable_the_path_stays_relative(alertmanager: Running, telegram_api: TelegramAPI) -> None:
    """The session's Alertmanager is rendered without INFRAMIND_GRAFANA_URL (what `inframind up` does by default)."""
    name = f"InframindLinkTest{uuid.uuid4().hex[:8]}"
    post_alert(alertmanager, name, dashboard=PATH)
    assert f"dashboard: {html.escape(PATH, quote=False)}" in telegram_api.wait_for(name).text


@pytest.mark.parametrize(
    "value", ["grafana.example.net", "https://g.example.net/?a=1&b=2", 'https://g/"x', "https://g/{{"]
)
def test_an_unusable_grafana_url_stops_the_render_with_its_name(value: str) -> None:
    template = (REPO / "alertmanager" / "alertmanager.yml").read_text(encoding="utf-8")
    with pytest.raises(RenderError, match="INFRAMIND_GRAFANA_URL") as raised:
        render(template, {"INFRAMIND_GRAFANA_URL": value})
    assert value not in str(raised.value)
