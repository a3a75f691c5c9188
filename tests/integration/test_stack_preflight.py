"""A port that is already taken stops `inframind up` before anything starts, naming component, port and setting."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from inframind.config import Config, StackConfig, StackPorts
from inframind.stack.components import Component, StackPaths, plan
from inframind.stack.errors import StackError
from inframind.stack.preflight import check_ports
from tests.helpers.procs import free_port

pytestmark = pytest.mark.integration


def _components(ports: StackPorts) -> list[Component]:
    paths = StackPaths(Path("/v"), Path("/r"), Path("/a"))
    return plan(
        Config(stack=StackConfig(ports=ports)), paths, {"victoriametrics": "", "vmalert": "", "alertmanager": ""}, "/py"
    )


def test_free_ports_pass() -> None:
    ports = StackPorts(*(free_port() for _ in range(5)))
    check_ports(_components(ports))


def test_busy_ports_are_named_with_their_setting() -> None:
    with socket.socket() as vmalert_squatter, socket.socket() as exporter_squatter:
        vmalert_squatter.bind(("127.0.0.1", 0))
        vmalert_squatter.listen(1)
        exporter_squatter.bind(("0.0.0.0", 0))  # a wildcard listener blocks loopback too
        exporter_squatter.listen(1)
        busy_vmalert = vmalert_squatter.getsockname()[1]
        busy_exporter = exporter_squatter.getsockname()[1]
        ports = StackPorts(free_port(), busy_vmalert, free_port(), busy_exporter, free_port())
        with pytest.raises(StackError) as err:
            check_ports(_components(ports))
    message = str(err.value)
    assert (
        f"vmalert: port {busy_vmalert} on 127.0.0.1 is already in use; stop whatever listens there "
        "or choose another port with stack.ports.vmalert." in message
    )
    assert f"exporter: port {busy_exporter} on 127.0.0.1 is already in use" in message
    assert "stack.ports.exporter" in message
    assert "victoriametrics" not in message
