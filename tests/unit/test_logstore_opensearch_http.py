"""The OpenSearch store's HTTP exchanges that the osmem emulator cannot produce, replayed with ``responses``.

ISM (the emulator has no ISM plugin), throttling and server errors (429/5xx, whole request and per item),
dropped connections, basic auth. The answers are in the shape OpenSearch documents (tests/helpers/opensearch.py).
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import logging
import re
from collections.abc import Iterator
from typing import Any

import pytest
import requests
import responses
from responses import matchers

from inframind.events import LogEvent
from inframind.logstore.base import LogStoreError, Query, WriteResult
from inframind.logstore.opensearch import OpenSearchStore
from inframind.logstore.opensearch_mapping import ism_policy, policy_name
from inframind.secrets import SecretRef
from tests.helpers.opensearch import (
    ADD_POLICY_ANSWER,
    FORBIDDEN,
    NO_ISM_HANDLER,
    POLICY_NOT_FOUND,
    TEMPLATE_ACK,
    bulk_answer,
    bulk_item,
    store_settings,
    stored_policy,
    version_conflict,
)

URL = "http://opensearch.test:9200"
PREFIX = "logs"
POLICY = f"{URL}/_plugins/_ism/policies/{policy_name(PREFIX)}"
BULK = re.compile(re.escape(URL) + r"/_bulk.*")
SEARCH = re.compile(re.escape(URL) + r"/logs-\*/_search.*")
CAT = re.compile(re.escape(URL) + r"/_cat/indices/.*")


@pytest.fixture
def rsps() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        mock.put(f"{URL}/_index_template/{PREFIX}", json=TEMPLATE_ACK)
        yield mock


def no_ism(rsps: responses.RequestsMock) -> None:
    rsps.get(POLICY, status=400, json=NO_ISM_HANDLER)
    rsps.get(CAT, json=[])


def open_store(slept: list[float] | None = None, **overrides: Any) -> OpenSearchStore:
    settings = store_settings(URL, PREFIX, **overrides)
    return OpenSearchStore(settings, sleep=(slept if slept is not None else []).append)


def events(n: int) -> list[LogEvent]:
    stamp = dt.datetime(2026, 3, 1, 12, tzinfo=dt.UTC)
    return [LogEvent(timestamp=stamp, source="syslog", level="error", message=f"m{i}") for i in range(n)]


def sent(call: Any) -> list[dict[str, Any]]:
    """The source documents of a bulk request, in order."""
    body = call.request.body
    lines = (body.decode() if isinstance(body, bytes) else body).splitlines()
    return [json.loads(line) for line in lines[1::2]]


# ---------------------------------------------------------------- ISM


def test_without_ism_the_store_falls_back_to_deleting_expired_indices(rsps: responses.RequestsMock) -> None:
    no_ism(rsps)
    assert open_store().retention == "delete_indices"


def test_a_user_without_ism_rights_also_gets_the_fallback(rsps: responses.RequestsMock) -> None:
    rsps.get(POLICY, status=403, json=FORBIDDEN)
    rsps.get(CAT, json=[])
    assert open_store().retention == "delete_indices"


def test_a_missing_policy_is_created_and_attached_to_existing_indices(rsps: responses.RequestsMock) -> None:
    policy = ism_policy(PREFIX, 30)
    rsps.get(POLICY, status=404, json=POLICY_NOT_FOUND)
    put = rsps.put(
        POLICY, json=stored_policy(policy, policy_name(PREFIX)), match=[matchers.json_params_matcher(policy)]
    )
    add = rsps.post(
        f"{URL}/_plugins/_ism/add/{PREFIX}-*",
        json=ADD_POLICY_ANSWER,
        match=[matchers.json_params_matcher({"policy_id": policy_name(PREFIX)})],
    )
    store = open_store(retention_days=30)
    assert store.retention == "ism"
    assert put.call_count == 1 and add.call_count == 1
    assert "if_seq_no" not in (put.calls[0].request.url or "")  # no fallback listing: CAT is not registered


def test_an_unchanged_policy_is_left_alone(rsps: responses.RequestsMock) -> None:
    rsps.get(POLICY, json=stored_policy(ism_policy(PREFIX, 30), policy_name(PREFIX)))
    assert open_store(retention_days=30).retention == "ism"  # no PUT registered: one would fail the test


def test_a_policy_with_another_retention_is_replaced_at_its_sequence_number(rsps: responses.RequestsMock) -> None:
    rsps.get(POLICY, json=stored_policy(ism_policy(PREFIX, 7), policy_name(PREFIX), seq_no=41, primary_term=3))
    put = rsps.put(
        POLICY,
        json=stored_policy(ism_policy(PREFIX, 30), policy_name(PREFIX)),
        match=[matchers.query_param_matcher({"if_seq_no": "41", "if_primary_term": "3"})],
    )
    rsps.post(f"{URL}/_plugins/_ism/add/{PREFIX}-*", json=ADD_POLICY_ANSWER)
    assert open_store(retention_days=30).retention == "ism"
    body = json.loads(put.calls[0].request.body or b"")
    assert body["policy"]["states"][0]["transitions"][0]["conditions"] == {"min_index_age": "31d"}


def test_a_policy_updated_concurrently_by_another_writer_counts_as_installed(rsps: responses.RequestsMock) -> None:
    rsps.get(POLICY, json=stored_policy(ism_policy(PREFIX, 7), policy_name(PREFIX)))
    rsps.put(POLICY, status=409, json=version_conflict(policy_name(PREFIX)))
    assert open_store(retention_days=30).retention == "ism"


# ---------------------------------------------------------------- bulk


def test_a_throttled_bulk_request_is_retried_with_growing_backoff(rsps: responses.RequestsMock) -> None:
    no_ism(rsps)
    batch = events(2)
    rsps.post(BULK, status=429, json={"error": {"type": "rejected_execution_exception", "reason": "busy"}})
    rsps.post(BULK, status=503, json={"error": {"type": "unavailable_shards_exception", "reason": "down"}})
    rsps.post(BULK, json=bulk_answer([bulk_item(e.fingerprint, "logs-2026.03.01", 201) for e in batch]))
    slept: list[float] = []
    assert open_store(slept).write(batch) == WriteResult(2, 0)
    assert len(slept) == 2 and 0.25 <= slept[0] <= 0.5 and 0.5 <= slept[1] <= 1.0


def test_only_failed_retryable_items_are_resent_with_a_fresh_stamp(rsps: responses.RequestsMock) -> None:
    no_ism(rsps)
    batch = events(4)
    statuses = (201, 429, 409, 503)
    first = rsps.post(
        BULK, json=bulk_answer([bulk_item(e.fingerprint, "x", s) for e, s in zip(batch, statuses, strict=True)])
    )
    second = rsps.post(BULK, json=bulk_answer([bulk_item(batch[i].fingerprint, "x", 201) for i in (1, 3)]))
    assert open_store().write(batch) == WriteResult(written=3, duplicates=1)
    resent = sent(second.calls[0])
    assert [d["fingerprint"] for d in resent] == [batch[1].fingerprint, batch[3].fingerprint]
    assert [d["ingest_seq"] for d in resent] == [1, 3]  # the batch order survives the resend
    assert resent[0]["ingested_at"] > sent(first.calls[0])[1]["ingested_at"]


def test_items_that_can_never_be_stored_fail_the_write_naming_the_reason(rsps: responses.RequestsMock) -> None:
    no_ism(rsps)
    batch = events(3)
    rsps.post(
        BULK, json=bulk_answer([bulk_item(e.fingerprint, "x", s) for e, s in zip(batch, (201, 400, 429), strict=True)])
    )
    rsps.post(BULK, json=bulk_answer([bulk_item(batch[2].fingerprint, "x", 201)]))
    with pytest.raises(LogStoreError, match=r"refused 1 of 3 events \(the other 2 are stored\).*mapper_parsing"):
        open_store().write(batch)


def test_a_write_gives_up_after_max_retries(rsps: responses.RequestsMock) -> None:
    no_ism(rsps)
    batch = events(1)
    busy = rsps.post(BULK, json=bulk_answer([bulk_item(batch[0].fingerprint, "x", 429)]))
    slept: list[float] = []
    with pytest.raises(LogStoreError, match=r"1 events still not stored after 3 attempts.*429 rejected_execution"):
        open_store(slept, max_retries=2).write(batch)
    assert busy.call_count == 3 and len(slept) == 2


def test_a_dropped_connection_is_retried(rsps: responses.RequestsMock) -> None:
    no_ism(rsps)
    batch = events(1)
    rsps.post(BULK, body=requests.ConnectionError("connection reset by peer"))
    rsps.post(BULK, json=bulk_answer([bulk_item(batch[0].fingerprint, "x", 409)]))
    assert open_store().write(batch) == WriteResult(0, 1)  # stored before the answer was lost: a duplicate now


def test_a_rejected_bulk_request_is_not_retried(rsps: responses.RequestsMock) -> None:
    no_ism(rsps)
    rsps.post(BULK, status=413, body="Request Entity Too Large")
    slept: list[float] = []
    with pytest.raises(LogStoreError, match="bulk write failed: 413"):
        open_store(slept).write(events(1))
    assert slept == []


def test_refresh_on_write_asks_the_bulk_to_wait_for_a_refresh(rsps: responses.RequestsMock) -> None:
    no_ism(rsps)
    batch = events(1)
    rsps.post(
        f"{URL}/_bulk",
        json=bulk_answer([bulk_item(batch[0].fingerprint, "x", 201)]),
        match=[matchers.query_param_matcher({"refresh": "wait_for"})],
    )
    store = OpenSearchStore(store_settings(URL, PREFIX), refresh_on_write=True)
    assert store.write(batch) == WriteResult(1, 0)


# ---------------------------------------------------------------- reads and auth


def test_reads_are_retried_on_server_errors_but_not_on_bad_requests(rsps: responses.RequestsMock) -> None:
    no_ism(rsps)
    rsps.post(SEARCH, status=502, body="bad gateway")
    rsps.post(SEARCH, json={"hits": {"total": {"value": 0, "relation": "eq"}, "hits": []}})
    rsps.post(SEARCH, status=400, json={"error": {"type": "search_phase_execution_exception", "reason": "bad query"}})
    store = open_store()
    assert store.search(Query()).total == 0
    with pytest.raises(LogStoreError, match="search failed: 400 search_phase_execution_exception: bad query"):
        store.search(Query())


def test_the_password_is_sent_as_basic_auth_and_never_logged(
    rsps: responses.RequestsMock, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("INFRAMIND_TEST_OS_PASSWORD", "pa55-Word-xyz")
    caplog.set_level(logging.DEBUG)
    rsps.get(POLICY, status=400, json=NO_ISM_HANDLER)
    rsps.get(CAT, status=500, json={"error": {"type": "exception", "reason": "boom"}})
    store = open_store(username="agent", password=SecretRef("env", "INFRAMIND_TEST_OS_PASSWORD"), max_retries=0)
    expected = "Basic " + base64.b64encode(b"agent:pa55-Word-xyz").decode()
    assert all(call.request.headers["Authorization"] == expected for call in rsps.calls)
    assert "pa55-Word-xyz" not in caplog.text
    assert "deleting expired log indices failed: 500" in caplog.text  # retention failure is logged, not raised
    assert "pa55-Word-xyz" not in repr(store.settings)


def test_a_password_that_cannot_be_resolved_fails_before_any_request(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("INFRAMIND_TEST_OS_MISSING", raising=False)
    settings = store_settings(URL, PREFIX, username="agent", password=SecretRef("env", "INFRAMIND_TEST_OS_MISSING"))
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        with pytest.raises(LogStoreError, match=r"env:INFRAMIND_TEST_OS_MISSING.*is not set"):
            OpenSearchStore(settings)
        assert len(mock.calls) == 0
