"""Writing generated files so that no reader ever sees half a file and no secret is ever world-readable."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

PRIVATE = 0o600
PUBLIC = 0o644


def write_atomic(path: Path, text: str, mode: int = PUBLIC) -> None:
    """Write ``text`` to a temporary file beside ``path`` with ``mode`` from the start, then rename it over.

    The mode is set before any byte is written (and again with fchmod, so an odd umask cannot widen or
    empty it): a file holding a bot token is never readable by others, not even for a moment.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)  # mkstemp creates it 0600
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
