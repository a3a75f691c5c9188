"""The LogStore contract, part 1: writing (idempotence), tenant scoping, filters, time ranges and the round trip
of every field - what the agent relies on when it writes and what every reader relies on.

Every test runs against each backend (tests/contract/conftest.py); OpenSearch runs on the osmem emulator.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import pytest

from inframind.events import LogEvent
from inframind.logstore.base import Bucket, LogStore, Query, WriteResult
from tests.contract.sample import BASE, MSK, Backend, ev, fps, read_all

# ---------------------------------------------------------------- writing


def test_the_same_batch_written_twice_is_stored_once(store: LogStore) -> None:
    batch = [ev(i) for i in range(20)]
    assert store.write(batch) == WriteResult(written=20, duplicates=0)
    assert store.write(batch) == WriteResult(written=0, duplicates=20)
    assert store.search(Query(), limit=100).total == 20
    assert len(read_all(store)) == 20


def test_duplicates_inside_a_batch_and_across_overlapping_batches_are_skipped(store: LogStore) -> None:
    events = [ev(i) for i in range(10)]
    assert store.write([*events[:5], events[0], events[3]]) == WriteResult(written=5, duplicates=2)
    assert store.write(events) == WriteResult(written=5, duplicates=5)
    assert sorted(fps(store.search(Query(), limit=100).events)) == sorted(fps(events))


def test_two_writers_sending_the_same_events_at_once_store_each_once(backend: Backend) -> None:
    """Two agents tailing one file, or an agent and its replayed buffer: each event is stored once."""
    stores = [backend.open(), backend.open()]
    batches = [[ev(i, message=f"shared {i}") for i in range(300)] for _ in stores]
    for batch in batches:
        random.Random(len(batch)).shuffle(batch)
    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(lambda pair: pair[0].write(pair[1]), zip(stores, batches, strict=True)))
    assert sum(r.written for r in results) == 300 and sum(r.duplicates for r in results) == 300
    assert stores[0].search(Query(), limit=10).total == 300
    assert len(set(read_all(stores[1]))) == len(read_all(stores[1])) == 300


def test_an_empty_batch_writes_nothing(store: LogStore) -> None:
    assert store.write([]) == WriteResult(0, 0)
    assert store.search(Query()).total == 0


# ---------------------------------------------------------------- tenants and filters


def test_a_tenant_never_sees_another_tenants_events(store: LogStore) -> None:
    by_tenant = {
        tenant: [ev(i, tenant=tenant, message=f"disk failure on sda {i}") for i in range(count)]
        for tenant, count in (("acme", 6), ("acme-eu", 3), ("globex", 4))
    }
    store.write([e for events in by_tenant.values() for e in events])
    for tenant, events in by_tenant.items():
        only = Query(tenant=tenant)
        page = store.search(only, limit=100)
        assert sorted(fps(page.events)) == sorted(fps(events)) and page.total == len(events)
        assert store.search(Query(tenant=tenant, text="disk failure")).total == len(events)
        assert store.counts(only, 3600, "tenant") == [Bucket(BASE, tenant, len(events))]
        assert sorted(read_all(store, tenant=tenant, step=2)) == sorted(fps(events))
    assert store.search(Query(tenant="initech")).events == []
    assert store.counts(Query(tenant="initech"), 60) == []
    assert store.search(Query(tenant=None), limit=100).total == 13  # cross-tenant (admin) read


MIXED = [
    ev(0, level="error", source="syslog", host="web-1", asset_id="web-1", event_id="E1"),
    ev(1, level="warning", source="journald", host="web-2", asset_id="web-2"),
    ev(2, level="critical", source="sel", host="bmc-1", asset_id="srv-1", event_id="0x01"),
    ev(3, level="info", source="eventlog", host="WIN-01", asset_id="win-01", event_id="7", provider="disk"),
    ev(4, level="error", source="eventlog", host="WIN-01", asset_id="win-01", event_id="11", channel="System"),
    ev(5, level="debug", source="file", host="web-1", asset_id="web-1"),
    ev(6, level="notice", source="snmp_trap", host="sw-1", asset_id="sw-1", event_id="linkDown"),
    ev(7, level="error", source="redfish_log", host="bmc-1", asset_id="srv-1", event_id="E1"),
    ev(8, level="warning", source="http", host="web-2", asset_id="web-2", event_id="7"),
]
FILTERS: dict[str, tuple[Query, Callable[[LogEvent], bool]]] = {
    "levels": (Query(levels=("error", "critical")), lambda e: e.level in ("error", "critical")),
    "sources": (Query(sources=("eventlog", "sel")), lambda e: e.source in ("eventlog", "sel")),
    "asset_ids": (Query(asset_ids=("srv-1",)), lambda e: e.asset_id == "srv-1"),
    "hosts": (Query(hosts=("web-1", "sw-1")), lambda e: e.host in ("web-1", "sw-1")),
    "event_ids": (Query(event_ids=("7", "E1")), lambda e: e.event_id in ("7", "E1")),
    "combined": (
        Query(levels=("error",), hosts=("bmc-1", "web-1"), event_ids=("E1",)),
        lambda e: e.level == "error" and e.host in ("bmc-1", "web-1") and e.event_id == "E1",
    ),
}


@pytest.mark.parametrize("name", list(FILTERS))
def test_filters_select_exactly_the_matching_events(store: LogStore, name: str) -> None:
    store.write(MIXED)
    query, wanted = FILTERS[name]
    expected = [e for e in MIXED if wanted(e)]
    assert expected and len(expected) < len(MIXED)  # the case really filters
    page = store.search(query, limit=100)
    assert sorted(fps(page.events)) == sorted(fps(expected)) and page.total == len(expected)
    assert sum(b.count for b in store.counts(query, 3600)) == len(expected)


def test_timestamps_far_from_now_are_stored_and_found(store: LogStore) -> None:
    # A BMC whose unset clock reads the epoch in local time sends 1969 in UTC; a wrong RTC can say 2300.
    odd = [
        ev(0, timestamp=dt.datetime(1970, 1, 1, 0, 0, tzinfo=MSK), source="sel", message="clock unset"),
        ev(0, timestamp=dt.datetime(1900, 1, 1, tzinfo=dt.UTC), source="sel", message="very old"),
        ev(0, timestamp=dt.datetime(2300, 6, 1, 0, 0, 0, 7, tzinfo=dt.UTC), source="sel", message="far future"),
    ]
    normal = ev(1)
    assert store.write([*odd, normal]) == WriteResult(4, 0)
    assert store.search(Query(sources=("sel",)), limit=10).events == [odd[2], odd[0], odd[1]]
    epoch = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
    assert store.search(Query(until=epoch), limit=10).events == [odd[0], odd[1]]
    assert store.search(Query(since=dt.datetime(2300, 6, 1, 0, 0, 0, 7, tzinfo=dt.UTC))).events == [odd[2]]
    assert fps(store.read_after(None, 10)[0]) == fps([*odd, normal])


def test_time_range_is_inclusive_since_exclusive_until_to_the_microsecond(store: LogStore) -> None:
    micro = dt.timedelta(microseconds=1)
    since, until = BASE + dt.timedelta(seconds=5), BASE + dt.timedelta(seconds=10)
    events = [ev(i) for i in range(15)]
    edges = [
        ev(0, timestamp=since - micro, message="just before"),
        ev(0, timestamp=until - micro, message="just inside"),
        ev(0, timestamp=since.astimezone(MSK) + micro, message="local time inside"),
    ]
    store.write(events + edges)
    page = store.search(Query(since=since, until=until), limit=100)
    expected = events[5:10] + edges[1:]
    assert sorted(fps(page.events)) == sorted(fps(expected))
    assert store.search(Query(since=until), limit=100).total == 5
    assert store.search(Query(until=since), limit=100).total == 6


# ---------------------------------------------------------------- round trip


def test_every_field_survives_the_round_trip_in_any_script(store: LogStore) -> None:
    original = LogEvent(
        timestamp=dt.datetime(2026, 3, 1, 15, 4, 5, 123456, tzinfo=MSK),
        source="eventlog",
        level="critical",
        message='Диск \\Device\\Harddisk2 имеет поврежденный блок. 磁盘故障 💾 "quoted"\ttab\nsecond line',
        host="сервер-01.пример.рф",
        asset_id="актив-7",
        tenant="арендатор",
        event_id="7",
        provider="Ntfs «диск»",
        channel="System/Операционная",
        record_id="48213",
        fields={
            "Данные": "значение",
            "count": 3,
            "ratio": 0.25,
            "ok": True,
            "none": None,
            "emoji 🔥": "🔥",
            "a.b": "dotted key",
            "": "empty key",
        },
    )
    plain = ev(1, message="ascii only", fields={})
    store.write([original, plain])
    found = store.search(Query(tenant="арендатор", text="поврежденный"), limit=10).events
    assert found == [original]
    assert found[0].timestamp == original.timestamp and found[0].fields == original.fields
    read, _ = store.read_after(None, 10)
    assert read == [original, plain]
    assert store.counts(Query(tenant="арендатор"), 60, "host") == [
        Bucket(dt.datetime(2026, 3, 1, 12, 4, tzinfo=dt.UTC), "сервер-01.пример.рф", 1)
    ]
