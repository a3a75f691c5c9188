"""House rules for rules/: every alert is actionable (severity, values, runbook, dashboard) and has promtool
cases that fire and cases that must not; every recording rule an alert reads exists. The same house rules run in
`inframind rules check` (inframind/rulecheck.py), tested here on rules made to break them."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from inframind.rulecheck import annotation_problems, missing_test_cases

REPO = Path(__file__).resolve().parents[2]
RULES = REPO / "rules"
SEVERITIES = {"critical", "warning", "info"}
RECORDING_NAME = re.compile(r"^[a-z_]+:[a-zA-Z0-9_]+:[a-z0-9_]+$")
DASHBOARDS = {
    "inframind-fleet",
    "inframind-host",
    "inframind-storage",
    "inframind-hardware",
    "inframind-network",
    "inframind-windows",
    "inframind-logs",
    "inframind-forecasts",
    "inframind-collection",
    "inframind-analyzer",
}
DASHBOARD_LINK = re.compile(r"^/d/(?P<uid>[a-z-]+)(\?var-asset=\{\{ \$labels\.asset \}\})?$")


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


CASES = _test_cases()


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
    # A path under the Grafana base URL (Alertmanager templates and the analyzer prefix it), scoped to the asset
    # the way every dashboard's asset variable takes it; only the analyzer's own health has no asset.
    link = DASHBOARD_LINK.match(annotations["dashboard"])
    assert link, f"{annotations['dashboard']}: use /d/<uid>?var-asset={{{{ $labels.asset }}}}"
    assert link["uid"] in DASHBOARDS
    assert link.group(2) or link["uid"] == "inframind-analyzer"


@pytest.mark.parametrize("alert", ALERTS, ids=[a["alert"] for a in ALERTS])
def test_alert_has_promtool_cases_that_fire_and_that_must_not(alert: dict[str, Any]) -> None:
    cases = [c for c in CASES if c["alertname"] == alert["alert"]]
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


def _file_alerts(path: Path) -> list[dict[str, Any]]:
    return [rule for group in yaml.safe_load(path.read_text())["groups"] for rule in group["rules"]]


def test_the_cli_check_finds_no_problem_in_the_shipped_alerts() -> None:
    alerts = [(path.name, rule) for path in sorted((RULES / "alerts").glob("*.yml")) for rule in _file_alerts(path)]
    assert len(alerts) == len(ALERTS)
    assert annotation_problems(alerts, REPO) == []
    assert missing_test_cases(alerts, CASES) == []


def test_the_cli_check_reports_each_broken_house_rule(tmp_path: Path) -> None:
    (tmp_path / "docs" / "runbooks").mkdir(parents=True)
    (tmp_path / "docs" / "runbooks" / "Good.md").write_text("# Good\n")
    good = {
        "alert": "Good",
        "expr": "up == 0",
        "labels": {"severity": "warning"},
        "annotations": {
            "summary": "s",
            "description": "down ({{ $value }})",
            "runbook_url": "docs/runbooks/Good.md",
            "dashboard": "/d/inframind-host",
        },
    }
    bad = {
        "alert": "Bad",
        "expr": "up == 0",
        "labels": {"severity": "page"},
        "annotations": {
            "summary": "s",
            "description": "down",
            "runbook_url": "docs/runbooks/Bad.md",
            "dashboard": "http://grafana/d/x",
        },
    }
    problems = annotation_problems([("a.yml", good), ("a.yml", bad)], tmp_path)
    assert problems == [
        "a.yml: Bad: severity label must be one of critical, warning, info, not 'page'",
        "a.yml: Bad: the description should give the value ($value)",
        f"a.yml: Bad: runbook docs/runbooks/Bad.md does not exist under {tmp_path}",
        "a.yml: Bad: dashboard should be a Grafana path /d/<uid>... (the base URL is added later)",
    ]
    cases: list[dict[str, Any]] = [
        {"alertname": "Good", "exp_alerts": [{"exp_labels": {}}]},
        {"alertname": "Good", "exp_alerts": []},
        {"alertname": "Bad", "exp_alerts": []},
    ]
    assert missing_test_cases([("a.yml", good), ("a.yml", bad)], cases) == [
        "a.yml: Bad: no test case in which it fires"
    ]
