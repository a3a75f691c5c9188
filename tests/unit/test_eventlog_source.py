"""The EventLog PullSource without the network: a recorded host behind a fake shell, a fake clock.

What is checked is the contract with the pipeline: batches of at most ``max_events``, the cursor persisted
only by ``commit`` (and never moved back by a late one), a restart resuming from it, polling every
``interval`` but at once while catching up, failures counted and retried, gaps flagged and reset.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from inframind.agent.cursors import CursorStore
from inframind.agent.eventlog.client import CommandResult, EventLogError, Shell
from inframind.agent.eventlog.metrics import EventLogMetrics
from inframind.agent.eventlog.source import EventLogSource
from inframind.config.agent import EventLogTarget
from inframind.secrets import SecretRef
from tests.helpers.winhost import WindowsHost, clearing_notice, records

SECURITY_LAST = max(r["RecordId"] for r in records("security_logons"))
TARGET = EventLogTarget("win01", "monitor", SecretRef("env", "PW"), channels=("System", "Security"), batch_size=100)


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class FakeHost:
    """Connect for a WindowsHost: counts shells, can refuse like a host with the wrong password."""

    def __init__(self, host: WindowsHost) -> None:
        self.host, self.opened, self.refuse = host, 0, False

    @contextmanager
    def connect(self) -> Iterator[Shell]:
        if self.refuse:
            raise EventLogError("auth", "authentication failed for monitor@win01 (HTTP 401, ntlm)")
        self.opened += 1
        yield self

    def run(self, script: str) -> CommandResult:
        out = self.host.run(script)
        return CommandResult(out.stdout, out.stderr, out.exit_code)


@pytest.fixture
def cursors(tmp_path: Path) -> Iterator[CursorStore]:
    store = CursorStore(tmp_path / "cursors.db")
    yield store
    store.close()


def make(fake: FakeHost, cursors: CursorStore, clock: FakeClock, target: EventLogTarget = TARGET,
         background: bool = False) -> EventLogSource:  # fmt: skip
    return EventLogSource(target, fake.connect, cursors, EventLogMetrics(), interval=60, monotonic=clock,
                          background=background)  # fmt: skip


def host() -> FakeHost:
    return FakeHost(WindowsHost({"System": records("system_all"), "Security": records("security_logons")}))


def test_batches_commit_cursors_and_a_restart_resumes(cursors: CursorStore) -> None:
    fake, clock = host(), FakeClock()
    source = make(fake, cursors, clock)
    batch = source.poll(30)
    assert batch is not None and len(batch.events) == 30
    assert cursors.all() == {}  # nothing persisted before the pipeline says the batch is durable
    batch.commit()
    assert '"record_id": 30' in (cursors.get("eventlog:win01/System") or "")
    rest = source.poll(1000)
    assert rest is not None and len(rest.events) == 70 + 91  # the System remainder of the first fetch, Security
    rest.commit()
    assert fake.host.queries == [("System", 0, 100), ("Security", 0, 100)]
    restarted = make(fake, cursors, clock)
    assert restarted.poll(1000) is not None  # catching up: System still has records past 100
    assert fake.host.queries[-2:] == [("System", 100, 100), ("Security", SECURITY_LAST, 100)]


def test_a_late_commit_never_moves_the_cursor_back(cursors: CursorStore) -> None:
    source = make(host(), cursors, FakeClock())
    first, second = source.poll(10), source.poll(10)
    assert first is not None and second is not None
    second.commit()
    first.commit()
    assert '"record_id": 20' in (cursors.get("eventlog:win01/System") or "")


def test_polls_wait_for_the_interval_unless_catching_up(cursors: CursorStore) -> None:
    fake, clock = host(), FakeClock()
    source = make(fake, cursors, clock)
    while (batch := source.poll(1000)) is not None:
        batch.commit()
    assert len(fake.host.queries) == 2 * 4  # 326 System records in batches of 100: 4 rounds, no waiting
    clock.now += 59
    assert source.poll(1000) is None and len(fake.host.queries) == 8
    clock.now += 2
    assert source.poll(1000) is None
    assert fake.host.queries[-2:] == [("System", 326, 100), ("Security", SECURITY_LAST, 100)]
    assert source.stats.errors == 0 and source.stats.read == 326 + 91


def test_auth_failure_is_counted_and_retried_next_interval(cursors: CursorStore) -> None:
    fake, clock = host(), FakeClock()
    fake.refuse = True
    source = make(fake, cursors, clock)
    assert source.poll(100) is None
    assert source.stats.errors == 1 and "HTTP 401" in (source.stats.last_error or "")
    assert source.poll(100) is None and source.stats.errors == 1  # not hammering the host
    fake.refuse = False
    clock.now += 61
    batch = source.poll(100)
    assert batch is not None and len(batch.events) == 100


def test_one_missing_channel_does_not_stop_the_others(cursors: CursorStore) -> None:
    target = EventLogTarget("win01", "monitor", SecretRef("env", "PW"), channels=("Forwarded Events", "Security"))
    source = make(host(), cursors, FakeClock(), target)
    batch = source.poll(1000)
    assert batch is not None and len(batch.events) == 91
    assert 'not an event log on the localhost computer that matches "Forwarded Events"' in (
        source.stats.last_error or ""
    )


def test_cleared_log_emits_a_gap_event_flags_and_rereads_from_the_start(cursors: CursorStore) -> None:
    fake, clock = host(), FakeClock()
    source = make(fake, cursors, clock)
    while (batch := source.poll(1000)) is not None:
        batch.commit()
    fake.host.clear("Security", clearing_notice("Security", dt.datetime.now(tz=dt.UTC)))
    clock.now += 61
    batch = source.poll(1000)
    assert batch is not None
    gap, notice = batch.events
    assert gap.level == "warning" and "cursor gap in Security" in gap.message and gap.fields["gap_reason"] == "cleared"
    assert notice.event_id == "1102" and notice.record_id == "1" and notice.message == "Журнал аудита очищен."
    assert fake.host.queries[-2:] == [("Security", SECURITY_LAST, 100), ("Security", 0, 100)]
    assert source.stats.flagged == {"cursor_gap": 1}
    batch.commit()
    assert '"record_id": 1' in (cursors.get("eventlog:win01/Security") or "")


def test_background_fetch_never_blocks_poll(cursors: CursorStore) -> None:
    fake = host()
    slow = fake.run

    def run_slowly(script: str) -> CommandResult:
        time.sleep(0.2)  # a WinRM round trip
        return slow(script)

    fake.run = run_slowly  # type: ignore[method-assign]
    source = make(fake, cursors, FakeClock(), background=True)
    try:
        started = time.monotonic()
        assert source.poll(1000) is None and time.monotonic() - started < 0.1  # the fetch runs in the worker
        events, deadline = 0, time.monotonic() + 10
        while events < 100 + 91 and time.monotonic() < deadline:
            batch = source.poll(1000)  # System's events come while Security is still being read
            events += len(batch.events) if batch else 0
            time.sleep(0.01)
        assert events == 100 + 91 and source.stats.errors == 0
    finally:
        source.close()


def test_bad_channel_names_are_refused_before_connecting(cursors: CursorStore) -> None:
    target = EventLogTarget("win01", "monitor", SecretRef("env", "PW"), channels=("System'; Stop-Computer; '",))
    with pytest.raises(EventLogError, match=r"eventlog target win01: channel .* is not a Windows event log name"):
        make(host(), cursors, FakeClock(), target)
