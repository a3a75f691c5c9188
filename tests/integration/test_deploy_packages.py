"""A real resolver run: `pip install --dry-run --report` of `.[exporters]` into a fresh venv: no analytics stack.

tests/unit/test_packaging.py follows the metadata already installed in the dev venv; this asks pip itself,
with nothing installed, exactly what the slim image's `pip install ".[exporters]"` would install. It needs a
package index (PyPI or the configured mirror/find-links): pip resolves and downloads metadata but installs
nothing, so it takes a few seconds.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers.servers import REPO

pytestmark = pytest.mark.integration

HEAVY = {"numpy", "pandas", "prophet", "scipy", "fastapi", "uvicorn", "matplotlib", "opensearch-py", "torch"}


def _name(item: dict[str, object]) -> str:
    metadata = item["metadata"]
    assert isinstance(metadata, dict)
    return str(metadata["name"]).lower().replace("_", "-")


def _resolve(tmp_path: Path, extra: str) -> set[str]:
    """Distribution names pip would install for `inframind[extra]` into an empty venv."""
    # Only what the metadata build reads, so pip writes no egg-info into the shared working tree.
    project = tmp_path / "project"
    (project / "inframind").mkdir(parents=True)
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(REPO / name, project / name)
    shutil.copy(REPO / "inframind" / "__init__.py", project / "inframind" / "__init__.py")
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=60)
    report = tmp_path / "report.json"
    pip = [sys.executable, "-m", "pip", "--python", str(venv / "bin" / "python"), "install", "--dry-run", "--quiet"]
    run = subprocess.run(
        [*pip, "--report", str(report), f"{project}[{extra}]"],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    return {_name(item) for item in json.loads(report.read_text(encoding="utf-8"))["install"]}


def test_exporters_extra_resolves_without_the_analytics_stack(tmp_path: Path) -> None:
    names = _resolve(tmp_path, "exporters")
    assert {"inframind", "prometheus-client", "psutil", "pysnmp", "paramiko", "pywinrm", "pyyaml", "click"} <= names
    assert not names & HEAVY, sorted(names & HEAVY)
