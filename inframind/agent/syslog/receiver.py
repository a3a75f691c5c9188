"""SyslogReceiver: the agent's syslog :class:`~inframind.agent.source.PushSource` (UDP, TCP, TLS).

Settings are checked in the constructor (time zone, TLS files), sockets are bound in ``start`` with errors
that name the setting; once started, no input can stop it: bad messages become flagged events or counted
rejections in ``stats`` (see :mod:`inframind.agent.syslog.event`).
"""

from __future__ import annotations

import datetime as dt
import logging
from functools import partial

from inframind.agent.source import Emit, SourceStats
from inframind.agent.syslog.event import SyslogDecoder
from inframind.agent.syslog.tcp import TcpListener, server_context
from inframind.agent.syslog.udp import RECEIVE_BUFFER, UdpListener
from inframind.config.agent import SyslogSource
from inframind.inventory import Inventory
from inframind.normalize import timezone

log = logging.getLogger(__name__)


class SyslogReceiver:
    """Receives syslog on ``settings.udp`` and/or ``settings.tcp`` and hands LogEvents to ``emit``."""

    name = "syslog"

    def __init__(
        self,
        settings: SyslogSource,
        *,
        inventory: Inventory | None = None,
        batch_size: int = 1000,
        receive_buffer: int = RECEIVE_BUFFER,
        max_age: dt.timedelta = dt.timedelta(days=7),
    ) -> None:
        if settings.udp is None and settings.tcp is None:
            raise ValueError("agent.syslog: set udp and/or tcp (HOST:PORT) to receive syslog")
        if settings.tls is not None and settings.tcp is None:
            raise ValueError("agent.syslog.tls needs agent.syslog.tcp: TLS is served on the TCP listener")
        self.settings = settings
        self.stats = SourceStats()
        self._new_decoder = partial(
            SyslogDecoder,
            tz=timezone(settings.timezone),
            inventory=inventory,
            max_message_bytes=settings.max_message_bytes,
            max_age=max_age,
        )
        self._tls = server_context(settings.tls) if settings.tls is not None else None
        self._batch_size = batch_size
        self._receive_buffer = receive_buffer
        self.udp: UdpListener | None = None
        self.tcp: TcpListener | None = None

    def start(self, emit: Emit) -> None:
        """Bind and start; on a bind error nothing is left running and the OSError names the setting."""
        try:
            if self.settings.udp is not None:
                self.udp = UdpListener(
                    self.settings.udp,
                    self._new_decoder(),
                    emit,
                    self.stats,
                    batch_size=self._batch_size,
                    receive_buffer=self._receive_buffer,
                )
                self.udp.start()
                log.info("receiving syslog on udp %s:%d", *self.udp.address)
            if self.settings.tcp is not None:
                self.tcp = TcpListener(self.settings.tcp, self._new_decoder, emit, self.stats, tls=self._tls)
                self.tcp.start()
                log.info("receiving syslog on %s %s:%d", "tls" if self._tls else "tcp", *self.tcp.address)
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        """Stop both listeners; what was already received is parsed and emitted first."""
        for listener in (self.udp, self.tcp):
            if listener is not None:
                listener.close()
        self.udp = self.tcp = None
