"""A template being learned (a cluster of lines), and the rules that decide whether a line or another template
belongs with it.

The rules, in words: tokens that differ only in digits and masked values are what varies within one event; tokens
whose words differ usually mean another event (``Link ok`` / ``Link error``). A few differing words are allowed
(user names), but not at a position the template has held unchanged for ``STABLE`` lines: a value that never
varied in many lines is part of the event's text (``... HTTPS`` vs ``... SOCKS5``). Two templates that agree at
every position up to wildcards, digits and masks are one.
"""

from __future__ import annotations

import re

from inframind.analyzer.detect.templates.model import display_text, template_id
from inframind.analyzer.detect.templates.tokenize import OPEN, WILDCARD
from inframind.analyzer.detect.templates.tokens import covers, generalize

STABLE = 10
"""Lines a template position must have held unchanged before a different word there means a different event."""

Bucket = tuple[int, str]
_NOT_WORD = re.compile("[\\d\ue000]")
_SHAPE = re.compile("\ue000[^\ue001]*\ue001|\\d+")
_LETTER = re.compile(r"[^\W\d_]")


def shape_of(token: str) -> str:
    """A token without its digits and masked values: what stays the same across occurrences of one event."""
    return token if token.isalpha() else _SHAPE.sub("", token)


def constant_shape(token: str) -> str | None:
    """The shape a line's token must have to fill this template position without generalizing a word, or None
    when the position is a slot (a wildcard, or a masked value with only punctuation around it: ``<PATH>:``)."""
    if WILDCARD in token:
        return None
    shape = shape_of(token)
    if OPEN in token and _LETTER.search(shape) is None:
        return None
    return shape


def bucket_of(tokens: tuple[str, ...]) -> Bucket:
    """Token count and the first word: the first token when it is a word, else ``*`` and the second when that is
    one (``<NUM> double-hummer alignment exceptions`` -> ``*double-hummer``), else ``*``."""
    if not tokens:
        return (0, "")
    head = tokens[0]
    if _NOT_WORD.search(head) is None:
        return (len(tokens), head)
    if len(tokens) > 1 and _NOT_WORD.search(tokens[1]) is None:
        return (len(tokens), "*" + tokens[1])
    return (len(tokens), "*")


def merge_tokens(a: tuple[str, ...], b: tuple[str, ...]) -> tuple[str, ...] | None:
    """Tokens covering both templates if they agree everywhere up to wildcards, digits and masks, else None."""
    out = []
    for x, y in zip(a, b, strict=True):
        if x == y or covers(x, y):
            out.append(x)
        elif covers(y, x):
            out.append(y)
        elif shape_of(x) == shape_of(y):
            out.append(generalize(x, y))
        else:
            return None
    return tuple(out)


class Cluster:
    """One template: its tokens, how many lines joined it, since when each position held, and its routes."""

    __slots__ = ("buckets", "key", "shapes", "since", "size", "text", "tid", "tokens", "words")

    def __init__(
        self, key: int, tokens: tuple[str, ...], size: int, buckets: list[Bucket], since: list[int] | None = None
    ) -> None:
        self.key = key
        self.size = size
        self.buckets = buckets
        self.since = since if since is not None else [0] * len(tokens)
        self._set(tokens)

    def _set(self, tokens: tuple[str, ...]) -> None:
        self.tokens = tokens
        self.shapes = tuple(map(constant_shape, tokens))
        self.words = sum(1 for s in self.shapes if s is not None and _LETTER.search(s) is not None)
        self.text = display_text(tokens)
        self.tid = template_id(self.text)

    def retemplate(self, tokens: tuple[str, ...]) -> None:
        """New tokens; positions that changed start holding from now."""
        for i, (old, new) in enumerate(zip(self.tokens, tokens, strict=True)):
            if old != new:
                self.since[i] = self.size
        self._set(tokens)

    def score(self, toks: tuple[str, ...], word_ratio: float, similarity: float) -> tuple[float, int] | None:
        """``(share of agreeing tokens, -wildcards used)`` if ``toks`` may join, else None."""
        same = hard = wild = 0
        stable = self.size - STABLE
        for t, s, shape, since in zip(self.tokens, toks, self.shapes, self.since, strict=True):
            if t == s:
                same += 1
            elif covers(t, s):
                same += 1
                wild += 1
            elif shape is not None and shape != shape_of(s):
                if since <= stable:
                    return None
                hard += 1
        if hard > int(self.words * word_ratio):
            return None
        share = same / len(toks) if toks else 1.0
        if share < similarity:
            return None
        return share, -wild

    def covers(self, toks: tuple[str, ...]) -> bool:
        """Does the template accept ``toks`` as they are?"""
        return all(t == s or covers(t, s) for t, s in zip(self.tokens, toks, strict=True))

    @property
    def wildcards(self) -> int:
        return sum(WILDCARD in t for t in self.tokens)
