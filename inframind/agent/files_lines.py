"""Pure pieces of file tailing: bytes to lines, lines to multi-line events, and how far behind a file is.

Everything here works on byte offsets, because an offset is what a checkpoint stores and what makes an
event's ``record_id``: a line is known by the offset of its first byte, an event by its first line's.
No IO and no clock: the caller passes data and ``now``.
"""

from __future__ import annotations

import re
from collections import deque
from typing import NamedTuple


class Line(NamedTuple):
    """A decoded line (or multi-line event): its text, the offset of its first byte, the offset after it.
    A named tuple, not a dataclass: one is built per line, and a tuple is built three times faster."""

    text: str
    start: int
    end: int
    flags: tuple[str, ...] = ()
    """What was altered to keep it: ``truncated``, ``invalid_utf8_replaced``, ``nul_replaced``."""


def cut_at_char(data: bytes, limit: int) -> bytes:
    """At most ``limit`` bytes of UTF-8, never ending inside a character (a cut must not look like bad input)."""
    if len(data) <= limit:
        return data
    end = limit
    for _ in range(3):  # a UTF-8 character has at most 3 continuation bytes
        if end == 0 or (data[end] & 0xC0) != 0x80:
            break
        end -= 1
    return data[:end]


def decode_line(raw: bytes, start: int, end: int, limit: int, cut: bool = False) -> Line:
    """One line without its line ending, cut at ``limit`` bytes, with invalid UTF-8 and NUL replaced.

    ``cut`` says the caller already cut it (a line longer than it ever read)."""
    flags: tuple[str, ...] = ("truncated",) if cut else ()
    if raw.endswith(b"\r"):
        raw = raw[:-1]
    if len(raw) > limit:
        raw = cut_at_char(raw, limit)
        flags = ("truncated",)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        text = raw.decode("utf-8", errors="replace")
        flags = (*flags, "invalid_utf8_replaced")
    if "\x00" in text:  # NUL ends strings in C: stores and terminals would cut the message there
        text = text.replace("\x00", "\ufffd")
        flags = (*flags, "nul_replaced")
    return Line(text, start, end, flags)


def split_lines(data: bytes, base: int, max_lines: int) -> tuple[list[tuple[bytes, int]], int]:
    """The complete lines of ``data`` (read at offset ``base``), at most ``max_lines``, each with its start
    offset; and the offset after the last one (``base`` when there is none: a partial line waits)."""
    parts = data.split(b"\n", max_lines)
    parts.pop()  # the text after the last newline taken: a partial line, or the lines beyond max_lines
    lines = []
    offset = base
    for part in parts:
        lines.append((part, offset))
        offset += len(part) + 1
    return lines, offset


class Joiner:
    """Joins continuation lines (stack traces, kernel dumps) to the event a start line began.

    A line matching ``pattern`` starts an event; any other line joins the pending one (or starts one if
    none is pending, so a file that opens mid-trace is not lost). An event is complete when the next
    start line arrives, when it has ``max_lines`` lines, or when ``flush`` is called (no line for
    ``flush_after``, or the file was closed). ``pending_start`` is where a checkpoint must stay until then.
    """

    def __init__(self, pattern: re.Pattern[str], max_lines: int, max_bytes: int) -> None:
        self.pattern = pattern
        self.max_lines = max(1, max_lines)
        self.max_bytes = max_bytes
        self._lines: list[Line] = []
        self._size = 0
        self.last_line_at = 0.0

    @property
    def pending_start(self) -> int | None:
        return self._lines[0].start if self._lines else None

    def push(self, line: Line, now: float) -> list[Line]:
        """Feed one line; return the events it completed (zero, one or two)."""
        done: list[Line] = []
        if self._lines and self.pattern.search(line.text):
            done.append(self._join())
        self._lines.append(line)
        self._size += len(line.text) + 1
        self.last_line_at = now
        if len(self._lines) >= self.max_lines:
            done.append(self._join())
        return done

    def flush(self) -> Line | None:
        return self._join() if self._lines else None

    def due(self, now: float, flush_after: float) -> bool:
        return bool(self._lines) and now - self.last_line_at >= flush_after

    def _join(self) -> Line:
        lines, self._lines, self._size = self._lines, [], 0
        first = lines[0]
        if len(lines) == 1:
            return first
        text = "\n".join(line.text for line in lines)
        flags = {flag for line in lines for flag in line.flags}
        if len(text) > self.max_bytes:  # characters >= bytes / 4: cut in bytes to honour the byte limit
            raw = text.encode("utf-8")
            if len(raw) > self.max_bytes:
                text = cut_at_char(raw, self.max_bytes).decode("utf-8", errors="replace")
                flags.add("truncated")
        return Line(text, first.start, lines[-1].end, tuple(sorted(flags)))


class LagTracker:
    """How long the oldest unread byte of a file has been waiting: the time its size was first seen past
    the read offset. Observations come from polls, so the figure is as fine as the polling."""

    def __init__(self) -> None:
        self._seen: deque[tuple[int, float]] = deque()

    def observe(self, size: int, offset: int, now: float) -> None:
        """The file has ``size`` bytes and is read up to ``offset``."""
        self.consumed(offset)
        if size > offset and (not self._seen or size > self._seen[-1][0]):
            self._seen.append((size, now))

    def consumed(self, offset: int) -> None:
        while self._seen and self._seen[0][0] <= offset:
            self._seen.popleft()

    def reset(self) -> None:
        self._seen.clear()

    def behind(self) -> bool:
        """Whether bytes were seen past the read offset that have not been read."""
        return bool(self._seen)

    def lag(self, now: float) -> float:
        return max(now - self._seen[0][1], 0.0) if self._seen else 0.0
