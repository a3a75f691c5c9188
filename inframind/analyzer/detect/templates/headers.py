"""Header stripping: the part of a log line before the message is not the template's business.

A :class:`HeaderFormat` splits a line into its message and header fields. Formats by name:

- ``raw``: the whole line is the message (a ``LogEvent.message`` from any source is already this).
- ``syslog``: RFC 3164 / RFC 5424 lines as written to files (``Jun 14 15:16:01 host sshd[42]: message``,
  ``<34>1 2024-03-01T10:00:00Z host app 42 ID47 - message``). Events from the agent's syslog receiver already
  carry only the message part, so feed ``LogEvent.message`` with ``raw``.
- ``journald``: ``journalctl`` text output (short, short-iso, short-precise); the same shape as syslog files.
- ``eventlog``: Windows event messages as rendered text (the message itself; only surrounding space is trimmed).
- ``loghub:<format>``: Loghub/logparser's ``<Date> <Time> <Level> <Component>: <Content>`` syntax, where text
  between fields is a regex fragment and one field must be ``<Content>``.

A line that does not fit its format is kept whole as the message (logs are messy; dropping lines hides events).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_MONTHS = r"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)"
_ISO = r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:[.,]\d+)?(?:Z|[+-]\d{2}:?\d{2})?"
_RFC3164 = (
    rf"(?:<\d{{1,3}}>)?(?P<Timestamp>{_MONTHS}\s+\d{{1,2}}\s+\d{{2}}:\d{{2}}:\d{{2}}(?:\.\d+)?|{_ISO})\s+"
    r"(?P<Host>\S+)\s+(?P<Tag>[^\s:\[]+)(?:\[(?P<Pid>[^\]]*)\])?:\s?(?P<Content>.*)"
)
_RFC5424 = (
    rf"<\d{{1,3}}>1\s+(?P<Timestamp>{_ISO}|-)\s+(?P<Host>\S+)\s+(?P<Tag>\S+)\s+(?P<Pid>\S+)\s+(?P<MsgId>\S+)\s+"
    r"(?P<StructuredData>-|(?:\[(?:[^\]\\]|\\.)*\])+)\s?(?P<Content>.*)"
)
_FIELD = re.compile(r"<([A-Za-z_][A-Za-z0-9_]*)>")


@dataclass(frozen=True)
class Header:
    """A line split in two: the message the miner sees, and the header fields (empty when none matched)."""

    content: str
    fields: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class HeaderFormat:
    """A named way to find the message in a line: regexes tried in order, each with a ``Content`` group."""

    name: str
    patterns: tuple[re.Pattern[str], ...] = ()

    def parse(self, line: str) -> Header:
        line = line.rstrip("\r\n")
        for pattern in self.patterns:
            m = pattern.fullmatch(line)
            if m is not None:
                fields = {k: v for k, v in m.groupdict().items() if k != "Content" and v is not None}
                return Header(m.group("Content").strip(), fields)
        return Header(line.strip())


def loghub_format(log_format: str) -> HeaderFormat:
    """A format in Loghub/logparser syntax (``<Date> <Time> <Level> <Component>: <Content>``).

    Fields match lazily, literal text between them is a regex fragment with any run of spaces matching any run
    of whitespace, as in logparser, so Loghub's published ``log_format`` strings work unchanged.
    """
    names = _FIELD.findall(log_format)
    if "Content" not in names:
        raise ValueError(f"log format {log_format!r} has no <Content> field")
    if len(set(names)) != len(names):
        raise ValueError(f"log format {log_format!r} repeats a field")
    parts = []
    for i, piece in enumerate(_FIELD.split(log_format)):
        if i % 2:
            parts.append(f"(?P<{piece}>.*)" if piece == "Content" else f"(?P<{piece}>.*?)")
        else:
            parts.append(re.sub(r" +", r"\\s+", piece))
    try:
        pattern = re.compile("".join(parts))
    except re.error as exc:
        raise ValueError(f"log format {log_format!r} is not a valid pattern: {exc}") from None
    return HeaderFormat(f"loghub:{log_format}", (pattern,))


BUILTIN: dict[str, HeaderFormat] = {
    "raw": HeaderFormat("raw"),
    "syslog": HeaderFormat("syslog", (re.compile(_RFC5424), re.compile(_RFC3164))),
    "journald": HeaderFormat("journald", (re.compile(_RFC3164),)),
    "eventlog": HeaderFormat("eventlog"),
}


def header_format(spec: str) -> HeaderFormat:
    """``raw``, ``syslog``, ``journald``, ``eventlog`` or ``loghub:<format>``; errors list the choices."""
    if spec.startswith("loghub:"):
        return loghub_format(spec[len("loghub:") :])
    found = BUILTIN.get(spec)
    if found is None:
        choices = ", ".join([*BUILTIN, "loghub:<format>"])
        raise ValueError(f"unknown log format {spec!r}; use one of {choices}")
    return found
