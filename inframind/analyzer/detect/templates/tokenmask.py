"""Built-in masks applied to one whitespace token: the masker's slow path for tokens it has not seen lately.

Most new tokens are a single value (a number, a hex id, an address), perhaps in brackets or after ``key=``; they
take one or two anchored matches. A whole-token match tries only the masks that can start with the token's first
character (see the start sets in :mod:`.patterns`). Anything else scans the token with every mask.
"""

from __future__ import annotations

import re

from inframind.analyzer.detect.templates.patterns import TOKEN_MASKS
from inframind.analyzer.detect.templates.tokenize import placeholder

_PORTED = {"IP": "ip4", "HOST": "hostp", "IP6": "ip6b"}
"""Masks whose match may carry a port: the group holding the address (the port is ``<group>_port``)."""
_OPENERS = "([{<'\""
_CLOSERS = ")]}>'\",;:.!?"
_KEYED = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?:[=#]|:(?!/))|[A-Za-z_]+[.-](?=\d+$)|[A-Za-z_][\w-]*\.{2,}")
"""``key=``, ``key:`` or ``CPU#`` before a value; ``core.`` or ``node-`` before a number; a dot leader
(``operation..........1``, as register dumps print them)."""
_NUM = placeholder("NUM")
_BY_START: dict[str, re.Pattern[str] | None] = {}
"""Per first character, the built-in masks that can start with it (built once per process: they are fixed)."""
Found = tuple[str, tuple[str, ...]]


def alternation(masks: tuple[tuple[str, str], ...], prefix: str) -> tuple[re.Pattern[str], dict[str, str]]:
    """One alternation; each alternative is a named group so ``lastgroup`` says which mask matched."""
    names = {f"{prefix}{i}": name for i, (name, _) in enumerate(masks)}
    pattern = "|".join(f"(?P<{prefix}{i}>{p})" for i, (_, p) in enumerate(masks))
    return re.compile(pattern), names


def _can_start(spec: str, ch: str) -> bool:
    return (
        ch in spec
        or ("d" in spec and ch.isdigit())
        or ("h" in spec and ch in "abcdefABCDEF")
        or ("l" in spec and ch.isalpha())
    )


class TokenMasks:
    """The built-in masks, compiled once: ``mask(token) -> (masked token, raw values)``."""

    def __init__(self) -> None:
        self.pattern, self.names = alternation(tuple((n, p) for n, p, _ in TOKEN_MASKS), "t")
        self._placeholders = {name: placeholder(name) for name, _, _ in TOKEN_MASKS}
        self._by_start: dict[str, re.Pattern[str] | None] = {}
        self._fast = self._fast_pattern()

    def mask(self, raw: str) -> Found:
        """Mask one token. Most new tokens are one value, perhaps in brackets or after ``key=``: those take one
        or two anchored matches; anything else scans the token with every mask."""
        left = raw.lstrip(_OPENERS)
        core = left.rstrip(_CLOSERS)
        if core.isalpha() and "::" not in raw:  # a word in punctuation (``ciod:``, ``(dcr``): no mask fits
            return raw, ()
        hit = self.quick(raw) or self._full(raw)
        if hit is not None:
            return hit
        start, end = len(raw) - len(left), len(raw) - len(left) + len(core)
        if core and core != raw:
            hit = self.quick(core) or self._full(core)
        if hit is None:
            keyed = _KEYED.match(core)
            if keyed is not None and keyed.end() < len(core):
                value = self._whole(core[keyed.end() :])
                if value is not None:
                    hit = (keyed.group(0) + value[0], value[1])
        if hit is not None:
            return raw[:start] + hit[0] + raw[end:], hit[1]
        found: list[str] = []

        def sub(m: re.Match[str]) -> str:
            text, values = self._replace(m)
            found.extend(values)
            return text

        return self.pattern.sub(sub, raw), tuple(found)

    def quick(self, text: str) -> Found | None:
        """The commonest whole-token values: a plain number, a hex id, an IPv4 address (with port)."""
        if text.isdigit():
            return _NUM, (text,)
        m = self._fast.fullmatch(text)
        if m is None:
            return None
        masked, values = self._replace(m)
        return masked, tuple(values)

    def _whole(self, text: str) -> Found | None:
        """``text`` as one value of any mask (the quick ones first), or None."""
        return self.quick(text) or self._full(text)

    def _full(self, text: str) -> Found | None:
        """``text`` as one value of a mask that can start with its first character, in priority order."""
        if not text:
            return None
        pattern = self._by_start.get(text[0], self.pattern)
        if pattern is self.pattern:
            pattern = self._starting(text[0])
        m = pattern.fullmatch(text) if pattern is not None else None
        if m is None:
            return None
        masked, values = self._replace(m)
        return masked, tuple(values)

    @staticmethod
    def _fast_pattern() -> re.Pattern[str]:
        """The commonest new tokens, checked first: a plain number, a hex id, an IPv4 address (with port).

        None of these shapes can be matched whole by a mask of higher priority, so the answer is the same as the
        full alternation's; it just costs one short match instead of twenty.
        """
        index = {name: i for i, (name, _, _) in reversed(list(enumerate(TOKEN_MASKS)))}
        ip = next(p for name, p, _ in TOKEN_MASKS if name == "IP")
        return re.compile(
            f"(?P<t{index['NUM']}>[-+]?\\d+(?:\\.\\d+)?)"
            f"|(?P<t{index['HEX']}>0[xX][0-9a-fA-F]+|(?=[0-9a-fA-F]*[a-fA-F])(?=[0-9a-fA-F]*\\d)[0-9a-fA-F]{{6,}})"
            f"|(?P<t{index['IP']}>{ip})"
        )

    def _starting(self, ch: str) -> re.Pattern[str] | None:
        """The masks that can start with ``ch``, in priority order, with the same group names (built once)."""
        pattern = _BY_START.get(ch, self.pattern)
        if pattern is self.pattern:
            groups = [f"(?P<t{i}>{p})" for i, (_, p, spec) in enumerate(TOKEN_MASKS) if _can_start(spec, ch)]
            pattern = _BY_START[ch] = re.compile("|".join(groups)) if groups else None
        self._by_start[ch] = pattern
        return pattern

    def _replace(self, m: re.Match[str]) -> tuple[str, list[str]]:
        """Placeholder text and values for one mask match (an address with a port gives two of each)."""
        name = self.names[m.lastgroup or ""]
        inner = _PORTED.get(name)
        if inner is None or inner not in m.re.groupindex or m.group(inner) is None:
            return self._placeholders[name], [m.group(0)]
        text = f"[{placeholder(name)}]" if m.group(0).startswith("[") else placeholder(name)
        port = m.group(f"{inner}_port")
        if port is None:
            return text, [m.group(inner)]
        return f"{text}:{placeholder('PORT')}", [m.group(inner), port]
