"""Source cursors (file offsets, journald cursors, last SEL record ids ...), persisted in ``state_dir``.

One small SQLite database, written in a transaction per commit: a crash leaves either the old cursor or
the new one, never half of one. Values are opaque strings (JSON where a source needs structure).
"""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path


class CursorStore:
    def __init__(self, path: str | Path) -> None:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.execute("CREATE TABLE IF NOT EXISTS cursors (source TEXT PRIMARY KEY, value TEXT NOT NULL)")
        self._lock = threading.Lock()

    def get(self, source: str) -> str | None:
        with self._lock:
            row = self._db.execute("SELECT value FROM cursors WHERE source = ?", (source,)).fetchone()
        return None if row is None else str(row[0])

    def put(self, source: str, value: str) -> None:
        with self._lock:
            self._db.execute(
                "INSERT INTO cursors (source, value) VALUES (?, ?) "
                "ON CONFLICT(source) DO UPDATE SET value = excluded.value",
                (source, value),
            )

    def put_many(self, values: dict[str, str]) -> None:
        """Several cursors in one transaction (a file source commits all its files together)."""
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                self._db.executemany(
                    "INSERT INTO cursors (source, value) VALUES (?, ?) "
                    "ON CONFLICT(source) DO UPDATE SET value = excluded.value",
                    list(values.items()),
                )
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def all(self) -> dict[str, str]:
        with self._lock:
            return {str(k): str(v) for k, v in self._db.execute("SELECT source, value FROM cursors")}

    def close(self) -> None:
        with self._lock:
            self._db.close()
