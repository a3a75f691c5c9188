"""The log store at scale: an OpenSearch cluster through opensearch-py.

- Layout: daily indices ``<prefix>-YYYY.MM.DD`` by event timestamp under one composable index template
  (why not a data stream: :mod:`~inframind.logstore.opensearch_mapping`). Every document carries its tenant.
- Writes: bulk ``create`` with the fingerprint as ``_id`` (409 = duplicate); 429, 5xx and connection
  errors are retried with exponential backoff (``max_retries``), and only the items that failed are resent
  (:mod:`~inframind.logstore.opensearch_bulk` says what "nothing half-written" means for bulk).
- Storage order for ``read_after`` is ``(ingested_at, ingest_seq, fingerprint)``: the writer stamps each
  bulk attempt with its clock (ms, strictly increasing per store) and each event with its place in the
  batch. A document becomes searchable only after a refresh (1 s by default), and bulk requests of several
  writers overlap, so a reader must not pass a stamp whose documents may still appear: ``read_after`` and
  ``end_position`` only see documents stamped more than ``read_lag`` seconds ago (default 2 s). The lag
  must exceed refresh interval + bulk latency + clock skew between writers; ``read_lag=0`` turns it off
  (one writer that refreshes on write, or tests).
- Retention: an ISM policy (delete each daily index after ``retention_days``) when the cluster has the
  ISM plugin; otherwise the store itself drops whole expired daily indices, on open and at most hourly
  while writing (:meth:`OpenSearchStore.apply_retention`). The osmem emulator used in tests has no ISM,
  so the ISM exchange is tested against responses in the documented shape (the ``responses`` library).
- The password is resolved when the store connects and is only ever handed to the HTTP client.
"""

from __future__ import annotations

import datetime as dt
import logging
import random
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any, Literal, TypeVar

from opensearchpy import OpenSearch, RequestsHttpConnection
from opensearchpy.exceptions import ConnectionError as TransportConnectionError
from opensearchpy.exceptions import ImproperlyConfigured, OpenSearchException, TransportError

from inframind.config import OpenSearchStoreSettings
from inframind.events import LogEvent
from inframind.logstore import opensearch_query as q
from inframind.logstore.base import Bucket, GroupField, LogStoreError, Page, Query, WriteResult
from inframind.logstore.opensearch_bulk import RETRY_STATUSES, PendingDoc, bulk_body, chunks, classify
from inframind.logstore.opensearch_mapping import event_from_source, index_pattern, index_template
from inframind.logstore.opensearch_retention import delete_expired_indices, install_ism_policy
from inframind.secrets import SecretError

log = logging.getLogger(__name__)
T = TypeVar("T")
BACKOFF_BASE = 0.5
BACKOFF_CAP = 30.0
RETENTION_EVERY = 3600.0


def describe(exc: TransportError) -> str:
    """A short reason for a failed call, never the request (which may carry credentials in headers)."""
    if isinstance(exc, TransportConnectionError):
        return f"connection failed: {type(exc.info).__name__}: {exc.info}"
    info = exc.info
    if isinstance(info, dict) and isinstance(info.get("error"), dict):
        error = info["error"]
        return f"{exc.status_code} {error.get('type', '')}: {error.get('reason', '')}"
    return f"{exc.status_code} {exc.error}"


def is_retryable(exc: TransportError) -> bool:
    return isinstance(exc, TransportConnectionError) or exc.status_code in RETRY_STATUSES


