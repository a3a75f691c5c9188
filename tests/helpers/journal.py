"""Real journal files for tests: entries in journal export format, written by systemd-journal-remote.

There is no systemd as PID 1 here, so no journald: ``systemd-journal-remote --output=DIR/x.journal -``
turns export-format input into a journal file that ``journalctl -D DIR`` reads like any other (appending
when the file exists). Values that are bytes (or contain a newline) use the format's binary encoding:
``NAME\\n`` + 64-bit little-endian length + data + ``\\n``.
"""

from __future__ import annotations

import struct
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path

import pytest

JOURNAL_REMOTE = Path("/lib/systemd/systemd-journal-remote")
BOOT_ID = "0123456789abcdef0123456789abcdef"
BASE_US = 1_795_000_000_000_000
"""A fixed realtime base (2026-11-18), so the tests' timestamps are exact and reproducible."""

Entry = Mapping[str, str | bytes]


def export_format(entries: Sequence[Entry]) -> bytes:
    out = bytearray()
    for entry in entries:
        for name, value in entry.items():
            data = value if isinstance(value, bytes) else value.encode("utf-8")
            if isinstance(value, bytes) or b"\n" in data:
                out += name.encode() + b"\n" + struct.pack("<Q", len(data)) + data + b"\n"
            else:
                out += name.encode() + b"=" + data + b"\n"
        out += b"\n"
    return bytes(out)


def entry(n: int, message: str | bytes, **fields: str | bytes) -> dict[str, str | bytes]:
    """The n-th entry of a test journal: realtime ``BASE_US + n`` seconds, monotonic n, one boot."""
    return {
        "__REALTIME_TIMESTAMP": str(BASE_US + n * 1_000_000),
        "__MONOTONIC_TIMESTAMP": str(n + 1),
        "_BOOT_ID": BOOT_ID,
        "_HOSTNAME": "db-01",
        "PRIORITY": "6",
        "SYSLOG_IDENTIFIER": "postgres",
        "_SYSTEMD_UNIT": "postgresql.service",
        "MESSAGE": message,
        **fields,
    }


def write_journal(path: Path, entries: Sequence[Entry]) -> None:
    """Write (or append) ``entries`` to the journal file ``path`` with systemd-journal-remote."""
    if not JOURNAL_REMOTE.exists():
        pytest.fail(f"{JOURNAL_REMOTE} not found: install the Debian package `systemd-journal-remote`")
    path.parent.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(
        [str(JOURNAL_REMOTE), f"--output={path}", "-"],
        input=export_format(entries),
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, f"systemd-journal-remote failed: {done.stderr.decode(errors='replace')}"


def fake_journalctl(path: Path, lines: Sequence[str], partial: str = "", sleep: float = 0.0) -> Path:
    """An executable standing in for journalctl that prints ``lines`` and a ``partial`` line without its
    newline, then sleeps (as itself, so a kill stops it): for what a real journal cannot be made to show on
    demand (a hang mid-entry, garbage)."""
    body = "".join(f"printf '%s\\n' {_shell_quote(line)}\n" for line in lines)
    body += f"printf '%s' {_shell_quote(partial)}\n" if partial else ""
    path.write_text(f"#!/bin/sh\n{body}exec sleep {sleep}\n")
    path.chmod(0o755)
    return path


def _shell_quote(text: str) -> str:
    return "'" + text.replace("'", "'\\''") + "'"
