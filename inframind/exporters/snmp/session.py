"""The network edge: one probe's SNMP requests with pysnmp 7 asyncio, run on the prober's event loop thread.

Everything here runs on that one thread (pysnmp engines are not thread-safe). Requests go through pysnmp's
command generators with numeric var-binds: the hlapi wrappers would resolve every request's OID against
MIBs we do not load and reconfigure the target per request, about a tenth of a probe's CPU for nothing.
Answers come back as plain values (:func:`~inframind.exporters.snmp.credentials.plain`), and what pysnmp
reports becomes a :class:`ProbeError` reason:

- no answer: ``timeout`` (agents silently drop a wrong v1/v2c community, and net-snmp what it cannot decrypt);
- USM reports (unknown user, wrong digest, ...) and access errors: ``auth``;
- a malformed or out-of-order answer, or an error status: ``protocol``;
- a name that does not resolve: ``unreachable``.
"""

from __future__ import annotations

import asyncio
import functools
import socket
from collections.abc import Awaitable, Callable
from typing import Any

from pyasn1.type import univ
from pysnmp.entity.rfc3413 import cmdgen
from pysnmp.error import PySnmpError
from pysnmp.hlapi.v3arch.asyncio import SnmpEngine, UdpTransportTarget
from pysnmp.hlapi.v3arch.asyncio.lcd import CommandGeneratorLcdConfigurator
from pysnmp.hlapi.v3arch.asyncio.transport import Udp6TransportTarget
from pysnmp.proto import errind, rfc1902, rfc1905

from inframind.exporters.probe.base import ProbeError
from inframind.exporters.snmp.credentials import Credentials, plain
from inframind.exporters.snmp.oids import OidTuple, format_oid
from inframind.exporters.snmp.plan import BulkSizer, Plan
from inframind.exporters.snmp.values import Value

AUTH_ERRORS = (
    errind.UnknownUserName,
    errind.WrongDigest,
    errind.DecryptionError,
    errind.AuthenticationFailure,
    errind.AuthenticationError,
    errind.UnknownSecurityName,
    errind.UnsupportedSecurityLevel,
    errind.UnknownCommunityName,
    errind.NoAccessEntry,
    errind.NotInView,
    errind.NoSuchView,
    errind.NoSuchContext,
    errind.NoGroupName,
)
NO_SUCH_NAME, NO_ACCESS, AUTHORIZATION_ERROR = 2, 6, 16
TARGETS = CommandGeneratorLcdConfigurator()
"""Adds transports, communities, USM users and target addresses to an engine once, then reuses them."""
GET, NEXT, BULK = cmdgen.GetCommandGenerator(), cmdgen.NextCommandGenerator(), cmdgen.BulkCommandGenerator()
NULL = univ.Null("")
RECEIVE_BUFFER = 4 * 1024 * 1024
Answer = tuple[Any, Any, Any, list[tuple[Any, Any]]]


def request_timeout(deadline: float, retries: int) -> float:
    """Per-attempt timeout from the probe's deadline, in half seconds between 0.5 and 5 (pysnmp keeps one
    target entry per distinct timeout: unrounded, its tables would grow with every probe)."""
    share = deadline / (retries + 1)
    return max(0.5, min(5.0, round(share * 2) / 2))


