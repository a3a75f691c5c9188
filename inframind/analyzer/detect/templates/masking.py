"""Masking: replace the variable parts of a message with readable placeholders before mining.

Masking first is what makes a template appear on the first line of its kind (``Accepted password for <*> from
<IP> port <NUM> ssh2`` needs no second line to learn the address varies) and keeps parameters typed. The masker
gives the masked tokens at once and the raw text behind each placeholder on demand (parameter extraction is the
rarer need). Extra masks (``name -> regex``) come from configuration and win over the built-in ones.

Speed: a line equal to a recent one up to its digits costs one translate and one lookup (the line cache). Else
each distinct raw token is masked once and remembered (a bounded cache, cleared when full), so a line costs a
split and one C-level lookup per token, and only new tokens run the regexes; numbers, hex ids and addresses take a
short anchored match, plain words none.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import cast

from inframind.analyzer.detect.templates.joins import TRIGGERS, Span, join
from inframind.analyzer.detect.templates.tokenize import CLOSE, OPEN, placeholder, sanitize
from inframind.analyzer.detect.templates.tokenmask import TokenMasks, alternation

_NAME = re.compile(r"[A-Z][A-Z0-9_]{0,31}")
_DIGIT = re.compile(r"\d")
_PLACEHOLDERS = re.compile(f"{OPEN}[^{CLOSE}]*{CLOSE}")
_SEGMENTS = re.compile(f"({OPEN}[^{CLOSE}]*{CLOSE})")
_NUM = placeholder("NUM")
_BLK = placeholder("BLK")
_UNIQUE = frozenset({_NUM, placeholder("HEX")})
_ZEROS = bytes.maketrans(b"123456789", b"000000000")
"""Masking looks at where digits are, never at their values, so lines equal up to digits mask alike: the line
cache is keyed by the line's UTF-8 with every ASCII digit turned into 0 (``generating core.10019`` ->
``core.00000``; UTF-8 never puts an ASCII byte inside a multi-byte character, and bytes translate ten times faster
than str)."""
RESERVED = frozenset({"PORT"})
_TOKEN_MASKS = TokenMasks()


def _validate(extra: Mapping[str, str]) -> tuple[tuple[str, str], ...]:
    out = []
    for name, pattern in extra.items():
        if not _NAME.fullmatch(name) or name in RESERVED:
            raise ValueError(f"extra mask name {name!r}: use 1-32 of A-Z, 0-9, _ starting with a letter (not PORT)")
        try:
            compiled = re.compile(pattern)
        except re.error as exc:
            raise ValueError(f"extra mask {name}: invalid regex {pattern!r}: {exc}") from None
        if compiled.match(""):
            raise ValueError(f"extra mask {name}: regex {pattern!r} matches the empty string")
        out.append((name, pattern))
    return tuple(out)


def shape_of(line: str) -> bytes:
    """The line's digit shape: its UTF-8 with every ASCII digit as 0."""
    return line.encode("utf-8", "surrogatepass").translate(_ZEROS)


def _own_digits(tokens: tuple[str, ...], spans: list[Span] | None) -> tuple[tuple[int, int], ...]:
    """``(masked index, raw index)`` of tokens whose digits survive masking (they differ between lines that share
    a digit shape, so the line cache must not hand them out)."""
    out = []
    starts = {s: e for s, e, *_ in spans or ()}
    at = 0
    for i, token in enumerate(tokens):
        if _DIGIT.search(_PLACEHOLDERS.sub("", token)):
            out.append((i, at))
        at = starts.get(at, at + 1)
    return tuple(out)


class Masked:
    """A message after masking: whitespace tokens with placeholders inside, and (lazily) the raw values."""

    __slots__ = ("_line", "_masker", "_values", "kept", "shape", "spans", "tokens")

    def __init__(  # noqa: PLR0917 - built per line, positional is the cheap call
        self,
        tokens: tuple[str, ...],
        line: str,
        masker: Masker,
        spans: list[Span] | None = None,
        shape: bytes | None = None,
        kept: tuple[tuple[int, str], ...] = (),
    ) -> None:
        self.tokens = tokens
        self.spans = spans
        self.shape = shape
        """The line's digit shape (a cache key), or None when the masker could not use one (extra masks)."""
        self.kept = kept
        """``(raw index, raw token)`` of tokens whose own digits survive masking (``ssh2``): lines of the same
        shape mask to the same tokens only if these are equal too."""
        self._line = line
        self._masker = masker
        self._values: tuple[str, ...] | None = None

    @property
    def values(self) -> tuple[str, ...]:
        """The raw text behind each placeholder, in order (a joined value's tokens with single spaces)."""
        if self._values is None:
            self._values = self._masker.values_of(self._line.split(), self.spans)
        return self._values


