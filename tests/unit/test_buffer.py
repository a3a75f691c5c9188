"""The disk buffer: FIFO of batches that survives restarts, bounded with oldest-first drops counted only when full."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from inframind.agent.buffer import ACK_BATCH, DiskBuffer, decode_events, encode_events
from inframind.events import LogEvent

STAMP = dt.datetime(2026, 3, 1, 12, 0, 0, 123456, tzinfo=dt.UTC)


def events(start: int, count: int, text: str = "line") -> list[LogEvent]:
    return [
        LogEvent(STAMP, "file", "warning", f"{text} {n}", host="h", record_id=f"id:{n}", channel="/a.log",
                 fields={"truncated": True, "n": n, "ratio": 0.5, "none": None} if n % 2 else {})
        for n in range(start, start + count)
    ]  # fmt: skip


def test_events_round_trip_exactly_through_the_encoding() -> None:
    original = [
        *events(0, 3, "Диск /dev/sda \u2028 заполнен"),
        LogEvent(STAMP, "eventlog", "critical", "x", event_id="41"),
    ]
    assert decode_events(encode_events(original)) == original


def test_batches_come_back_in_order_and_acked_ones_are_gone_after_a_restart(tmp_path: Path) -> None:
    path = tmp_path / "buffer.db"
    buffer = DiskBuffer(path, 1 << 20)
    buffer.append(events(0, 3), (("file:a", 3),))
    buffer.append(events(3, 2), (("file:a", 1), ("syslog", 1)))
    buffer.append(events(5, 1), (("syslog", 1),))
    first = buffer.peek(5)
    assert [len(entry.events) for entry in first] == [3, 2]  # the third would pass max_events
    buffer.ack([first[0].id])
    buffer.close()

    reopened = DiskBuffer(path, 1 << 20)  # from disk: decoded, not from memory
    assert reopened.usage()[1] == 3
    entries = reopened.peek(100)
    assert [e for entry in entries for e in entry.events] == events(3, 3)
    assert [entry.segments for entry in entries] == [(("file:a", 1), ("syslog", 1)), (("syslog", 1),)]
    reopened.ack([entry.id for entry in entries])
    assert reopened.empty() and reopened.usage() == (0, 0)
    reopened.close()
    assert DiskBuffer(path, 1 << 20).empty()


def test_acked_rows_are_deleted_in_bulk(tmp_path: Path) -> None:
    path = tmp_path / "buffer.db"
    buffer = DiskBuffer(path, 1 << 30)
    for n in range(ACK_BATCH + 2):
        buffer.append(events(n, 1), (("s", 1),))
    for _ in range(ACK_BATCH):
        buffer.ack([buffer.peek(1)[0].id])
    # a crash now (no close) loses nothing: the rows not yet acked are still on disk
    crashed = DiskBuffer(path, 1 << 30)
    assert [e.message for entry in crashed.peek(100) for e in entry.events] == ["line 32", "line 33"]


def test_a_full_buffer_drops_the_oldest_and_counts_them_by_source(tmp_path: Path) -> None:
    size = len(encode_events(events(0, 10)))
    buffer = DiskBuffer(tmp_path / "buffer.db", max_bytes=int(size * 2.5))
    buffer.append(events(0, 10), (("file:a", 10),))
    buffer.append(events(10, 10), (("syslog", 10),))
    assert sum(buffer.dropped.values()) == 0  # not full yet: nothing counted
    buffer.append(events(20, 10), (("file:a", 10),))
    assert dict(buffer.dropped) == {"file:a": 10}
    assert [entry.events[0].message for entry in buffer.peek(100)] == ["line 10", "line 20"]
    assert buffer.usage() == (len(encode_events(events(10, 10))) + len(encode_events(events(20, 10))), 20)


def test_the_batch_in_flight_is_dropped_last(tmp_path: Path) -> None:
    size = len(encode_events(events(0, 10)))
    buffer = DiskBuffer(tmp_path / "buffer.db", max_bytes=int(size * 2.5))
    buffer.append(events(0, 10), (("a", 10),))
    buffer.append(events(10, 10), (("b", 10),))
    in_flight = buffer.peek(10)
    assert in_flight[0].events[0].message == "line 0"
    buffer.append(events(20, 10), (("c", 10),))
    assert dict(buffer.dropped) == {"b": 10}  # the shipper is sending "a": it is not the one dropped
    buffer.release([in_flight[0].id])
    assert [entry.segments[0][0] for entry in buffer.peek(100)] == ["a", "c"]


def test_a_batch_larger_than_the_whole_buffer_is_dropped_and_counted(tmp_path: Path) -> None:
    buffer = DiskBuffer(tmp_path / "buffer.db", max_bytes=100)
    buffer.append(events(0, 10), (("file:a", 10),))
    assert buffer.empty() and dict(buffer.dropped) == {"file:a": 10}


def test_memory_cache_and_disk_give_the_same_events(tmp_path: Path) -> None:
    buffer = DiskBuffer(tmp_path / "buffer.db", 1 << 20, memory_bytes=len(encode_events(events(0, 4))))
    buffer.append(events(0, 4), (("s", 4),))  # cached
    buffer.append(events(4, 4), (("s", 4),))  # over the memory bound: read back from disk
    assert [e for entry in buffer.peek(100) for e in entry.events] == events(0, 8)


def test_oldest_per_source_for_the_lag(tmp_path: Path) -> None:
    clock = iter([100.0, 105.0, 109.0])
    buffer = DiskBuffer(tmp_path / "buffer.db", 1 << 20, wall=lambda: next(clock))
    buffer.append(events(0, 1), (("a", 1),))
    buffer.append(events(1, 2), (("b", 1), ("a", 1)))
    buffer.append(events(3, 1), (("c", 1),))
    assert buffer.oldest_by_source() == {"a": 100.0, "b": 105.0, "c": 109.0}


def test_append_failure_raises_and_stores_nothing(tmp_path: Path) -> None:
    buffer = DiskBuffer(tmp_path / "buffer.db", 1 << 20)
    buffer.close()
    with pytest.raises(Exception, match="closed"):
        buffer.append(events(0, 1), (("s", 1),))
    assert buffer.usage() == (0, 0)
