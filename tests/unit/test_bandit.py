"""bandit over the whole package: no medium or high finding may land (reviewed exceptions carry ``# nosec``)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def _bandit(*targets: str) -> dict[str, object]:
    exe = shutil.which("bandit", path=str(Path(sys.executable).parent)) or shutil.which("bandit")
    assert exe, "bandit is missing: install the dev extra (pip install -e '.[dev]')"
    done = subprocess.run(
        [exe, "-q", "-r", *targets, "-c", str(REPO / "pyproject.toml"), "-ll", "-f", "json"],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        cwd=REPO,
    )
    report: dict[str, object] = json.loads(done.stdout)
    return report


def test_bandit_finds_nothing_in_the_package() -> None:
    report = _bandit("inframind")
    assert report["errors"] == []
    found = [f"{r['filename']}:{r['line_number']} {r['test_id']} {r['issue_text']}" for r in report["results"]]  # type: ignore[attr-defined]
    assert found == []


def test_bandit_would_catch_a_shell_call(tmp_path: Path) -> None:
    (tmp_path / "bad.py").write_text("import subprocess\nsubprocess.run('ls ' + input(), shell=True)\n")
    report = _bandit(str(tmp_path))
    assert [r["test_id"] for r in report["results"]] == ["B602"]  # type: ignore[attr-defined]
