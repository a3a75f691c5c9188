"""Code-wide hardening rules, checked on the syntax tree of every module in the package.

No shell is ever started (subprocess argument lists only), YAML is only ever read with ``safe_load``, and
nothing unpickles, evals or execs: each is how monitoring tools that hold fleet credentials get owned.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "inframind"
MODULES = sorted(PACKAGE.rglob("*.py"))
FORBIDDEN_CALLS = {
    ("os", "system"): "starts a shell",
    ("os", "popen"): "starts a shell",
    ("yaml", "load"): "use yaml.safe_load",
    ("yaml", "unsafe_load"): "use yaml.safe_load",
    ("yaml", "full_load"): "use yaml.safe_load",
    ("pickle", "load"): "unpickling runs code",
    ("pickle", "loads"): "unpickling runs code",
    ("marshal", "loads"): "unmarshalling untrusted data",
}
FORBIDDEN_NAMES = {"eval", "exec"}
FORBIDDEN_IMPORTS = {"pickle", "shelve", "marshal"}


def _violations(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: list[str] = []
    shown = path.relative_to(PACKAGE.parent) if path.is_relative_to(PACKAGE) else path
    for node in ast.walk(tree):
        where = f"{shown}:{getattr(node, 'lineno', '?')}"
        if isinstance(node, ast.Import | ast.ImportFrom):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""]
            found += [f"{where}: imports {n}" for n in names if n.split(".")[0] in FORBIDDEN_IMPORTS]
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        if isinstance(func, ast.Name) and func.id in FORBIDDEN_NAMES:
            found.append(f"{where}: calls {func.id}()")
        if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
            reason = FORBIDDEN_CALLS.get((func.value.id, func.attr))
            if reason:
                found.append(f"{where}: {func.value.id}.{func.attr}() - {reason}")
        for kw in node.keywords:
            if kw.arg == "shell" and not (isinstance(kw.value, ast.Constant) and kw.value.value is False):
                found.append(f"{where}: shell={ast.unparse(kw.value)} - pass an argument list instead")
    return found


def test_the_scan_sees_the_whole_package() -> None:
    assert len(MODULES) > 100 and PACKAGE / "cli.py" in MODULES


@pytest.mark.parametrize("bad", ["subprocess.run(cmd, shell=True)", "yaml.load(text)", "eval(x)", "import pickle"])
def test_the_scan_catches_each_kind(tmp_path: Path, bad: str) -> None:
    module = tmp_path / "probe.py"
    module.write_text(bad + "\n")
    assert _violations(module)


def test_no_shell_no_unsafe_yaml_no_pickle_no_eval() -> None:
    found = [v for path in MODULES for v in _violations(path)]
    assert found == []
