"""Bulk writes for the OpenSearch store, as data: request bodies, and what each item's answer means.

Every event is a ``create`` with its fingerprint as ``_id``: the first copy is stored (201), any later copy
is refused with 409, which is exactly "duplicate" - so at-least-once delivery stores each event once,
in any order, from any number of writers.

What "all or nothing" can mean here: a bulk request is not a transaction, so a failed call may leave some
events of the batch stored. Each *event* is stored whole or not at all, and a retry of the same batch
converges: what was stored comes back as duplicates, the rest is written. The store retries the items that
may succeed later (429 and 5xx) itself; it raises for items that never will (mapping errors), naming them.
The counts are exact unless an answer is lost: events stored by a request whose answer never arrived are
resent and then counted as duplicates (stored once all the same).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from inframind.events import LogEvent
from inframind.logstore.opensearch_mapping import document, index_name

MAX_BULK_DOCS = 5_000
MAX_BULK_BYTES = 8 * 2**20
"""Well under OpenSearch's default ``http.max_content_length`` (100 MB); larger batches are split."""
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})


@dataclass(frozen=True)
class PendingDoc:
    index: str
    doc_id: str
    source: str
    """The document as JSON, serialized once; the ingest stamp is spliced in per attempt."""
    seq: int
    """The event's place in the batch: the tie-break of storage order within one bulk request."""

    @classmethod
    def of(cls, event: LogEvent, prefix: str, seq: int) -> PendingDoc:
        source = json.dumps(document(event), separators=(",", ":"), ensure_ascii=False)
        return cls(index_name(prefix, event.timestamp), event.fingerprint, source, seq)


@dataclass
class Outcome:
    """One bulk answer, item by item."""

    written: int = 0
    duplicates: int = 0
    retry: list[int] = field(default_factory=list)
    """Positions (in the request) of items worth sending again."""
    failures: list[str] = field(default_factory=list)
    """``<_id>: <type>: <reason>`` of items that will never be stored as they are."""
    retry_reasons: list[str] = field(default_factory=list)


def action_lines(doc: PendingDoc, ingested_ms: int) -> str:
    """The ``create`` action and the source with ``ingested_at`` and ``ingest_seq`` (see the store)."""
    action = json.dumps({"create": {"_index": doc.index, "_id": doc.doc_id}}, separators=(",", ":"))
    return f'{action}\n{doc.source[:-1]},"ingested_at":{ingested_ms},"ingest_seq":{doc.seq}}}\n'


def chunks(docs: Sequence[PendingDoc]) -> Iterator[list[PendingDoc]]:
    """Split a batch so no request passes :data:`MAX_BULK_DOCS` or (roughly) :data:`MAX_BULK_BYTES`."""
    chunk: list[PendingDoc] = []
    size = 0
    for doc in docs:
        weight = len(doc.source) + 200  # characters, not bytes: a rough bound is enough here
        if chunk and (len(chunk) >= MAX_BULK_DOCS or size + weight > MAX_BULK_BYTES):
            yield chunk
            chunk, size = [], 0
        chunk.append(doc)
        size += weight
    if chunk:
        yield chunk


def bulk_body(docs: Sequence[PendingDoc], ingested_ms: int) -> str:
    return "".join(action_lines(doc, ingested_ms) for doc in docs)


def _reason(error: Any) -> str:
    if isinstance(error, Mapping):
        return f"{error.get('type', 'error')}: {error.get('reason', '')}".rstrip(": ")
    return str(error)


def classify(items: Sequence[Mapping[str, Any]]) -> Outcome:
    """Sort each item of a bulk answer into written, duplicate, retry or failure."""
    outcome = Outcome()
    for position, item in enumerate(items):
        result = next(iter(item.values()))
        status = int(result.get("status", 0))
        if status in (200, 201):
            outcome.written += 1
        elif status == 409:
            outcome.duplicates += 1
        elif status in RETRY_STATUSES:
            outcome.retry.append(position)
            outcome.retry_reasons.append(f"{status} {_reason(result.get('error'))}")
        else:
            outcome.failures.append(f"{result.get('_id')}: {status} {_reason(result.get('error'))}")
    return outcome
