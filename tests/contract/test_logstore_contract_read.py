"""The LogStore contract, part 3: following the store (``read_after`` in storage order, ``end_position``) - what
the analyzer relies on to see every event exactly once, late ones included.

Every test runs against each backend (tests/contract/conftest.py); OpenSearch runs on the osmem emulator.
"""

from __future__ import annotations

from inframind.logstore.base import LogStore
from tests.contract.sample import Backend, ev, fps, read_all

# ---------------------------------------------------------------- following the store


def test_read_after_follows_storage_order_so_a_late_event_comes_after_earlier_stored_ones(store: LogStore) -> None:
    first = [ev(100 + i) for i in range(5)]
    late = ev(-86400, message="late event from yesterday", host="web-9")
    second = [ev(200 - i) for i in range(3)]  # timestamps decreasing inside the batch: batch order still wins
    for batch in (first, [late], second):
        store.write(batch)
    expected = [*fps(first), late.fingerprint, *fps(second)]
    assert read_all(store) == expected
    assert read_all(store, step=2) == expected
    events, position = store.read_after(None, 6)
    assert fps(events) == expected[:6]
    assert fps(store.read_after(position, 100)[0]) == expected[6:]


def test_read_after_returns_the_same_position_when_nothing_is_new(store: LogStore) -> None:
    store.write([ev(i) for i in range(3)])
    events, position = store.read_after(None, 10)
    assert len(events) == 3
    assert store.read_after(position, 10) == ([], position)
    store.write([ev(i) for i in range(3)])  # duplicates are not stored again, so not read again
    assert store.read_after(position, 10) == ([], position)
    newer = ev(50, message="a new one")
    store.write([newer])
    assert store.read_after(position, 10)[0] == [newer]


def test_end_position_starts_a_reader_at_new_events_only(store: LogStore) -> None:
    at_empty = store.end_position()
    assert store.read_after(at_empty, 10)[0] == []
    first = [ev(i) for i in range(4)]
    store.write(first)
    end = store.end_position()
    assert store.read_after(end, 10) == ([], end)
    second = [ev(-3600 + i) for i in range(2)]  # older timestamps, stored later
    store.write(second)
    assert fps(store.read_after(end, 10)[0]) == fps(second)
    assert read_all(store, at_empty) == fps(first) + fps(second)


def test_a_position_stays_valid_when_the_store_is_reopened(backend: Backend) -> None:
    writer = backend.open()
    writer.write([ev(i) for i in range(3)])
    _, position = writer.read_after(None, 10)
    writer.close()
    backend.opened.remove(writer)
    reopened = backend.open()
    later = [ev(10 + i) for i in range(2)]
    reopened.write(later)
    assert fps(reopened.read_after(position, 10)[0]) == fps(later)
