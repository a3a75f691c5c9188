"""Turning a user's search text into a safe FTS5 MATCH expression.

Every word and every double-quoted phrase becomes an FTS5 string (so ``AND``, ``*``, ``:`` or a stray
quote in the input are text, never query syntax); the terms are ANDed, which is what people expect
from a log search box.
"""

from __future__ import annotations

import re

_TERMS = re.compile(r'"([^"]*)"|(\S+)')
_WORDY = re.compile(r"\w", re.UNICODE)


def search_terms(text: str) -> list[tuple[bool, str]]:
    """``(is_phrase, term)`` for each bare word and each double-quoted phrase of ``text``, in order, for
    every store (an unmatched quote is part of a word); terms with no word character are dropped: they
    analyse to nothing and would make a phrase match no event at all."""
    terms = []
    for phrase, word in _TERMS.findall(text):
        term = (phrase or word).strip()
        if term and _WORDY.search(term):
            terms.append((bool(phrase), term))
    return terms


def fts_query(text: str) -> str:
    """``disk "write error" sda`` -> ``"disk" "write error" "sda"`` (empty when nothing searchable)."""
    return " ".join('"' + term.replace('"', '""') + '"' for _, term in search_terms(text))
