"""The ``snmp`` prober: one asyncio event loop thread and its SNMP engines, shared by every probe.

Request threads (the /probe worker pools) never touch pysnmp: each probe resolves its secrets, submits one
coroutine to the loop with :func:`asyncio.run_coroutine_threadsafe` and waits for it within its deadline;
on timeout the coroutine is cancelled on the loop. Engines live and are used on that thread only, so their
(non-thread-safe) tables need no locks, and one UDP socket per engine serves every target concurrently.
The answered var-binds are mapped to families back on the request thread, keeping the loop free for IO.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import threading
import time
from collections.abc import Hashable
from dataclasses import dataclass, field

from prometheus_client.core import Metric
from pysnmp.hlapi.v3arch.asyncio import SnmpEngine

from inframind.config import ExporterConfig
from inframind.exporters.probe.base import ProbeError
from inframind.exporters.probe.tcp import split_target
from inframind.exporters.snmp.credentials import Credentials
from inframind.exporters.snmp.mapping import Mapper, scrape_families
from inframind.exporters.snmp.oids import OidTuple
from inframind.exporters.snmp.plan import Plan, make_plan
from inframind.exporters.snmp.session import collect
from inframind.exporters.snmp.settings import DEFAULT_COMMUNITY, Auth, Settings
from inframind.exporters.snmp.values import Value
from inframind.secrets import SecretError

log = logging.getLogger(__name__)

IDLE_ENGINES = 32
"""v3 engines kept for credential sets not in use (a rotated password leaves its old engine idle)."""


def resolve(auth: Auth | None) -> Credentials:
    """Read the auth's secrets now (a rotated secret applies to the next probe); no auth is v2c ``public``."""
    if auth is None:
        return Credentials("2c", community=DEFAULT_COMMUNITY)
    try:
        return Credentials(
            auth.snmp_version,
            community=auth.community.resolve() if auth.community else "",
            username=auth.username,
            security_level=auth.security_level,
            auth_protocol=auth.auth_protocol,
            auth_key=auth.auth_password.resolve() if auth.auth_password else None,
            priv_protocol=auth.priv_protocol,
            priv_key=auth.priv_password.resolve() if auth.priv_password else None,
            context_name=auth.context_name,
            retries=auth.retries,
            max_repetitions=auth.max_repetitions,
        )
    except SecretError as exc:
        raise ProbeError("auth", str(exc)) from None


@dataclass
class _Slot:
    engine: SnmpEngine
    in_use: int = 0
    last_used: float = field(default_factory=time.monotonic)


class Engines:
    """SNMP engines by credential set (see :attr:`Credentials.engine_key`); touched on the loop thread only."""

    def __init__(self) -> None:
        self._slots: dict[Hashable, _Slot] = {}

    def acquire(self, key: Hashable) -> SnmpEngine:
        slot = self._slots.get(key)
        created = slot is None
        if slot is None:
            slot = self._slots[key] = _Slot(SnmpEngine())
        slot.in_use += 1
        slot.last_used = time.monotonic()
        if created:
            self._prune()  # after marking the new engine in use, so it is never the one pruned
        return slot.engine

    def release(self, key: Hashable) -> None:
        self._slots[key].in_use -= 1

    def _prune(self) -> None:
        idle = sorted((s.last_used, k) for k, s in self._slots.items() if s.in_use == 0 and k != ())
        for _, key in idle[: max(0, len(idle) - IDLE_ENGINES)]:
            self._slots.pop(key).engine.close_dispatcher()

    def close(self) -> None:
        for slot in self._slots.values():
            slot.engine.close_dispatcher()
        self._slots.clear()


class SnmpProber:
    """Thread-safe: ``probe()`` is called from many request threads at once."""

    def __init__(self) -> None:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="snmp-io", daemon=True)
        self._thread.start()
        self._engines = Engines()
        self._compiled: dict[int, tuple[Settings, Plan, Mapper]] = {}
        self._lock = threading.Lock()
        self._closed = False

    def prepared(self, settings: Settings) -> tuple[Plan, Mapper]:
        """The module's request plan and mapper, built on its first probe (modules live for the process)."""
        with self._lock:
            entry = self._compiled.get(id(settings))
            if entry is None or entry[0] is not settings:
                entry = self._compiled[id(settings)] = (settings, make_plan(settings), Mapper(settings))
            return entry[1], entry[2]

    def probe(self, target: str, settings: Settings, auth: Auth | None, timeout: float) -> list[Metric]:
        if self._closed:
            raise ProbeError("internal", "the snmp prober is closed")
        host, port = split_target(target, auth.port if auth else 161)
        credentials = resolve(auth)
        plan, mapper = self.prepared(settings)
        start = time.monotonic()
        future = asyncio.run_coroutine_threadsafe(self._collect(host, port, credentials, plan, timeout), self._loop)
        try:
            pdus = future.result(timeout + 0.5)  # the coroutine enforces the deadline itself; this is a backstop
        except concurrent.futures.TimeoutError:
            future.cancel()
            raise ProbeError("timeout", f"{target} did not answer within {timeout:.1f}s") from None
        walked = time.monotonic() - start
        return [*mapper.families(pdus), *scrape_families(walked, len(pdus))]

    async def _collect(
        self, host: str, port: int, credentials: Credentials, plan: Plan, timeout: float
    ) -> dict[OidTuple, Value]:
        key = credentials.engine_key
        engine = self._engines.acquire(key)
        try:
            return await collect(engine, host, port, credentials, plan, deadline=timeout)
        finally:
            self._engines.release(key)

    def close(self) -> None:
        """Cancel what is in flight, close the engines' sockets, stop the loop thread."""
        if self._closed:
            return
        self._closed = True

        async def shutdown() -> None:
            current = asyncio.current_task()
            tasks = [t for t in asyncio.all_tasks() if t is not current]
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            self._engines.close()

        try:
            asyncio.run_coroutine_threadsafe(shutdown(), self._loop).result(5)
        except (concurrent.futures.TimeoutError, RuntimeError) as exc:
            log.warning("snmp prober did not shut down cleanly: %s", exc)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)
        if not self._thread.is_alive():
            self._loop.close()


def create(config: ExporterConfig) -> SnmpProber:
    return SnmpProber()
