"""What only the OpenSearch store does, checked on the osmem-server emulator (no real OpenSearch installs here).

Daily indices by UTC day, the explicit mapping, the fallback retention that drops whole expired indices,
the read lag that keeps ``read_after`` from passing documents a refresh may still reveal, and errors.
"""

from __future__ import annotations

import datetime as dt
import logging

import pytest
from opensearchpy import OpenSearch

from inframind.config import LogStoreConfig
from inframind.events import LogEvent
from inframind.logstore import open_store
from inframind.logstore.base import LogStoreError, Query
from inframind.logstore.opensearch import OpenSearchStore
from inframind.secrets import SecretRef
from tests.helpers.opensearch import store_settings, unique_prefix
from tests.helpers.procs import free_port
from tests.helpers.servers import Running

pytestmark = pytest.mark.integration
MSK = dt.timezone(dt.timedelta(hours=3))


class Clock:
    def __init__(self, now: dt.datetime) -> None:
        self.now = now.timestamp()

    def __call__(self) -> float:
        return self.now


def event(stamp: dt.datetime, message: str = "disk sda failed", **kw: object) -> LogEvent:
    values: dict[str, object] = {"timestamp": stamp, "source": "syslog", "level": "error", "message": message}
    values.update(kw)
    return LogEvent(**values)  # type: ignore[arg-type]


@pytest.fixture
def client(opensearch_emulator: Running) -> OpenSearch:
    return OpenSearch(hosts=[opensearch_emulator.url])


def test_open_store_gives_the_opensearch_store_with_the_default_read_lag(opensearch_emulator: Running) -> None:
    store = open_store(LogStoreConfig(type="opensearch", opensearch=store_settings(opensearch_emulator.url)))
    assert isinstance(store, OpenSearchStore) and store.read_lag == 2.0
    store.close()


def test_events_go_to_the_daily_index_of_their_utc_day(opensearch_emulator: Running, client: OpenSearch) -> None:
    settings = store_settings(opensearch_emulator.url)
    store = OpenSearchStore(settings, read_lag=0, refresh_on_write=True)
    store.write(
        [
            event(dt.datetime(2026, 3, 1, 23, 30, tzinfo=dt.UTC)),
            event(dt.datetime(2026, 3, 2, 1, 30, tzinfo=MSK)),  # 22:30 UTC on March 1
            event(dt.datetime(2026, 3, 2, 0, 0, tzinfo=dt.UTC)),
        ]
    )
    prefix = settings.index_prefix
    assert client.count(index=f"{prefix}-2026.03.01")["count"] == 2
    assert client.count(index=f"{prefix}-2026.03.02")["count"] == 1
    hit = client.search(index=f"{prefix}-2026.03.02")["hits"]["hits"][0]
    assert hit["_id"] == hit["_source"]["fingerprint"]  # the _id is what makes a resend a 409
    assert hit["_source"]["tenant"] == "default" and isinstance(hit["_source"]["ingested_at"], int)
    store.close()


def test_the_mapping_is_explicit_and_arbitrary_field_names_do_not_grow_it(
    opensearch_emulator: Running, client: OpenSearch
) -> None:
    settings = store_settings(opensearch_emulator.url)
    store = OpenSearchStore(settings, read_lag=0, refresh_on_write=True)
    fields: dict[str, str | int | float | bool | None] = {f"Param.{i} имя": i for i in range(200)}
    fields.update({"": "empty", ".": "dot", "a..b": True, "x": None})
    stored = event(dt.datetime(2026, 3, 1, tzinfo=dt.UTC), fields=fields)
    store.write([stored])
    mapping = client.indices.get_mapping(index=f"{settings.index_prefix}-2026.03.01")
    properties = next(iter(mapping.values()))["mappings"]["properties"]
    assert properties["fields"] == {"type": "object", "enabled": False}
    assert (properties["timestamp"]["type"], properties["timestamp_us"]["type"]) == ("date", "long")
    assert properties["message"]["type"] == "text" and properties["message"]["fields"]["raw"]["type"] == "keyword"
    assert {name for name, spec in properties.items() if spec.get("type") == "keyword"} == {
        "tenant",
        "source",
        "level",
        "fingerprint",
        "host",
        "asset_id",
        "event_id",
        "provider",
        "channel",
        "record_id",
    }
    assert len(properties) == 16
    assert store.search(Query(), limit=1).events == [stored]
    store.close()


