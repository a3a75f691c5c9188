"""Reading one tracked file through its open descriptor: complete lines from the read offset, long lines
cut, truncation and replacement noticed before a byte of new content is taken for old.

The descriptor (not the path) is read, so a file renamed or deleted while being read is still read to
its end. Before new bytes are read the head is compared with the one known (one ``pread`` of at most
HEAD_BYTES): a file truncated and rewritten past the old offset between two polls is caught even though
its size never looked smaller.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from inframind.agent.files_lines import Joiner, LagTracker, Line, decode_line, split_lines
from inframind.agent.files_state import HEAD_BYTES, FileState, head_sha

READ_HINT = 256
"""Bytes per wanted line in the first read; a line longer than the read gets a second, bigger one."""
SCAN_PER_POLL = 16 << 20
"""Bytes of an overlong line's tail skipped per poll, looking for its end."""
READ_PER_POLL = 8 << 20
"""Bytes of lines read per poll, whatever ``max_lines`` allows: 1000 lines of 1 MiB are not one batch."""


class Truncated(Exception):
    """The file is shorter than the read offset, or its head changed: what we were reading is gone."""


@dataclass
class _LongLine:
    start: int
    prefix: bytes
    scan: int
    """Where to look for the newline next."""


class TailedFile:
    """A tracked file's runtime state around its persisted :class:`FileState`."""

    def __init__(self, state: FileState, head: bytes, joiner: Joiner | None) -> None:
        self.state = state
        self.head = head
        self.offset = state.offset
        """Read offset: the next byte to read, always at a line start."""
        self.fd: int | None = None
        self.size = 0
        """Size at the last look."""
        self.joiner = joiner
        self.lag = LagTracker()
        self.idle_since: float | None = None
        self.in_glob = True
        self._long: _LongLine | None = None

    @property
    def id(self) -> str:
        return self.state.id

    @property
    def key(self) -> tuple[int, int]:
        return self.state.dev, self.state.ino

    def commit_offset(self) -> int:
        """Where a checkpoint may point: before any line still waiting in the joiner or a long line."""
        pending = self.joiner.pending_start if self.joiner else None
        return self.offset if pending is None else min(pending, self.offset)

    def attach(self, fd: int, path: str) -> None:
        """Read through ``fd`` (opened on ``path``) from now on; closes a previous descriptor."""
        self.close()
        st = os.fstat(fd)
        self.fd, self.size = fd, st.st_size
        self.state.path, self.state.dev, self.state.ino = path, st.st_dev, st.st_ino
        self.idle_since = None

    def close(self) -> None:
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None

    def _check_head(self, size: int) -> None:
        """Raise Truncated unless the file still starts with the known head; extend the head as it grows."""
        assert self.fd is not None
        known = len(self.head)
        if size < known:
            raise Truncated
        data = os.pread(self.fd, min(size, HEAD_BYTES), 0)
        if len(data) < known or data[:known] != self.head:
            raise Truncated
        if len(data) > known:
            self.head = data
            self.state.head_len, self.state.head_sha = len(data), head_sha(data)

    def read(self, max_lines: int, max_line_bytes: int, now: float) -> list[Line]:
        """Up to ``max_lines`` complete lines after the read offset (none while only a partial line waits)."""
        assert self.fd is not None
        size = os.fstat(self.fd).st_size
        self.size = size
        self.lag.observe(size, self._long.scan if self._long else self.offset, now)
        if size < self.offset:
            raise Truncated
        scan_end = self._long.scan if self._long else self.offset
        if size <= scan_end:
            return []
        self._check_head(size)
        lines: list[Line] = []
        if self._long is not None:
            self._finish_long(size, max_line_bytes, lines)
        stop = self.offset + READ_PER_POLL
        while self._long is None and len(lines) < max_lines and self.offset < min(size, stop):
            remaining = size - self.offset
            wanted = max_lines - len(lines)
            data = os.pread(self.fd, min(remaining, max(65536, READ_HINT * wanted)), self.offset)
            parts, end = split_lines(data, self.offset, wanted)
            if not parts and len(data) < remaining and len(data) <= max_line_bytes:
                data = os.pread(self.fd, min(remaining, max_line_bytes + 1), self.offset)
                parts, end = split_lines(data, self.offset, wanted)
            if not parts:
                if len(data) > max_line_bytes:  # no end in sight: keep its start, skip to its end
                    self._long = _LongLine(self.offset, data[: max_line_bytes + 1], self.offset + len(data))
                    self._finish_long(size, max_line_bytes, lines)
                break  # a partial line: wait for its newline
            for raw, start in parts:
                lines.append(decode_line(raw, start, start + len(raw) + 1, max_line_bytes))
            self.offset = end
        self.lag.consumed(self.offset)
        return lines

    def _finish_long(self, size: int, max_line_bytes: int, lines: list[Line]) -> None:
        assert self.fd is not None and self._long is not None
        long = self._long
        budget = SCAN_PER_POLL
        while long.scan < size and budget > 0:
            data = os.pread(self.fd, min(size - long.scan, 1 << 20), long.scan)
            if not data:
                return
            newline = data.find(b"\n")
            if newline >= 0:
                end = long.scan + newline + 1
                lines.append(decode_line(long.prefix, long.start, end, max_line_bytes, cut=True))
                self.offset, self._long = end, None
                return
            long.scan += len(data)
            budget -= len(data)

    def rest(self, max_line_bytes: int) -> list[Line]:
        """What remains when the file will not be read again: a last line without newline, a long line's
        start, and the joiner's pending event."""
        out: list[Line] = []
        if self._long is not None:
            out.append(decode_line(self._long.prefix, self._long.start, self._long.scan, max_line_bytes, cut=True))
            self.offset, self._long = self._long.scan, None
        elif self.fd is not None and self.size > self.offset:
            data = os.pread(self.fd, min(self.size - self.offset, max_line_bytes + 1), self.offset)
            if data:
                out.append(decode_line(data, self.offset, self.size, max_line_bytes))
                self.offset = self.size
        if self.joiner is not None:
            joined = [done for line in out for done in self.joiner.push(line, 0.0)]
            pending = self.joiner.flush()
            out = joined + ([pending] if pending else [])
        return out
