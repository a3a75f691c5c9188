"""Host key policies: reject unknown hosts (the default), or pin a new host's key on first use.

Pinning appends one OpenSSH known_hosts line and replaces the file atomically (write a sibling, fsync,
rename), under a thread lock and an ``flock`` on a sidecar lock file, so concurrent probes (and other
exporter processes) never pin two keys for one host nor leave a half-written file. Existing lines,
comments and hashed entries are kept as they are. A host already pinned is never re-pinned: paramiko
compares its key with the pinned one and refuses a change before this module is consulted; a key pinned
by another thread meanwhile is checked again here under the lock.
"""

from __future__ import annotations

import fcntl
import logging
import os
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import paramiko

log = logging.getLogger(__name__)

_locks_guard = threading.Lock()
_locks: dict[str, threading.Lock] = {}


class UnknownHostKey(paramiko.SSHException):
    """The host is not in known_hosts and trust_on_first_use is off."""


class HostKeyChanged(paramiko.SSHException):
    """The host presented a key other than the one pinned for it."""


def fingerprint(key: paramiko.PKey) -> str:
    return f"{key.get_name()} {key.fingerprint}"


def load(path: Path) -> paramiko.HostKeys:
    """The keys in ``path``; a missing file is an empty set (every host is then unknown)."""
    keys = paramiko.HostKeys()
    if path.exists():
        keys.load(str(path))
    return keys


class RejectUnknown(paramiko.MissingHostKeyPolicy):
    def __init__(self, path: Path) -> None:
        self.path = path

    def missing_host_key(self, client: paramiko.SSHClient, hostname: str, key: paramiko.PKey) -> None:
        raise UnknownHostKey(
            f"host key of {hostname} ({fingerprint(key)}) is not in {self.path}: add it "
            f"(ssh-keyscan, checked out of band) or set trust_on_first_use: true in the auth"
        )


class PinOnFirstUse(paramiko.MissingHostKeyPolicy):
    def __init__(self, path: Path) -> None:
        self.path = path

    def missing_host_key(self, client: paramiko.SSHClient, hostname: str, key: paramiko.PKey) -> None:
        try:
            pin(self.path, hostname, key)
        except OSError as exc:
            raise UnknownHostKey(
                f"host key of {hostname} ({fingerprint(key)}) is new and cannot be pinned in {self.path}: {exc}"
            ) from None


def pin(path: Path, hostname: str, key: paramiko.PKey) -> bool:
    """Pin ``key`` for ``hostname`` unless a key is pinned already; True if this call wrote it.

    Raises HostKeyChanged when another key was pinned for the host in the meantime.
    """
    with _locked(path):
        pinned = load(path).lookup(hostname)
        if pinned:
            if pinned.get(key.get_name()) == key:
                return False
            raise HostKeyChanged(
                f"host key of {hostname} changed: it presented {fingerprint(key)}, {path} pins another; "
                "if the change is expected, remove the old line from known_hosts"
            )
        old = path.read_text(encoding="utf-8") if path.exists() else ""
        if old and not old.endswith("\n"):
            old += "\n"
        _write_atomic(path, f"{old}{hostname} {key.get_name()} {key.get_base64()}\n")
    log.warning("ssh: trusted %s on first use and pinned its key %s in %s", hostname, fingerprint(key), path)
    return True


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    with _locks_guard:
        lock = _locks.setdefault(str(path), threading.Lock())
    with lock, open(f"{path}.lock", "a", encoding="utf-8") as lock_file:
        fcntl.flock(lock_file, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock_file, fcntl.LOCK_UN)


def _write_atomic(path: Path, text: str) -> None:
    mode = path.stat().st_mode & 0o777 if path.exists() else 0o600
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)
