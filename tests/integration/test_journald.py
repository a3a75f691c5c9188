"""JournaldSource against real journal files (written by systemd-journal-remote, read by the real journalctl):
cursor commit and resume across restarts, unit filter, start at the end, a lost cursor, missing or hung journalctl."""

from __future__ import annotations

import json
import time
from dataclasses import replace
from pathlib import Path

import pytest

from inframind.agent.cursors import CursorStore
from inframind.agent.journald import JournaldSource
from inframind.agent.source import Batch
from inframind.config.agent import JournaldSource as JournaldSettings
from inframind.events import LogEvent
from tests.helpers.journal import BASE_US, entry, fake_journalctl, write_journal

pytestmark = pytest.mark.integration


def source(directory: Path, cursors: CursorStore, **settings: object) -> JournaldSource:
    options: dict[str, object] = {"enabled": True, "directory": str(directory), "start_at": "beginning", **settings}
    return JournaldSource(JournaldSettings(**options), cursors, idle_interval=0.0)  # type: ignore[arg-type]


def drain(src: JournaldSource, max_events: int = 3, commit: bool = True) -> list[LogEvent]:
    """Poll until nothing is new, committing each batch as the pipeline would once it is durable."""
    events: list[LogEvent] = []
    for _ in range(100):
        batch: Batch | None = src.poll(max_events)
        if batch is None:
            return events
        assert len(batch.events) <= max_events
        events += batch.events
        if commit:
            batch.commit()
    raise AssertionError("the source never ran dry")


@pytest.fixture
def journal(tmp_path: Path) -> Path:
    directory = tmp_path / "journal"
    write_journal(
        directory / "remote.journal",
        [
            entry(0, "checkpoint starting: time"),
            entry(1, "Ошибка записи на диск /dev/sdb", PRIORITY="3"),
            entry(2, b"binary \x00\xff payload", SYSLOG_IDENTIFIER="blobd", _SYSTEMD_UNIT="blob.service"),
            entry(3, "multi\nline message", PRIORITY="4"),
            *(entry(n, f"entry {n}") for n in range(4, 10)),
        ],
    )
    return directory


@pytest.fixture
def cursors(tmp_path: Path) -> CursorStore:
    return CursorStore(tmp_path / "state" / "cursors.db")


def test_reads_everything_with_exact_mapping(journal: Path, cursors: CursorStore) -> None:
    events = drain(source(journal, cursors), max_events=4)
    assert [e.message for e in events[:4]] == [
        "checkpoint starting: time",
        "Ошибка записи на диск /dev/sdb",
        "binary \x00\ufffd payload",
        "multi\nline message",
    ]
    assert len(events) == 10
    first, cyrillic, binary = events[:3]
    assert first.timestamp.timestamp() * 1_000_000 == BASE_US
    assert (first.source, first.host, first.provider, first.level) == ("journald", "db-01", "postgres", "info")
    assert first.fields["_SYSTEMD_UNIT"] == "postgresql.service"
    assert first.record_id is not None and first.record_id.startswith("s=")
    assert cyrillic.level == "error"
    assert binary.fields["invalid_utf8_replaced"] is True and binary.provider == "blobd"
    assert len({e.record_id for e in events}) == 10


def test_cursor_resumes_across_restarts_without_duplicates_or_gaps(journal: Path, cursors: CursorStore) -> None:
    first = source(journal, cursors)
    batch = first.poll(4)
    assert batch is not None
    batch.commit()
    first.close()
    second = source(journal, cursors)  # a restart: a new source on the same cursor store
    rest = drain(second)
    write_journal(journal / "remote.journal", [entry(n, f"appended {n}") for n in range(10, 13)])
    appended = drain(source(journal, cursors))  # another restart, after new entries arrived
    messages = [e.message for e in batch.events + rest + appended]
    assert messages[4:] == [f"entry {n}" for n in range(4, 10)] + [f"appended {n}" for n in range(10, 13)]
    assert len(messages) == 13
    assert cursors.get("journald:" + str(journal)) == appended[-1].record_id


def test_uncommitted_batch_is_read_again_after_a_restart(journal: Path, cursors: CursorStore) -> None:
    crashed = source(journal, cursors)
    committed = crashed.poll(2)
    assert committed is not None
    committed.commit()
    lost = crashed.poll(3)  # never made durable: no commit
    assert lost is not None
    again = source(journal, cursors).poll(3)
    assert again is not None
    assert [e.fingerprint for e in again.events] == [e.fingerprint for e in lost.events]


def test_unit_filter(journal: Path, cursors: CursorStore) -> None:
    events = drain(source(journal, cursors, units=("blob.service",)))
    assert [e.provider for e in events] == ["blobd"]


def test_start_at_end_skips_history_and_reads_what_comes(journal: Path, cursors: CursorStore) -> None:
    src = source(journal, cursors, start_at="end")
    assert src.poll(10) is None
    assert drain(src) == []
    write_journal(journal / "remote.journal", [entry(20, "new after start")])
    assert [e.message for e in drain(src)] == ["new after start"]
    assert [e.message for e in drain(source(journal, cursors, start_at="end"))] == []  # the position was kept


