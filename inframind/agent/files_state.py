"""What a file source remembers about each file, and the checkpoint it persists (plain JSON).

A file is recognized by its **head**: the first ``HEAD_BYTES`` bytes (fewer while the file is shorter),
stored as a length and a SHA-256. Device and inode are kept as a hint (the first thing compared), never as
the identity: a copytruncate copy has a new inode and the same head, and a new file that reuses a freed
inode has another head. See :mod:`inframind.agent.files` for how the two are used together.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from typing import Any

HEAD_BYTES = 1024
CHECKPOINT_VERSION = 1


def head_sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@dataclass
class FileState:
    """The persisted part of one tracked file."""

    id: str
    """Random, given when the file is first seen and persisted before any event carries it: the first half
    of every ``record_id`` of the file, kept across renames and copies, so a re-read means the same ids."""
    origin: str
    """Where the file was first seen (the events' ``channel``: ``app.log``, not ``app.log.3``)."""
    path: str
    """Where it was last seen."""
    dev: int
    ino: int
    head_len: int
    head_sha: str
    offset: int
    """Committed: every line before it is durable downstream."""
    done: bool = False
    """Read to its end after it left the globs (rotated away, deleted): nothing more is expected."""
    seen: float = 0.0
    """Wall-clock time it was last seen, so long-gone files are forgotten."""

    def head_matches(self, head: bytes) -> bool:
        """Whether a file starting with ``head`` (its first bytes, up to HEAD_BYTES) is this file."""
        return len(head) >= self.head_len and head_sha(head[: self.head_len]) == self.head_sha


def encode_checkpoint(states: list[FileState]) -> str:
    return json.dumps({"v": CHECKPOINT_VERSION, "files": [asdict(s) for s in states]}, separators=(",", ":"))


def decode_checkpoint(text: str) -> list[FileState]:
    """The states in a checkpoint; ValueError (saying what is wrong) for one this version cannot read."""
    try:
        data: Any = json.loads(text)
    except ValueError as exc:
        raise ValueError(f"the file checkpoint is not JSON: {exc}") from None
    if not isinstance(data, dict) or data.get("v") != CHECKPOINT_VERSION or not isinstance(data.get("files"), list):
        raise ValueError(f"the file checkpoint is not version {CHECKPOINT_VERSION} ({str(data)[:80]})")
    states = []
    for item in data["files"]:
        try:
            states.append(
                FileState(
                    id=str(item["id"]),
                    origin=str(item["origin"]),
                    path=str(item["path"]),
                    dev=int(item["dev"]),
                    ino=int(item["ino"]),
                    head_len=int(item["head_len"]),
                    head_sha=str(item["head_sha"]),
                    offset=int(item["offset"]),
                    done=bool(item.get("done", False)),
                    seen=float(item.get("seen", 0.0)),
                )
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"a file checkpoint entry is incomplete ({exc}): {str(item)[:120]}") from None
    return states
