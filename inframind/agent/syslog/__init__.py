"""Syslog for the agent: RFC 3164/5424 (and what devices really send) over UDP, TCP and TLS.

Pure in the middle (:mod:`.parse`, :mod:`.rfc5424`, :mod:`.bsd`, :mod:`.framing`, :mod:`.event`), IO at the
edges (:mod:`.udp`, :mod:`.tcp`), assembled by :class:`SyslogReceiver`.
"""

from inframind.agent.syslog.event import SyslogDecoder, Tally
from inframind.agent.syslog.receiver import SyslogReceiver

__all__ = ["SyslogDecoder", "SyslogReceiver", "Tally"]
