"""Request bodies for the OpenSearch store's reads, and the opaque tokens that carry paging state.

Pure: a :class:`~inframind.logstore.base.Query` in, a JSON-able dict out; answers parsed back into the
protocol's types. IO lives in :mod:`inframind.logstore.opensearch`.

- search: ``bool`` with every filter in ``filter`` (cacheable, unscored), words as one ``match`` with
  ``operator: and`` and each quoted phrase as a ``match_phrase``; time bounds and order on the exact
  ``timestamp_us``, newest first with the fingerprint as tie-break, paged by ``search_after`` (no deep
  ``from``, no 10 000 window).
- counts: a ``composite`` aggregation of a ``date_histogram`` (fixed interval, epoch-aligned) and, when
  grouping, a ``terms`` source; it is paged by ``after_key``, so every group is counted exactly on any
  number of shards (a ``terms`` sub-aggregation would cut at its size and is approximate across shards).
- read_after: sorted by ``ingested_at``, ``ingest_seq``, ``fingerprint`` (storage order), paged by
  ``search_after``; only documents older than the read lag are returned (see the store's docstring).
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import json
import re
from collections.abc import Mapping
from typing import Any

from inframind.logstore.base import GROUP_FIELDS, Bucket, GroupField, LogStoreError, Query
from inframind.logstore.fts import search_terms
from inframind.logstore.opensearch_mapping import EPOCH, epoch_micros

MAX_PAGE = 10_000
"""OpenSearch's default ``index.max_result_window``: no single page may be larger."""
COMPOSITE_PAGE = 1_000
SEARCH_SORT: list[dict[str, Any]] = [{"timestamp_us": "desc"}, {"fingerprint": "asc"}]
STORAGE_SORT: list[dict[str, Any]] = [{"ingested_at": "asc"}, {"ingest_seq": "asc"}, {"fingerprint": "asc"}]
_JOINED = re.compile(r"\w[^\w\s]+\w")


def text_clauses(text: str | None) -> list[dict[str, Any]]:
    """Plain words in one ``match`` with ``operator: and``; each phrase a ``match_phrase``.

    A word with punctuation inside (``I/O``, ``user@host``, ``eth0.100``) is searched as the phrase of its
    parts, as SQLite's FTS5 does: ``O/I`` must not match "I/O error".
    """
    terms = search_terms(text or "")
    words = [term for is_phrase, term in terms if not is_phrase and not _JOINED.search(term)]
    phrases = [term for is_phrase, term in terms if is_phrase or _JOINED.search(term)]
    clauses: list[dict[str, Any]] = []
    if words:
        clauses.append({"match": {"message": {"query": " ".join(words), "operator": "and"}}})
    clauses.extend({"match_phrase": {"message": term}} for term in phrases)
    return clauses


def query_clause(query: Query) -> dict[str, Any]:
    """The ``query`` part shared by search and counts."""
    filters: list[dict[str, Any]] = []
    if query.tenant is not None:
        filters.append({"term": {"tenant": query.tenant}})
    for field, values in (
        ("level", query.levels),
        ("source", query.sources),
        ("asset_id", query.asset_ids),
        ("host", query.hosts),
        ("event_id", query.event_ids),
    ):
        if values:
            filters.append({"terms": {field: list(values)}})
    bounds: dict[str, int] = {}
    if query.since is not None:
        bounds["gte"] = epoch_micros(query.since.astimezone(dt.UTC))
    if query.until is not None:
        bounds["lt"] = epoch_micros(query.until.astimezone(dt.UTC))
    if bounds:
        filters.append({"range": {"timestamp_us": bounds}})
    must = text_clauses(query.text)
    if not filters and not must:
        return {"match_all": {}}
    return {"bool": {"filter": filters, "must": must}}


def search_body(query: Query, limit: int, after: list[Any] | None) -> dict[str, Any]:
    """One more hit than asked for: its presence says whether there is a next page."""
    body: dict[str, Any] = {"query": query_clause(query), "sort": SEARCH_SORT, "size": limit + 1}
    if after is not None:
        body["search_after"] = after
    return body


