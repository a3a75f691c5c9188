"""Which files a file source tracks, and what each one is: discovery by globs, identity by head, rotation.

The rules are in :mod:`inframind.agent.files`; this is their bookkeeping. Every change a restart must
know (a new file and its id, a rotation) is saved at once through the ``save`` callback.
"""

from __future__ import annotations

import logging
import os
import secrets
from collections.abc import Callable

from inframind.agent.files_find import find_in_dir, glob_paths, last_line_end, open_regular, read_head
from inframind.agent.files_lines import Joiner, Line
from inframind.agent.files_reader import TailedFile
from inframind.agent.files_state import HEAD_BYTES, FileState, head_sha
from inframind.agent.source import SourceStats
from inframind.config.agent import FileSource

log = logging.getLogger(__name__)


class FileCatalog:
    def __init__(
        self,
        source: str,
        settings: FileSource,
        states: list[FileState] | None,
        save: Callable[[], None],
        stats: SourceStats,
        *,
        wall: Callable[[], float],
        forget_after: float,
        defer_limit: float,
    ) -> None:
        self.source = source
        self.settings = settings
        self.stats = stats
        self._save = save
        self._wall = wall
        self._forget_after, self._defer_limit = forget_after, defer_limit
        self._first_run = states is None
        """No checkpoint: the files already there start at ``start_at``."""
        self._first_scan = True
        self._deferred: dict[tuple[int, int], float] = {}
        self.files: dict[str, TailedFile] = {s.id: TailedFile(s, b"", self.joiner()) for s in states or []}

    def joiner(self) -> Joiner | None:
        multi = self.settings.multiline
        if multi is None:
            return None
        return Joiner(multi.start_pattern.compiled, multi.max_lines, self.settings.max_line_bytes)

    def states(self) -> list[FileState]:
        return [f.state for f in self.files.values()]

    # ------------------------------------------------------------ rotation

    def truncated(self, f: TailedFile) -> list[Line]:
        """``f`` shrank or was rewritten: continue it in its copy if there is one; its inode is a new file."""
        fd, path, behind = f.fd, f.state.path, f.lag.behind()
        f.fd = None
        copy = self._find_copy(f) if f.state.head_len >= HEAD_BYTES else None
        lines: list[Line] = []
        if copy is not None:
            copy_fd, copy_path = copy
            f.attach(copy_fd, copy_path)
            f.in_glob = False  # the next rescan says whether the copy is in the globs
            log.info("%s: %s was copied and truncated; reading on in %s", self.source, path, copy_path)
        else:
            lines = f.rest(self.settings.max_line_bytes)  # fd is gone: only what was read before
            f.state.done, f.idle_since = True, None
            if behind:
                message = f"{path} was truncated before it was read to its end and no copy was found"
                log.warning("%s: %s: lines written just before may be lost", self.source, message)
                self.stats.error(message)
        if fd is not None:
            self._register(fd, path, 0)
        self._save()
        return lines

    def _find_copy(self, f: TailedFile) -> tuple[int, str] | None:
        tracked = {t.key for t in self.files.values()}

        def accept(_path: str, st: os.stat_result) -> bool:
            return st.st_size >= f.offset

        for path, _st in find_in_dir(os.path.dirname(f.state.path) or ".", accept, tracked):
            opened = self._open_if(f.state, path)
            if opened is not None:
                return opened, path
        return None

    def _open_if(self, state: FileState, path: str) -> int | None:
        """A descriptor on ``path`` when it is the file of ``state`` (its head matches), else None."""
        opened = open_regular(path)
        if opened is None:
            return None
        fd, _st = opened
        if state.head_len > 0 and not state.head_matches(read_head(fd)):
            os.close(fd)
            return None
        return fd

    # ------------------------------------------------------------ discovery

    def rescan(self, now: float) -> None:
        by_key = {f.key: f for f in self.files.values()}
        in_glob: set[str] = set()
        candidates: list[tuple[str, int, os.stat_result]] = []
        for path in glob_paths(self.settings.paths, self.settings.exclude):
            try:
                st = os.stat(path)
            except OSError:
                continue
            f = by_key.get((st.st_dev, st.st_ino))
            if f is not None and (f.fd is not None or (st.st_size == f.state.offset and f.state.head_len > 0)):
                f.state.path = path  # being read, or closed and unchanged: still ours
                in_glob.add(f.id)
                continue
            opened = open_regular(path)
            if opened is None:
                continue
            fd, st = opened
            if f is not None and self._reattach(f, fd, path):
                in_glob.add(f.id)
                continue
            candidates.append((path, fd, st))
        for path, fd, st in candidates:
            self._discovered(path, fd, st, now, in_glob)
        self._deferred = {key: t for key, t in self._deferred.items() if now - t < 2 * self._defer_limit}
        wall = self._wall()
        for f in list(self.files.values()):
            f.in_glob = f.id in in_glob
            if f.in_glob:
                if wall - f.state.seen > 60:
                    f.state.seen = wall
            elif f.fd is None and not f.state.done:
                self._find_left(f)
            elif f.fd is None and wall - f.state.seen > self._forget_after:
                del self.files[f.id]
        self._first_scan = False
        self._save()

    def _reattach(self, f: TailedFile, fd: int, path: str) -> bool:
        """A closed file seen again by inode, changed: reopen it if it is still the same file."""
        head = read_head(fd)
        if f.state.head_len > 0 and not f.state.head_matches(head):
            return False  # its inode now holds another file; the old one is looked for by head
        f.head, f.state.done = head[: f.state.head_len], False
        f.attach(fd, path)
        return True

    def _discovered(self, path: str, fd: int, st: os.stat_result, now: float, in_glob: set[str]) -> None:
        head = read_head(fd)
        owners = [f for f in self.files.values() if f.state.head_len >= HEAD_BYTES and f.state.head_matches(head)]
        if any(f.fd is not None for f in owners):  # a copy of a file being read: its truncation will claim it
            first = self._deferred.setdefault((st.st_dev, st.st_ino), now)
            if now - first < self._defer_limit:
                os.close(fd)
                return
        closed = [f for f in owners if f.fd is None]
        if closed:
            owner = max(closed, key=lambda f: f.state.offset <= st.st_size)
            owner.head, owner.state.done = head[: owner.state.head_len], False
            owner.attach(fd, path)
            in_glob.add(owner.id)
            if owner.size > owner.offset:
                log.info("%s: %s is now %s; reading on there", self.source, owner.state.origin, path)
            return
        start = 0
        if self._first_run and self._first_scan and self.settings.start_at == "end":
            start = last_line_end(fd, st.st_size)
        in_glob.add(self._register(fd, path, start, head).id)

    def _find_left(self, f: TailedFile) -> None:
        """After a restart: the file of a checkpoint entry left the globs; look for it in its directory."""
        skip = {t.key for t in self.files.values() if t is not f}

        def accept(_path: str, st: os.stat_result) -> bool:
            same_inode = (st.st_dev, st.st_ino) == f.key
            return (same_inode or f.state.head_len >= HEAD_BYTES) and st.st_size >= f.state.offset

        for path, _st in find_in_dir(os.path.dirname(f.state.path) or ".", accept, skip):
            fd = self._open_if(f.state, path)
            if fd is not None:
                f.head = read_head(fd)[: f.state.head_len]
                f.attach(fd, path)
                if f.size > f.offset:
                    log.info("%s: %s is now %s; reading it to its end", self.source, f.state.origin, path)
                return
        f.state.done = True

    def _register(self, fd: int, path: str, start: int, head: bytes | None = None) -> TailedFile:
        """Track a new file; its id is persisted (by the caller's save) before any event carries it."""
        head = read_head(fd) if head is None else head
        state = FileState(secrets.token_hex(6), path, path, 0, 0, len(head), head_sha(head), start, seen=self._wall())
        f = TailedFile(state, head, self.joiner())
        f.attach(fd, path)
        self.files[state.id] = f
        self._save()
        return f
