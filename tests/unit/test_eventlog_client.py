"""The WinRM edge without a server: endpoints, optional Kerberos, error messages, the command deadline."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import requests
from winrm import transport as winrm_transport
from winrm.exceptions import InvalidCredentialsError, WinRMOperationTimeoutError, WinRMTransportError, WSManFaultError

from inframind.agent.cursors import CursorStore
from inframind.agent.eventlog import build_eventlog_sources
from inframind.agent.eventlog.client import (
    EventLogError,
    PyWinRMShell,
    check_transport,
    endpoint_url,
    translate_errors,
)
from inframind.config.agent import EventLogSource as EventLogSettings
from inframind.config.agent import EventLogTarget
from inframind.secrets import SecretError, SecretRef

PW = SecretRef("env", "PW")


def target(**overrides: Any) -> EventLogTarget:
    return EventLogTarget(**{"host": "win01.corp.example", "username": "monitor", "password": PW, **overrides})


def test_endpoints_follow_scheme_port_and_ipv6() -> None:
    assert endpoint_url(target()) == "https://win01.corp.example:5986/wsman"
    assert endpoint_url(target(scheme="http")) == "http://win01.corp.example:5985/wsman"
    assert endpoint_url(target(host="fe80::1", port=443)) == "https://[fe80::1]:443/wsman"


def test_kerberos_without_pykerberos_is_a_clear_config_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(winrm_transport, "HAVE_KERBEROS", False)
    with pytest.raises(EventLogError, match=r"pip install 'pywinrm\[kerberos\]'") as caught:
        check_transport(target(transport="kerberos"))
    assert caught.value.kind == "config" and "win01.corp.example" in str(caught.value)
    monkeypatch.setattr(winrm_transport, "HAVE_KERBEROS", True)
    check_transport(target(transport="kerberos"))
    check_transport(target(transport="ntlm"))


FAULT = WSManFaultError(500, "fault", "<x/>", "Access is denied.", wsman_fault_code=5)


@pytest.mark.parametrize(
    ("error", "kind", "text"),
    [
        (InvalidCredentialsError("rejected"), "auth", "authentication failed for monitor@https://win01"),
        (FAULT, "protocol", "WS-Management fault from https://win01.corp.example:5986/wsman: Access is denied."),
        (WinRMTransportError("http", 503, "<h1>Service\n Unavailable</h1>"), "protocol",
         "HTTP 503 from https://win01.corp.example:5986/wsman: <h1>Service Unavailable</h1>"),
        (requests.exceptions.SSLError("CERTIFICATE_VERIFY_FAILED"), "tls", "set ca_file to the CA"),
        (requests.ConnectionError("refused"), "connect", "cannot reach https://win01.corp.example:5986/wsman"),
        (requests.Timeout("slow"), "connect", "is WinRM listening?"),
        (SecretError("secret env:PW: environment variable PW is not set"), "config", "variable PW is not set"),
    ],
)  # fmt: skip
def test_failures_become_errors_that_say_what_to_check(error: Exception, kind: str, text: str) -> None:
    with pytest.raises(EventLogError) as caught, translate_errors(target(), endpoint_url(target())):
        raise error
    assert caught.value.kind == kind and text in str(caught.value)


class SlowProtocol:
    """A pywinrm Protocol whose command never finishes (every Receive times out)."""

    def __init__(self) -> None:
        self.calls: list[str] = []

    def run_command(self, shell_id: str, command: str, arguments: list[str], skip_cmd_shell: bool) -> str:
        self.calls.append(f"run {command} skip={skip_cmd_shell}")
        return "CMD-1"

    def get_command_output_raw(self, shell_id: str, command_id: str) -> tuple[bytes, bytes, int, bool]:
        self.calls.append("receive")
        raise WinRMOperationTimeoutError()

    def cleanup_command(self, shell_id: str, command_id: str) -> None:
        self.calls.append(f"cleanup {command_id}")


def test_a_command_that_never_ends_stops_at_the_deadline_and_is_cleaned_up() -> None:
    protocol = SlowProtocol()
    shell = PyWinRMShell(protocol, "SHELL-1", deadline_seconds=0.05)  # type: ignore[arg-type]
    with pytest.raises(EventLogError, match="did not finish in 0 s") as caught:
        shell.run("Get-Date")
    assert caught.value.kind == "command"
    assert protocol.calls[0] == "run powershell.exe skip=True" and protocol.calls[-1] == "cleanup CMD-1"
    assert protocol.calls.count("receive") >= 1


def test_sources_are_built_per_target_with_shared_counters(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    settings = EventLogSettings(targets=(target(), target(host="10.0.0.7", asset="dc-01")), event_ids=("7036",))
    store = CursorStore(tmp_path / "c.db")
    sources, metrics = build_eventlog_sources(settings, store)
    assert [s.name for s in sources] == ["eventlog:win01.corp.example", "eventlog:10.0.0.7"]
    assert metrics.event_label("7036") == "7036" and metrics.event_label("41") == "other"
    monkeypatch.setattr(winrm_transport, "HAVE_KERBEROS", False)
    with pytest.raises(EventLogError, match="kerberos"):
        build_eventlog_sources(EventLogSettings(targets=(target(transport="kerberos"),)), store)
    for source in sources:
        source.close()
    store.close()
