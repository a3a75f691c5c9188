"""The JSONL spool: events written as UTF-8 JSON lines that LogEvent.from_json reads back, losses counted."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from inframind.agent.spool import JsonlSpool, append_lines
from inframind.events import LogEvent

RUSSIAN = "Порт отключён"


def event(n: int, message: str = "linkDown from 10.0.0.5") -> LogEvent:
    stamp = dt.datetime(2026, 3, 1, 12, 0, n, tzinfo=dt.UTC)
    return LogEvent(stamp, "snmp_trap", "warning", f"{message} #{n}", host="10.0.0.5", fields={"1.3.6.1": "x"})


def read(path: Path) -> list[LogEvent]:
    with path.open(encoding="utf-8") as lines:
        return [LogEvent.from_json(line) for line in lines]


def test_events_round_trip_and_append_across_restarts(tmp_path: Path) -> None:
    path = tmp_path / "spool" / "traps.jsonl"  # the folder does not exist yet
    first = JsonlSpool(path)
    first.start()
    for n in range(3):
        first.put(event(n, RUSSIAN + "\u2028" + RUSSIAN))
    first.close()
    second = JsonlSpool(path)
    second.start()
    second.put(event(3))
    second.close()
    assert read(path) == [event(n, RUSSIAN + "\u2028" + RUSSIAN) for n in range(3)] + [event(3)]
    assert RUSSIAN.encode() in path.read_bytes()
    assert first.counts() == (3, {"queue_full": 0, "write_error": 0})


def test_batches_are_split_but_all_written(tmp_path: Path) -> None:
    path = tmp_path / "traps.jsonl"
    spool = JsonlSpool(path, max_batch=2)
    for n in range(5):  # queued before the writer starts: it must drain them in batches of two
        spool.put(event(n))
    spool.start()
    spool.close()
    assert read(path) == [event(n) for n in range(5)]


def test_write_errors_and_a_full_queue_are_counted(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("", encoding="utf-8")
    spool = JsonlSpool(blocker / "traps.jsonl", max_queued=2)
    for n in range(3):
        spool.put(event(n))
    spool.start()
    spool.close()
    assert spool.counts() == (0, {"queue_full": 1, "write_error": 2})


def test_append_lines_is_one_line_per_event(tmp_path: Path) -> None:
    path = tmp_path / "x.jsonl"
    append_lines(path, [event(1, "a\nb"), event(2)])
    assert path.read_text(encoding="utf-8").count("\n") == 2
