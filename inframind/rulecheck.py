"""`inframind rules check`: every check the rule files get in CI, runnable by whoever edits them.

Prometheus rules (``rules/alerts``, ``rules/recording``) go through ``promtool check rules``, their unit
tests (``rules/tests``) through ``promtool test rules``, and the engine that runs them through
``vmalert -dryRun``; log rules (``rules/logs``) through our own loader. Two house rules are checked too: every
alert is actionable (severity, summary, description with its value, a runbook page that exists, a dashboard link),
and every alert has unit test cases that fire and cases that must stay silent. A missing tool is a failed check
that names the Debian package to install, never a silent pass.
"""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from inframind.schema import ConfigError

TOOLS = {"promtool": "prometheus", "vmalert": "victoria-metrics"}
SEVERITIES = ("critical", "warning", "info")
ANNOTATIONS = ("summary", "description", "runbook_url", "dashboard")


@dataclass(frozen=True)
class CheckResult:
    name: str
    ok: bool
    detail: str


def _run(argv: list[str], cwd: Path) -> tuple[bool, str]:
    tool = shutil.which(argv[0])
    if tool is None:
        return False, f"{argv[0]} not found: install the Debian package `{TOOLS[argv[0]]}`"
    try:
        done = subprocess.run([tool, *argv[1:]], capture_output=True, text=True, timeout=120, cwd=cwd, check=False)
    except subprocess.TimeoutExpired:
        return False, f"{argv[0]} did not finish within 120 s"
    output = (done.stdout + done.stderr).strip()
    return done.returncode == 0, output


def check_rules(rules_dir: str | Path = "rules") -> list[CheckResult]:
    """Run every check over ``rules_dir``; each result says what ran and what it printed."""
    root = Path(rules_dir)
    results: list[CheckResult] = []
    prom = sorted(str(p) for sub in ("alerts", "recording") for p in (root / sub).glob("*.yml"))
    if prom:
        ok, out = _run(["promtool", "check", "rules", *prom], Path.cwd())
        results.append(CheckResult(f"promtool check rules ({len(prom)} files)", ok, out))
        ok, out = _run(["vmalert", "-dryRun", *(f"-rule={p}" for p in prom)], Path.cwd())
        results.append(CheckResult("vmalert -dryRun", ok, out if not ok else ""))
    tests = sorted(str(p.resolve()) for p in (root / "tests").glob("*.yml"))
    if tests:
        ok, out = _run(["promtool", "test", "rules", *tests], root / "tests")
        results.append(CheckResult(f"promtool test rules ({len(tests)} files)", ok, out))
    log_files = sorted((root / "logs").glob("*.yml"))
    if log_files:
        from inframind.analyzer.rulefiles import load_log_rules

        try:
            groups = load_log_rules([str(root / "logs")])
            count = sum(len(g.rules) for g in groups)
            results.append(CheckResult(f"log rules ({len(log_files)} files)", True, f"{count} rules valid"))
        except ConfigError as exc:
            results.append(CheckResult(f"log rules ({len(log_files)} files)", False, str(exc)))
    alerts = _alerts(root)
    if alerts:
        problems = annotation_problems(alerts, root.resolve().parent)
        results.append(CheckResult(f"alert annotations ({len(alerts)} alerts)", not problems, "\n".join(problems)))
        problems = missing_test_cases(alerts, _test_cases(root))
        results.append(CheckResult("alert test cases", not problems, "\n".join(problems)))
    if not results:
        results.append(CheckResult("rules", False, f"no rule files under {root}/alerts, recording, tests or logs"))
    return results


def _load(path: Path) -> dict[str, Any]:
    try:
        data = yaml.safe_load(path.read_text())
    except yaml.YAMLError:
        return {}  # promtool's check reports the syntax error with its line
    return data if isinstance(data, dict) else {}


def _alerts(root: Path) -> list[tuple[str, dict[str, Any]]]:
    """(file, rule) for every alerting rule under ``root/alerts``."""
    found: list[tuple[str, dict[str, Any]]] = []
    for path in sorted((root / "alerts").glob("*.yml")):
        for group in _load(path).get("groups") or []:
            found.extend((path.name, rule) for rule in group.get("rules") or [] if "alert" in rule)
    return found


def _test_cases(root: Path) -> list[dict[str, Any]]:
    cases: list[dict[str, Any]] = []
    for path in sorted((root / "tests").glob("*.yml")):
        for test in _load(path).get("tests") or []:
            cases.extend(test.get("alert_rule_test") or [])
    return cases


def annotation_problems(alerts: list[tuple[str, dict[str, Any]]], repo: Path) -> list[str]:
    """What keeps each alert from being actionable; ``repo`` is where ``runbook_url`` paths start."""
    problems: list[str] = []
    for file, rule in alerts:
        name, where = rule["alert"], f"{file}: {rule['alert']}"
        severity = (rule.get("labels") or {}).get("severity")
        if severity not in SEVERITIES:
            problems.append(f"{where}: severity label must be one of {', '.join(SEVERITIES)}, not {severity!r}")
        annotations = rule.get("annotations") or {}
        problems.extend(f"{where}: no {key} annotation" for key in ANNOTATIONS if not annotations.get(key))
        if annotations.get("description") and "$value" not in annotations["description"]:
            problems.append(f"{where}: the description should give the value ($value)")
        runbook = annotations.get("runbook_url")
        if runbook and runbook != f"docs/runbooks/{name}.md":
            problems.append(f"{where}: runbook_url should be docs/runbooks/{name}.md")
        elif runbook and not (repo / runbook).is_file():
            problems.append(f"{where}: runbook {runbook} does not exist under {repo}")
        dashboard = annotations.get("dashboard")
        if dashboard and not str(dashboard).startswith("/d/"):
            problems.append(f"{where}: dashboard should be a Grafana path /d/<uid>... (the base URL is added later)")
    return problems


def missing_test_cases(alerts: list[tuple[str, dict[str, Any]]], cases: list[dict[str, Any]]) -> list[str]:
    """Alerts without a unit test case where they fire, or without one where they must stay silent."""
    problems: list[str] = []
    for file, rule in alerts:
        own = [c for c in cases if c.get("alertname") == rule["alert"]]
        if not any(c.get("exp_alerts") for c in own):
            problems.append(f"{file}: {rule['alert']}: no test case in which it fires")
        if not any(not c.get("exp_alerts") for c in own):
            problems.append(f"{file}: {rule['alert']}: no test case in which it must stay silent")
    return problems
