"""The Alertmanager config renderer: receivers switch on with their variables, no secret leaks in errors,
and the rendered file is written 0600 atomically."""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Any

import pytest
import yaml

from inframind.stack.alertmanager import RenderError, render, render_file
from inframind.stack.files import PRIVATE, write_atomic

REPO = Path(__file__).resolve().parents[2]
TEMPLATE = REPO / "alertmanager" / "alertmanager.yml"

SMALL = """
templates: [templates/*.tmpl, /abs/x.tmpl]
route:
  receiver: default
  routes:
    - receiver: chat
      routes: [{receiver: chat, matchers: ['a="b"']}]
    - receiver: mail
receivers:
  - name: default
  - name: chat
    webhook_configs: [{url: "${HOOK_URL}", max_alerts: "${MAX:-0|int}"}]
  - name: mail
    email_configs:
      - to: "${TO}"
        auth_password: "${PASSWORD:-}"
        require_tls: "${TLS:-true|bool}"
        hello: "mx-${SITE:-default}.example.net"
"""


def _doc(text: str) -> Any:
    return yaml.safe_load(text)


def test_receivers_without_their_variables_are_left_out_with_their_routes() -> None:
    rendered = render(SMALL, {"TO": "ops@example.net"})
    doc = _doc(rendered.text)
    assert [r["name"] for r in doc["receivers"]] == ["default", "mail"]
    assert doc["route"]["routes"] == [{"receiver": "mail"}]
    assert rendered.enabled == ("default", "mail")
    assert rendered.disabled == {"chat": ("HOOK_URL",)}


def test_all_variables_set_fill_and_convert() -> None:
    env = {
        "HOOK_URL": "http://127.0.0.1:5001/",
        "MAX": "7",
        "TO": "ops@x",
        "PASSWORD": "007",
        "TLS": "no",
        "SITE": "m1",
    }
    doc = _doc(render(SMALL, env).text)
    assert doc["receivers"][1]["webhook_configs"] == [{"url": "http://127.0.0.1:5001/", "max_alerts": 7}]
    mail = doc["receivers"][2]["email_configs"][0]
    assert mail == {"to": "ops@x", "auth_password": "007", "require_tls": False, "hello": "mx-m1.example.net"}
    assert doc["route"]["routes"][0]["routes"] == [{"receiver": "chat", "matchers": ['a="b"']}]


def test_optional_settings_fall_back_or_disappear() -> None:
    doc = _doc(render(SMALL, {"TO": "ops@x", "PASSWORD": ""}).text)
    mail = doc["receivers"][1]["email_configs"][0]
    assert "auth_password" not in mail  # empty counts as unset: Alertmanager's default applies
    assert mail["require_tls"] is True
    assert mail["hello"] == "mx-default.example.net"


def test_no_receivers_but_the_default_drops_all_routes() -> None:
    doc = _doc(render(SMALL, {}).text)
    assert doc["route"] == {"receiver": "default"}
    assert [r["name"] for r in doc["receivers"]] == ["default"]


def test_template_globs_are_made_absolute() -> None:
    doc = _doc(render(SMALL, {}, templates_dir="/srv/am").text)
    assert doc["templates"] == ["/srv/am/templates/*.tmpl", "/abs/x.tmpl"]


def test_bad_values_name_the_variable_but_never_echo_it() -> None:
    with pytest.raises(RenderError) as err:
        render(SMALL, {"HOOK_URL": "u", "MAX": "s3cr3t-value"})
    assert "MAX" in str(err.value)
    assert "s3cr3t" not in str(err.value)
    with pytest.raises(RenderError, match="TLS: expected true or false"):
        render(SMALL, {"TO": "x", "TLS": "maybe"})


def test_missing_required_variable_outside_a_receiver_is_an_error() -> None:
    text = "global: {smtp_from: '${FROM}'}\nroute: {receiver: default}\nreceivers: [{name: default}]\n"
    with pytest.raises(RenderError, match="FROM is not set"):
        render(text, {})


def test_a_disabled_top_level_receiver_is_an_error() -> None:
    text = "route: {receiver: chat}\nreceivers: [{name: chat, webhook_configs: [{url: '${U}'}]}]\n"
    with pytest.raises(RenderError, match="top-level route's receiver 'chat' is disabled: set U"):
        render(text, {})


@pytest.mark.parametrize(
    "text",
    ["[1, 2]", "receivers: []", "route: {receiver: x}\nreceivers: [", "a: {", "route: {}\nreceivers: [x]"],
)
def test_malformed_templates_are_refused(text: str) -> None:
    with pytest.raises(RenderError):
        render(text, {})


def test_project_template_receivers_follow_the_documented_variables() -> None:
    env = {
        "INFRAMIND_TELEGRAM_BOT_TOKEN": "1:t",
        "INFRAMIND_TELEGRAM_CHAT_ID": "-42",
        "INFRAMIND_SMTP_SMARTHOST": "mx:25",
        "INFRAMIND_SMTP_FROM": "a@x",
        "INFRAMIND_EMAIL_TO": "b@x",
    }
    rendered = render_file(TEMPLATE, env)
    assert rendered.text.startswith("# Rendered by `inframind up`")
    doc = _doc(rendered.text)
    telegram = doc["receivers"][1]["telegram_configs"][0]
    assert telegram["chat_id"] == -42
    assert telegram["api_url"] == "https://api.telegram.org"
    email = doc["receivers"][2]["email_configs"][0]
    assert email["require_tls"] is True
    assert "auth_username" not in email
    assert doc["templates"] == [str(REPO / "alertmanager" / "templates" / "*.tmpl")]
    readme = (REPO / "alertmanager" / "README.md").read_text()
    for name in [*env, "INFRAMIND_TELEGRAM_API_URL", "INFRAMIND_SMTP_AUTH_USERNAME", "INFRAMIND_SMTP_AUTH_PASSWORD"]:
        assert name in TEMPLATE.read_text()
        assert name in readme


def test_write_atomic_creates_a_private_file_and_tightens_an_existing_one(tmp_path: Path) -> None:
    path = tmp_path / "var" / "alertmanager.yml"
    write_atomic(path, "a: 1\n", PRIVATE)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    path.chmod(0o644)
    old_umask = os.umask(0o000)
    try:
        write_atomic(path, "a: 2\n", PRIVATE)
    finally:
        os.umask(old_umask)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert path.read_text() == "a: 2\n"
    assert [p.name for p in path.parent.iterdir()] == ["alertmanager.yml"]  # no temporary file left behind
