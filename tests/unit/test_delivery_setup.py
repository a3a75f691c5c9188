"""Delivery is assembled from its settings: each part exists only when configured, the delivery task runs on
the leader only, and a feedback key that is missing or too short refuses links instead of signing weakly."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest

from inframind.analyzer.delivery_setup import build_delivery, hmac_key
from inframind.analyzer.state import StateDB
from inframind.config import AnalyzerConfig
from inframind.config.delivery import (
    AlertmanagerSinkSettings,
    DeliverySettings,
    FeedbackSettings,
    ItsmSettings,
    JiraSettings,
    RelaySettings,
    delivery_settings,
)
from inframind.schema import ConfigError, build
from inframind.secrets import SecretError, SecretRef


@pytest.fixture
def state(tmp_path: Path) -> Iterator[StateDB]:
    db = StateDB(tmp_path / "state.db")
    yield db
    db.close()


def test_defaults_send_nothing(state: StateDB) -> None:
    delivery = build_delivery(delivery_settings(AnalyzerConfig()), state)
    assert delivery.task is None
    assert (delivery.deps.tickets, delivery.deps.relay, delivery.deps.feedback) == (None, None, None)
    assert delivery.interval == 10.0


def test_configured_parts_are_built(state: StateDB, tmp_path: Path) -> None:
    key = tmp_path / "key"
    key.write_text("x" * 40)
    settings = DeliverySettings(
        alertmanager=AlertmanagerSinkSettings(urls=("http://127.0.0.1:9093", "http://127.0.0.1:9094"), interval=15.0),
        relay=RelaySettings(telegram_bot_token=SecretRef("env", "IM_BOT"), telegram_chat_id="-1"),
        feedback=FeedbackSettings(key=SecretRef("file", str(key))),
        itsm=ItsmSettings(jira=JiraSettings("https://jira.example.net", "OPS", SecretRef("env", "IM_JIRA"))),
    )
    delivery = build_delivery(settings, state)
    assert delivery.task is not None and [p.url for p in delivery.task.peers] == list(settings.alertmanager.urls)
    assert delivery.deps.relay is not None and delivery.deps.feedback is not None
    assert delivery.deps.tickets is not None and [s.name for s in delivery.deps.tickets.systems] == ["jira"]
    assert delivery.interval == 15.0
    report = delivery.task(dt.datetime.now(dt.UTC))  # no findings: nothing to send, nobody contacted
    assert report.wanted == 0 and report.sent == {} and report.failed == {}


def test_short_or_missing_feedback_key_is_refused(tmp_path: Path) -> None:
    short = tmp_path / "short"
    short.write_text("tiny")
    with pytest.raises(SecretError, match="at least 16 bytes"):
        hmac_key(SecretRef("file", str(short)))()
    with pytest.raises(SecretError, match="cannot read file"):
        hmac_key(SecretRef("file", str(tmp_path / "missing")))()


def test_settings_load_from_config_and_errors_name_the_fields() -> None:
    with pytest.raises(ConfigError) as err:
        build(DeliverySettings, {"alertmanager": {"urls": ["ftp://x"], "resend_factor": 1},
                                 "feedback": {"silence_hours": [0]}})  # fmt: skip
    text = str(err.value)
    assert "alertmanager.urls[0]: expected an http:// or https:// URL" in text
    assert "alertmanager.resend_factor: must be at least 2" in text
    assert "feedback.silence_hours[0]: expected 1 to 336 hours" in text
    loaded = build(DeliverySettings, {"relay": {"telegram_bot_token": "env:TG", "chats": {"acme": "-200"}}})
    assert loaded.relay.chats == {"acme": "-200"} and loaded.relay.telegram_bot_token is not None
