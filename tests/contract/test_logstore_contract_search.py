"""The LogStore contract, part 2: full text, paging and counts - what people and rules rely on.

Every test runs against each backend (tests/contract/conftest.py); OpenSearch runs on the osmem emulator.
"""

from __future__ import annotations

import datetime as dt

import pytest

from inframind.events import LogEvent
from inframind.logstore.base import Bucket, LogStore, LogStoreError, Query
from tests.contract.sample import BASE, ev, fps

# ---------------------------------------------------------------- full text

TEXTS = [
    "Disk /dev/sda failed: I/O error on sector 1234",
    "disk sda replaced, error cleared",
    "Link eth0 is down",
    "Диск sda отказал: ошибка ввода-вывода",
    "Ошибка диска исправлена",
    "error failed",
]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("disk error", {0, 1}),
        ("ERROR Disk", {0, 1}),
        ("sda", {0, 1, 3}),
        ('"I/O error"', {0}),
        ("i/o", {0}),
        ("O/I", set()),
        ('"error failed"', {5}),
        ('"failed error"', set()),
        ("dis", set()),
        ("disk eth0", set()),
        ("диск", {3}),
        ("ОШИБКА", {3, 4}),
        ('"ошибка ввода"', {3}),
        ('sda "ошибка ввода"', {3}),
        ('"ввода ошибка"', set()),
    ],
)
def test_full_text_needs_every_word_and_each_phrase_in_order(store: LogStore, text: str, expected: set[int]) -> None:
    events = [ev(i, message=message) for i, message in enumerate(TEXTS)]
    store.write(events)
    found = set(fps(store.search(Query(text=text), limit=100).events))
    assert found == {events[i].fingerprint for i in expected}


# ---------------------------------------------------------------- paging


@pytest.mark.parametrize("query", [Query(), Query(tenant="acme", levels=("error",))], ids=["all", "filtered"])
def test_paging_250_events_has_no_gaps_no_duplicates_and_goes_newest_first(store: LogStore, query: Query) -> None:
    # Two events per second: ties on the timestamp must not lose or repeat events at a page boundary.
    events = [ev(i // 2, message=f"paged event {i}", level="error" if i % 5 else "info") for i in range(250)]
    store.write(events)
    expected = [e for e in events if not query.levels or e.level in query.levels]
    seen: list[LogEvent] = []
    token: str | None = None
    pages = 0
    while True:
        page = store.search(query, limit=40, page_token=token)
        pages += 1
        assert page.total == len(expected)
        assert len(page.events) == min(40, len(expected) - len(seen))
        seen += page.events
        token = page.next_token
        if token is None:
            break
    assert pages == -(-len(expected) // 40)
    assert sorted(fps(seen)) == sorted(fps(expected)) and len(set(fps(seen))) == len(seen)
    stamps = [e.timestamp for e in seen]
    assert stamps == sorted(stamps, reverse=True)


def test_a_garbled_page_token_is_refused(store: LogStore) -> None:
    store.write([ev(i) for i in range(3)])
    with pytest.raises(LogStoreError):
        store.search(Query(), limit=1, page_token="not-a-token")


# ---------------------------------------------------------------- counts


def test_counts_per_epoch_aligned_bucket_and_group_oldest_first(store: LogStore) -> None:
    store.write(
        [
            ev(0, level="error", event_id="7"),
            ev(10, level="info"),
            ev(59.999999, level="error", event_id="7"),
            ev(60, level="info", event_id="11"),
            ev(61, level="info"),
            ev(125, level="error"),
            ev(3600, level="critical", event_id="7"),
        ]
    )
    minute = dt.timedelta(minutes=1)
    assert store.counts(Query(), 60) == [
        Bucket(BASE, "", 3),
        Bucket(BASE + minute, "", 2),
        Bucket(BASE + 2 * minute, "", 1),
        Bucket(BASE + 60 * minute, "", 1),
    ]
    assert store.counts(Query(), 60, "level") == [
        Bucket(BASE, "error", 2),
        Bucket(BASE, "info", 1),
        Bucket(BASE + minute, "info", 2),
        Bucket(BASE + 2 * minute, "error", 1),
        Bucket(BASE + 60 * minute, "critical", 1),
    ]
    assert store.counts(Query(), 3600, "event_id") == [  # no event_id is the group ""
        Bucket(BASE, "", 3),
        Bucket(BASE, "11", 1),
        Bucket(BASE, "7", 2),
        Bucket(BASE + 60 * minute, "7", 1),
    ]
    assert store.counts(Query(levels=("error",)), 7200) == [Bucket(BASE, "", 3)]


def test_bucket_starts_are_aligned_to_the_epoch_not_to_the_first_event(store: LogStore) -> None:
    stamps = [BASE + dt.timedelta(seconds=s) for s in (0, 5, 6, 13, 20)]
    store.write([ev(0, timestamp=stamp) for stamp in stamps])
    width = 13  # BASE is not a multiple of 13 s since the epoch
    epoch = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
    expected: dict[dt.datetime, int] = {}
    for stamp in stamps:
        start = epoch + dt.timedelta(seconds=(stamp - epoch).total_seconds() // width * width)
        expected[start] = expected.get(start, 0) + 1
    assert store.counts(Query(), width) == [Bucket(start, "", n) for start, n in sorted(expected.items())]
    assert min(expected) < BASE and len(expected) == 3  # buckets follow the epoch, not the first event


def test_counts_refuse_a_bucket_of_no_width(store: LogStore) -> None:
    with pytest.raises(ValueError, match="bucket_seconds"):
        store.counts(Query(), 0)