class OpenSearchStore:
    """A :class:`~inframind.logstore.base.LogStore` on OpenSearch; connects and installs its template on creation."""

    def __init__(
        self,
        settings: OpenSearchStoreSettings,
        *,
        read_lag: float = 2.0,
        refresh_on_write: bool = False,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.settings = settings
        self.read_lag = read_lag
        self._bulk_params: dict[str, str] = {"refresh": "wait_for"} if refresh_on_write else {}
        self._clock = clock
        self._sleep = sleep
        self._pattern = index_pattern(settings.index_prefix)
        self._lock = threading.Lock()
        self._last_stamp = 0
        self._last_retention = float("-inf")
        self.client = self._connect(settings)
        template = index_template(settings.index_prefix, settings.shards, settings.replicas)
        self._call(
            "installing the index template",
            lambda: self.client.indices.put_index_template(name=settings.index_prefix, body=template),
        )
        self.retention: Literal["ism", "delete_indices"] = "ism" if self._install_ism() else "delete_indices"
        if self.retention == "delete_indices":
            self._maybe_apply_retention()

    # ------------------------------------------------------------ plumbing

    @staticmethod
    def _connect(settings: OpenSearchStoreSettings) -> OpenSearch:
        """The client; the password is read here, at connect time, and handed to nothing else."""
        try:
            auth = None
            if settings.username is not None and settings.password is not None:
                auth = (settings.username, settings.password.resolve())
            return OpenSearch(
                hosts=list(settings.hosts),
                http_auth=auth,
                verify_certs=settings.verify_certs,
                ca_certs=settings.ca_certs,
                ssl_show_warn=settings.verify_certs,
                timeout=settings.timeout,
                max_retries=0,  # retries are ours (below): one policy, one place, counted against max_retries
                retry_on_timeout=False,
                connection_class=RequestsHttpConnection,
            )
        except (SecretError, ImproperlyConfigured, ValueError) as exc:
            raise LogStoreError(f"cannot set up the OpenSearch client for {', '.join(settings.hosts)}: {exc}") from None

    def _backoff(self, attempt: int) -> float:
        """Exponential with jitter, so agents throttled together do not retry together."""
        return min(BACKOFF_CAP, BACKOFF_BASE * 2.0**attempt) * random.uniform(0.5, 1.0)  # noqa: S311 - not crypto

    def _retrying(self, call: Callable[[], T]) -> T:
        """``call`` retried on 429, 5xx and connection errors; other errors are raised at once."""
        attempt = 0
        while True:
            try:
                return call()
            except TransportError as exc:
                if not is_retryable(exc) or attempt >= self.settings.max_retries:
                    raise
                log.warning("OpenSearch %s; retry %d of %d", describe(exc), attempt + 1, self.settings.max_retries)
            self._sleep(self._backoff(attempt))
            attempt += 1

    def _call(self, what: str, call: Callable[[], T]) -> T:
        try:
            return self._retrying(call)
        except OpenSearchException as exc:  # transport errors, and answers that are not JSON
            reason = describe(exc) if isinstance(exc, TransportError) else str(exc)
            raise LogStoreError(f"OpenSearch at {', '.join(self.settings.hosts)}: {what} failed: {reason}") from None

    def _install_ism(self) -> bool:
        try:
            return install_ism_policy(
                self.client, self.settings.index_prefix, self.settings.retention_days, self._retrying
            )
        except TransportError as exc:
            raise LogStoreError(f"OpenSearch: installing the retention policy failed: {describe(exc)}") from None

    def _next_stamp(self) -> int:
        with self._lock:
            self._last_stamp = max(int(self._clock() * 1000), self._last_stamp + 1)
            return self._last_stamp

    def _cutoff(self) -> int | None:
        return None if self.read_lag <= 0 else int((self._clock() - self.read_lag) * 1000)

    def _search(self, what: str, body: dict[str, Any]) -> dict[str, Any]:
        answer: dict[str, Any] = self._call(
            what,
            lambda: self.client.search(index=self._pattern, body=body, allow_no_indices=True, ignore_unavailable=True),
        )
        return answer

    # ------------------------------------------------------------ writing

    def write(self, events: Sequence[LogEvent]) -> WriteResult:
        if not events:
            return WriteResult(0, 0)
        self._maybe_apply_retention()
        docs = [PendingDoc.of(event, self.settings.index_prefix, seq) for seq, event in enumerate(events)]
        written = duplicates = 0
        failures: list[str] = []
        for chunk in chunks(docs):
            w, d, f = self._write_chunk(chunk)
            written, duplicates = written + w, duplicates + d
            failures.extend(f)
        if failures:
            raise LogStoreError(
                f"OpenSearch refused {len(failures)} of {len(events)} events (the other {written + duplicates} are "
                f"stored): {'; '.join(failures[:3])}"
            )
        return WriteResult(written, duplicates)

    def _write_chunk(self, pending: list[PendingDoc]) -> tuple[int, int, list[str]]:
        written = duplicates = 0
        failures: list[str] = []
        for attempt in range(self.settings.max_retries + 1):
            if attempt:
                self._sleep(self._backoff(attempt - 1))
            body = bulk_body(pending, self._next_stamp())  # a resent item is stamped anew: see the module doc
            try:
                answer = self.client.bulk(body=body, params=self._bulk_params)
            except TransportError as exc:
                if not is_retryable(exc):
                    raise LogStoreError(f"OpenSearch bulk write failed: {describe(exc)}") from None
                reason = describe(exc)
                log.warning("OpenSearch bulk of %d events: %s (attempt %d)", len(pending), reason, attempt + 1)
                continue
            except OpenSearchException as exc:
                raise LogStoreError(f"OpenSearch bulk write failed: {exc}") from None
            outcome = classify(answer["items"])
            written, duplicates = written + outcome.written, duplicates + outcome.duplicates
            failures.extend(outcome.failures)
            pending = [pending[i] for i in outcome.retry]
            if not pending:
                return written, duplicates, failures
            reason = outcome.retry_reasons[0]
            log.warning("OpenSearch bulk: %d events not stored yet (%s, attempt %d)", len(pending), reason, attempt + 1)
        raise LogStoreError(
            f"OpenSearch bulk write: {len(pending)} events still not stored after {self.settings.max_retries + 1} "
            f"attempts ({written} written, {duplicates} duplicates so far): {reason}"
        )

    # ------------------------------------------------------------ reading

    def search(self, query: Query, limit: int = 100, page_token: str | None = None) -> Page:
        if not 0 < limit < q.MAX_PAGE:  # one more hit than the page is asked for
            raise ValueError(f"limit must be between 1 and {q.MAX_PAGE - 1}")
        after = q.decode_page_token(page_token, query) if page_token else None
        answer = self._search("search", q.search_body(query, limit, after))
        hits = answer["hits"]["hits"]
        more = len(hits) > limit
        hits = hits[:limit]
        token = q.encode_page_token(hits[-1]["sort"], query) if more else None
        total = int(answer["hits"]["total"]["value"])
        return Page([event_from_source(hit["_source"]) for hit in hits], total, token)

    def counts(self, query: Query, bucket_seconds: float, group_by: GroupField | None = None) -> list[Bucket]:
        width = q.interval_ms(bucket_seconds)
        buckets: list[Bucket] = []
        after_key: dict[str, Any] | None = None
        while True:
            answer = self._search("counts", q.counts_body(query, width, group_by, after_key))
            aggregation = answer.get("aggregations", {}).get("c", {})
            page = q.parse_buckets(aggregation)
            buckets.extend(page)
            after_key = aggregation.get("after_key")
            if len(page) < q.COMPOSITE_PAGE or after_key is None:
                return sorted(buckets, key=lambda b: (b.start, b.key))

    def read_after(self, position: str | None, limit: int, tenant: str | None = None) -> tuple[list[LogEvent], str]:
        if not 0 < limit <= q.MAX_PAGE:
            raise ValueError(f"limit must be between 1 and {q.MAX_PAGE}")
        after = q.decode_position(position)
        answer = self._search("read_after", q.read_body(after, limit, tenant, self._cutoff()))
        hits = answer["hits"]["hits"]
        if not hits:
            return [], position or ""
        return [event_from_source(hit["_source"]) for hit in hits], q.encode_position(hits[-1]["sort"])

    def end_position(self) -> str:
        hits = self._search("end_position", q.end_body(self._cutoff()))["hits"]["hits"]
        return q.encode_position(hits[0]["sort"]) if hits else ""

    # ------------------------------------------------------------ upkeep

    def refresh(self) -> None:
        """Make everything written so far searchable now (tests, and readers that cannot wait a second)."""
        self._call(
            "refresh",
            lambda: self.client.indices.refresh(index=self._pattern, allow_no_indices=True, ignore_unavailable=True),
        )

    def apply_retention(self) -> list[str]:
        """Delete the daily indices past ``retention_days`` (by the day in their name); their names."""
        today = dt.datetime.fromtimestamp(self._clock(), dt.UTC).date()
        try:
            return delete_expired_indices(
                self.client, self.settings.index_prefix, self.settings.retention_days, today, self._retrying
            )
        except TransportError as exc:
            raise LogStoreError(f"OpenSearch: deleting expired log indices failed: {describe(exc)}") from None

    def _maybe_apply_retention(self) -> None:
        """Hourly fallback retention; a failure is logged, never a reason to refuse a write."""
        now = self._clock()
        if self.retention != "delete_indices" or now - self._last_retention < RETENTION_EVERY:
            return
        self._last_retention = now
        try:
            deleted = self.apply_retention()
        except LogStoreError as exc:
            log.warning("%s; will try again in an hour", exc)
            return
        if deleted:
            log.info("deleted expired log indices: %s", ", ".join(deleted))

    def close(self) -> None:
        self.client.close()