def test_start_at_end_of_an_empty_journal_reads_the_first_entries(tmp_path: Path, cursors: CursorStore) -> None:
    directory = tmp_path / "empty"
    directory.mkdir()
    src = source(directory, cursors, start_at="end")
    assert src.poll(10) is None
    write_journal(directory / "remote.journal", [entry(0, "first ever")])
    assert [e.message for e in drain(src)] == ["first ever"]


def test_vacuumed_journal_restarts_from_the_oldest_with_a_flag(journal: Path, cursors: CursorStore) -> None:
    assert len(drain(source(journal, cursors))) == 10
    for path in journal.iterdir():  # rotated and vacuumed: our entry is gone, a new file holds newer ones
        path.unlink()
    write_journal(journal / "new.journal", [entry(n, f"after vacuum {n}") for n in range(30, 33)])
    src = source(journal, cursors)
    events = drain(src, max_events=10)
    assert [e.message for e in events] == [f"after vacuum {n}" for n in range(30, 33)]
    assert all(e.fields["cursor_lost"] is True for e in events)
    stats = src.stats.snapshot()
    assert stats.flagged["cursor_lost"] == 3
    assert "no longer in the journal" in (stats.last_error or "")
    assert drain(src) == []  # and reading goes on normally


def test_missing_journalctl_is_an_error_in_stats(journal: Path, cursors: CursorStore) -> None:
    src = source(journal, cursors, journalctl="/nonexistent/journalctl")
    assert src.poll(10) is None
    stats = src.stats.snapshot()
    assert stats.errors == 1 and "journalctl not found" in (stats.last_error or "")


def test_missing_directory_is_an_error_in_stats(tmp_path: Path, cursors: CursorStore) -> None:
    src = source(tmp_path / "nope", cursors)
    assert src.poll(10) is None
    assert "exited with 1" in (src.stats.snapshot().last_error or "")


def test_hung_journalctl_is_cut_off_and_keeps_complete_lines(tmp_path: Path, cursors: CursorStore) -> None:
    line = json.dumps({"__CURSOR": "s=1;i=1", "__REALTIME_TIMESTAMP": str(BASE_US), "MESSAGE": "before the hang"})
    cut = '{"__CURSOR":"s=1;i=2","MESS'
    fake = fake_journalctl(tmp_path / "journalctl", [line, "not json"], partial=cut, sleep=30)
    src = JournaldSource(
        JournaldSettings(enabled=True, journalctl=str(fake), start_at="beginning"), cursors, timeout=1.0
    )
    started = time.monotonic()
    batch = src.poll(10)
    assert time.monotonic() - started < 5
    assert batch is not None and [e.message for e in batch.events] == ["before the hang"]
    stats = src.stats.snapshot()
    assert "did not finish within 1.0s" in (stats.last_error or "")
    assert stats.rejected == {"malformed": 1}


def test_idle_source_does_not_run_journalctl_on_every_poll(journal: Path, cursors: CursorStore) -> None:
    now = [100.0]
    src = JournaldSource(
        JournaldSettings(enabled=True, directory=str(journal), start_at="beginning"),
        cursors,
        idle_interval=5.0,
        clock=lambda: now[0],
    )
    first = src.poll(100)
    assert first is not None and len(first.events) == 10
    write_journal(journal / "remote.journal", [entry(40, "soon")])
    assert src.poll(100) is None  # caught up a moment ago: journalctl is not run again yet
    now[0] += 5.0
    again = src.poll(100)
    assert again is not None and [e.message for e in again.events] == ["soon"]


def test_start_at_end_survives_a_failing_first_run(journal: Path, cursors: CursorStore) -> None:
    """journalctl failing on the first poll must not turn "start at the end" into "read all history"."""
    now = [0.0]
    settings = JournaldSettings(enabled=True, directory=str(journal), journalctl="/nonexistent/journalctl")
    src = JournaldSource(settings, cursors, idle_interval=0.0, error_interval=10.0, clock=lambda: now[0])
    assert src.poll(10) is None
    assert src.stats.snapshot().errors == 1
    src.settings = replace(settings, journalctl="journalctl")  # fixed (installed) meanwhile
    assert src.poll(10) is None  # still backing off after the error
    now[0] += 10.0
    assert src.poll(10) is None  # positioned at the end now
    write_journal(journal / "remote.journal", [entry(50, "only this")])
    assert [e.message for e in drain(src)] == ["only this"]


def test_unparseable_stored_cursor_restarts_from_the_oldest(journal: Path, cursors: CursorStore) -> None:
    cursors.put(f"journald:{journal}", "not-a-cursor")
    src = source(journal, cursors)
    events = drain(src, max_events=20)
    assert len(events) == 10 and all(e.fields["cursor_lost"] is True for e in events)
    assert cursors.get(f"journald:{journal}") == events[-1].record_id


def test_journalctl_that_cannot_be_executed(tmp_path: Path, cursors: CursorStore) -> None:
    not_executable = tmp_path / "journalctl"
    not_executable.write_text("#!/bin/sh\n")
    src = source(tmp_path, cursors, journalctl=str(not_executable))
    assert src.poll(10) is None
    assert "cannot run" in (src.stats.snapshot().last_error or "")
