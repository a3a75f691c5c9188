"""The agent's disk buffer: batches of events waiting for the sink, in a SQLite file under ``state_dir``.

- One row per batch (a JSON body), appended in a transaction: a batch is durable when ``append`` returns,
  and a ``kill -9`` leaves whole batches or none (WAL, ``synchronous=FULL``: it survives a power cut too,
  since a source's cursor may move on as soon as its batch is here).
- The shipper reads the oldest batches (``peek``) and forgets them only once the sink has them (``ack``).
  Acknowledged rows are deleted in bulk (every ``ACK_BATCH`` batches, or all at once when the buffer
  empties): a row deleted alone costs more than it took to write. A crash before that re-sends them,
  which at-least-once delivery allows and the store's deduplication absorbs.
- Bounded by ``max_bytes`` of bodies: when a new batch does not fit, the oldest batches are dropped, and
  only then, counted by source under ``buffer_full``. The batch in flight is dropped last.
- The newest events are kept in memory too, up to ``memory_bytes`` of them, so a shipper that keeps up never
  decodes what it just encoded; after a restart (or when the buffer has grown past that) it decodes.

The body is a JSON array of per-event arrays (our own type, no pickle); the fingerprint travels with
the event, so a replay after a restart is deduplicated by the store.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
import threading
import time
from collections import Counter, OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import cast

from inframind.events import Level, LogEvent, Source

Segments = tuple[tuple[str, int], ...]
"""``(source name, event count)`` runs, in order: which source each event of a batch came from."""

ACK_BATCH = 32
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_MICRO = dt.timedelta(microseconds=1)
SCHEMA = """
CREATE TABLE IF NOT EXISTS batches (
    id INTEGER PRIMARY KEY,
    created REAL NOT NULL,
    segments TEXT NOT NULL,
    events INTEGER NOT NULL,
    body BLOB NOT NULL
);
"""


def encode_events(events: Sequence[LogEvent]) -> bytes:
    rows = [
        [(e.timestamp - _EPOCH) // _MICRO, e.source, e.level, e.message, e.host, e.asset_id, e.tenant, e.event_id,
         e.provider, e.channel, e.record_id, dict(e.fields) if e.fields else None, e.fingerprint]
        for e in events
    ]  # fmt: skip
    return json.dumps(rows, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def decode_events(body: bytes) -> list[LogEvent]:
    return [
        LogEvent(_EPOCH + dt.timedelta(microseconds=r[0]), cast(Source, r[1]), cast(Level, r[2]), r[3], r[4], r[5],
                 r[6], r[7], r[8], r[9], r[10], r[11] or {}, r[12])
        for r in json.loads(body)
    ]  # fmt: skip


@dataclass
class Entry:
    id: int
    created: float
    """Wall-clock time the batch was read (for the lag of its sources)."""
    segments: Segments
    events: list[LogEvent]


@dataclass
class _Meta:
    created: float
    segments: Segments
    events: int
    size: int


class DiskBuffer:
    """A crash-safe FIFO of event batches; thread-safe (sources' threads append, the shipper peeks and acks)."""

    def __init__(
        self,
        path: str | Path,
        max_bytes: int,
        *,
        memory_bytes: int = 64 << 20,
        wall: Callable[[], float] = time.time,
    ) -> None:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        self.path = str(path)
        self.max_bytes = max_bytes
        self.memory_bytes = memory_bytes
        self._wall = wall
        self._lock = threading.Lock()
        self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode = WAL")
        self._db.execute("PRAGMA synchronous = FULL")
        self._db.executescript(SCHEMA)
        self._meta: OrderedDict[int, _Meta] = OrderedDict()
        for row in self._db.execute("SELECT id, created, segments, events, length(body) FROM batches ORDER BY id"):
            segments = tuple((str(name), int(n)) for name, n in json.loads(row[2]))
            self._meta[int(row[0])] = _Meta(float(row[1]), segments, int(row[3]), int(row[4]))
        self._bytes = sum(m.size for m in self._meta.values())
        self._events = sum(m.events for m in self._meta.values())
        self._memory: dict[int, list[LogEvent]] = {}
        self._memory_size = 0
        self._inflight: set[int] = set()
        self._acked: list[int] = []
        self._closed = False
        self.dropped: Counter[str] = Counter()
        """Events dropped because the buffer was full, by source name."""

    # ------------------------------------------------------------ writing

    def append(self, events: Sequence[LogEvent], segments: Segments, created: float | None = None) -> None:
        """Make ``events`` durable (raises sqlite3.Error when the disk refuses: nothing was stored).

        ``created`` is when they were read (default: now), for the lag of their sources."""
        if not events:
            return
        body = encode_events(events)
        created = self._wall() if created is None else created
        with self._lock:
            self._make_room(len(body))
            if len(body) > self.max_bytes:  # alone larger than the whole buffer: it is the oldest to drop
                self._count_dropped(segments)
                return
            cursor = self._db.execute(
                "INSERT INTO batches (created, segments, events, body) VALUES (?, ?, ?, ?)",
                (created, json.dumps(segments), len(events), body),
            )
            batch_id = int(cursor.lastrowid or 0)
            self._meta[batch_id] = _Meta(created, segments, len(events), len(body))
            self._bytes += len(body)
            self._events += len(events)
            if self._memory_size + len(body) <= self.memory_bytes:
                self._memory[batch_id] = list(events)
                self._memory_size += len(body)

    def _make_room(self, size: int) -> None:
        if self._bytes + size <= self.max_bytes:
            return
        victims: list[int] = []
        room = self.max_bytes - self._bytes
        order = [i for i in self._meta if i not in self._inflight] + [i for i in self._meta if i in self._inflight]
        for batch_id in order:
            if room >= size:
                break
            victims.append(batch_id)
            room += self._meta[batch_id].size
        if victims:
            self._db.executemany("DELETE FROM batches WHERE id = ?", [(i,) for i in victims])
            for batch_id in victims:
                self._count_dropped(self._forget(batch_id).segments)

    def _count_dropped(self, segments: Segments) -> None:
        for name, n in segments:
            self.dropped[name] += n

    def _forget(self, batch_id: int) -> _Meta:
        meta = self._meta.pop(batch_id)
        self._bytes -= meta.size
        self._events -= meta.events
        self._inflight.discard(batch_id)
        if self._memory.pop(batch_id, None) is not None:
            self._memory_size -= meta.size
        return meta

    # ------------------------------------------------------------ reading

    def peek(self, max_events: int) -> list[Entry]:
        """The oldest batches, as many as fit in ``max_events`` (at least one), marked in flight."""
        with self._lock:
            chosen: list[tuple[int, _Meta]] = []
            total = 0
            for batch_id, meta in self._meta.items():
                if chosen and total + meta.events > max_events:
                    break
                chosen.append((batch_id, meta))
                total += meta.events
            missing = [batch_id for batch_id, _ in chosen if batch_id not in self._memory]
            bodies: dict[int, bytes] = {}
            if missing:
                marks = ",".join("?" * len(missing))
                sql = f"SELECT id, body FROM batches WHERE id IN ({marks})"  # noqa: S608 - placeholders only # nosec B608
                bodies = {int(i): bytes(b) for i, b in self._db.execute(sql, missing)}
            self._inflight.update(batch_id for batch_id, _ in chosen)
            cached = {batch_id: self._memory.get(batch_id) for batch_id, _ in chosen}
        out = []
        for batch_id, meta in chosen:
            events = cached[batch_id]
            out.append(Entry(batch_id, meta.created, meta.segments, events or decode_events(bodies[batch_id])))
        return out

    def ack(self, ids: Sequence[int]) -> None:
        """The sink has these batches: forget them now, delete their rows soon (see the module docstring)."""
        with self._lock:
            for batch_id in ids:
                if batch_id in self._meta:
                    self._forget(batch_id)
                    self._acked.append(batch_id)
            if not self._meta or len(self._acked) >= ACK_BATCH:
                self._delete_acked()

    def _delete_acked(self) -> None:
        if not self._meta:
            self._db.execute("DELETE FROM batches")  # no WHERE: SQLite drops the pages wholesale
        elif self._acked:
            marks = ",".join("?" * len(self._acked))
            self._db.execute(f"DELETE FROM batches WHERE id IN ({marks})", self._acked)  # noqa: S608 - placeholders # nosec B608
        self._acked.clear()

    def release(self, ids: Sequence[int]) -> None:
        """The sink did not take these: they stay, first in line."""
        with self._lock:
            self._inflight.difference_update(ids)

    # ------------------------------------------------------------ state

    def empty(self) -> bool:
        with self._lock:
            return not self._meta

    def usage(self) -> tuple[int, int]:
        """``(bytes, events)`` held."""
        with self._lock:
            return self._bytes, self._events

    def oldest_by_source(self) -> dict[str, float]:
        """For each source with buffered events, when its oldest one was buffered (wall clock)."""
        with self._lock:
            oldest: dict[str, float] = {}
            for meta in self._meta.values():
                for name, _ in meta.segments:
                    oldest[name] = min(oldest.get(name, meta.created), meta.created)
            return oldest

    def close(self) -> None:
        with self._lock:
            if self._closed:
                return
            self._closed = True
            self._delete_acked()
            if not self._meta:  # give an empty buffer's disk space back
                self._db.execute("VACUUM")
                self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            self._db.close()
