"""Tokens of a masked message and the text forms of a template.

Inside the miner a placeholder is its name between two private-use characters (U+E000, U+E001), so a log line
that literally contains ``<IP>`` or ``<*>`` is never mistaken for a mask. Two renderings go outward:
``display`` (``Failed password for <*> from <IP> port <NUM> ssh2``, what people read and what the template id
hashes), ``wildcards`` (every placeholder as ``<*>``, the Loghub ground-truth format and what log rules match).
"""

from __future__ import annotations

import re

OPEN = "\ue000"
CLOSE = "\ue001"
WILDCARD = f"{OPEN}*{CLOSE}"
"""A template position learned to vary (as opposed to a mask such as ``<IP>`` known before mining)."""

_PLACEHOLDER = re.compile(f"{OPEN}([^{CLOSE}]*){CLOSE}")
_RUN = re.compile(f"(?:{OPEN}[^{CLOSE}]*{CLOSE})+")
_SENTINELS = str.maketrans({OPEN: "\ufffd", CLOSE: "\ufffd"})


def placeholder(name: str) -> str:
    """The internal form of a mask named ``name`` (``IP`` -> U+E000 IP U+E001)."""
    return f"{OPEN}{name}{CLOSE}"


def sanitize(line: str) -> str:
    """Replace the two sentinel characters if a log line happens to carry them (it never legitimately does)."""
    return line.translate(_SENTINELS) if OPEN in line or CLOSE in line else line


def placeholder_names(token: str) -> list[str]:
    return _PLACEHOLDER.findall(token)


def display(text: str) -> str:
    """Readable form: ``<IP>``, ``<NUM>``, ``<*>``."""
    return text.replace(OPEN, "<").replace(CLOSE, ">")


def wildcards(text: str) -> str:
    """Every placeholder as ``<*>`` (Loghub's template format, and the one log rules are written in); placeholders
    that touch read as one value (``<PATH><BLK>`` -> ``<*>``)."""
    return _RUN.sub("<*>", text) if OPEN in text else text


def fill(masked: str, values: list[str] | tuple[str, ...]) -> str:
    """Put ``values`` back into the placeholders of ``masked``, in order (the raw text of a masked token)."""
    if OPEN not in masked:
        return masked
    it = iter(values)
    return _PLACEHOLDER.sub(lambda _m: next(it, ""), masked)
