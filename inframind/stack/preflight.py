"""Checks made before anything starts, so `inframind up` fails fast with what to do instead of half a stack."""

from __future__ import annotations

import dataclasses
import errno
import shutil
import socket
from collections.abc import Callable, Iterable
from pathlib import Path

from inframind.config import StackBinaries
from inframind.stack.components import Component, StackPaths
from inframind.stack.errors import StackError

DEBIAN_PACKAGES = {
    "victoriametrics": "victoria-metrics",
    "vmalert": "victoria-metrics",
    "alertmanager": "prometheus-alertmanager",
}


def resolve_binaries(binaries: StackBinaries, which: Callable[[str], str | None] = shutil.which) -> dict[str, str]:
    """Component name -> executable path; raises StackError naming every missing one and its package."""
    found: dict[str, str] = {}
    problems: list[str] = []
    for name, command in dataclasses.asdict(binaries).items():
        path = which(command)
        if path is None:
            package = DEBIAN_PACKAGES.get(name, name)
            problems.append(
                f"{name}: executable {command!r} not found (stack.binaries.{name}). Install the Debian package "
                f"{package} (`sudo apt-get install {package}`), or set stack.binaries.{name} to its path."
            )
        else:
            found[name] = path
    if problems:
        raise StackError("\n".join(problems))
    return found


def check_paths(paths: StackPaths) -> None:
    """The rules and the Alertmanager template must exist: vmalert refuses a glob that matches nothing."""
    problems = []
    for glob in paths.rule_globs:
        directory = Path(glob).parent
        if not any(directory.glob(Path(glob).name)):
            problems.append(f"no rule files match {glob} (stack.rules_dir is {paths.rules_dir})")
    if not paths.am_template.is_file():
        problems.append(f"{paths.am_template} not found (stack.alertmanager_dir is {paths.alertmanager_dir})")
    if problems:
        problems.append("run `inframind up` from the project directory, or set these paths in the config.")
        raise StackError("\n".join(problems))


def _bind_problem(host: str, port: int) -> str | None:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        # As the servers themselves do: TIME_WAIT leftovers of a previous run do not count as busy.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
            sock.listen(1)
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                return "is already in use"
            return f"cannot be listened on ({exc.strerror or exc})"
    return None


def check_ports(components: Iterable[Component]) -> None:
    """Raise StackError naming each component whose port is taken and the setting that moves it."""
    problems = []
    for c in components:
        problem = _bind_problem(c.listen.host, c.listen.port)
        if problem:
            problems.append(
                f"{c.name}: port {c.listen.port} on {c.listen.host} {problem}; stop whatever listens there "
                f"or choose another port with {c.port_key}."
            )
    if problems:
        raise StackError("\n".join(problems))
