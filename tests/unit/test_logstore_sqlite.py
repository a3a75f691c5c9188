"""SQLite log store specifics (the shared behaviour is in the LogStore contract suite): retention by age
and size, persistence across reopen, a second process reading while one writes, safe search syntax."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from pathlib import Path

import pytest

from inframind.config import SQLiteStoreSettings
from inframind.events import LogEvent
from inframind.logstore.base import LogStoreError, Query
from inframind.logstore.fts import fts_query, search_terms
from inframind.logstore.sqlite import SQLiteStore

BASE = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)


def events(n: int, start: dt.datetime = BASE, step: float = 60.0, size: int = 40) -> list[LogEvent]:
    return [
        LogEvent(
            timestamp=start + dt.timedelta(seconds=i * step),
            source="file",
            level="info",
            message=f"event {i} " + "x" * size,
            host="h1",
            record_id=str(i),
        )
        for i in range(n)
    ]


def test_fts_query_is_safe_and_ands_terms() -> None:
    assert search_terms('disk "write error" AND sda* ::') == [
        (False, "disk"),
        (True, "write error"),
        (False, "AND"),
        (False, "sda*"),
    ]
    assert fts_query('say "hi"') == '"say" "hi"'
    assert fts_query('a"b') == '"a""b"'
    assert fts_query("  ::  ") == ""


def test_search_syntax_never_breaks_the_query(tmp_path: Path) -> None:
    store = SQLiteStore(SQLiteStoreSettings(path=str(tmp_path / "l.db")))
    store.write(events(3))
    for text in ("NEAR(", "event AND", '"unbalanced', "*", "col:umn", "event OR 1"):
        store.search(Query(text=text))  # no exception: every term is a literal
    assert store.search(Query(text="event 1")).total == 1
    with pytest.raises(LogStoreError, match="invalid page token"):
        store.search(Query(), page_token="garbage")
    with pytest.raises(ValueError, match="cannot group by 'message; DROP TABLE'"):
        store.counts(Query(), 60, "message; DROP TABLE")  # type: ignore[arg-type]


def test_retention_by_age(tmp_path: Path) -> None:
    now = (BASE + dt.timedelta(days=10)).timestamp()
    store = SQLiteStore(SQLiteStoreSettings(path=str(tmp_path / "l.db"), retention=5 * 86400), clock=lambda: now)
    store.write(events(10, step=86400))  # one a day, days 0..9
    assert store.apply_retention() == 5
    remaining = store.search(Query(), limit=20).events
    assert sorted(e.record_id or "" for e in remaining) == ["5", "6", "7", "8", "9"]
    assert store.search(Query(text="event 2")).total == 0  # the full-text index forgot them too


def test_retention_by_size_deletes_oldest_first(tmp_path: Path) -> None:
    settings = SQLiteStoreSettings(path=str(tmp_path / "l.db"), retention=10 * 365 * 86400, max_bytes=2 << 20)
    store = SQLiteStore(settings, clock=(BASE + dt.timedelta(days=1)).timestamp)
    for i in range(10):
        store.write(events(1000, start=BASE + dt.timedelta(seconds=i * 1000), step=1, size=400))
    assert store.size_bytes() > settings.max_bytes
    deleted = store.apply_retention(chunk=1000)
    assert deleted > 0 and store.size_bytes() <= settings.max_bytes
    newest = store.search(Query(), limit=1).events[0]
    assert newest.timestamp == BASE + dt.timedelta(seconds=9 * 1000 + 999)  # the newest survived


def test_reopen_keeps_events_and_positions(tmp_path: Path) -> None:
    path = str(tmp_path / "l.db")
    first = SQLiteStore(SQLiteStoreSettings(path=path))
    first.write(events(5))
    position = first.end_position()
    first.close()
    again = SQLiteStore(SQLiteStoreSettings(path=path))
    assert again.write(events(5)).duplicates == 5
    again.write(events(2, start=BASE + dt.timedelta(days=1)))
    new, _ = again.read_after(position, 10)
    assert [e.timestamp for e in new] == [BASE + dt.timedelta(days=1), BASE + dt.timedelta(days=1, seconds=60)]


def test_another_process_reads_while_this_one_writes(tmp_path: Path) -> None:
    path = str(tmp_path / "l.db")
    store = SQLiteStore(SQLiteStoreSettings(path=path))
    store.write(events(100))
    code = (
        "from inframind.config import SQLiteStoreSettings\n"
        "from inframind.logstore.sqlite import SQLiteStore\n"
        "from inframind.logstore.base import Query\n"
        f"s = SQLiteStore(SQLiteStoreSettings(path={path!r}))\n"
        "print(s.search(Query(text='event')).total)\n"
    )
    store._db.execute("BEGIN IMMEDIATE")  # an open write transaction must not block the reader (WAL)
    try:
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=30)
    finally:
        store._db.execute("ROLLBACK")
    assert out.stdout.strip() == "100"


def test_retention_runs_with_writes_a_minute_after_open_then_hourly(tmp_path: Path) -> None:
    now = [(BASE + dt.timedelta(days=40)).timestamp()]
    store = SQLiteStore(SQLiteStoreSettings(path=str(tmp_path / "l.db"), retention=30 * 86400), clock=lambda: now[0])
    store.write(events(3, start=BASE))  # already older than 30 days, but retention waits a minute after open
    assert store.search(Query()).total == 3
    now[0] += 61
    store.write(events(1, start=BASE + dt.timedelta(days=39)))
    assert store.search(Query()).total == 1  # the old three are gone
    store.write(events(3, start=BASE))
    assert store.search(Query()).total == 4  # retention ran less than an hour ago: not again yet
    now[0] += 3601
    store.write(events(1, start=BASE + dt.timedelta(days=39, hours=1)))
    assert store.search(Query()).total == 2
