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
    for check in ("promtool check rules", "vmalert -dryRun", "promtool test rules", "log rules"):
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
