"""Finding -> recommendation: what a person should do, in Russian or English, with the numbers of the evidence.

The texts are data (``templates/recommend/<kind>.yml``, see :mod:`.recommend_templates`); the numbers are facts
(:mod:`.recommend_facts`) taken from the finding's evidence, the inventory and what :mod:`.recommend_context`
measured in the stores. A recommendation is either filled from facts or not made: a kind without templates, a
variant whose required facts are missing, or a template that uses a fact the finding does not have raises
:class:`NoRecommendation` (a ``ValueError``, so the API answers 404 with the reason), never a text with a gap.

Two call shapes, for the two users:

- the API (:data:`inframind.analyzer.api_sources.Recommender`): ``recommender(finding, language)``;
- delivery (:data:`inframind.analyzer.delivery.Recommender`): ``recommender.for_delivery(finding, incident,
  language)``, which answers None instead of raising (an alert goes out without a recommendation rather than not
  at all).
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from jinja2 import TemplateError

from inframind.analyzer.findings import Finding
from inframind.analyzer.incidents import Incident
from inframind.analyzer.recommend_facts import facts_for, variant_key
from inframind.analyzer.recommend_templates import (
    KindTemplates,
    Variant,
    confidence,
    load_templates,
    render,
    render_url,
)
from inframind.analyzer.recommend_types import Context
from inframind.analyzer.recommendation import LANGUAGES, Language, Recommendation
from inframind.inventory import Inventory

log = logging.getLogger(__name__)
ContextFor = Callable[[Finding, Incident | None], Context]
"""Measures what a finding's templates need from the stores (:class:`.recommend_context.StoreContext`)."""


class NoRecommendation(ValueError):
    """No recommendation can be made for this finding; the message says which kind, variant and facts."""


def _missing(variant: Variant, facts: Mapping[str, Any]) -> list[str]:
    return [name for name in variant.requires if name not in facts]


def _choose(kind: KindTemplates, finding: Finding, key: str, facts: Mapping[str, Any]) -> Variant:
    """The variant for the finding's key whose required facts are all there, else ``default`` if its are."""
    tried: list[str] = []
    for name in dict.fromkeys((key, "default")):
        variant = kind.variants.get(name)
        if variant is None:
            continue
        missing = _missing(variant, facts)
        if not missing:
            return variant
        tried.append(f"{name} (missing {', '.join(missing)})")
    if not tried:
        raise NoRecommendation(f"{kind.path.name} has no variant {key!r} and no default")
    raise NoRecommendation(f"the evidence of this {finding.kind} finding lacks facts for: {'; '.join(tried)}")


def _plain(facts: Mapping[str, Any]) -> dict[str, Any]:
    """The facts as JSON values (labels stay a mapping, lists of mappings stay lists)."""
    return {k: (dict(v) if isinstance(v, Mapping) else v) for k, v in facts.items()}


@dataclass
class Recommender:
    """Renders findings with the shipped (or given) templates; ``language`` is the configured default."""

    templates: Mapping[str, KindTemplates] = field(default_factory=load_templates)
    language: Language = "en"
    inventory: Inventory | None = None
    context_for: ContextFor | None = None

    @classmethod
    def from_directory(cls, directory: Path | str, **options: Any) -> Recommender:
        return cls(templates=load_templates(directory), **options)

    def __call__(self, finding: Finding, language: Language | None = None) -> Recommendation:
        """The recommendation in ``language`` (the configured one by default); raises :class:`NoRecommendation`."""
        return self.recommend(finding, language=language)

    def recommend(
        self,
        finding: Finding,
        incident: Incident | None = None,
        language: Language | None = None,
        context: Context | None = None,
    ) -> Recommendation:
        lang = language or self.language
        if lang not in LANGUAGES:
            raise NoRecommendation(f"unknown language {lang!r}; expected one of {', '.join(LANGUAGES)}")
        kind = self.templates.get(finding.kind)
        if kind is None:
            raise NoRecommendation(f"no recommendation templates for kind {finding.kind!r} (templates/recommend)")
        if context is None:
            context = self.context_for(finding, incident) if self.context_for is not None else Context()
        if context.inventory is None and self.inventory is not None:
            context = replace(context, inventory=self.inventory)
        if incident is not None and context.incident is None:
            context = replace(context, incident=incident)
        facts = facts_for(finding, context)
        key = variant_key(finding, facts)
        variant = _choose(kind, finding, key, facts)
        try:
            texts = render(variant, lang, facts, kind.vocabulary.get(lang, {}))
            sure = confidence(variant, facts)
            page = kind.runbooks.get(key) or variant.runbook
            runbook = finding.links.get("runbook") or render_url(lang, page, facts)
            dashboard = finding.links.get("dashboard") or render_url(lang, variant.dashboard, facts)
        except TemplateError as exc:
            raise NoRecommendation(f"{kind.path.name} variant {variant.name} ({lang}): {exc}") from None
        return Recommendation(
            fingerprint=finding.fingerprint,
            kind=finding.kind,
            language=lang,
            title=texts["title"],
            text=texts["text"],
            next_step=texts["next_step"],
            confidence=sure,
            runbook_url=runbook,
            dashboard_url=dashboard,
            facts=_plain(facts),
        )

    def for_delivery(self, finding: Finding, incident: Incident | None, language: Language) -> Recommendation | None:
        """Delivery's shape: None (logged) when no recommendation can be made, so the alert still goes out."""
        try:
            return self.recommend(finding, incident, language)
        except NoRecommendation as exc:
            log.info("no recommendation for %s (%s): %s", finding.fingerprint, finding.kind, exc)
            return None


@functools.cache
def default_recommender() -> Recommender:
    """The shipped templates, loaded once."""
    return Recommender()


def recommend(finding: Finding, language: Language = "en") -> Recommendation:
    """The API's default recommender: shipped templates, the evidence alone (no inventory, no store context)."""
    return default_recommender()(finding, language)
