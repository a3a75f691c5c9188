"""Telegram HTML that survives length limits: escape everything taken from alerts, split long messages safely.

Telegram takes at most 4096 characters per message and rejects a message whose HTML does not parse (an open
``<b>`` at the end, a cut ``&amp;``). Alertmanager's own Telegram receiver cuts long texts anywhere. Here a
message is split into parts that each

- stay under the limit (counted in UTF-16 code units, as Telegram counts, markup included: a safe bound);
- end between lines where possible, else between words, else between characters, but never inside a tag or
  an entity;
- close the tags open at the cut and open them again at the start of the next part, so each part is valid
  HTML on its own;
- carry ``(k/n)`` when there are several.

Pure functions only.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

LIMIT = 4096
ALLOWED_TAGS = ("b", "i", "u", "s", "code", "pre", "a")
_TOKEN = re.compile(r"<[^<>]*>|&(?:#[0-9]+|#x[0-9a-fA-F]+|[a-zA-Z]+);|[^<&]|[<&]")
_TAG = re.compile(r"<(/?)([a-zA-Z]+)[^>]*>")
_PART_RESERVE = 24
"""Room kept in each part for its ``(k/n)`` line."""


def escape(text: str) -> str:
    """Text for Telegram's HTML mode (``<``, ``>``, ``&`` and quotes as entities)."""
    return html.escape(text, quote=True)


def link(url: str, title: str) -> str:
    """An ``<a>`` for an http(s) URL; anything else (a relative runbook path) as plain escaped text."""
    if url.startswith(("http://", "https://")):
        return f'<a href="{escape(url)}">{escape(title)}</a>'
    return f"{escape(title)}: {escape(url)}"


def units(text: str) -> int:
    """Length as Telegram measures it: UTF-16 code units."""
    return len(text.encode("utf-16-le")) // 2


@dataclass(frozen=True)
class _Unit:
    text: str
    open: str = ""
    """Tag name when the unit opens a tag."""
    close: str = ""
    """Tag name when the unit closes one."""
    rank: int = 1
    """How good a cut right after this unit is: 3 after a newline, 2 after a space, 0 after an opening tag."""


def _units_of(text: str) -> list[_Unit]:
    out: list[_Unit] = []
    for m in _TOKEN.finditer(text):
        piece = m.group(0)
        tag = _TAG.fullmatch(piece)
        if tag is not None:
            name = tag.group(2).lower()
            out.append(_Unit(piece, close=name, rank=1) if tag.group(1) else _Unit(piece, open=name, rank=0))
        elif piece == "\n":
            out.append(_Unit(piece, rank=3))
        elif piece.isspace():
            out.append(_Unit(piece, rank=2))
        else:
            out.append(_Unit(piece))
    return out


def _closing(stack: tuple[tuple[str, str], ...]) -> str:
    return "".join(f"</{name}>" for _, name in reversed(stack))


def _apply(stack: tuple[tuple[str, str], ...], unit: _Unit) -> tuple[tuple[str, str], ...]:
    if unit.open:
        return (*stack, (unit.text, unit.open))
    if unit.close and stack and stack[-1][1] == unit.close:
        return stack[:-1]
    return stack


def _split(text: str, limit: int) -> list[str]:
    items = _units_of(text)
    sizes = [units(u.text) for u in items]
    parts: list[str] = []
    stack: tuple[tuple[str, str], ...] = ()
    pos = 0
    while pos < len(items):
        while pos < len(items) and items[pos].rank == 3 and not stack:
            pos += 1  # no part starts with a blank line
        if pos >= len(items):
            break
        prefix = "".join(t for t, _ in stack)
        length, current, i = units(prefix), stack, pos
        best: dict[int, tuple[int, tuple[tuple[str, str], ...]]] = {}
        while i < len(items):
            after = _apply(current, items[i])
            if length + sizes[i] + units(_closing(after)) > limit:
                break
            length, current, i = length + sizes[i], after, i + 1
            if items[i - 1].rank:
                best[items[i - 1].rank] = (i, current)
        if i >= len(items):
            cut, at = i, current
        else:
            span = i - pos
            chosen = next((best[r] for r in (3, 2) if r in best and best[r][0] - pos >= span // 2), None)
            cut, at = chosen or best.get(1) or (i, current)
            if cut <= pos:
                raise ValueError("a part cannot hold its own markup; raise the limit")
        body = "".join(u.text for u in items[pos:cut])
        parts.append(prefix + body + _closing(at))
        stack, pos = at, cut
    return [p for p in parts if html.unescape(re.sub(r"<[^>]*>", "", p)).strip()]


def split_message(text: str, limit: int = LIMIT) -> list[str]:
    """``text`` (Telegram HTML built by this package) in valid parts of at most ``limit`` units each."""
    if units(text) <= limit:
        return [text]
    parts = _split(text, limit - _PART_RESERVE)
    total = len(parts)
    return [f"<i>({k}/{total})</i>\n{part}" for k, part in enumerate(parts, start=1)] if total > 1 else parts
