"""The file source on real files: start positions, checkpoints across restarts and crashes, rotation both ways.

Every test counts numbered lines: each must arrive exactly once (or, after a crash, again with the same
fingerprint, which the store deduplicates).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from inframind.agent.files_state import decode_checkpoint
from inframind.config.agent import MultilineSettings
from inframind.events import LogEvent
from inframind.schema import Regex
from tests.helpers.tailing import NAME, Tailing, numbers


def file_id(event: LogEvent) -> str:
    return (event.record_id or "").split(":")[0]


@pytest.fixture
def tail(tmp_path: Path) -> Tailing:
    return Tailing(tmp_path)


def test_start_at_end_skips_what_is_there_but_not_a_line_being_written(tail: Tailing, tmp_path: Path) -> None:
    log = tmp_path / "app.log"
    tail.write(log, 5)
    with log.open("a") as out:
        out.write("n=999999 half a li")
    source = tail.source([str(log)], start_at="end")
    assert tail.drain(source) == []
    with log.open("a") as out:
        out.write("ne\n")
    tail.write(log, 2)
    assert [e.message[:8] for e in tail.drain(source)] == ["n=999999", "n=000005", "n=000006"]


def test_start_at_beginning_and_files_appearing_later_are_read_whole(tail: Tailing, tmp_path: Path) -> None:
    tail.write(tmp_path / "a.log", 3)
    source = tail.source([str(tmp_path / "*.log")], start_at="end")
    assert tail.drain(source) == []  # a.log was there on the first run: start_at applies
    tail.write(tmp_path / "b.log", 4)  # b.log appears later: read from its beginning
    assert numbers(tail.drain(source)) == [3, 4, 5, 6]


def test_restart_after_commit_neither_re_reads_nor_skips(tail: Tailing, tmp_path: Path) -> None:
    log = tmp_path / "app.log"
    tail.write(log, 10)
    first = tail.source([str(log)], start_at="beginning")
    assert numbers(tail.drain(first)) == list(range(10))
    first.close()
    tail.write(log, 5)  # written while the agent is down
    second = tail.source([str(log)], start_at="beginning")
    assert numbers(tail.drain(second)) == list(range(10, 15))


def test_a_crash_before_commit_re_reads_the_same_events(tail: Tailing, tmp_path: Path) -> None:
    log = tmp_path / "app.log"
    tail.write(log, 10)
    first = tail.source([str(log)], start_at="beginning")
    read = tail.drain(first, commit=False)
    # the id was persisted before any event carried it, so the re-read has the same record ids
    assert [s.id for s in decode_checkpoint(tail.cursors.get(NAME) or "")] == [file_id(read[0])]
    again = tail.drain(tail.source([str(log)], start_at="beginning"))
    assert [e.fingerprint for e in again] == [e.fingerprint for e in read]
    assert [e.record_id for e in again] == [e.record_id for e in read]


def test_rename_rotation_reads_the_old_file_to_its_end_then_the_new_one(tail: Tailing, tmp_path: Path) -> None:
    log = tmp_path / "app.log"
    tail.write(log, 20)
    source = tail.source([str(log)], start_at="beginning")
    assert numbers(tail.drain(source)) == list(range(20))
    tail.write(log, 5)  # not read yet when the file is renamed
    os.rename(log, tmp_path / "app.log.1")
    tail.write(log, 7)
    got = tail.drain(source)
    assert sorted(numbers(got)) == list(range(20, 32))
    channels = {e.channel for e in got}
    assert channels == {str(log)}  # the rotated file keeps the name it was read under


def test_rename_while_down_finds_the_old_file_in_its_directory(tail: Tailing, tmp_path: Path) -> None:
    log = tmp_path / "app.log"
    tail.write(log, 10)
    first = tail.source([str(log)], start_at="beginning")
    tail.drain(first)
    first.close()
    tail.write(log, 3)
    os.rename(log, tmp_path / "app.log.1")
    tail.write(log, 4)
    second = tail.source([str(log)], start_at="beginning")
    assert sorted(numbers(tail.drain(second))) == list(range(10, 17))


@pytest.mark.parametrize("pattern", ["app.log", "app.log*"])
def test_copytruncate_continues_in_the_copy_without_loss_or_duplicates(
    tail: Tailing, tmp_path: Path, pattern: str
) -> None:
    log = tmp_path / "app.log"
    tail.write(log, 30)  # > 1 KiB: a full head
    source = tail.source([str(tmp_path / pattern)], start_at="beginning")
    assert numbers(tail.drain(source)) == list(range(30))
    tail.write(log, 6)  # unread when logrotate copies and truncates: only the copy has them
    shutil.copyfile(log, tmp_path / "app.log.1")
    os.truncate(log, 0)
    tail.write(log, 8)
    got = numbers(tail.drain(source))
    assert sorted(got) == list(range(30, 44)), got
    assert source.stats.errors == 0


def test_a_copy_seen_before_the_truncation_waits_for_it(tail: Tailing, tmp_path: Path) -> None:
    log = tmp_path / "app.log"
    tail.write(log, 30)
    source = tail.source([str(tmp_path / "app.log*")], start_at="beginning")
    tail.drain(source)
    tail.write(log, 6)
    shutil.copyfile(log, tmp_path / "app.log.1")
    assert numbers(tail.drain(source)) == list(range(30, 36))  # from the original; the copy is not new
    os.truncate(log, 0)
    tail.write(log, 8)
    assert numbers(tail.drain(source)) == list(range(36, 44))


def test_copytruncate_while_down(tail: Tailing, tmp_path: Path) -> None:
    log = tmp_path / "app.log"
    tail.write(log, 30)
    first = tail.source([str(log)], start_at="beginning")
    tail.drain(first)
    first.close()
    tail.write(log, 6)
    shutil.copyfile(log, tmp_path / "app.log.1")
    os.truncate(log, 0)
    tail.write(log, 3)
    got = numbers(tail.drain(tail.source([str(log)], start_at="beginning")))
    assert sorted(got) == list(range(30, 39))


def test_truncation_without_a_copy_reads_the_new_content_as_a_new_file(tail: Tailing, tmp_path: Path) -> None:
    log = tmp_path / "app.log"
    tail.write(log, 30)
    source = tail.source([str(log)], start_at="beginning")
    before = tail.drain(source)
    tail.write(log, 2)
    os.truncate(log, 0)  # the two unread lines are gone: counted as an error, not silently
    tail.write(log, 40)  # longer than before: only the head shows it is another file
    after = tail.drain(source)
    assert numbers(after) == list(range(32, 72))
    assert {file_id(e) for e in after}.isdisjoint({file_id(e) for e in before})
    assert source.stats.errors == 1


def test_rewritten_in_place_past_the_offset_is_caught_by_the_head(tail: Tailing, tmp_path: Path) -> None:
    log = tmp_path / "app.log"
    tail.write(log, 30)
    source = tail.source([str(log)], start_at="beginning")
    tail.drain(source)
    log.write_text("".join(f"other content {i:04d} {'y' * 60}\n" for i in range(100)), encoding="utf-8")
    got = tail.drain(source)
    assert [e.message[:18] for e in got[:2]] == ["other content 0000", "other content 0001"]
    assert len(got) == 100


def test_a_copy_that_is_never_claimed_becomes_a_new_file(tail: Tailing, tmp_path: Path) -> None:
    log = tmp_path / "app.log"
    tail.write(log, 30)
    source = tail.source([str(tmp_path / "*.log")], start_at="beginning", defer_limit=10.0)
    tail.drain(source)
    shutil.copyfile(log, tmp_path / "backup.log")
    assert tail.drain(source) == []  # looks like a copytruncate in progress: wait
    tail.now += 11
    assert numbers(tail.drain(source)) == list(range(30))  # someone just copied it: a file of its own


def test_multiline_checkpoint_stays_at_the_pending_event(tail: Tailing, tmp_path: Path) -> None:
    log = tmp_path / "app.log"
    log.write_text("2026-03-01 ERROR boom\n  at a()\n  at b()\n2026-03-01 INFO next\n  detail\n", encoding="utf-8")
    multi = MultilineSettings(Regex(r"^\d{4}-"), flush_after=5.0)
    source = tail.source([str(log)], start_at="beginning", multiline=multi)
    got = tail.drain(source)
    assert [e.message for e in got] == ["2026-03-01 ERROR boom\n  at a()\n  at b()"]
    assert got[0].level == "error"
    source.close()  # "next" is still being joined: a restart must read it again, whole
    again = tail.source([str(log)], start_at="beginning", multiline=multi)
    assert tail.drain(again) == []
    tail.now += 6  # quiet for flush_after: the pending event goes out
    assert [e.message for e in tail.drain(again)] == ["2026-03-01 INFO next\n  detail"]


def test_long_lines_are_cut_and_flagged_and_the_next_line_is_intact(tail: Tailing, tmp_path: Path) -> None:
    log = tmp_path / "app.log"
    with log.open("wb") as out:
        out.write(b"A" * 3_000_000 + b"\n" + b"short\n" + "Б".encode() * 600 + b"\n")
    source = tail.source([str(log)], start_at="beginning", max_line_bytes=1000)
    got = tail.drain(source)
    assert [(len(e.message), e.fields.get("truncated", False)) for e in got] == [(1000, True), (5, False), (500, True)]
    assert [e.record_id for e in got] == [f"{file_id(got[0])}:{n}" for n in (0, 3_000_001, 3_000_007)]
    assert source.stats.snapshot().flagged == {"truncated": 2}


def test_a_long_line_still_being_written_is_cut_once_it_ends(tail: Tailing, tmp_path: Path) -> None:
    log = tmp_path / "app.log"
    log.write_bytes(b"B" * 5000)
    source = tail.source([str(log)], start_at="beginning", max_line_bytes=1000)
    assert tail.drain(source) == []
    with log.open("ab") as out:
        out.write(b"B" * 5000 + b"\nnext\n")
    assert [len(e.message) for e in tail.drain(source)] == [1000, 4]


def test_invalid_utf8_empty_lines_and_exclusions(tail: Tailing, tmp_path: Path) -> None:
    (tmp_path / "app.log").write_bytes(b"bad \xff\xfe bytes\n\n   \nok\n")
    (tmp_path / "skip.log").write_bytes(b"excluded\n")
    (tmp_path / "old.log.gz").write_bytes(b"\x1f\x8b not lines\n")
    source = tail.source([str(tmp_path / "*")], start_at="beginning", exclude=("skip.*",))
    got = tail.drain(source)
    assert [e.message for e in got] == ["bad \ufffd\ufffd bytes", "ok"]
    assert got[0].fields["invalid_utf8_replaced"] is True
    stats = source.stats.snapshot()
    assert (stats.read, stats.rejected, stats.flagged) == (2, {"empty": 2}, {"invalid_utf8_replaced": 1})


def test_lag_grows_while_input_waits_and_returns_to_zero(tail: Tailing, tmp_path: Path) -> None:
    log = tmp_path / "app.log"
    tail.write(log, 50)
    source = tail.source([str(log)], start_at="beginning")
    batch = source.poll(10)
    assert batch is not None
    tail.now += 4
    source.poll(10)
    assert source.stats.lag_seconds == 4.0
    tail.drain(source)
    assert source.stats.lag_seconds == 0.0
    tail.now += 30  # quiet: a file read to its end is not behind, however long nothing comes
    assert source.poll(10) is None
    assert source.stats.lag_seconds == 0.0


def test_an_unreadable_checkpoint_starts_over(tail: Tailing, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    log = tmp_path / "app.log"
    tail.write(log, 3)
    tail.cursors.put(NAME, '{"v": 99}')
    source = tail.source([str(log)], start_at="beginning")
    assert numbers(tail.drain(source)) == [0, 1, 2]
    assert "not version 1" in caplog.text


def test_a_poll_of_long_lines_is_bounded_in_bytes_not_only_in_lines(tail: Tailing, tmp_path: Path) -> None:
    log = tmp_path / "app.log"
    log.write_bytes(b"".join(bytes([65 + n]) * 1_000_000 + b"\n" for n in range(20)))
    source = tail.source([str(log)], start_at="beginning", max_line_bytes=2_000_000)
    batch = source.poll(1000)
    assert batch is not None and 8 <= len(batch.events) <= 9  # about 8 MB, not 20 MB
    batch.commit()
    assert len(batch.events) + len(tail.drain(source)) == 20


def test_a_file_copied_and_truncated_before_its_first_line_was_read(tail: Tailing, tmp_path: Path) -> None:
    """The agent is behind (a backlog in another file fills every batch) when a new file is rotated."""
    backlog, log = tmp_path / "backlog.log", tmp_path / "app.log"
    tail.write(backlog, 200)
    log.touch()  # appears empty: nothing to know it by yet
    source = tail.source([str(backlog), str(log)], start_at="beginning")
    taken = []
    for _ in range(2):
        batch = source.poll(1)
        assert batch is not None
        taken.extend(batch.events)
    tail.write(log, 30)  # > 1 KiB arrive while the backlog is read a line at a time
    batch = source.poll(1)  # the backlog's turn: no room left for app.log, which is only looked at
    assert batch is not None and numbers(batch.events) == [2]
    taken.extend(batch.events)
    shutil.copyfile(log, tmp_path / "app.log.1")
    os.truncate(log, 0)
    tail.write(log, 5)
    got = numbers([*taken, *tail.drain(source)])
    assert sorted(got) == list(range(235)), sorted(set(range(235)) - set(got))[:5]
