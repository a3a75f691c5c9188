"""Tailing files: a PullSource per ``agent.files`` entry, checkpointed so a restart neither re-reads nor skips.

**Identity.** A file is known by its *head*, the first 1 KiB (:mod:`.files_state`), with device and inode
as a hint. Each tracked file also gets a random id when first seen, persisted before any of its events
exist; an event's ``record_id`` is ``<id>:<offset of its first byte>`` and its fingerprint derives from
that, so a line read twice (a crash between the buffer and the checkpoint) is stored once.

- Same inode, same head: the same file (moved or not). Same inode, other head, or shorter than the read
  offset: the file was truncated or replaced; what follows is a new file, read from its beginning.
- New inode whose full 1 KiB head matches a file being read: a copy (copytruncate copies, then
  truncates). It is not read as new; once the original shrinks, the copy takes over the original's id and
  offset, so the lines between our offset and the truncation are read once, from the copy. The copy is
  looked for in the original's directory, so it need not match the globs. A copy never claimed within
  ``defer_limit`` is a new file after all (someone copied a log inside the globs).
- Renamed or deleted files are read to their end through the open descriptor; after a restart a file that
  left the globs is found again in its directory by inode and head (or by head alone: a copy).
- Files shorter than 1 KiB have a weak head and are recognized by inode only (a copytruncate of a file
  that small re-reads it, as new). A file's head is looked at on every poll until it is full, even before
  its lines are read, and saved at once when it is, so a copy made before we got to the file is found.
  A new file reusing the inode of a forgotten one has another head.
- A file created *and* rotated away while the agent is down was never known: only globs that cover the
  rotated names (``app.log*``; compressed rotations are skipped) find it. Such globs are the configuration
  that loses nothing.

**Checkpoints.** One JSON document per source in the CursorStore (every file's id, paths, inode, head
digest and committed offset). Commits are saved at most every ``checkpoint_interval`` (each save is an
fsync; a crash re-reads at most that much, and the re-read lines keep their fingerprints); new files and
rotations are saved at once. The committed offset stops before a multi-line event still being joined.

**Start.** On a source's first run (no checkpoint) files already there start at ``start_at``; every file
seen later, including after a restart, is read from its beginning.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from collections import Counter
from collections.abc import Callable

from inframind.agent.cursors import CursorStore
from inframind.agent.files_catalog import FileCatalog
from inframind.agent.files_format import LineFormatter
from inframind.agent.files_lines import Line
from inframind.agent.files_reader import READ_PER_POLL, TailedFile, Truncated
from inframind.agent.files_state import HEAD_BYTES, FileState, decode_checkpoint, encode_checkpoint
from inframind.agent.source import Batch, SourceStats
from inframind.config.agent import FileSource
from inframind.events import LogEvent

log = logging.getLogger(__name__)


class FileTailSource:
    """Tails the files of one :class:`~inframind.config.FileSource`."""

    def __init__(
        self,
        settings: FileSource,
        name: str,
        cursors: CursorStore,
        formatter: LineFormatter,
        *,
        clock: Callable[[], float] = time.monotonic,
        wall: Callable[[], float] = time.time,
        rescan_interval: float = 1.0,
        close_inactive: float = 60.0,
        forget_after: float = 7 * 86400.0,
        defer_limit: float = 10.0,
        checkpoint_interval: float = 1.0,
    ) -> None:
        self.name = name
        self.stats = SourceStats()
        self.settings = settings
        self.formatter = formatter
        self._cursors = cursors
        self._clock, self._wall = clock, wall
        self._rescan_interval, self._close_inactive = rescan_interval, close_inactive
        self._checkpoint_interval = checkpoint_interval
        self._saved_at = clock()
        self._dirty = False
        self._lock = threading.RLock()
        self._next_scan = 0.0
        self._turn = 0
        text = cursors.get(name)
        self._saved = text
        states = self._load(text)
        self.catalog = FileCatalog(
            name, settings, states, self._save, self.stats,
            wall=wall, forget_after=forget_after, defer_limit=defer_limit,
        )  # fmt: skip
        self._files = self.catalog.files

    def _load(self, text: str | None) -> list[FileState] | None:
        """The checkpointed files; None on a first run (no checkpoint, or one that cannot be read)."""
        if text is None:
            return None
        try:
            return decode_checkpoint(text)
        except ValueError as exc:
            log.error("%s: %s; starting over (files are read per start_at)", self.name, exc)
            return None

    # ------------------------------------------------------------ polling

    def poll(self, max_events: int) -> Batch | None:
        with self._lock:
            now = self._clock()
            if now >= self._next_scan:
                self.catalog.rescan(now)
                self._next_scan = now + self._rescan_interval
            if self._dirty and now - self._saved_at >= self._checkpoint_interval:
                self._save()
            stamp = dt.datetime.fromtimestamp(self._wall(), dt.UTC)
            events: list[LogEvent] = []
            flags: Counter[str] = Counter()
            files = [f for f in self._files.values() if f.fd is not None]
            self._turn = (self._turn + 1) % max(len(files), 1)
            chars = 0
            for f in files[self._turn :] + files[: self._turn]:
                full = len(events) >= max_events or chars >= READ_PER_POLL
                if full and len(f.head) >= HEAD_BYTES:
                    continue
                # a file not yet known by a full head is looked at every poll, even with no room to read
                # it: should it be copied and truncated before its first line is read, its head finds the copy
                lines = self._read(f, 0 if full else max_events - len(events), now)
                chars += sum(len(line.text) for line in lines)
                self._build(f, lines, stamp, events, flags)
            self._account(events, flags, now)
            if not events:
                return None
            snapshot = {f.id: f.commit_offset() for f in self._files.values()}
            return Batch(events, lambda: self._commit(snapshot))

    def _read(self, f: TailedFile, max_lines: int, now: float) -> list[Line]:
        limit = self.settings.max_line_bytes
        weak = len(f.head) < HEAD_BYTES
        try:
            lines = f.read(max_lines, limit, now)
            if weak and len(f.head) >= HEAD_BYTES:
                self._save()  # its full head is what finds it again after a restart, even as a copy
        except Truncated:
            return self.catalog.truncated(f)
        except OSError as exc:
            self.stats.error(f"{f.state.path}: {exc.strerror or exc}")
            log.warning("%s: cannot read %s: %s", self.name, f.state.path, exc.strerror or exc)
            f.close()
            return []
        if f.joiner is not None:
            lines = [done for line in lines for done in f.joiner.push(line, now)]
            multi = self.settings.multiline
            if multi is not None and f.joiner.due(now, multi.flush_after):
                lines.extend(filter(None, [f.joiner.flush()]))
        if lines or f.offset < f.size:
            f.idle_since = None
        elif f.idle_since is None:
            f.idle_since = now
        elif now - f.idle_since >= self._close_inactive:
            if not f.in_glob:  # rotated away or deleted, and quiet: nothing more will come
                lines = f.rest(limit)
                f.state.done = True
            f.close()
        return lines

    def _build(
        self, f: TailedFile, lines: list[Line], stamp: dt.datetime, out: list[LogEvent], flags: Counter[str]
    ) -> None:
        event = self.formatter.event
        file_id, origin = f.id, f.state.origin
        for line in lines:
            if not line.text or line.text.isspace():
                self.stats.reject("empty")
                continue
            built, line_flags = event(line, file_id, origin, stamp)
            out.append(built)
            if line_flags:
                flags.update(line_flags)

    def _account(self, events: list[LogEvent], flags: Counter[str], now: float) -> None:
        if events:
            self.stats.add_read(len(events))
        for reason, n in flags.items():
            self.stats.flag(reason, n)
        self.stats.lag_seconds = max((f.lag.lag(now) for f in self._files.values() if f.fd is not None), default=0.0)

    def _commit(self, snapshot: dict[str, int]) -> None:
        with self._lock:
            for file_id, offset in snapshot.items():
                f = self._files.get(file_id)
                if f is not None:
                    f.state.offset = offset
            self._dirty = True
            if self._clock() - self._saved_at >= self._checkpoint_interval:
                self._save()

    def _save(self) -> None:
        text = encode_checkpoint(self.catalog.states())
        if text != self._saved:
            self._cursors.put(self.name, text)
            self._saved = text
        self._saved_at, self._dirty = self._clock(), False

    def close(self) -> None:
        with self._lock:
            if self._dirty:
                self._save()
            for f in self._files.values():
                f.close()
