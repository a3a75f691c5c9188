"""amtool accepts the rendered Alertmanager config with no, some and all receiver variables set, and
routes each severity to the receivers the template promises."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from inframind.stack.alertmanager import render_file
from inframind.stack.files import PRIVATE, write_atomic
from tests.helpers.procs import require_binary
from tests.helpers.servers import REPO

pytestmark = pytest.mark.integration

TELEGRAM = {"INFRAMIND_TELEGRAM_BOT_TOKEN": "123456:abc-DEF", "INFRAMIND_TELEGRAM_CHAT_ID": "-1001234567890"}
EMAIL = {
    "INFRAMIND_SMTP_SMARTHOST": "smtp.example.net:587",
    "INFRAMIND_SMTP_FROM": "alerts@example.net",
    "INFRAMIND_EMAIL_TO": "oncall@example.net",
}
EVERYTHING = {
    **TELEGRAM,
    **EMAIL,
    "INFRAMIND_TELEGRAM_API_URL": "http://127.0.0.1:9",
    "INFRAMIND_SMTP_AUTH_USERNAME": "alerts",
    "INFRAMIND_SMTP_AUTH_PASSWORD": "007-secret",
    "INFRAMIND_SMTP_REQUIRE_TLS": "false",
}
CASES = {"none": {}, "telegram only": TELEGRAM, "email only": EMAIL, "all": EVERYTHING}


def _render(tmp_path: Path, env: dict[str, str]) -> Path:
    path = tmp_path / "alertmanager.yml"
    write_atomic(path, render_file(REPO / "alertmanager" / "alertmanager.yml", env).text, PRIVATE)
    return path


def _amtool(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([require_binary("amtool"), *args], capture_output=True, text=True, timeout=30, check=False)


@pytest.mark.parametrize("env", CASES.values(), ids=CASES.keys())
def test_amtool_accepts_rendered_config(tmp_path: Path, env: dict[str, str]) -> None:
    path = _render(tmp_path, env)
    result = _amtool("check-config", str(path))
    assert result.returncode == 0, result.stdout + result.stderr
    receivers = 1 + ("INFRAMIND_TELEGRAM_CHAT_ID" in env) + ("INFRAMIND_EMAIL_TO" in env)
    assert f"{receivers} receivers" in result.stdout
    assert "1 templates" in result.stdout


@pytest.mark.parametrize(
    ("env", "severity", "expected"),
    [
        ({}, "critical", "default"),
        (TELEGRAM, "critical", "telegram"),
        (TELEGRAM, "info", "default"),
        (EVERYTHING, "critical", "telegram,email"),
        (EVERYTHING, "warning", "telegram"),
        (EMAIL, "warning", "default"),
    ],
)
def test_routes_send_each_severity_to_enabled_receivers(
    tmp_path: Path, env: dict[str, str], severity: str, expected: str
) -> None:
    path = _render(tmp_path, env)
    result = _amtool("config", "routes", "test", f"--config.file={path}", "alertname=X", f"severity={severity}")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == expected
