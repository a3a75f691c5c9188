"""Values that span whitespace, joined after token masking: one placeholder for one value.

``Sat Sep 17 07:49:04 PDT 2005`` is one timestamp, ``1190 bytes (1.16 KB)`` one size, ``<1 sec`` one duration and
``blk_1 blk_2 blk_3`` one list of block ids. Joining after masking keeps the per-token cache (the masker's speed)
and needs only a set lookup on lines that hold none of the trigger words.
"""

from __future__ import annotations

from inframind.analyzer.detect.templates.tokenize import placeholder

_NUM = placeholder("NUM")
_TIME = placeholder("TIME")
_DATE = placeholder("DATE")
_BLK = placeholder("BLK")
MONTHS = frozenset(["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"])
WEEKDAYS = frozenset({d for day in ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"] for d in (day, f"{day},")})
_BRACKETS = {"[": "]", "(": ")"}
_OPENED = frozenset(f"{o}{word}" for o in _BRACKETS for word in MONTHS | WEEKDAYS)
"""``[Sun Dec 04 04:47:44 2005]``: a bracketed timestamp keeps its brackets around the placeholder."""
ZONES = frozenset({"Z", "UTC", "GMT"})
SIZE_UNITS = frozenset(["bytes", "byte", "B", "KB", "MB", "GB", "TB", "PB", "kB", "KiB", "MiB", "GiB", "TiB", "PiB"])
_SIZE_RESTATED = frozenset(f"{unit})" for unit in SIZE_UNITS)
DURATION_UNITS = frozenset(["ns", "us", "µs", "ms", "msec", "sec", "secs", "min", "mins", "hr", "hrs"])
_AMOUNTS = frozenset({_NUM, f"<{_NUM}", f">{_NUM}", f"~{_NUM}"})
TRIGGERS = frozenset({_DATE} | MONTHS | WEEKDAYS | _OPENED | SIZE_UNITS | DURATION_UNITS)
"""Masked tokens that may start or continue a joined value; a line holding none of them (and at most one block
id) is left as it is."""

Span = tuple[int, int, str, int, int]
"""``(start, end, name, lead, trail)``: raw tokens ``start:end`` became one placeholder; the first ``lead`` and the
last ``trail`` characters of their text are brackets kept outside it."""


def _datetime(tokens: tuple[str, ...], raw: list[str], i: int) -> tuple[int, int, int]:
    """``(end, lead, trail)`` of a ``[Sat] Sep 17 07:49:04 [PDT] [2005]`` or ``2024-03-01 10:00:00 [UTC]``
    timestamp starting at ``i`` (``end == i`` when there is none); ``lead``/``trail``: an enclosing bracket."""
    n = len(tokens)
    if tokens[i] == _DATE:
        if i + 1 < n and tokens[i + 1] == _TIME:
            end = i + 2
            return (end + 1 if end < n and tokens[end] in ZONES else end), 0, 0
        return i, 0, 0
    first = tokens[i]
    lead = 1 if first in _OPENED else 0
    closer = _BRACKETS.get(first[0], "") if lead else ""
    word = first[lead:]
    j = i + 1 if word in WEEKDAYS else i
    month = word if j == i else (tokens[j] if j < n else "")
    if not (j + 2 < n and month in MONTHS and tokens[j + 1] == _NUM and tokens[j + 2] == _TIME):
        return i, 0, 0
    end = j + 3
    if end < n and raw[end].isalpha() and raw[end].isupper() and 1 <= len(raw[end]) <= 5:
        end += 1
    if end < n and tokens[end] == _NUM and len(raw[end]) == 4:
        end += 1
    elif lead and end < n and tokens[end] == f"{_NUM}{closer}" and len(raw[end]) == 5:
        return end + 1, lead, 1
    return end, lead, 0


def join(tokens: tuple[str, ...], raw: list[str]) -> tuple[tuple[str, ...], list[Span]]:
    """Tokens with multi-token values joined, and the raw-token spans that were joined."""
    out: list[str] = []
    spans: list[Span] = []
    n = len(tokens)
    i = 0
    while i < n:
        tok = tokens[i]
        end, name, lead, trail = i, "", 0, 0
        if tok == _BLK:
            end = i + 1
            while end < n and tokens[end] == _BLK:
                end += 1
            name = "BLK"
        elif tok in MONTHS or tok in WEEKDAYS or tok in _OPENED or tok == _DATE:
            (end, lead, trail), name = _datetime(tokens, raw, i), "DATETIME"
        elif tok in _AMOUNTS and i + 1 < n:
            unit = tokens[i + 1]
            if tok == _NUM and unit in SIZE_UNITS:
                end, name = i + 2, "SIZE"
                if end + 1 < n and tokens[end] == f"({_NUM}" and tokens[end + 1] in _SIZE_RESTATED:
                    end += 2
            elif unit in DURATION_UNITS:
                end, name = i + 2, "DURATION"
        if end > i + 1:
            spans.append((i, end, name, lead, trail))
            text = raw[i][:lead] + placeholder(name)
            if trail:
                text += raw[end - 1][-trail:]
            out.append(text)
            i = end
        else:
            out.append(tok)
            i += 1
    return tuple(out), spans
