"""NTLM, the default transport, through pywinrm and requests-ntlm against the loopback /wsman replay.

No WinRM server can run here: :class:`tests.helpers.wsman.WSManReplay` answers in the shape of the real
recordings in shared/fixtures/winrm, and here authenticates with pyspnego's NTLM acceptor: a real NTLM
challenge/response per connection, the password checked against NTLM_USER_FILE and the client's channel
binding checked against the server certificate (what Windows calls Extended Protection). Over HTTPS only:
over HTTP, WinRM would also encrypt each message with the NTLM session key, which is not emulated.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from inframind.agent.cursors import CursorStore
from inframind.agent.eventlog import EventLogMetrics, EventLogSource
from inframind.agent.eventlog.client import pywinrm_connect
from inframind.config.agent import EventLogTarget
from inframind.secrets import SecretRef
from tests.helpers.redfish import make_certificates
from tests.helpers.winhost import WindowsHost, records, templates
from tests.helpers.wsman import WSManReplay


@pytest.fixture
def replay(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[WSManReplay]:
    users = tmp_path / "ntlm-users"
    users.write_text("WIN-P4SIAA0SQCO:monitor:Пароль-1\n", encoding="utf-8")
    monkeypatch.setenv("NTLM_USER_FILE", str(users))
    host = WindowsHost({"System": records("system2_selected", templates("ru"), "ru")})
    server = WSManReplay(host.run, tls=make_certificates(tmp_path / "tls"), auth="ntlm")
    yield server
    server.close()


def source(replay: WSManReplay, tmp_path: Path, password: str) -> EventLogSource:
    assert replay.tls is not None
    target = EventLogTarget("127.0.0.1", "WIN-P4SIAA0SQCO\\monitor", SecretRef("env", "PW"), channels=("System",),
                            port=replay.port, ca_file=str(replay.tls.ca))  # fmt: skip
    assert target.transport == "ntlm" and target.scheme == "https"  # the defaults
    connect = pywinrm_connect(target, {"PW": password}, operation_timeout=5, read_timeout=10)
    cursors = CursorStore(tmp_path / "cursors.db")
    return EventLogSource(target, connect, cursors, EventLogMetrics(), background=False)


def test_ntlm_with_channel_binding_reads_the_log(replay: WSManReplay, tmp_path: Path) -> None:
    batch = source(replay, tmp_path, "Пароль-1").poll(1000)
    assert batch is not None and len(batch.events) == 76
    assert any(e.message.startswith("Служба «") for e in batch.events)
    assert set(replay.ntlm_users) == {"WIN-P4SIAA0SQCO\\monitor"}
    assert replay.actions[0] == "Create" and replay.actions[-1] == "Delete" and replay.open_shells == set()


def test_ntlm_with_a_wrong_password_is_an_auth_error(replay: WSManReplay, tmp_path: Path) -> None:
    failing = source(replay, tmp_path, "wrong")
    assert failing.poll(1000) is None
    error = failing.stats.last_error or ""
    assert "authentication failed for WIN-P4SIAA0SQCO\\monitor@https://127.0.0.1:" in error
    assert "(HTTP 401, ntlm)" in error and replay.ntlm_users == [] and replay.commands == []
