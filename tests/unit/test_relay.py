"""The relay's Telegram HTML: values escaped, long messages split under 4096 UTF-16 units into parts that are
each valid HTML (no cut tag or entity, tags closed and reopened), the text kept whole across the parts; and
the relay sending them to a loopback Telegram API (tests/helpers/telegram.py), skipping parts a chat already
got when Alertmanager retries a notification."""

from __future__ import annotations

import datetime as dt
import html
import random
import re

import pytest

from inframind.analyzer.feedback import verify
from inframind.analyzer.relay import RelayError, TelegramBot, TelegramRelay
from inframind.analyzer.relay_html import escape, split_message, units
from inframind.analyzer.relay_message import render_message
from inframind.analyzer.relay_webhook import WebhookError, parse_webhook
from inframind.config.delivery import FeedbackSettings, RelaySettings
from inframind.secrets import SecretRef
from tests.helpers.delivery_app import assert_valid_telegram_html
from tests.helpers.telegram import TelegramAPI

_PREFIX = re.compile(r"^<i>\(\d+/\d+\)</i>\n")
KEY = "k" * 40


def _plain(parts: list[str]) -> str:
    return "".join(html.unescape(re.sub(r"<[^<>]*>", "", _PREFIX.sub("", p))) for p in parts)


def test_short_message_is_one_part_and_unchanged() -> None:
    assert split_message("<b>ok</b> &amp; done") == ["<b>ok</b> &amp; done"]


@pytest.mark.parametrize("seed", range(12))
def test_long_messages_split_into_valid_parts_that_keep_the_text(seed: int) -> None:
    rng = random.Random(seed)
    words = ["iowait", "<raise>", "queue&depth", "Проверьте", "контроллер", "😀", "srv-db-03", "\n", "LUN-12"]
    chunks = []
    for _ in range(rng.randint(300, 1500)):
        word = escape(rng.choice(words))
        chunks.append(rng.choice([word, f"<b>{word}</b>", f"<i>{word} <code>{word}</code></i>", word + " "]))
    text = " ".join(chunks)
    limit = rng.choice([4096, 1000, 300])
    parts = split_message(text, limit)
    assert len(parts) > 1
    for k, part in enumerate(parts, start=1):
        assert units(part) <= limit
        assert part.startswith(f"<i>({k}/{len(parts)})</i>\n")
        assert_valid_telegram_html(part)
    squeeze = re.compile(r"\s+")
    assert squeeze.sub("", _plain(parts)) == squeeze.sub("", html.unescape(re.sub(r"<[^<>]*>", "", text)))


def test_a_long_link_is_never_cut() -> None:
    link = '<a href="https://example.net/' + "x" * 500 + '">runbook</a>'
    parts = split_message(("word " * 200 + link + " ") * 3, 700)
    for part in parts:
        assert_valid_telegram_html(part)
    assert sum(p.count("<a href") for p in parts) == 3


def _payload(summary: str, recommendation: str, status: str = "firing") -> dict[str, object]:
    alert = {
        "status": status,
        "labels": {
            "alertname": "InfraMindMetricAnomaly",
            "asset": "srv-db-03",
            "tenant": "acme",
            "severity": "warning",
            "finding": "f" * 16,
        },
        "annotations": {
            "summary": summary,
            "recommendation": recommendation,
            "incident": "inc-7",
            "runbook_url": "https://runbooks.example/iowait?a=1&b=2",
            "probability": "0.81",
        },
        "startsAt": "2026-11-26T06:00:00Z",
        "endsAt": "0001-01-01T00:00:00Z",
        "fingerprint": "abc",
    }
    common = {"alertname": "InfraMindMetricAnomaly", "asset": "srv-db-03", "tenant": "acme"}
    return {"version": "4", "status": status, "receiver": "telegram-relay", "groupKey": "{}:{x}", "alerts": [alert],
            "commonLabels": common}  # fmt: skip


