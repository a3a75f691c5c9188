"""Recommendation: what a person should do about a finding, in their language, with the numbers behind it.

Rendered by :mod:`inframind.analyzer.recommend` from jinja2 templates kept as data (one per finding kind,
Russian and English), always filled from the finding's evidence: no recommendation exists without evidence.
Delivery (Alertmanager annotations, Telegram, email, ITSM tickets) and the API carry this type.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

Language = Literal["ru", "en"]
LANGUAGES: tuple[Language, ...] = ("ru", "en")


@dataclass(frozen=True)
class Recommendation:
    fingerprint: str
    """The finding it is about."""
    kind: str
    language: Language
    title: str
    """One line: what is wrong, where."""
    text: str
    """What to do, with the asset names, numbers and windows of the evidence."""
    next_step: str
    """How to verify the fix worked (which measurement, which value means done)."""
    confidence: float
    """How sure the analyzer is, in [0, 1] (from the finding's score or probability and its evidence)."""
    runbook_url: str = ""
    dashboard_url: str = ""
    facts: Mapping[str, Any] = field(default_factory=dict)
    """The numbers the text was filled with (so tests and API users can check them)."""

    def __post_init__(self) -> None:
        if not 0.0 <= self.confidence <= 1.0:
            raise ValueError("Recommendation.confidence must be within [0, 1]")
        if self.language not in LANGUAGES:
            raise ValueError(f"unknown language {self.language!r}; expected one of {', '.join(LANGUAGES)}")

    def to_dict(self) -> dict[str, Any]:
        return {
            "fingerprint": self.fingerprint, "kind": self.kind, "language": self.language, "title": self.title,
            "text": self.text, "next_step": self.next_step, "confidence": self.confidence,
            "runbook_url": self.runbook_url, "dashboard_url": self.dashboard_url, "facts": dict(self.facts),
        }  # fmt: skip
