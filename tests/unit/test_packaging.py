"""A monitored host installs only the `exporters` extra: no numpy, pandas, prophet or web framework."""

from __future__ import annotations

import subprocess
import sys
from importlib import metadata

from packaging.requirements import Requirement

HEAVY = {"numpy", "pandas", "prophet", "scipy", "fastapi", "uvicorn", "opensearch-py", "torch"}


def closure(dist: str, extras: set[str]) -> set[str]:
    """Names of every distribution ``dist[extras]`` pulls in, following installed metadata."""
    seen: set[str] = set()
    todo = [(dist, extras)]
    while todo:
        name, wanted = todo.pop()
        for line in metadata.requires(name) or []:
            req = Requirement(line)
            env = [{"extra": e} for e in wanted] or [{"extra": ""}]
            if req.marker is not None and not any(req.marker.evaluate(e) for e in env):
                continue
            key = req.name.lower().replace("_", "-")
            if key == dist:  # self-reference such as inframind[exporters]
                todo.append((name, set(req.extras)))
                continue
            if key not in seen:
                seen.add(key)
                todo.append((key, set(req.extras)))
    return seen


def test_exporters_extra_is_light() -> None:
    deps = closure("inframind", {"exporters"})
    assert {"prometheus-client", "psutil", "bcrypt", "pyyaml", "click"} <= deps
    assert not deps & HEAVY, deps & HEAVY


def test_analyzer_extra_has_the_analytics_stack() -> None:
    assert {"numpy", "fastapi"} <= closure("inframind", {"analyzer"})


def test_exporter_process_does_not_import_analyzer_stack() -> None:
    code = (
        "import sys\n"
        "from inframind.config import Config\n"
        "from inframind.exporters.app import build_exporter\n"
        "from inframind.exporters.registry import AVAILABLE\n"
        "build_exporter(Config(), {s.name: True for s in AVAILABLE})\n"
        "heavy = sorted(m for m in sys.modules if m.split('.')[0] in "
        "{'numpy','pandas','prophet','fastapi','uvicorn','starlette','pydantic','inframind.analyzer'} "
        "or m.startswith('inframind.analyzer'))\n"
        "print(','.join(heavy))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60)
    assert out.stdout.strip() == ""
