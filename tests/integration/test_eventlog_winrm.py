"""EventLog over the real pywinrm transport, against a loopback /wsman that replays a Windows host.

No WinRM server can run here: :class:`tests.helpers.wsman.WSManReplay` answers pywinrm's Create, Command,
Receive, Signal and Delete with envelopes in the exact shape of the real recordings in
shared/fixtures/winrm, authenticates with Basic (NTLM and Kerberos handshakes are not emulated), and runs
each decoded PowerShell script against :class:`tests.helpers.winhost.WindowsHost`, which serves the real
recorded events of shared/fixtures/eventlog as our script would print them. What is real: pywinrm's
envelopes, HTTP and TLS (a private CA), the UTF-16LE -EncodedCommand, base64 streams over two Receives,
and everything on our side. What is not: PowerShell and Get-WinEvent themselves.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from inframind.agent.cursors import CursorStore
from inframind.agent.eventlog import EventLogMetrics, EventLogSource
from inframind.agent.eventlog.client import pywinrm_connect
from inframind.agent.source import Batch
from inframind.config.agent import EventLogTarget
from inframind.secrets import SecretRef
from tests.helpers.redfish import Certificates, make_certificates
from tests.helpers.winhost import WindowsHost, clearing_notice, records, templates
from tests.helpers.wsman import WSManReplay
from tests.helpers.wsman_soap import fault

PASSWORD = "Winrm-p4ss"


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(scope="module")
def certificates(tmp_path_factory: pytest.TempPathFactory) -> Certificates:
    return make_certificates(tmp_path_factory.mktemp("winrm-tls"))


@pytest.fixture
def windows() -> WindowsHost:
    ru = templates("ru")
    return WindowsHost({"System": records("system_all", ru, "ru"), "Security": records("security_logons", ru, "ru")})


@pytest.fixture
def replay(windows: WindowsHost, certificates: Certificates) -> Iterator[WSManReplay]:
    server = WSManReplay(windows.run, password=PASSWORD, tls=certificates)
    yield server
    server.close()


@pytest.fixture
def cursors(tmp_path: Path) -> Iterator[CursorStore]:
    store = CursorStore(tmp_path / "cursors.db")
    yield store
    store.close()


class Agent:
    """One EventLog source as the agent would run it, with the env its password comes from."""

    def __init__(self, replay: WSManReplay, cursors: CursorStore, certificates: Certificates, **target: object) -> None:
        settings: dict[str, object] = {"transport": "basic", "port": replay.port, "ca_file": str(certificates.ca),
                                       "channels": ("System", "Security"), "batch_size": 200, **target}  # fmt: skip
        self.target = EventLogTarget("127.0.0.1", "inframind", SecretRef("env", "WINRM_PW"), **settings)  # type: ignore[arg-type]
        self.env = {"WINRM_PW": PASSWORD}
        self.clock, self.metrics = Clock(), EventLogMetrics()
        connect = pywinrm_connect(self.target, self.env, operation_timeout=5, read_timeout=10)
        self.source = EventLogSource(self.target, connect, cursors, self.metrics, interval=60, monotonic=self.clock,
                                     background=False)  # fmt: skip

    def drain(self) -> list[Batch]:
        batches = []
        while (batch := self.source.poll(10_000)) is not None:
            batch.commit()
            batches.append(batch)
        return batches


def afters(replay: WSManReplay) -> list[tuple[str, int]]:
    """(channel, RecordId the script asks to read after) of every command the server received."""
    out = []
    for script in replay.scripts:
        channel = re.search(r"^\$channel = '(.*)'$", script, re.M)
        after = re.search(r"^\$after = (\d+)$", script, re.M)
        assert channel and after, script
        out.append((channel.group(1), int(after.group(1))))
    return out


def test_events_arrive_intact_over_https_and_the_persisted_cursor_is_in_the_next_request(
    replay: WSManReplay, cursors: CursorStore, certificates: Certificates
) -> None:
    agent = Agent(replay, cursors, certificates)
    events = [e for b in agent.drain() for e in b.events]
    assert len(events) == 326 + 91 and agent.source.stats.errors == 0
    spooler = next(e for e in events if e.event_id == "7023")
    assert spooler.message == "Служба «Spooler» завершена из-за ошибки: %%2147942414" and spooler.level == "error"
    assert {e.level for e in events if e.event_id == "4625"} == {"warning"}
    assert replay.shell_options[0] == {"WINRS_NOPROFILE": "TRUE", "WINRS_CODEPAGE": "65001"}
    assert {(c.command, c.skip_cmd_shell) for c in replay.commands} == {("powershell.exe", "TRUE")}
    assert replay.open_shells == set()  # every shell deleted
    assert replay.actions.count("Create") == replay.actions.count("Delete") == 2  # 326 System records: 2 rounds
    assert afters(replay) == [("System", 0), ("Security", 0), ("System", 200), ("Security", SECURITY_LAST)]
    stored = {k: int(re.search(r'"record_id": (\d+)', v).group(1)) for k, v in cursors.all().items()}  # type: ignore[union-attr]
    assert stored == {"eventlog:127.0.0.1/System": 326, "eventlog:127.0.0.1/Security": SECURITY_LAST}
    restarted = Agent(replay, cursors, certificates)
    assert restarted.drain() == []  # an empty batch: nothing new since the persisted cursors
    assert afters(replay)[-2:] == [("System", 326), ("Security", SECURITY_LAST)]
    assert restarted.source.stats.errors == 0


def test_counters_follow_the_events_read(replay: WSManReplay, cursors: CursorStore, certificates: Certificates) -> None:
    agent = Agent(replay, cursors, certificates)
    agent.drain()
    samples = {tuple(m.labels.values()): m.value for family in agent.metrics.collect() for m in family.samples
               if m.name == "inframind_eventlog_events_total"}  # fmt: skip
    assert samples[("127.0.0.1", "Security", "warning", "4625")] == 15
    assert samples[("127.0.0.1", "System", "error", "7000")] == 2
    assert sum(samples.values()) == 326 + 91


def test_cleared_logs_are_read_again_from_the_start_with_a_gap_event(
    replay: WSManReplay, windows: WindowsHost, cursors: CursorStore, certificates: Certificates
) -> None:
    agent = Agent(replay, cursors, certificates)
    agent.drain()
    cleared_at = dt.datetime.now(dt.UTC)
    windows.clear("Security", clearing_notice("Security", cleared_at))
    windows.clear("System", clearing_notice("System", cleared_at))
    agent.clock.now += 61
    events = [e for b in agent.drain() for e in b.events]
    assert [(e.channel, e.event_id) for e in events] == [("System", None), ("System", "104"),
                                                         ("Security", None), ("Security", "1102")]  # fmt: skip
    assert "newest record is 1, below the cursor 326" in (events[0].message or "")
    assert events[1].message == "Журнал «System» очищен."
    assert afters(replay)[-4:] == [("System", 326), ("System", 0), ("Security", SECURITY_LAST), ("Security", 0)]
    assert agent.source.stats.flagged == {"cursor_gap": 2}
    gaps = {tuple(m.labels.values()): m.value for family in agent.metrics.collect() for m in family.samples
            if m.name == "inframind_eventlog_cursor_gaps_total"}  # fmt: skip
    assert gaps == {("127.0.0.1", "System", "cleared"): 1, ("127.0.0.1", "Security", "cleared"): 1}
    assert '"record_id": 1' in (cursors.get("eventlog:127.0.0.1/Security") or "")


def test_rejected_credentials_are_reported_and_retried_next_interval(
    replay: WSManReplay, cursors: CursorStore, certificates: Certificates
) -> None:
    agent = Agent(replay, cursors, certificates)
    agent.env["WINRM_PW"] = "wrong"
    assert agent.source.poll(100) is None
    error = agent.source.stats.last_error or ""
    assert "authentication failed for inframind@https://127.0.0.1:" in error and "HTTP 401" in error
    assert replay.auth_failures == 1 and replay.commands == []
    agent.env["WINRM_PW"] = PASSWORD  # the password is resolved at each connection: a fix needs no restart
    assert agent.source.poll(100) is None  # the interval has not passed
    agent.clock.now += 61
    batch = agent.source.poll(100)
    assert batch is not None and len(batch.events) == 100 and agent.source.stats.errors == 1


@pytest.mark.parametrize(
    ("failure", "message"),
    [
        ((500, fault("The WS-Management service cannot process the request.")),
         "WS-Management fault from https://127.0.0.1:{port}/wsman: The WS-Management service cannot process"),
        ((500, b"<html>Internal Server Error</html>"), "HTTP 500 from https://127.0.0.1:{port}/wsman: <html>"),
    ],
)  # fmt: skip
def test_server_errors_are_reported_not_raised(
    replay: WSManReplay, cursors: CursorStore, certificates: Certificates, failure: tuple[int, bytes], message: str
) -> None:
    replay.failure = failure
    agent = Agent(replay, cursors, certificates)
    assert agent.source.poll(100) is None
    assert message.format(port=replay.port) in (agent.source.stats.last_error or "")
    replay.failure = None
    agent.clock.now += 61
    assert agent.source.poll(100) is not None


def test_tls_is_verified_by_default(replay: WSManReplay, cursors: CursorStore, certificates: Certificates) -> None:
    untrusted = Agent(replay, cursors, certificates, ca_file=None)
    assert untrusted.source.poll(10) is None
    assert "set ca_file to the CA that signed the listener's certificate" in (untrusted.source.stats.last_error or "")
    assert replay.actions == []  # nothing was sent to an unverified server
    unverified = Agent(replay, cursors, certificates, ca_file=None, verify_tls=False)
    assert unverified.source.poll(10) is not None


def test_windows_powershell_51_output_reads_the_same(
    windows: WindowsHost, replay: WSManReplay, cursors: CursorStore, certificates: Certificates
) -> None:
    windows.style = "ps51"  # one event comes as an object, not an array; Cyrillic as \\u escapes
    agent = Agent(replay, cursors, certificates, batch_size=1, channels=("System",))
    first = agent.source.poll(10)
    assert first is not None
    first.commit()
    second = agent.source.poll(10)
    assert second is not None and [e.record_id for e in first.events + second.events] == ["1", "2"]
    second.commit()
    rest = Agent(replay, cursors, certificates, channels=("System",)).drain()
    spooler = next(e for b in rest for e in b.events if e.event_id == "7023")
    assert spooler.message == "Служба «Spooler» завершена из-за ошибки: %%2147942414"


SECURITY_LAST = max(r["RecordId"] for r in records("security_logons"))
