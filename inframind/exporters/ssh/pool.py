"""Kept SSH connections: one per (host, port, credentials), shared by scrapes, closed when idle.

A scrape every 15-60 s would otherwise pay a TCP and SSH handshake (and an sshd auth log line) each
time. paramiko's Transport multiplexes channels and is thread-safe, so concurrent scrapes of one target
share it. A connection is checked before use (``is_active``) and retired when a command cannot open a
channel on it; a retired or idle one is closed once no scrape is using it. A daemon thread closes idle
connections even when no scrape comes; it stops with :meth:`Pool.close`.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass

import paramiko

log = logging.getLogger(__name__)
MAX_REAPER_WAIT = 60.0
PoolKey = tuple[str, int, Hashable]
"""(host, port, credentials): the credentials are part of the key, so two auths never share a session."""


@dataclass(eq=False)
class Lease:
    """One kept connection; ``users`` counts the scrapes using it right now."""

    client: paramiko.SSHClient
    idle_timeout: float
    last_used: float
    users: int = 0
    retired: bool = False


class Pool:
    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self._lock = threading.Lock()
        self._leases: dict[PoolKey, Lease] = {}
        self._connecting: dict[PoolKey, threading.Lock] = {}
        self._wake = threading.Condition(self._lock)
        self._closed = False
        self._reaper: threading.Thread | None = None

    def acquire(
        self, key: PoolKey, idle_timeout: float, connect: Callable[[], paramiko.SSHClient]
    ) -> tuple[Lease, bool]:
        """The kept connection for ``key`` (True: reused) or a new one from ``connect``; release it after."""
        with self._lock:
            lease = self._take(key)
            gate = self._connecting.setdefault(key, threading.Lock())
        if lease is not None:
            return lease, True
        with gate:  # one handshake per key at a time; the others then reuse its result
            with self._lock:
                lease = self._take(key)
            if lease is not None:
                return lease, True
            client = connect()
            with self._lock:
                lease = Lease(client, idle_timeout, self.clock(), users=1)
                if self._closed:
                    lease.retired = True
                else:
                    self._leases[key] = lease
                    self._start_reaper()
                    self._wake.notify()
            return lease, False

    def _take(self, key: PoolKey) -> Lease | None:
        """Under the lock: the live lease for ``key``, marked in use; a dead one is dropped."""
        lease = self._leases.get(key)
        if lease is None:
            return None
        transport = lease.client.get_transport()
        if transport is not None and transport.is_active():
            lease.users += 1
            lease.last_used = self.clock()
            return lease
        del self._leases[key]
        lease.retired = True  # its transport is already dead; the last user's release closes the client
        return None

    def release(self, lease: Lease) -> None:
        with self._lock:
            lease.users -= 1
            lease.last_used = self.clock()
            close = lease.retired and lease.users <= 0
        if close:
            lease.client.close()

    def retire(self, key: PoolKey, lease: Lease) -> None:
        """Stop handing out ``lease`` (a channel could not be opened); closed when its last user releases."""
        with self._lock:
            if self._leases.get(key) is lease:
                del self._leases[key]
            lease.retired = True

    def size(self) -> int:
        with self._lock:
            return len(self._leases)

    def _start_reaper(self) -> None:
        if self._reaper is None:
            self._reaper = threading.Thread(target=self._reap_loop, name="ssh-pool-reaper", daemon=True)
            self._reaper.start()

    def _reap_loop(self) -> None:
        while True:
            with self._lock:
                if self._closed:
                    return
                now, wait, expired = self.clock(), MAX_REAPER_WAIT, []
                for key, lease in list(self._leases.items()):
                    expires = lease.last_used + lease.idle_timeout
                    if lease.users == 0 and expires <= now:
                        del self._leases[key]
                        lease.retired = True
                        expired.append((key, lease))
                    else:
                        wait = min(wait, max(expires - now, 0.05))
                if not expired:
                    self._wake.wait(wait)
                    continue
            for key, lease in expired:  # closed outside the lock: a close may wait on the network
                log.debug(
                    "ssh: closing the connection kept for %s after %gs idle", f"{key[0]}:{key[1]}", lease.idle_timeout
                )
                lease.client.close()

    def close(self) -> None:
        """Close every kept connection (one in use when its scrape releases it) and stop the reaper."""
        with self._lock:
            self._closed = True
            leases = list(self._leases.values())
            self._leases.clear()
            idle = []
            for lease in leases:
                lease.retired = True
                if lease.users <= 0:
                    idle.append(lease)
            self._wake.notify_all()
            reaper = self._reaper
        for lease in idle:
            lease.client.close()
        if reaper is not None:
            reaper.join(5.0)
