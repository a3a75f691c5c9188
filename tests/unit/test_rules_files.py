"""House rules for rules/: every alert is actionable (severity, values, runbook, dashboard) and has promtool
cases that fire and cases that must not; every recording rule an alert reads exists."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
RULES = REPO / "rules"
SEVERITIES = {"critical", "warning", "info"}
RECORDING_NAME = re.compile(r"^[a-z_]+:[a-zA-Z0-9_]+:[a-z0-9_]+$")


def _rules(kind: str) -> list[dict[str, Any]]:
    found = []
    for path in sorted((RULES / kind).glob("*.yml")):
        for group in yaml.safe_load(path.read_text())["groups"]:
            found.extend(group["rules"])
    return found


ALERTS = _rules("alerts")
RECORDS = _rules("recording")


def _test_cases() -> list[dict[str, Any]]:
    cases = []
    for path in sorted((RULES / "tests").glob("*.yml")):
        for test in yaml.safe_load(path.read_text())["tests"]:
            cases.extend(test.get("alert_rule_test", []))
    return cases


def test_there_are_rules_of_both_kinds() -> None:
    assert {a["alert"] for a in ALERTS} >= {
        "HostExporterDown",
        "HostFilesystemAlmostFull",
        "HostFilesystemWillFillIn24h",
        "HostHighIowait",
    }
    assert "instance:node_cpu_iowait:ratio_rate5m" in {r["record"] for r in RECORDS}


@pytest.mark.parametrize("alert", ALERTS, ids=[a["alert"] for a in ALERTS])
def test_alert_is_actionable(alert: dict[str, Any]) -> None:
    name = alert["alert"]
    assert alert["labels"]["severity"] in SEVERITIES
    annotations = alert["annotations"]
    assert {"summary", "description", "runbook_url", "dashboard"} <= set(annotations)
    assert "$value" in annotations["description"], "the description should say how bad it is"
    assert annotations["runbook_url"] == f"docs/runbooks/{name}.md"
    runbook = REPO / annotations["runbook_url"]
    assert runbook.is_file(), f"write {runbook.relative_to(REPO)}"
    text = runbook.read_text()
    assert text.startswith(f"# {name}\n")
    assert "## Checks" in text
    assert "## Fixes" in text
    assert annotations["dashboard"].startswith("/d/")


@pytest.mark.parametrize("alert", ALERTS, ids=[a["alert"] for a in ALERTS])
def test_alert_has_promtool_cases_that_fire_and_that_must_not(alert: dict[str, Any]) -> None:
    cases = [c for c in _test_cases() if c["alertname"] == alert["alert"]]
    assert any(c.get("exp_alerts") for c in cases), "no case where it fires"
    assert any(not c.get("exp_alerts") for c in cases), "no case where it must stay silent"


def test_recording_rules_follow_the_naming_convention_and_are_used_names_exist() -> None:
    records = {r["record"] for r in RECORDS}
    for name in records:
        assert RECORDING_NAME.match(name), f"{name}: use level:metric:operations"
    used = {m for a in ALERTS for m in re.findall(r"[a-z_]+:[a-zA-Z0-9_]+:[a-z0-9_]+", a["expr"])}
    assert used, "the alerts are expected to read recording rules"
    assert used <= records


def test_rule_tests_load_both_rule_directories() -> None:
    for path in (RULES / "tests").glob("*.yml"):
        files = yaml.safe_load(path.read_text())["rule_files"]
        resolved = {(path.parent / f).resolve().parent.name for f in files}
        assert resolved == {"alerts", "recording"}