def test_rendered_message_escapes_alert_values_and_signs_links() -> None:
    message = parse_webhook(_payload("iowait <b>29%</b> on srv-db-03", "Raise queue depth & re-measure"))
    relay = TelegramRelay(RelaySettings(), FeedbackSettings(key=SecretRef("env", "IM_TEST_KEY")))
    now = dt.datetime(2026, 11, 26, 6, 30, tzinfo=dt.UTC)
    text = render_message(message, relay._links(now))
    assert "iowait &lt;b&gt;29%&lt;/b&gt; on srv-db-03" in text
    assert "Raise queue depth &amp; re-measure" in text
    assert '<a href="https://runbooks.example/iowait?a=1&amp;b=2">runbook</a>' in text
    hrefs = re.findall(r'<a href="([^"]+/api/v1/feedback/link/[^"]+)">([^<]+)</a>', text)
    assert [title for _, title in hrefs] == ["Acknowledge", "False positive", "Silence 4h", "Silence 24h"]
    claim = verify(hrefs[2][0].rsplit("/", 1)[1], KEY.encode(), now)
    assert (claim.action, claim.hours, claim.incident) == ("silence", 4, "inc-7")
    assert claim.labels == {"alertname": "InfraMindMetricAnomaly", "asset": "srv-db-03", "tenant": "acme",
                            "finding": "f" * 16}  # fmt: skip


def test_russian_messages_use_russian_words_and_buttons() -> None:
    message = parse_webhook(_payload("iowait 29%", "Поднимите queue depth до 64"))
    relay = TelegramRelay(RelaySettings(language="ru"), FeedbackSettings(key=SecretRef("env", "IM_TEST_KEY")))
    text = render_message(message, relay._links(dt.datetime(2026, 11, 26, 6, tzinfo=dt.UTC)), "ru")
    assert "объект: srv-db-03 (тенант acme)" in text and "инцидент: inc-7" in text
    titles = re.findall(r'<a href="[^"]+/feedback/link/[^"]+">([^<]+)</a>', text)
    assert titles == ["Принято", "Ложное срабатывание", "Тишина 4 ч", "Тишина 24 ч"]


@pytest.fixture(autouse=True)
def _feedback_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IM_TEST_KEY", KEY)
    monkeypatch.setenv("IM_TEST_BOT", "777:relay-test")


def test_relay_sends_each_part_once_even_when_retried(telegram_api: TelegramAPI) -> None:
    needle = "relay-unit-" + "x" * 6
    long_text = " ".join(f"{needle} step {i}: check <queue> & depth" for i in range(600))
    message = parse_webhook(_payload(f"{needle} summary", long_text))
    settings = RelaySettings(telegram_api_url=telegram_api.url, telegram_bot_token=SecretRef("env", "IM_TEST_BOT"),
                             telegram_chat_id="-100", chats={"acme": "-200"})  # fmt: skip
    relay = TelegramRelay(settings, FeedbackSettings(key=SecretRef("env", "IM_TEST_KEY")))
    before = len(telegram_api.calls)
    report = relay.handle(message)
    assert report.chat == "-200" and report.parts == report.sent > 1
    # The session Telegram API also receives the session Alertmanager's notifications: count only this bot's.
    calls = [c for c in telegram_api.calls[before:] if c.token == "777:relay-test"]
    assert len(calls) == report.parts
    for call in calls:
        assert call.payload["parse_mode"] == "HTML"
        assert call.payload["disable_web_page_preview"] is True
        assert units(call.text) <= 4096
        assert_valid_telegram_html(call.text)
    assert "check &lt;queue&gt; &amp; depth" in calls[0].text
    assert "/api/v1/feedback/link/" in calls[-1].text
    again = relay.handle(message)
    assert (again.sent, again.skipped) == (0, report.parts)
    assert len([c for c in telegram_api.calls[before:] if c.token == "777:relay-test"]) == report.parts


def test_relay_refuses_without_token_or_chat() -> None:
    message = parse_webhook(_payload("s", "r"))
    with pytest.raises(RelayError, match="no bot token"):
        TelegramRelay(RelaySettings()).handle(message)
    with pytest.raises(RelayError, match="no Telegram chat for tenant 'acme'"):
        TelegramRelay(RelaySettings(telegram_bot_token=SecretRef("env", "IM_TEST_BOT"))).handle(message)


def test_telegram_errors_are_reported_after_retries() -> None:
    waits: list[float] = []
    bot = TelegramBot("http://127.0.0.1:9", "1:x", timeout=0.5, retries=2, sleep=waits.append)
    with pytest.raises(RelayError, match="cannot reach the Telegram API"):
        bot.send("-1", "hi")
    assert waits == [1.0]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ([], "body"),
        ({"version": "3", "alerts": []}, "version"),
        ({"alerts": "x"}, "alerts"),
        ({"alerts": [{"status": "odd"}]}, "alerts[0].status"),
        ({"alerts": [{"status": "firing", "labels": {"a": 1}}]}, "alerts[0].labels"),
    ],
)
def test_bad_webhook_payloads_name_the_field(body: object, field: str) -> None:
    with pytest.raises(WebhookError, match=re.escape(field)):
        parse_webhook(body)
