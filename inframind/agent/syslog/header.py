"""The parsed syslog header, as written: shared by the RFC 5424 and BSD parsers and the event mapping."""

from __future__ import annotations

from dataclasses import dataclass, field

from inframind.events import FieldValue

NO_STAMP, BSD_STAMP, ISO_STAMP = 0, 1, 2
"""``Header.stamp_kind``: no time; ``Nov  5 14:03:07`` (no year, no zone); ISO 8601 (perhaps without zone)."""


@dataclass(slots=True)
class Header:
    """What a syslog header says, as written. Empty strings stand for absent (and RFC 5424's ``-``).

    The time stays text here (``stamp``, ``stamp_kind``, ``frac``, ``zone``): turning it into UTC needs the
    receive time and the configured zone, which parsing does not, so parsers stay clock-free."""

    message: str
    stamp: str = ""
    stamp_kind: int = NO_STAMP
    frac: str = ""
    """Fraction digits after a BSD stamp (Cisco writes milliseconds)."""
    zone: str = ""
    """A zone abbreviation after a Cisco stamp (``UTC``, ``MEST``); only UTC and GMT are trusted."""
    host: str = ""
    app: str = ""
    procid: str = ""
    msgid: str = ""
    event_id: str | None = None
    extra: dict[str, FieldValue] = field(default_factory=dict)
    malformed_sd: bool = False
