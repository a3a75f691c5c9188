"""A file source over real files in a temporary directory, with a hand-driven clock, for the tailing tests."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from inframind.agent.cursors import CursorStore
from inframind.agent.files import FileTailSource
from inframind.agent.files_format import LineFormatter
from inframind.config.agent import FileSource
from inframind.events import LogEvent

NAME = "file:test"


class Tailing:
    """Builds sources that share one cursor store (a restart is a new source on the same store)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.cursors = CursorStore(root / "state" / "cursors.db")
        self.now = 1000.0
        self.written = 0

    def source(self, paths: Iterable[str], **settings: Any) -> FileTailSource:
        options = {key: settings.pop(key) for key in ("close_inactive", "defer_limit") if key in settings}
        config = FileSource(paths=tuple(paths), **settings)
        formatter = LineFormatter(config.format, dt.UTC, "host-1", lambda _host: ("", "default"))
        return FileTailSource(
            config, NAME, self.cursors, formatter, clock=lambda: self.now, rescan_interval=0.0,
            checkpoint_interval=0.0, **options,
        )  # fmt: skip

    def write(self, path: Path, count: int) -> None:
        """Append ``count`` numbered lines (``n=000042 ...``), numbering across all files of the test."""
        with path.open("a", encoding="utf-8") as out:
            for _ in range(count):
                out.write(f"n={self.written:06d} payload that makes lines long enough {'x' * 40}\n")
                self.written += 1

    def drain(self, source: FileTailSource, commit: bool = True, max_events: int = 100) -> list[LogEvent]:
        """Poll until three polls in a row bring nothing; commit each batch unless told not to."""
        events: list[LogEvent] = []
        quiet = 0
        while quiet < 3:
            batch = source.poll(max_events)
            if batch is None:
                quiet += 1
                continue
            quiet = 0
            events.extend(batch.events)
            if commit:
                batch.commit()
        return events


def numbers(events: Iterable[LogEvent]) -> list[int]:
    return [int(e.message[2:8]) for e in events if e.message.startswith("n=")]