class Session:
    """One probe's requests against one target; collects answered var-binds into :attr:`pdus`."""

    def __init__(self, engine: SnmpEngine, target: UdpTransportTarget, credentials: Credentials, name: str) -> None:
        self.engine = engine
        self.credentials = credentials
        self.name = name
        self.context = credentials.context_name.encode()
        self.address, _ = TARGETS.configure(engine, credentials.auth_data(), target, self.context)
        widen_receive_buffer(engine, target)
        self.pdus: dict[OidTuple, Value] = {}

    async def run(self, plan: Plan, max_repetitions: int) -> dict[OidTuple, Value]:
        """All GETs and walks of ``plan``, at most ``plan.parallel`` requests in flight; the first failure
        cancels the rest (a half-read device is a failed probe, as in snmp_exporter)."""
        slots = asyncio.Semaphore(plan.parallel)

        async def limited(request: Callable[[], Awaitable[None]]) -> None:
            async with slots:  # create the coroutine only once it may run: a cancelled wait leaves none behind
                await request()

        try:
            async with asyncio.TaskGroup() as group:
                for batch in plan.gets:
                    group.create_task(limited(functools.partial(self.get, batch)))
                for start, stop in plan.chains:
                    group.create_task(limited(functools.partial(self.walk, start, stop, max_repetitions)))
        except ExceptionGroup as failed:
            raise _first(failed) from None
        return self.pdus

    async def _send(self, generator: Any, *args: Any) -> Answer:
        """One request through a pysnmp command generator, its callback turned into an awaitable answer."""
        future: asyncio.Future[Answer] = asyncio.get_running_loop().create_future()

        def answered(*result: Any) -> None:  # engine, handle, indication, status, index, var-binds, context
            if not future.done():  # a cancelled probe's late answer is dropped
                future.set_result((result[2], result[3], result[4], result[5]))

        generator.send_varbinds(self.engine, self.address, None, self.context, *args, answered)
        return await future

    async def get(self, batch: tuple[OidTuple, ...]) -> None:
        wanted = list(batch)
        while wanted:
            binds = [(rfc1902.ObjectName(oid), NULL) for oid in wanted]
            indication, status, index, answer = await self._send(GET, binds)
            if self.credentials.version == "1" and int(status or 0) == NO_SUCH_NAME and index:
                del wanted[int(index) - 1]  # v1 fails the whole GET for one missing OID: ask again without it
                continue
            self._check(indication, status, index, wanted)
            for name, value in answer:
                converted = plain(value)
                if converted is not None:
                    self.pdus[tuple(name.asTuple())] = converted
            return

    async def walk(self, start: OidTuple, stop: OidTuple, max_repetitions: int) -> None:
        """Read ``[start, stop)`` with GETBULK (GETNEXT for v1), each request starting where the last ended."""
        current = start
        sizer = BulkSizer(stop, max_repetitions)
        while True:
            bind = [(rfc1902.ObjectName(current), NULL)]
            if self.credentials.version == "1":
                indication, status, index, answer = await self._send(NEXT, bind)
                if int(status or 0) == NO_SUCH_NAME:
                    return  # v1's end of the MIB
            else:
                indication, status, index, answer = await self._send(BULK, 0, sizer.size(), bind)
            self._check(indication, status, index, [current])
            if not answer:
                return
            for name, value in answer:
                oid = tuple(name.asTuple())
                if oid >= stop or isinstance(value, rfc1905.EndOfMibView):
                    return
                if oid <= current:
                    raise ProbeError("protocol", f"{self.name} answered {format_oid(oid)} after {format_oid(current)}")
                converted = plain(value)
                if converted is not None:
                    self.pdus[oid] = converted
                sizer.seen(oid)
                current = oid

    def _check(self, indication: Any, status: Any, index: Any, asked: list[OidTuple]) -> None:
        if indication:
            if isinstance(indication, errind.RequestTimedOut):
                raise ProbeError("timeout", f"{self.name} did not answer (check address, port and credentials)")
            if isinstance(indication, AUTH_ERRORS):
                raise ProbeError("auth", f"{self.name} rejected the credentials: {indication}")
            raise ProbeError("protocol", f"{self.name}: {indication}")
        code = int(status or 0)
        if code:
            at = int(index or 0)
            where = f" at {format_oid(asked[at - 1])}" if 0 < at <= len(asked) else ""
            reason = "auth" if code in (NO_ACCESS, AUTHORIZATION_ERROR) else "protocol"
            raise ProbeError(reason, f"{self.name} answered error {status.prettyPrint()}{where}")


def widen_receive_buffer(engine: SnmpEngine, target: UdpTransportTarget) -> None:
    """Give the engine's one UDP socket room for a burst of answers (the kernel default holds ~100): with
    hundreds of devices in flight, answers that arrive while the loop is busy decoding are otherwise dropped
    and come back only as timeouts and retries. The kernel caps the size at ``net.core.rmem_max``."""
    dispatcher = engine.transport_dispatcher
    carrier = dispatcher.get_transport(target.TRANSPORT_DOMAIN) if dispatcher is not None else None
    transport = getattr(carrier, "transport", None)  # set once the asyncio endpoint is up (after the first send)
    sock = transport.get_extra_info("socket") if transport is not None else None
    if sock is not None and sock.getsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF) < RECEIVE_BUFFER:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, RECEIVE_BUFFER)


def _first(group: BaseExceptionGroup[Any]) -> BaseException:
    """The failure to report from a group of concurrent requests: a ProbeError if there is one."""
    leaves: list[BaseException] = []
    pending: list[BaseException] = [group]
    while pending:
        item = pending.pop(0)
        if isinstance(item, BaseExceptionGroup):
            pending[:0] = list(item.exceptions)
        else:
            leaves.append(item)
    return next((e for e in leaves if isinstance(e, ProbeError)), leaves[0])


async def open_target(host: str, port: int, timeout: float, retries: int) -> UdpTransportTarget:
    """The UDP target (IPv6 when the host is an IPv6 literal); a name that does not resolve is unreachable."""
    kind = Udp6TransportTarget if ":" in host else UdpTransportTarget
    try:
        return await kind.create((host, port), timeout=timeout, retries=retries)
    except PySnmpError as exc:
        raise ProbeError("unreachable", f"cannot resolve {host}: {exc}") from None


async def collect(
    engine: SnmpEngine, host: str, port: int, credentials: Credentials, plan: Plan, *, deadline: float
) -> dict[OidTuple, Value]:
    """Every var-bind ``plan`` asks ``host:port`` for, within ``deadline`` seconds."""
    name = f"{host}:{port}"
    try:
        async with asyncio.timeout(deadline):
            target = await open_target(host, port, request_timeout(deadline, credentials.retries), credentials.retries)
            session = Session(engine, target, credentials, name)
            return await session.run(plan, plan.max_repetitions or credentials.max_repetitions)
    except TimeoutError:
        raise ProbeError("timeout", f"{name} did not answer every request within {deadline:.1f}s") from None
