"""The SNMP trap receiver: pysnmp's notification receiver on an asyncio loop in a background thread.

pysnmp checks communities (v1/v2c) and USM users (v3: digests, decryption, engine ids, time windows),
answers informs, and silently drops what fails; its own MIB counters say how many it dropped, and
``collect`` exposes them by reason next to the traps received. Every accepted trap is mapped by
:mod:`inframind.agent.trapmap` and handed to the sink on the receiver thread: as a PushSource, ``start(emit)``
makes the sink the pipeline's ``emit`` (the trap is in the disk buffer when it returns).

The UDP socket is bound in the caller's thread before the loop starts, so a taken or privileged port
fails ``start()`` with a message a person can act on instead of an error lost inside the loop.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import errno
import logging
import socket
import threading
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from prometheus_client.core import CounterMetricFamily, Metric
from pysnmp.carrier.asyncio.dgram import udp, udp6  # type: ignore[import-untyped, unused-ignore]
from pysnmp.carrier.asyncio.dispatch import AsyncioDispatcher  # type: ignore[import-untyped, unused-ignore]
from pysnmp.entity import config as snmp_config  # type: ignore[import-untyped, unused-ignore]
from pysnmp.entity.engine import SnmpEngine  # type: ignore[import-untyped, unused-ignore]
from pysnmp.entity.rfc3413 import ntfrcv  # type: ignore[import-untyped, unused-ignore]
from pysnmp.proto import rfc1902  # type: ignore[import-untyped, unused-ignore]

from inframind.agent.source import Emit, SourceStats
from inframind.agent.trapauth import ResolvedUser, add_credentials, resolve_communities
from inframind.agent.trapmap import (
    TRAP_LABELS,
    VERSIONS,
    MalformedTrap,
    Trap,
    Version,
    render_varbinds,
    sender_host,
    trap_label,
)
from inframind.agent.trapmap import to_event as map_trap
from inframind.config import TrapSettings, parse_engine_id
from inframind.events import Level, LogEvent
from inframind.inventory import Inventory
from inframind.schema import HostPort

log = logging.getLogger(__name__)

Sink = Callable[[LogEvent], None]
Clock = Callable[[], dt.datetime]

MESSAGE_MODELS: Mapping[int, Version] = {0: "v1", 1: "v2c", 3: "v3"}

PYSNMP_DROPS: tuple[tuple[str, str, str], ...] = (
    ("bad_community", "__SNMPv2-MIB", "snmpInBadCommunityNames"),
    ("parse_error", "__SNMPv2-MIB", "snmpInASNParseErrs"),
    ("bad_version", "__SNMPv2-MIB", "snmpInBadVersions"),
    ("unknown_user", "__SNMP-USER-BASED-SM-MIB", "usmStatsUnknownUserNames"),
    ("wrong_digest", "__SNMP-USER-BASED-SM-MIB", "usmStatsWrongDigests"),
    ("decryption_error", "__SNMP-USER-BASED-SM-MIB", "usmStatsDecryptionErrors"),
    ("not_in_time_window", "__SNMP-USER-BASED-SM-MIB", "usmStatsNotInTimeWindows"),
    ("unsupported_security_level", "__SNMP-USER-BASED-SM-MIB", "usmStatsUnsupportedSecLevels"),
)
"""Drop reasons pysnmp counts (RFC 3418 / RFC 3414 counters). usmStatsUnknownEngineIDs is left out on
purpose: every inform sender's engine-id discovery probe raises it, so it counts handshakes, not drops;
a v3 trap from an unconfigured engine id shows up as unknown_user."""
OWN_DROPS = ("malformed", "sink_error")
DROP_REASONS: tuple[str, ...] = (*(reason for reason, _, _ in PYSNMP_DROPS), *OWN_DROPS)


RECEIVE_BUFFER = 4 << 20


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def bind_udp(listen: HostPort, setting: str = "agent.traps.listen") -> socket.socket:
    """A UDP socket bound to ``listen``; errors name the setting and, for ports below 1024, the capability."""
    family = socket.AF_INET6 if ":" in listen.host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_DGRAM)
    # A link flap on a big switch sends hundreds of traps at once; the kernel caps this at net.core.rmem_max.
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, RECEIVE_BUFFER)
    try:
        sock.bind((listen.host, listen.port))
    except OSError as exc:
        sock.close()
        if exc.errno in (errno.EACCES, errno.EPERM) and listen.port < 1024:
            raise PermissionError(
                exc.errno,
                f"cannot receive SNMP traps on {listen} ({setting}): ports below 1024 need root or the "
                "CAP_NET_BIND_SERVICE capability (systemd: AmbientCapabilities=CAP_NET_BIND_SERVICE); "
                "or listen on a port of 1024 or more and point devices (or a port redirect) at it",
            ) from None
        raise OSError(exc.errno, f"cannot receive SNMP traps on {listen} ({setting}): {exc.strerror}") from None
    return sock


class TrapReceiver:
    """Receives SNMPv1/v2c/v3 traps and informs on ``settings.listen`` and hands LogEvents to ``sink`` (or,
    as the agent's PushSource, to the ``emit`` given to ``start``).

    Secrets are resolved in the constructor (a SecretError names the reference), the socket is bound in
    ``start()``. ``collect()`` makes the receiver a Prometheus collector of its own counters.
    """

    name = "snmp_traps"

    def __init__(
        self,
        settings: TrapSettings,
        sink: Sink | None = None,
        *,
        inventory: Inventory | None = None,
        levels: Mapping[str, Level] | None = None,
        env: Mapping[str, str] | None = None,
        clock: Clock = utc_now,
        engine_id: bytes | None = None,
    ) -> None:
        self.listen = settings.listen
        self.sink = sink
        self.stats = SourceStats()
        self.inventory = inventory
        self.levels = dict(settings.levels if levels is None else levels)
        self.clock = clock
        # ours, which informs are localized to; None: pysnmp makes one per start
        if engine_id is None and settings.engine_id:
            engine_id = parse_engine_id(settings.engine_id)
        self.engine_id = engine_id
        self._communities = resolve_communities(settings, env)
        self._users = [ResolvedUser.resolve(user, env) for user in settings.users]
        self._lock = threading.Lock()
        self._received = {(v, t): 0 for v in VERSIONS for t in TRAP_LABELS}
        self._dropped = dict.fromkeys(OWN_DROPS, 0)
        self._mib_counters: list[tuple[str, Any]] = []
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._engine: Any = None
        self._address: tuple[str, int] | None = None

    # ------------------------------------------------------------ lifecycle

    def start(self, emit: Emit | None = None, timeout: float = 30.0) -> None:
        if emit is not None:
            self.sink = lambda event: emit([event])
        if self.sink is None:
            raise RuntimeError("the trap receiver needs a sink or an emit to hand traps to")
        if not self._communities and not self._users:
            log.warning("agent.traps has no communities and no users: every trap will be dropped")
        sock = bind_udp(self.listen)
        self._address = sock.getsockname()[:2]
        loop = asyncio.new_event_loop()
        thread = threading.Thread(target=self._run_loop, args=(loop,), name="snmp-traps", daemon=True)
        thread.start()
        self._loop, self._thread = loop, thread
        try:
            asyncio.run_coroutine_threadsafe(self._open(sock), loop).result(timeout)
        except BaseException:
            sock.close()
            self.close()
            raise
        log.info("receiving SNMP traps on udp %s:%d", *self.address)

    @property
    def address(self) -> tuple[str, int]:
        """The bound (host, port), useful with port 0."""
        if self._address is None:
            raise RuntimeError("trap receiver not started")
        return self._address

    def alive(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def close(self, timeout: float = 10.0) -> None:
        loop, thread = self._loop, self._thread
        if loop is None or thread is None:
            return
        if thread.is_alive():
            asyncio.run_coroutine_threadsafe(self._shutdown(), loop)
            thread.join(timeout)
        self._loop = self._thread = None

    @staticmethod
    def _run_loop(loop: asyncio.AbstractEventLoop) -> None:
        asyncio.set_event_loop(loop)
        try:
            loop.run_forever()
        finally:
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()

    async def _open(self, sock: socket.socket) -> None:
        """Build the engine on the loop's own thread: pysnmp's transports attach to the running loop."""
        loop = asyncio.get_running_loop()
        engine = SnmpEngine(rfc1902.OctetString(self.engine_id) if self.engine_id else None)
        engine.register_transport_dispatcher(AsyncioDispatcher(loop=loop))
        v6 = sock.family == socket.AF_INET6
        transport = (udp6.Udp6AsyncioTransport if v6 else udp.UdpAsyncioTransport)(loop=loop)
        domain = udp6.SNMP_UDP6_DOMAIN if v6 else udp.SNMP_UDP_DOMAIN
        snmp_config.add_transport(engine, domain, transport.open_server_mode(sock=sock))
        add_credentials(engine, self._communities, self._users)
        ntfrcv.NotificationReceiver(engine, self._on_notification)
        mib = engine.get_mib_builder()
        self._mib_counters = [(reason, mib.import_symbols(module, name)[0]) for reason, module, name in PYSNMP_DROPS]
        self._engine = engine

    async def _shutdown(self) -> None:
        if self._engine is not None:
            self._engine.close_dispatcher()  # closes the transport and its socket
        await asyncio.sleep(0)  # let the cancelled timer task finish before the loop stops
        asyncio.get_running_loop().stop()

    # ------------------------------------------------------------ receiving

    def _on_notification(
        self, engine: Any, _state: Any, _context_engine: Any, _context: Any, varbinds: Any, _ctx: Any
    ) -> None:
        received = self.clock()
        sender = "<unknown>"
        try:
            request = engine.observer.get_execution_context("rfc3412.receiveMessage:request")
            version = MESSAGE_MODELS.get(int(request["messageProcessingModel"]), "v3")
            sender = sender_host(str(request["transportAddress"][0]))
            self.deliver(Trap(version, sender, received, render_varbinds(varbinds)))
        except Exception:  # pysnmp must keep receiving whatever one trap does; deliver counts it
            log.exception("cannot handle a trap from %s", sender)

    def deliver(self, trap: Trap) -> None:
        """Map one accepted trap and hand it to the sink, counting it (or why it went nowhere)."""
        asset = self.inventory.by_address(trap.sender) if self.inventory else None
        try:
            event = map_trap(trap, asset, self.levels)
        except MalformedTrap as exc:
            log.debug("dropped: %s", exc)
            self._count_drop("malformed")
            self.stats.reject("malformed")
            return
        with self._lock:
            self._received[(trap.version, trap_label(event.event_id or ""))] += 1
        try:
            if self.sink is None:
                raise RuntimeError("trap receiver not started")
            self.sink(event)
        except Exception as exc:
            self._count_drop("sink_error")
            self.stats.error(f"cannot store a trap: {exc}")
            raise
        self.stats.add_read()

    def _count_drop(self, reason: str) -> None:
        with self._lock:
            self._dropped[reason] += 1

    # ------------------------------------------------------------ metrics

    def collect(self) -> Iterator[Metric]:
        with self._lock:
            received = dict(self._received)
            dropped = dict(self._dropped)
        for reason, counter in self._mib_counters:
            dropped[reason] = int(counter.syntax)
        received_family = CounterMetricFamily(
            "inframind_snmp_traps_received",
            "SNMP traps and informs accepted, by SNMP version and trap (a generic trap's name, else other).",
            labels=["version", "trap"],
        )
        for (version, trap), value in received.items():
            received_family.add_metric([version, trap], value)
        yield received_family
        dropped_family = CounterMetricFamily(
            "inframind_snmp_traps_dropped",
            "SNMP traps dropped, by reason: bad_community, unknown_user, wrong_digest, decryption_error ... "
            "as counted by pysnmp (not_in_time_window also counts the time sync of an inform sender that "
            "knows our engine id); malformed (no snmpTrapOID.0) and sink_error by the agent.",
            labels=["reason"],
        )
        for reason in DROP_REASONS:
            dropped_family.add_metric([reason], dropped.get(reason, 0))
        yield dropped_family
