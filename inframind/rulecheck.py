"""`inframind rules check`: every check the rule files get in CI, runnable by whoever edits them.

Prometheus rules (``rules/alerts``, ``rules/recording``) go through ``promtool check rules``, their unit
tests (``rules/tests``) through ``promtool test rules``, and the engine that runs them through
``vmalert -dryRun``; log rules (``rules/logs``) through our own loader. A missing tool is a failed check
that names the Debian package to install, never a silent pass.
"""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from inframind.schema import ConfigError

TOOLS = {"promtool": "prometheus", "vmalert": "victoria-metrics"}


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
    if not results:
        results.append(CheckResult("rules", False, f"no rule files under {root}/alerts, recording, tests or logs"))
    return results
