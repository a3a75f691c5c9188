"""JournaldSource: the systemd journal as a :class:`~inframind.agent.source.PullSource`, read with journalctl.

Each poll runs ``journalctl -o json --all`` once (no shell, bounded by ``-n`` and a timeout), from the
cursor of the last entry read. The cursor is persisted by ``Batch.commit`` (CursorStore key = ``name``),
and every event's ``record_id`` is its ``__CURSOR``, so entries read twice (a crash between buffering and
commit) deduplicate in the store.

journalctl is asked for ``--cursor C`` rather than ``--after-cursor C``: the first entry must then be C
itself. When it is not, the entry is gone (journal rotated and vacuumed, or a different journal), and
journalctl would silently continue from wherever its seek landed; instead the source restarts from the
oldest entry, flags those events ``cursor_lost`` and counts it, and the store's dedup absorbs re-reads.

A first run starts at the newest entry (``start_at: end``) or the oldest (``beginning``). While caught up,
journalctl runs at most once per ``idle_interval``, so a pipeline polling in a loop does not fork in one.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import socket
import subprocess
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from inframind.agent.cursors import CursorStore
from inframind.agent.source import Batch, SourceStats
from inframind.config.agent import JournaldSource as JournaldSettings
from inframind.events import FieldValue, Level, LogEvent
from inframind.inventory import Inventory
from inframind.normalize import journald_level, resolve_asset

log = logging.getLogger(__name__)

EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
OWN_KEYS = frozenset({"MESSAGE", "__CURSOR", "__REALTIME_TIMESTAMP", "__MONOTONIC_TIMESTAMP"})
"""Entry keys that become LogEvent attributes rather than fields."""


def field_text(value: Any) -> tuple[str, bool]:
    """A journal field as JSON gives it (a string; a byte array for binary data; a list of either when
    the field repeats) as text, and whether bytes had to be replaced (invalid UTF-8)."""
    if value is None:
        return "", False
    if isinstance(value, str):
        return value, False
    if isinstance(value, list) and all(isinstance(b, int) for b in value):
        raw = bytes(b & 0xFF for b in value)
        try:
            return raw.decode("utf-8"), False
        except UnicodeDecodeError:
            return raw.decode("utf-8", errors="replace"), True
    if isinstance(value, list):
        parts = [field_text(v) for v in value]
        return "\n".join(text for text, _ in parts), any(bad for _, bad in parts)
    return str(value), False


def entry_event(
    entry: Mapping[str, Any],
    *,
    hostname: str,
    inventory: Inventory | None = None,
    received: dt.datetime | None = None,
    max_message_bytes: int = 1 << 20,
    flags: Sequence[str] = (),
) -> tuple[LogEvent, list[str]]:
    """One ``journalctl -o json`` entry as a LogEvent, and the flags it was given (``flags`` and its own)."""
    flags = list(flags)
    message, replaced = field_text(entry.get("MESSAGE"))
    if replaced:
        flags.append("invalid_utf8_replaced")
    if len(message.encode("utf-8")) > max_message_bytes:
        message = message.encode("utf-8")[:max_message_bytes].decode("utf-8", errors="ignore")
        flags.append("truncated")
    fields: dict[str, FieldValue] = {}
    for key, value in entry.items():
        if key not in OWN_KEYS:
            text, bad = field_text(value)
            fields[key] = text
            if bad and "invalid_utf8_replaced" not in flags:
                flags.append("invalid_utf8_replaced")
    level: Level
    try:
        level = journald_level(field_text(entry.get("PRIORITY"))[0])
    except ValueError:
        level = "info"
        flags.append("malformed")
    try:
        stamp = EPOCH + dt.timedelta(microseconds=int(entry["__REALTIME_TIMESTAMP"]))
    except (KeyError, ValueError, TypeError):
        stamp = received or dt.datetime.now(dt.UTC)
        flags.append("clock_missing")
    host = str(fields.get("_HOSTNAME") or hostname)
    asset_id, tenant = resolve_asset(inventory, host)
    for flag in flags:
        fields[flag] = True
    provider = fields.get("SYSLOG_IDENTIFIER") or fields.get("_COMM")
    return LogEvent(
        timestamp=stamp,
        source="journald",
        level=level,
        message=message,
        host=host,
        asset_id=asset_id,
        tenant=tenant,
        event_id=str(fields["MESSAGE_ID"]) if fields.get("MESSAGE_ID") else None,
        provider=str(provider) if provider else None,
        record_id=str(entry["__CURSOR"]) if entry.get("__CURSOR") else None,
        fields=fields,
    ), flags


class JournaldSource:
    """Reads the journal (``settings.directory`` or the system's) with ``settings.journalctl``."""

    def __init__(
        self,
        settings: JournaldSettings,
        cursors: CursorStore,
        *,
        inventory: Inventory | None = None,
        hostname: str | None = None,
        timeout: float = 10.0,
        idle_interval: float = 1.0,
        error_interval: float = 10.0,
        max_message_bytes: int = 1 << 20,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.settings = settings
        self.name = "journald" if settings.directory is None else f"journald:{settings.directory}"
        self.stats = SourceStats()
        self.cursors = cursors
        self.inventory = inventory
        self.hostname = hostname or socket.gethostname()
        self.timeout = timeout
        self.idle_interval = idle_interval
        self.error_interval = error_interval
        self.max_message_bytes = max_message_bytes
        self.clock = clock
        self._position = cursors.get(self.name)
        """The cursor of the last entry handed out: ahead of the committed one until the batch commits."""
        self._positioned = self._position is not None
        self._next_run = 0.0

    def close(self) -> None:
        """Nothing to release: no journalctl outlives a poll."""

    def poll(self, max_events: int) -> Batch | None:
        if self.clock() < self._next_run:
            return None
        self._next_run = self.clock() + self.idle_interval
        if not self._positioned:
            if self.settings.start_at == "end":
                self._positioned = self._seek_end()
                if not self._positioned:
                    self._next_run = self.clock() + self.error_interval
                return None
            self._positioned = True
        entries = self._read(max_events)
        if entries is None:
            self._next_run = self.clock() + self.error_interval
            return None
        lost = False
        if self._position is not None:
            if entries and entries[0].get("__CURSOR") == self._position:
                entries = entries[1:]
            else:  # the entry under our cursor is gone: start over from the oldest
                lost = True
                self.stats.error(f"cursor {self._position} is no longer in the journal; read again from the oldest")
                log.warning("%s: %s", self.name, self.stats.last_error)
                self._position = None
                entries = self._read(max_events) or []
        more = len(entries) >= max_events
        if more:
            self._next_run = 0.0
        return self._batch(entries[:max_events], lost, more)

    def _seek_end(self) -> bool:
        """Take the newest entry (of the configured units) as read, without reading anything; False when
        journalctl failed, so the next poll tries again instead of starting at the oldest entry."""
        newest = self._run(["-n", "1"])
        if newest is None:
            return False
        if newest and newest[-1].get("__CURSOR"):
            self._position = str(newest[-1]["__CURSOR"])
            self.cursors.put(self.name, self._position)
        return True

    def _read(self, max_events: int) -> list[dict[str, Any]] | None:
        if self._position is None:
            return self._run(["--since", "@0", "-n", str(max_events)])
        return self._run(["--cursor", self._position, "-n", str(max_events + 1)])

    def _run(self, position: Sequence[str]) -> list[dict[str, Any]] | None:
        """journalctl's entries (None on failure, recorded in stats); a timeout keeps the complete lines."""
        argv = [self.settings.journalctl, "-o", "json", "--all", "--no-pager", "-q"]
        if self.settings.directory is not None:
            argv += ["-D", self.settings.directory]
        for unit in self.settings.units:
            argv += ["-u", unit]
        argv += position
        try:
            done = subprocess.run(argv, capture_output=True, timeout=self.timeout, check=False)
            out, code, err = done.stdout, done.returncode, done.stderr
        except FileNotFoundError:
            self.stats.error(
                f"journalctl not found ({self.settings.journalctl!r}): install systemd's journalctl "
                "or set agent.journald.journalctl to its path"
            )
            return None
        except OSError as exc:  # not executable, too many processes ...
            self.stats.error(f"cannot run {self.settings.journalctl!r}: {exc}")
            return None
        except subprocess.TimeoutExpired as exc:
            self.stats.error(f"journalctl did not finish within {self.timeout}s; keeping what it wrote")
            out, code, err = exc.stdout or b"", 0, b""
            out = out[: out.rfind(b"\n") + 1]
        if code != 0:
            message = err.decode(errors="replace").strip().splitlines()
            self.stats.error(f"{' '.join(argv)} exited with {code}: {message[-1] if message else 'no message'}")
            if b"cursor" in err and self._position is not None:  # not a cursor journalctl can parse
                return []
            return None
        entries: list[dict[str, Any]] = []
        for line in out.splitlines():
            try:
                entry = json.loads(line)
            except ValueError:
                self.stats.reject("malformed")
                continue
            if isinstance(entry, dict):
                entries.append(entry)
        return entries

    def _batch(self, entries: list[dict[str, Any]], lost: bool, more: bool) -> Batch | None:
        if not entries:
            return None
        now = dt.datetime.now(dt.UTC)
        events: list[LogEvent] = []
        for entry in entries:
            event, flags = entry_event(
                entry,
                hostname=self.hostname,
                inventory=self.inventory,
                received=now,
                max_message_bytes=self.max_message_bytes,
                flags=("cursor_lost",) if lost else (),
            )
            for flag in flags:
                self.stats.flag(flag)
            events.append(event)
        self.stats.add_read(len(events))
        self.stats.lag_seconds = max((now - events[-1].timestamp).total_seconds(), 0.0) if more else 0.0
        cursor = next((str(e["__CURSOR"]) for e in reversed(entries) if e.get("__CURSOR")), None)
        if cursor is None:
            return Batch(events)
        self._position = cursor

        def commit() -> None:
            self.cursors.put(self.name, cursor)

        return Batch(events, commit)
