"""``inframind logs templates FILE``: the templates of any log file, with counts, for people pointing it at their own
logs. The library call behind the CLI; it reads the file (so it lives outside the pure ``detect`` package).

Files are streamed line by line (any size; ``.gz`` is read compressed; ``-`` is standard input), undecodable
bytes are replaced rather than fatal, and progress goes to the stream given (the CLI passes stderr).
"""

from __future__ import annotations

import gzip
import os
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, TextIO

from inframind.analyzer.detect.templates import MinerConfig, TemplateMiner, header_format

PROGRESS_EVERY_S = 1.0
REPORT_MAX_TEMPLATES = 100_000
"""A report wants every template, not the streaming miner's working set: a higher bound than the default."""


@dataclass(frozen=True)
class TemplateRow:
    template_id: str
    template: str
    """Readable template: masks by name (``<IP>``, ``<NUM>``), learned wildcards as ``<*>``."""
    count: int
    share: float
    """Of all lines read."""
    example: str
    """The first message that had this template's shape (header stripped)."""


def _lines(handle: BinaryIO, encoding: str) -> Iterator[str]:
    for raw in handle:
        yield raw.decode(encoding, errors="replace")


def _open(path: str | os.PathLike[str]) -> tuple[BinaryIO, BinaryIO, int]:
    """(line source, underlying file for position, size in bytes or 0 when unknown)."""
    if str(path) == "-":
        return sys.stdin.buffer, sys.stdin.buffer, 0
    file = Path(path)
    if not file.is_file():
        raise FileNotFoundError(f"log file {file} not found (or not a regular file)")
    raw = file.open("rb")
    size = file.stat().st_size
    if file.suffix == ".gz":
        return gzip.GzipFile(fileobj=raw, mode="rb"), raw, size  # type: ignore[return-value]
    return raw, raw, size


class _Progress:
    """``\\r``-rewritten status line, at most once a second."""

    def __init__(self, stream: TextIO | None, size: int) -> None:
        self.stream, self.size = stream, size
        self.start = self.last = time.monotonic()

    def update(self, lines: int, position: int, final: bool = False) -> None:
        if self.stream is None:
            return
        now = time.monotonic()
        if not final and now - self.last < PROGRESS_EVERY_S:
            return
        self.last = now
        rate = lines / max(now - self.start, 1e-9)
        share = f" {100 * position / self.size:5.1f}%" if self.size else ""
        end = "\n" if final else ""
        self.stream.write(f"\r{lines:,} lines{share} ({rate:,.0f} lines/s){end}")
        self.stream.flush()


def template_report(
    path: str | os.PathLike[str],
    fmt: str = "raw",
    *,
    config: MinerConfig | None = None,
    progress: TextIO | None = None,
    encoding: str = "utf-8",
) -> list[TemplateRow]:
    """Mine the templates of a log file and return them most frequent first.

    ``fmt`` names how to find the message in a line: ``raw`` (whole line), ``syslog``, ``journald``,
    ``eventlog`` or ``loghub:<Date> <Time> <Level> <Component>: <Content>`` (see :mod:`...templates.headers`).
    Raises ``ValueError`` for an unknown format and ``FileNotFoundError`` for a missing file.
    """
    header = header_format(fmt)
    miner = TemplateMiner(config or MinerConfig(max_clusters=REPORT_MAX_TEMPLATES))
    examples: dict[str, str] = {}
    handle, underlying, size = _open(path)
    status = _Progress(progress, size)
    lines = 0
    try:
        for text in _lines(handle, encoding):
            message = header.parse(text).content
            result = miner.add(message)
            lines += 1
            if result.template_id not in examples:
                inherited = [examples.pop(old) for old in result.changed_from if old in examples]
                examples[result.template_id] = inherited[0] if inherited else message
            if lines % 4096 == 0:
                status.update(lines, underlying.tell() if size else 0)
    finally:
        if handle is not underlying:
            handle.close()
        if underlying is not sys.stdin.buffer:
            underlying.close()
    status.update(lines, size, final=True)
    total = max(lines, 1)
    rows = []
    for template in miner.templates():
        example = examples.get(template.template_id, "")
        rows.append(TemplateRow(template.template_id, template.text, template.size, template.size / total, example))
    return rows


def format_rows(rows: list[TemplateRow], top: int | None = None) -> str:
    """A plain table: count, share, template id, template (the CLI prints this)."""
    shown = rows[:top] if top else rows
    width = max((len(f"{r.count:,}") for r in shown), default=5)
    out = [f"{'count':>{width}}  share   template_id       template"]
    out += [f"{r.count:>{width},}  {100 * r.share:5.1f}%  {r.template_id}  {r.template}" for r in shown]
    if top and len(rows) > top:
        out.append(f"... {len(rows) - top} more templates")
    return "\n".join(out)
