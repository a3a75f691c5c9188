"""Syslog text to a :class:`~inframind.agent.syslog.header.Header`: PRI, then RFC 5424 or the BSD forms.

Pure and clock-free (see :mod:`inframind.agent.syslog.event` for time, levels and assets). Every regex is
compiled once at import, and the common forms are told apart by their first characters before one runs.
"""

from __future__ import annotations

from inframind.agent.syslog.bsd import parse_bsd
from inframind.agent.syslog.header import Header
from inframind.agent.syslog.rfc5424 import parse_rfc5424

FACILITIES = (
    "kern", "user", "mail", "daemon", "auth", "syslog", "lpr", "news", "uucp", "cron", "authpriv", "ftp",
    "ntp", "security", "console", "solaris-cron",
    "local0", "local1", "local2", "local3", "local4", "local5", "local6", "local7",
)  # fmt: skip
"""RFC 5424 facility codes 0-23, by the names syslog.conf uses."""

MAX_PRI = 191


def split_pri(text: str) -> tuple[int, str] | None:
    """``(PRI, rest)`` for text starting with ``<0>`` .. ``<191>``, else None (no PRI, or not a valid one)."""
    if not text.startswith("<"):
        return None
    end = text.find(">", 1, 5)
    digits = text[1:end]
    if end < 0 or not digits.isascii() or not digits.isdigit():
        return None
    pri = int(digits)
    if pri > MAX_PRI:
        return None
    return pri, text[end + 1 :]


def parse_header(text: str) -> Header:
    """The header of the text after PRI: RFC 5424 when it opens with version ``1``, else the BSD forms."""
    if text.startswith("1 "):
        header = parse_rfc5424(text)
        if header is not None:
            return header
    return parse_bsd(text)