def test_fallback_retention_drops_only_our_expired_daily_indices(
    opensearch_emulator: Running, client: OpenSearch
) -> None:
    clock = Clock(dt.datetime(2026, 3, 31, 12, 0, tzinfo=dt.UTC))
    settings = store_settings(opensearch_emulator.url, retention_days=7)
    store = OpenSearchStore(settings, read_lag=0, refresh_on_write=True, clock=clock)
    assert store.retention == "delete_indices"  # the emulator has no ISM
    store.write([event(dt.datetime(2026, 3, day, 6, tzinfo=dt.UTC)) for day in range(20, 32)])
    prefix = settings.index_prefix
    for foreign in (f"{prefix}-archive", f"{prefix}-2026.02.30", f"{unique_prefix('other')}-2026.01.01"):
        client.indices.create(index=foreign)
    assert store.apply_retention() == [f"{prefix}-2026.03.{day}" for day in range(20, 24)]
    left = set(client.indices.get_alias(index=f"{prefix}-*"))
    assert left == {f"{prefix}-2026.03.{day}" for day in range(24, 32)} | {f"{prefix}-archive", f"{prefix}-2026.02.30"}
    assert store.search(Query(), limit=100).total == 8
    assert store.apply_retention() == []
    store.close()


def test_fallback_retention_runs_on_open_and_then_hourly_while_writing(opensearch_emulator: Running) -> None:
    clock = Clock(dt.datetime(2026, 3, 10, 12, 0, tzinfo=dt.UTC))
    settings = store_settings(opensearch_emulator.url, retention_days=1)
    writer = OpenSearchStore(settings, read_lag=0, refresh_on_write=True, clock=clock)
    writer.write([event(dt.datetime(2026, 3, day, tzinfo=dt.UTC)) for day in (7, 8, 9, 10)])
    assert writer.search(Query()).total == 4  # written after this hour's run: kept until the next
    clock.now += 1800
    writer.write([event(dt.datetime(2026, 3, 10, 1, tzinfo=dt.UTC))])
    assert writer.search(Query()).total == 5
    clock.now += 1800
    writer.write([event(dt.datetime(2026, 3, 10, 2, tzinfo=dt.UTC))])
    # an hour on: the write first drops days 7 and 8 (a day is kept until all of it is a day old)
    assert sorted({e.timestamp.day for e in writer.search(Query(), limit=100).events}) == [9, 10]
    clock.now += 86400
    reopened = OpenSearchStore(settings, read_lag=0, clock=clock)
    assert sorted({e.timestamp.day for e in reopened.search(Query(), limit=100).events}) == [10]
    writer.close()
    reopened.close()


def test_read_after_and_end_position_wait_out_the_read_lag(opensearch_emulator: Running) -> None:
    clock = Clock(dt.datetime(2026, 3, 10, 12, 0, tzinfo=dt.UTC))
    store = OpenSearchStore(store_settings(opensearch_emulator.url), read_lag=2.0, clock=clock)
    written = [event(dt.datetime(2026, 3, 10, 11, 59, second, tzinfo=dt.UTC)) for second in range(3)]
    store.write(written)
    store.refresh()
    clock.now += 1.5
    assert store.read_after(None, 10) == ([], "")
    assert store.end_position() == ""
    assert store.search(Query()).total == 3  # search has no lag: people want the newest events
    clock.now += 1.0
    events, position = store.read_after(None, 10)
    assert events == written
    assert store.end_position() == position
    store.close()


def test_a_position_or_page_token_from_elsewhere_is_refused(opensearch_emulator: Running) -> None:
    store = OpenSearchStore(store_settings(opensearch_emulator.url), read_lag=0, refresh_on_write=True)
    store.write([event(dt.datetime(2026, 3, 10, 12, second, tzinfo=dt.UTC)) for second in range(3)])
    token = store.search(Query(levels=("error",)), limit=1).next_token
    assert token is not None
    with pytest.raises(LogStoreError, match="another query"):
        store.search(Query(levels=("info",)), limit=1, page_token=token)
    with pytest.raises(LogStoreError, match="invalid read position"):
        store.read_after("12345", 10)
    with pytest.raises(ValueError, match="whole number of milliseconds"):
        store.counts(Query(), 0.0005)
    with pytest.raises(ValueError, match="limit must be between 1 and 9999"):
        store.search(Query(), limit=10_000)
    store.close()


def test_an_unreachable_cluster_fails_after_the_retries_without_showing_the_password(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("INFRAMIND_TEST_OS_PASSWORD", "s3cret-Passw0rd")
    url = f"http://127.0.0.1:{free_port()}"
    password = SecretRef("env", "INFRAMIND_TEST_OS_PASSWORD")
    settings = store_settings(url, max_retries=2, username="agent", password=password)
    slept: list[float] = []
    caplog.set_level(logging.DEBUG)
    with pytest.raises(LogStoreError, match="installing the index template failed: connection failed") as failure:
        OpenSearchStore(settings, sleep=slept.append)
    assert url in str(failure.value)
    assert len(slept) == 2 and 0.25 <= slept[0] <= 0.5 and 0.5 <= slept[1] <= 1.0
    assert "s3cret-Passw0rd" not in caplog.text and "s3cret-Passw0rd" not in str(failure.value)
