"""The OpenSearch store's pure parts: request bodies, tokens, index names, retention cut, bulk item outcomes."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from inframind.events import LogEvent
from inframind.logstore import opensearch_bulk as bulk
from inframind.logstore import opensearch_query as q
from inframind.logstore.base import LogStoreError, Query
from inframind.logstore.fts import search_terms
from inframind.logstore.opensearch_mapping import (
    EPOCH,
    document,
    epoch_micros,
    expired_indices,
    index_day,
    index_name,
    index_template,
    ism_policy,
)
from tests.helpers.opensearch import bulk_item

MSK = dt.timezone(dt.timedelta(hours=3))


def test_words_go_in_one_and_match_and_each_phrase_in_its_own_match_phrase() -> None:
    assert q.text_clauses('disk "write error" sda: "I/O" user@host') == [
        {"match": {"message": {"query": "disk sda:", "operator": "and"}}},
        {"match_phrase": {"message": "write error"}},
        {"match_phrase": {"message": "I/O"}},
        {"match_phrase": {"message": "user@host"}},
    ]


@pytest.mark.parametrize("text", [None, "", "   ", '""', "- : --", '" "'])
def test_text_without_a_word_character_adds_no_clause(text: str | None) -> None:
    assert q.text_clauses(text) == []
    assert q.query_clause(Query(text=text)) == {"match_all": {}}


def test_an_unmatched_quote_is_part_of_a_word_not_query_syntax() -> None:
    assert search_terms('disk "sda') == [(False, "disk"), (False, '"sda')]


def test_every_filter_is_a_non_scoring_filter_and_time_bounds_keep_microseconds() -> None:
    query = Query(
        tenant="acme",
        text="отказ",
        levels=("error",),
        sources=("sel", "syslog"),
        asset_ids=("srv-1",),
        hosts=("h",),
        event_ids=("7",),
        since=dt.datetime(2026, 3, 1, 15, 0, 0, 5, tzinfo=MSK),
        until=dt.datetime(2026, 3, 2, tzinfo=dt.UTC),
    )
    clause = q.query_clause(query)["bool"]
    assert clause["filter"] == [
        {"term": {"tenant": "acme"}},
        {"terms": {"level": ["error"]}},
        {"terms": {"source": ["sel", "syslog"]}},
        {"terms": {"asset_id": ["srv-1"]}},
        {"terms": {"host": ["h"]}},
        {"terms": {"event_id": ["7"]}},
        {"range": {"timestamp_us": {"gte": 1772366400000005, "lt": 1772409600000000}}},
    ]
    assert clause["must"] == [{"match": {"message": {"query": "отказ", "operator": "and"}}}]


def test_a_cross_tenant_query_has_no_tenant_filter() -> None:
    assert "tenant" not in json.dumps(q.query_clause(Query(tenant=None, levels=("error",))))


def test_search_asks_one_hit_more_than_the_page_and_sorts_newest_first() -> None:
    body = q.search_body(Query(), 50, [1, "fp"])
    assert body["size"] == 51 and body["search_after"] == [1, "fp"]
    assert body["sort"] == [{"timestamp_us": "desc"}, {"fingerprint": "asc"}]


@pytest.mark.parametrize(("seconds", "ms"), [(60, 60_000), (0.5, 500), (0.001, 1), (86400, 86_400_000)])
def test_bucket_widths_become_fixed_intervals_in_milliseconds(seconds: float, ms: int) -> None:
    assert q.interval_ms(seconds) == ms
    body = q.counts_body(Query(), ms, "host", None)
    sources = body["aggs"]["c"]["composite"]["sources"]
    assert sources[0]["t"]["date_histogram"] == {"field": "timestamp", "fixed_interval": f"{ms}ms"}
    assert sources[1]["g"]["terms"] == {"field": "host", "missing_bucket": True}


@pytest.mark.parametrize("seconds", [0, -1, 0.0001, 1.0005, float("nan")])
def test_bucket_widths_opensearch_cannot_express_are_refused(seconds: float) -> None:
    with pytest.raises(ValueError, match="bucket_seconds"):
        q.interval_ms(seconds)


def test_grouping_by_an_unknown_field_is_refused() -> None:
    with pytest.raises(ValueError, match="cannot group by 'message'"):
        q.counts_body(Query(), 1000, "message", None)  # type: ignore[arg-type]


def test_composite_buckets_parse_to_epoch_aligned_starts_and_a_missing_group_is_empty() -> None:
    page = {"buckets": [{"key": {"t": 1772366400000, "g": None}, "doc_count": 4}, {"key": {"t": 0}, "doc_count": 1}]}
    first, second = q.parse_buckets(page)
    assert (first.start, first.key, first.count) == (dt.datetime(2026, 3, 1, 12, tzinfo=dt.UTC), "", 4)
    assert second.start == dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


def test_read_bodies_follow_storage_order_and_cut_at_the_lag() -> None:
    body = q.read_body([5, 0, "a"], 10, "acme", 1234)
    assert body["sort"] == [{"ingested_at": "asc"}, {"ingest_seq": "asc"}, {"fingerprint": "asc"}]
    assert body["query"]["bool"]["filter"] == [{"term": {"tenant": "acme"}}, {"range": {"ingested_at": {"lt": 1234}}}]
    assert q.read_body(None, 10, None, None)["query"] == {"match_all": {}}
    assert q.end_body(None)["sort"] == [{"ingested_at": "desc"}, {"ingest_seq": "desc"}, {"fingerprint": "desc"}]


def test_page_tokens_round_trip_and_are_bound_to_their_query() -> None:
    query = Query(tenant="acme", text="диск")
    token = q.encode_page_token([1772366400000000000, "ab"], query)
    assert q.decode_page_token(token, query) == [1772366400000000000, "ab"]
    with pytest.raises(LogStoreError, match="another query"):
        q.decode_page_token(token, Query(tenant="globex", text="диск"))
    for garbage in ("", "!!!", "e30", token[:-3]):
        with pytest.raises(LogStoreError, match="invalid page token"):
            q.decode_page_token(garbage, query)


def test_positions_round_trip_and_the_empty_position_is_the_start() -> None:
    position = q.encode_position([1772366400123, 3, "ab"])
    assert q.decode_position(position) == [1772366400123, 3, "ab"]
    assert q.decode_position(None) is None and q.decode_position("") is None
    with pytest.raises(LogStoreError, match="invalid read position"):
        q.decode_position(q.encode_position([1, 2]))


# ---------------------------------------------------------------- mapping


def test_daily_index_names_use_the_utc_day() -> None:
    assert index_name("logs", dt.datetime(2026, 3, 2, 1, 30, tzinfo=MSK)) == "logs-2026.03.01"
    assert index_day("logs", "logs-2026.03.01") == dt.date(2026, 3, 1)
    for foreign in ("logs-archive", "logs-2026.02.30", "logs-x-2026.03.01", "other-2026.03.01", "logs-2026.3.1"):
        assert index_day("logs", foreign) is None


def test_a_daily_index_expires_when_its_whole_day_is_past_retention() -> None:
    names = [f"logs-2026.03.{day:02d}" for day in range(1, 11)] + ["logs-archive", "logs-2026.13.01"]
    # retention 3 days on March 10: March 6 ends on the 7th 00:00, exactly 3 days before the 10th
    assert expired_indices(names, "logs", dt.date(2026, 3, 10), 3) == [f"logs-2026.03.0{day}" for day in range(1, 7)]
    assert expired_indices(names, "logs", dt.date(2026, 3, 1), 3) == []


def test_the_template_maps_our_fields_only_and_never_indexes_free_form_fields() -> None:
    template = index_template("logs", shards=3, replicas=2)
    assert template["index_patterns"] == ["logs-*"]
    settings = template["template"]["settings"]
    assert (settings["number_of_shards"], settings["number_of_replicas"]) == (3, 2)
    assert settings["analysis"]["analyzer"]["inframind_message"]["filter"] == ["lowercase", "asciifolding"]
    mappings = template["template"]["mappings"]
    assert mappings["dynamic"] is False
    assert mappings["properties"]["fields"] == {"type": "object", "enabled": False}
    assert mappings["properties"]["ingested_at"]["type"] == "date"
    assert (mappings["properties"]["timestamp"]["type"], mappings["properties"]["timestamp_us"]["type"]) == (
        "date",
        "long",
    )


@pytest.mark.parametrize(
    "stamp",
    [
        dt.datetime(1969, 12, 31, 21, 0, 0, 1, tzinfo=dt.UTC),
        dt.datetime(2026, 3, 1, 12, 0, 0, 999999, tzinfo=dt.UTC),
        dt.datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=dt.UTC),
    ],
)
def test_exact_microseconds_are_kept_far_from_the_epoch(stamp: dt.datetime) -> None:
    micros = epoch_micros(stamp)
    assert EPOCH + dt.timedelta(microseconds=micros) == stamp
    assert micros % 1_000_000 == stamp.microsecond


def test_the_ism_policy_deletes_a_day_after_the_retention_and_applies_to_new_indices() -> None:
    policy = ism_policy("logs", 30)["policy"]
    hot, delete = policy["states"]
    assert hot["transitions"] == [{"state_name": "delete", "conditions": {"min_index_age": "31d"}}]
    assert delete["actions"] == [{"delete": {}}]
    assert policy["ism_template"] == [{"index_patterns": ["logs-*"], "priority": 100}]
    assert "30 days" in policy["description"]


def test_non_finite_field_values_become_strings_so_the_bulk_body_stays_json() -> None:
    event = LogEvent(
        timestamp=dt.datetime(2026, 3, 1, tzinfo=dt.UTC),
        source="http",
        level="info",
        message="m",
        fields={"nan": float("nan"), "inf": float("inf"), "x": 1.5},
    )
    doc = bulk.PendingDoc.of(event, "logs", 0)
    source = json.loads(bulk.action_lines(doc, 1234).splitlines()[1])
    assert source["fields"] == {"nan": "nan", "inf": "inf", "x": 1.5}
    assert (source["ingested_at"], source["ingest_seq"], source["tenant"]) == (1234, 0, "default")
    assert document(event)["fingerprint"] == event.fingerprint == doc.doc_id


# ---------------------------------------------------------------- bulk


def test_bulk_items_sort_into_written_duplicate_retry_and_failure() -> None:
    items = [bulk_item(str(i), "logs-x", status) for i, status in enumerate((201, 409, 429, 503, 400, 201))]
    outcome = bulk.classify(items)
    assert (outcome.written, outcome.duplicates, outcome.retry) == (2, 1, [2, 3])
    assert outcome.failures == [
        "4: 400 mapper_parsing_exception: failed to parse field [timestamp] of type [date_nanos]"
    ]


def test_large_batches_are_split_by_count_and_size(monkeypatch: pytest.MonkeyPatch) -> None:
    docs = [bulk.PendingDoc("logs-x", str(i), '{"message":"' + "x" * 100 + '"}', i) for i in range(10)]
    monkeypatch.setattr(bulk, "MAX_BULK_DOCS", 4)
    assert [len(c) for c in bulk.chunks(docs)] == [4, 4, 2]
    monkeypatch.setattr(bulk, "MAX_BULK_BYTES", 700)
    assert [len(c) for c in bulk.chunks(docs)] == [2, 2, 2, 2, 2]
    assert [d.doc_id for c in bulk.chunks(docs) for d in c] == [str(i) for i in range(10)]
