"""`inframind rules check` runs promtool, vmalert -dryRun and the log rule loader, and fails on any problem."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from inframind.cli import main

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]


def test_shipped_rules_pass() -> None:
    result = CliRunner().invoke(main, ["rules", "check", str(ROOT / "rules")])
    assert result.exit_code == 0, result.output
    checks = ("promtool check rules", "vmalert -dryRun", "promtool test rules", "log rules", "alert annotations")
    for check in (*checks, "alert test cases"):
        assert f"ok    {check}" in result.output


def test_broken_log_rule_and_alert_fail(tmp_path: Path) -> None:
    rules = tmp_path / "rules"
    shutil.copytree(ROOT / "rules", rules)
    (rules / "logs" / "bad.yml").write_text("groups:\n  - name: x\n    rules:\n      - alert: X\n        match: {}\n")
    alerts = rules / "alerts" / "host.yml"
    alerts.write_text(alerts.read_text().replace('expr: up{job="node"} == 0', 'expr: up{job="node" == 0'))
    result = CliRunner().invoke(main, ["rules", "check", str(rules)])
    assert result.exit_code == 1
    assert "FAIL  promtool check rules" in result.output
    assert "FAIL  log rules" in result.output and "give at least one matcher" in result.output


def test_alert_without_runbook_or_silent_case_fails(tmp_path: Path) -> None:
    """The house rules run too: an alert whose runbook page is missing and whose tests never keep it silent."""
    shutil.copytree(ROOT / "rules", tmp_path / "rules")
    shutil.copytree(ROOT / "docs" / "runbooks", tmp_path / "docs" / "runbooks")
    (tmp_path / "docs" / "runbooks" / "HostHighIowait.md").unlink()
    tests = tmp_path / "rules" / "tests" / "host_test.yml"
    silent = "      - eval_time: 12m\n        alertname: HostHighIowait\n        exp_alerts: []\n"
    assert silent in tests.read_text()
    tests.write_text(tests.read_text().replace(silent, ""))
    result = CliRunner().invoke(main, ["rules", "check", str(tmp_path / "rules")])
    assert result.exit_code == 1
    assert "ok    promtool test rules" in result.output
    assert "FAIL  alert annotations" in result.output
    assert "host.yml: HostHighIowait: runbook docs/runbooks/HostHighIowait.md does not exist" in result.output
    assert "FAIL  alert test cases" in result.output
    assert "host.yml: HostHighIowait: no test case in which it must stay silent" in result.output
