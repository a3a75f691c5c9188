"""Token-level rules of the miner: when a template token covers a message token, how two tokens generalize, and
which values sit behind a template's placeholders.

A template token is one of: a constant (``port``), a masked token (``uid=<NUM>``), the wildcard ``<*>``, or a
partial wildcard that keeps the constant head and tail of a token (``user=<*>``, ``node-<*>``,
``Interconnect-<*>:<NUM>``). Partial wildcards split only at punctuation, so ``storage1024`` and ``storage112``
become ``<*>`` rather than ``storage<*>``.
"""

from __future__ import annotations

from typing import NamedTuple

from inframind.analyzer.detect.templates.tokenize import CLOSE, OPEN, WILDCARD, fill, placeholder_names


class Param(NamedTuple):
    """One extracted value: the placeholder's name (``IP``, ``NUM``, ``*`` for a learned wildcard) and raw text."""

    name: str
    value: str


def _split(template: str) -> tuple[str, str] | None:
    """``(head, tail)`` of a token holding the learned wildcard, else None."""
    at = template.find(WILDCARD)
    if at < 0:
        return None
    return template[:at], template[at + len(WILDCARD) :]


def covers(template: str, token: str) -> bool:
    """Does ``template`` (one token) accept ``token`` without generalizing?"""
    if template in (token, WILDCARD):
        return True
    parts = _split(template)
    if parts is None:
        return False
    head, tail = parts
    return len(token) >= len(head) + len(tail) and token.startswith(head) and token.endswith(tail)


def _delimiter(ch: str) -> bool:
    return not ch.isalnum() and ch not in (OPEN, CLOSE, "_")


def _keep(part: str, brackets: str) -> bool:
    """A constant head or tail is worth keeping when it says something (a letter or a placeholder) or is
    bracketing (``(<*>)``, ``[<*>]``); bare punctuation such as an escape's backslash is not."""
    if part.count(OPEN) != part.count(CLOSE):
        return False
    return any(c.isalpha() or c == OPEN for c in part) or (part != "" and all(c in brackets for c in part))


def _head(a: str, b: str) -> str:
    """Longest common prefix of ``a`` and ``b`` that ends at punctuation or right after a placeholder."""
    n, limit = 0, min(len(a), len(b))
    while n < limit and a[n] == b[n]:
        n += 1
    while n > 0 and not (_delimiter(a[n - 1]) or a[n - 1] == CLOSE):
        n -= 1
    return a[:n]


def _tail(a: str, b: str) -> str:
    """Longest common suffix of ``a`` and ``b`` that starts at punctuation or at a placeholder."""
    n, limit = 0, min(len(a), len(b))
    while n < limit and a[-1 - n] == b[-1 - n]:
        n += 1
    while n > 0 and not (_delimiter(a[-n]) or a[-n] == OPEN):
        n -= 1
    return a[len(a) - n :]


def generalize(template: str, token: str) -> str:
    """The most specific template token covering both ``template`` and ``token``."""
    if covers(template, token):
        return template
    parts = _split(template)
    head_src, tail_src = parts if parts is not None else (template, template)
    head = _head(head_src, token)
    tail = _tail(tail_src, token)
    head = head if _keep(head, "([{<'\"") else ""
    tail = tail if _keep(tail, ")]}>'\",;:.") else ""
    for candidate in (f"{head}{WILDCARD}{tail}", f"{head}{WILDCARD}", f"{WILDCARD}{tail}"):
        if covers(candidate, token) and covers(candidate, template):
            return candidate
    return WILDCARD


def params(template: tuple[str, ...], tokens: tuple[str, ...], values: tuple[str, ...]) -> tuple[Param, ...]:
    """The values behind every placeholder and wildcard of ``template`` for a message it covers, in order."""
    out: list[Param] = []
    vi = 0
    for t, m in zip(template, tokens, strict=False):
        k = m.count(OPEN)
        mv = values[vi : vi + k]
        vi += k
        if t == m:
            out.extend(Param(n, v) for n, v in zip(placeholder_names(m), mv, strict=False))
        elif t == WILDCARD:
            out.append(Param("*", fill(m, mv)))
        else:
            head, tail = _split(t) or ("", "")
            nh, nt = head.count(OPEN), tail.count(OPEN)
            middle = m[len(head) : len(m) - len(tail)]
            out.extend(Param(n, v) for n, v in zip(placeholder_names(head), mv[:nh], strict=False))
            out.append(Param("*", fill(middle, mv[nh : k - nt])))
            out.extend(Param(n, v) for n, v in zip(placeholder_names(tail), mv[k - nt :], strict=False))
    return tuple(out)
