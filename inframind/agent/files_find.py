"""Finding files for the file source: glob evaluation with excludes, heads, and the rotated copy of a file.

Small IO helpers; every decision about what a found file *is* stays in :mod:`inframind.agent.files`.
"""

from __future__ import annotations

import fnmatch
import glob
import os
import stat
from collections.abc import Callable, Iterable
from pathlib import Path

from inframind.agent.files_state import HEAD_BYTES

COMPRESSED = (".gz", ".bz2", ".xz", ".zst", ".lz4", ".zip", ".Z")
"""Rotated files compressed by logrotate are never tailed (their bytes are not lines)."""


def glob_paths(patterns: Iterable[str], exclude: Iterable[str]) -> list[str]:
    """Regular-file paths matching any pattern (``**`` recurses), minus excluded ones (a pattern is matched
    against the whole path and the base name) and compressed ones, sorted and without repeats."""
    excludes = tuple(exclude)
    found: set[str] = set()
    for pattern in patterns:
        for path in glob.glob(pattern, recursive="**" in pattern):
            if path in found or path.endswith(COMPRESSED):
                continue
            name = os.path.basename(path)
            if any(fnmatch.fnmatchcase(path, ex) or fnmatch.fnmatchcase(name, ex) for ex in excludes):
                continue
            found.add(path)
    return sorted(found)


def open_regular(path: str) -> tuple[int, os.stat_result] | None:
    """A read-only descriptor on ``path`` and its stat, or None (gone, unreadable, not a regular file)."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
    except OSError:
        return None
    st = os.fstat(fd)
    if not stat.S_ISREG(st.st_mode):
        os.close(fd)
        return None
    return fd, st


def read_head(fd: int) -> bytes:
    return os.pread(fd, HEAD_BYTES, 0)


def last_line_end(fd: int, size: int, window: int = 65536) -> int:
    """The offset after the last newline (where to start "at the end" without cutting a line in two)."""
    start = max(size - window, 0)
    tail = os.pread(fd, size - start, start)
    newline = tail.rfind(b"\n")
    if newline < 0:
        return 0 if start == 0 else size
    return start + newline + 1


def find_in_dir(
    directory: str, accept: Callable[[str, os.stat_result], bool], skip: set[tuple[int, int]]
) -> list[tuple[str, os.stat_result]]:
    """Regular files of ``directory`` (not compressed, not in ``skip`` by device and inode) that ``accept``
    takes, most recently modified first."""
    try:
        names = os.listdir(directory)
    except OSError:
        return []
    found = []
    for name in names:
        if name.endswith(COMPRESSED):
            continue
        path = str(Path(directory) / name)
        try:
            st = os.stat(path)
        except OSError:
            continue
        if stat.S_ISREG(st.st_mode) and (st.st_dev, st.st_ino) not in skip and accept(path, st):
            found.append((path, st))
    return sorted(found, key=lambda item: item[1].st_mtime_ns, reverse=True)