def interval_ms(bucket_seconds: float) -> int:
    """The bucket width in whole milliseconds (OpenSearch's ``fixed_interval`` resolution)."""
    if not bucket_seconds > 0:
        raise ValueError("bucket_seconds must be positive")
    width = round(bucket_seconds * 1000)
    if width < 1 or abs(width - bucket_seconds * 1000) > 1e-6 * max(1.0, width):
        raise ValueError(f"bucket_seconds must be a whole number of milliseconds for OpenSearch, not {bucket_seconds}")
    return width


def counts_body(
    query: Query, width_ms: int, group_by: GroupField | None, after_key: Mapping[str, Any] | None
) -> dict[str, Any]:
    if group_by is not None and group_by not in GROUP_FIELDS:
        raise ValueError(f"cannot group by {group_by!r}; expected one of {', '.join(GROUP_FIELDS)}")
    sources: list[dict[str, Any]] = [
        {"t": {"date_histogram": {"field": "timestamp", "fixed_interval": f"{width_ms}ms"}}}
    ]
    if group_by is not None:
        sources.append({"g": {"terms": {"field": group_by, "missing_bucket": True}}})
    composite: dict[str, Any] = {"size": COMPOSITE_PAGE, "sources": sources}
    if after_key is not None:
        composite["after"] = dict(after_key)
    return {"query": query_clause(query), "size": 0, "track_total_hits": False, "aggs": {"c": {"composite": composite}}}


def parse_buckets(aggregation: Mapping[str, Any]) -> list[Bucket]:
    """One composite page's buckets; a missing group value (no event_id, ...) is the key ``""``."""
    out = []
    for bucket in aggregation.get("buckets", []):
        key = bucket["key"]
        group = key.get("g")
        start = EPOCH + dt.timedelta(milliseconds=int(key["t"]))
        out.append(Bucket(start, "" if group is None else str(group), int(bucket["doc_count"])))
    return out


def storage_filters(tenant: str | None, cutoff_ms: int | None) -> dict[str, Any]:
    filters: list[dict[str, Any]] = []
    if tenant is not None:
        filters.append({"term": {"tenant": tenant}})
    if cutoff_ms is not None:
        filters.append({"range": {"ingested_at": {"lt": cutoff_ms}}})
    return {"bool": {"filter": filters}} if filters else {"match_all": {}}


def read_body(after: list[Any] | None, limit: int, tenant: str | None, cutoff_ms: int | None) -> dict[str, Any]:
    body: dict[str, Any] = {
        "query": storage_filters(tenant, cutoff_ms),
        "sort": STORAGE_SORT,
        "size": limit,
        "track_total_hits": False,
    }
    if after is not None:
        body["search_after"] = after
    return body


def end_body(cutoff_ms: int | None) -> dict[str, Any]:
    """The last stored document: storage order reversed, one hit."""
    reverse = [{field: "desc"} for entry in STORAGE_SORT for field in entry]
    return {"query": storage_filters(None, cutoff_ms), "sort": reverse, "size": 1, "track_total_hits": False}


# ---------------------------------------------------------------- tokens


def query_digest(query: Query) -> str:
    """Ties a page token to the query it was made for (a token reused with other filters is refused)."""
    return hashlib.sha256(repr(query).encode("utf-8")).hexdigest()[:16]


def _encode(payload: Any) -> str:
    raw = json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def _decode(token: str) -> Any:
    try:
        return json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        return None


def encode_page_token(sort_values: list[Any], query: Query) -> str:
    return _encode({"q": query_digest(query), "after": sort_values})


def decode_page_token(token: str, query: Query) -> list[Any]:
    payload = _decode(token)
    if not isinstance(payload, dict) or not isinstance(payload.get("after"), list) or len(payload["after"]) != 2:
        raise LogStoreError(f"invalid page token {token!r}: pass back the next_token of the previous page")
    if payload.get("q") != query_digest(query):
        raise LogStoreError("this page token belongs to another query: repeat the same query to page on")
    return list(payload["after"])


def encode_position(sort_values: list[Any]) -> str:
    return _encode(sort_values)


def decode_position(position: str | None) -> list[Any] | None:
    """None (and ``""``) is the start of the store."""
    if not position:
        return None
    values = _decode(position)
    if not isinstance(values, list) or len(values) != len(STORAGE_SORT):
        raise LogStoreError(f"invalid read position {position!r}: pass back a position this store returned")
    return values
