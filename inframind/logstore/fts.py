"""Turning a user's search text into a safe FTS5 MATCH expression.

Every word and every double-quoted phrase becomes an FTS5 string (so ``AND``, ``*``, ``:`` or a stray
quote in the input are text, never query syntax); the terms are ANDed, which is what people expect
from a log search box.
"""

from __future__ import annotations

import re

_TERMS = re.compile(r'"([^"]*)"|(\S+)')
_WORDY = re.compile(r"\w", re.UNICODE)


def search_terms(text: str) -> list[str]:
    """The words and phrases of ``text``, in order; terms with no word character are dropped."""
    terms = []
    for phrase, word in _TERMS.findall(text):
        term = (phrase or word).strip()
        if term and _WORDY.search(term):
            terms.append(term)
    return terms


def fts_query(text: str) -> str:
    """``disk "write error" sda`` -> ``"disk" "write error" "sda"`` (empty when nothing searchable)."""
    return " ".join('"' + term.replace('"', '""') + '"' for term in search_terms(text))
