"""The rule files pass promtool's checks and unit tests and vmalert's dry run (the engine that runs them)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.helpers.procs import require_binary
from tests.helpers.servers import REPO, RULE_GLOBS

pytestmark = pytest.mark.integration


def _run(*argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, capture_output=True, text=True, timeout=60, check=False, cwd=REPO)


def test_promtool_check_rules() -> None:
    files = sorted(str(p) for p in (REPO / "rules").glob("*/*.yml") if p.parent.name in ("alerts", "recording"))
    assert len(files) >= 2
    result = _run(require_binary("promtool"), "check", "rules", *files)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.count("SUCCESS") == len(files)


def test_promtool_rule_unit_tests_pass() -> None:
    tests = sorted(str(p) for p in (REPO / "rules" / "tests").glob("*.yml"))
    assert tests
    result = _run(require_binary("promtool"), "test", "rules", *tests)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "FAILED" not in result.stdout


def test_vmalert_dry_run_accepts_the_rules() -> None:
    result = _run(require_binary("vmalert"), "-dryRun", *(f"-rule={glob}" for glob in RULE_GLOBS))
    assert result.returncode == 0, result.stdout + result.stderr


def test_vmalert_dry_run_rejects_a_broken_rule(tmp_path: Path) -> None:
    """Guards the test above: the dry run really parses (a broken expression must fail it)."""
    broken = tmp_path / "broken.yml"
    broken.write_text("groups:\n  - name: x\n    rules:\n      - alert: Broken\n        expr: up ==\n")
    result = _run(require_binary("vmalert"), "-dryRun", f"-rule={broken}")
    assert result.returncode != 0
    assert "Broken" in result.stdout + result.stderr