class Masker:
    """Turns a message into masked tokens. Shareable between miners of the same configuration; not thread-safe."""

    def __init__(self, extra: Mapping[str, str] | None = None, cache_size: int = 200_000) -> None:
        self.extra = dict(extra or {})
        extras = _validate(self.extra)
        self._extra_re = alternation(extras, "x") if extras else None
        self._token_masks = _TOKEN_MASKS
        self._masked: dict[str, str] = {}
        self._lines: dict[bytes, tuple[tuple[str, ...], list[Span] | None, tuple[tuple[int, int], ...]]] = {}
        self._values: dict[str, tuple[str, ...]] = {}
        self._digits: set[str] = set()
        """Masked tokens that keep digits of their own (``ssh2``): cached lines holding one are checked for them."""
        self._cache_size = cache_size

    @property
    def shapes(self) -> bool:
        """Whether lines mask by digit shape (always, unless extra masks, which may look at digit values, exist)."""
        return self._extra_re is None

    def mask(self, line: str, shape: bytes | None = None) -> Masked:
        """Mask ``line``; ``shape`` is :func:`shape_of` the line when the caller has it already."""
        if self._extra_re is not None or OPEN in line or CLOSE in line:
            return self._mask_slow(sanitize(line))
        if shape is None:
            shape = shape_of(line)
        hit = self._lines.get(shape)
        if hit is not None:
            tokens, spans, kept = hit
            if not kept:
                return Masked(tokens, line, self, spans, shape)
            raw = line.split()  # tokens that keep digits of their own (ssh2, 0T00:<NUM>): take them from this line
            fixed = list(tokens)
            for out, at in kept:
                fixed[out] = self.token(raw[at])
            return Masked(tuple(fixed), line, self, spans, shape, tuple((at, raw[at]) for _, at in kept))
        raw = line.split()
        found = tuple(map(self._masked.get, raw))
        if None in found:
            tokens = tuple([t if t is not None else self.token(r) for t, r in zip(found, raw, strict=True)])
        else:
            tokens = cast(tuple[str, ...], found)
        spans = None
        if not TRIGGERS.isdisjoint(tokens) or tokens.count(_BLK) > 1:
            tokens, spans = join(tokens, raw)
        kept = _own_digits(tokens, spans) if not self._digits.isdisjoint(tokens) else ()
        if len(self._lines) >= self._cache_size // 4:
            self._lines.clear()
        self._lines[shape] = (tokens, spans, kept)
        return Masked(tokens, line, self, spans, shape, tuple((at, raw[at]) for _, at in kept))

    def token(self, raw: str) -> str:
        """The masked form of one whitespace token."""
        masked = self._masked.get(raw)
        if masked is not None:
            return masked
        values: tuple[str, ...] = ()
        if raw.isdigit():
            if len(raw) > 5:  # long numbers rarely repeat: not worth a cache slot
                return _NUM
            masked, values = _NUM, (raw,)
        elif raw.isalpha():
            masked = raw
        else:
            found = self._token_masks.quick(raw)
            if found is not None and found[0] in _UNIQUE:  # ids and numbers rarely repeat: no cache slot
                return found[0]
            masked, values = found or self._token_masks.mask(raw)
        if len(self._masked) >= self._cache_size:
            self._masked.clear()
            self._values.clear()
            self._digits.clear()
        self._masked[raw] = masked
        if _DIGIT.search(masked) and (masked is raw or _DIGIT.search(_PLACEHOLDERS.sub("", masked))):
            self._digits.add(masked)
        if values:
            self._values[raw] = values
        return masked

    def token_values(self, raw: str) -> tuple[str, ...]:
        if raw.isdigit():
            return (raw,)
        found = self._values.get(raw)
        if found is None:
            found = () if raw.isalpha() else self._token_masks.mask(raw)[1]
        return found

    def values_of(self, raw: list[str], spans: list[Span] | None) -> tuple[str, ...]:
        out: list[str] = []
        starts = {s: (e, lead, trail) for s, e, _, lead, trail in spans or ()}
        i = 0
        while i < len(raw):
            span = starts.get(i)
            if span is None:
                out.extend(self.token_values(raw[i]))
                i += 1
            else:
                end, lead, trail = span
                text = " ".join(raw[i:end])
                out.append(text[lead : len(text) - trail])
                i = end
        return tuple(out)

    def _mask_slow(self, line: str) -> Masked:
        """Extra masks run over the whole message first (they may span spaces); values are kept as they go."""
        line_values: list[str] = []
        if self._extra_re is not None:
            pattern, names = self._extra_re

            def sub(m: re.Match[str]) -> str:
                line_values.append(m.group(0))
                return placeholder(names[m.lastgroup or ""])

            line = pattern.sub(sub, line)
        pending = iter(line_values)
        raw = line.split()
        tokens: list[str] = []
        per_token: list[list[str]] = []
        original: list[str] = []
        for part in raw:
            out: list[str] = []
            values: list[str] = []
            text: list[str] = []
            for segment in _SEGMENTS.split(part) if OPEN in part else [part]:
                if segment.startswith(OPEN):
                    values.append(next(pending))
                    out.append(segment)
                    text.append(values[-1])
                elif segment:
                    out.append(self.token(segment))
                    values.extend(self.token_values(segment))
                    text.append(segment)
            tokens.append("".join(out))
            per_token.append(values)
            original.append("".join(text))
        joined, spans = join(tuple(tokens), raw)
        starts = {s: (e, lead, trail) for s, e, _, lead, trail in spans}
        flat: list[str] = []
        i = 0
        while i < len(raw):
            span = starts.get(i)
            if span is None:
                flat.extend(per_token[i])
                i += 1
            else:
                end, lead, trail = span
                joined_text = " ".join(original[i:end])
                flat.append(joined_text[lead : len(joined_text) - trail])
                i = end
        masked = Masked(joined, line, self, spans)
        masked._values = tuple(flat)
        return masked
