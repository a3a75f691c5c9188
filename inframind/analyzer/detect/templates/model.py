"""The miner's public value types: configuration, per-line results, templates and statistics.

Template ids are content hashes: ``template_id(text)`` is the first 16 hex digits of SHA-256 over the display
text (``Failed password for <*> from <IP> port <NUM> ssh2``), so every process, restart and replica names the
same template the same way, whatever order lines arrived in. When a template generalizes its text changes and so
does its id; the result of that ``add`` says so in ``changed_from`` and :meth:`TemplateMiner.resolve` maps any
old id to the current one.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from inframind.analyzer.detect.templates.masking import Masked
from inframind.analyzer.detect.templates.tokenize import display, wildcards
from inframind.analyzer.detect.templates.tokens import Param, params

Change = Literal["none", "created", "updated"]


def template_id(text: str) -> str:
    """Stable id of a template from its display text (16 hex digits of SHA-256)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


@dataclass(frozen=True)
class MinerConfig:
    """How a miner groups lines. The defaults are the benchmarked ones, the same for every source.

    ``similarity``: share of a template's tokens a line must equal (or fill a wildcard of) to join it.
    ``word_ratio``: share of the template's words (tokens with letters) that may differ in a joining line; words
    are what tell events apart (``Link ok`` / ``Link error``), so this is small (one in four).
    ``max_clusters``: LRU bound on templates per miner; the least recently seen is evicted (counted in stats).
    ``extra_masks``: name -> regex, applied before the built-in masks (``{"TICKET": r"INC\\d{7}"}``).
    ``exact_cache_size``: lines remembered with their answer (a shortcut that never changes an answer).
    """

    similarity: float = 0.5
    word_ratio: float = 0.25
    max_clusters: int = 5000
    extra_masks: Mapping[str, str] = field(default_factory=dict)
    exact_cache_size: int = 100_000

    def __post_init__(self) -> None:
        if not 0.0 < self.similarity <= 1.0:
            raise ValueError(f"similarity must be in (0, 1], got {self.similarity}")
        if not 0.0 <= self.word_ratio < 1.0:
            raise ValueError(f"word_ratio must be in [0, 1), got {self.word_ratio}")
        if self.max_clusters < 1:
            raise ValueError(f"max_clusters must be at least 1, got {self.max_clusters}")
        object.__setattr__(self, "extra_masks", dict(self.extra_masks))

    def to_dict(self) -> dict[str, object]:
        return {
            "similarity": self.similarity,
            "word_ratio": self.word_ratio,
            "max_clusters": self.max_clusters,
            "extra_masks": dict(self.extra_masks),
            "exact_cache_size": self.exact_cache_size,
        }


@dataclass(frozen=True)
class Template:
    """A mined template as callers see it."""

    template_id: str
    text: str
    """Readable: named masks and ``<*>`` for learned wildcards (``session opened for user <*> by (uid=<NUM>)``)."""
    size: int
    """Lines this miner assigned to it (since it was created or restored)."""
    wildcard_text: str
    """Every placeholder as ``<*>`` (``... user <*> by (uid=<*>)``): Loghub's format, and what log rules match."""


class MineResult:
    """What :meth:`TemplateMiner.add` learned from one line (read-only by convention; built per line, so slots)."""

    __slots__ = ("_masked", "_params", "_template_tokens", "change", "changed_from", "size", "template", "template_id")

    def __init__(  # noqa: PLR0917 - one per line, positional is the cheap call
        self,
        template_id: str,
        template: str,
        change: Change,
        changed_from: tuple[str, ...],
        size: int,
        template_tokens: tuple[str, ...],
        masked: Masked,
    ) -> None:
        self.template_id = template_id
        self.template = template
        """Display text of the template this line belongs to, after this line (``... from <IP> port <NUM>``)."""
        self.change = change
        """``created``: a new template; ``updated``: an existing one generalized (its id changed); ``none``."""
        self.changed_from = changed_from
        """Ids this template replaced in this step (a generalized template, or templates merged into it)."""
        self.size = size
        self._template_tokens = template_tokens
        self._masked = masked
        self._params: tuple[Param, ...] | None = None

    @property
    def params(self) -> tuple[Param, ...]:
        """The raw values behind each placeholder and wildcard of the template, in order (computed on first use)."""
        if self._params is None:
            self._params = params(self._template_tokens, self._masked.tokens, self._masked.values)
        return self._params

    @property
    def wildcard_template(self) -> str:
        """The template with every placeholder as ``<*>`` (what log rules match against)."""
        return wildcard_text(self._template_tokens)

    def __repr__(self) -> str:
        return f"MineResult({self.template_id}, {self.template!r}, {self.change}, size={self.size})"


@dataclass(frozen=True)
class MatchResult:
    """What the read-only :meth:`TemplateMiner.match` found."""

    template_id: str
    template: str
    params: tuple[Param, ...]


@dataclass(frozen=True)
class MinerStats:
    lines: int
    clusters: int
    evictions: int
    """Templates dropped by the LRU bound (export as a counter: ``inframind_log_templates_evicted_total``)."""
    created: int
    updated: int
    merges: int


def display_text(tokens: tuple[str, ...]) -> str:
    return display(" ".join(tokens))


def wildcard_text(tokens: tuple[str, ...]) -> str:
    return wildcards(" ".join(tokens))
