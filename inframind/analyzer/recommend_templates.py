"""Recommendation templates: one YAML file per finding kind, Russian and English, rendered by a sandboxed jinja2.

A file (``templates/recommend/<kind>.yml``) holds variants (``default``, or one per alert name, signal, case ...);
each names the facts it ``requires``, its runbook and dashboard, a confidence expression, and per language a
``title``, a ``text`` and a ``next_step``. ``vocabulary`` maps fact values (a factor, a resource) to words per
language; ``runbooks`` maps a variant key (an alert name, a signal) to its runbook page when one variant serves many
keys. The environment is sandboxed (templates are data, not code) and strict: a fact a template uses but the
finding does not have is an error, never an empty string, so a recommendation is either filled from evidence or
not made at all. Numbers are printed as the facts hold them (``num``: no further rounding, decimal comma in
Russian), so every number in a text is one of its facts; ``plural`` puts a count before the word form it takes
(Russian: one, few, many; English: one, many).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from jinja2 import StrictUndefined, TemplateError
from jinja2.sandbox import ImmutableSandboxedEnvironment

from inframind.analyzer.recommendation import LANGUAGES, Language

TEMPLATES_DIR = Path(__file__).parent / "templates" / "recommend"
PARTS = ("title", "text", "next_step")
UNITS: Mapping[Language, Mapping[str, str]] = {
    "ru": {"pct": "%", "ms": "мс", "s": "с", "celsius": "°C", "rpm": "об/мин", "watts": "Вт", "per_s": "/с",  # noqa: RUF001
           "requests": "запросов", "gib": "ГиБ", "": ""},
    "en": {"pct": "%", "ms": "ms", "s": "s", "celsius": "°C", "rpm": "rpm", "watts": "W", "per_s": "/s",
           "requests": "requests", "gib": "GiB", "": ""},
}  # fmt: skip


class TemplateFileError(ValueError):
    """A template file is malformed; the message names the file, the variant and what is wrong."""


def num(value: Any, language: Language = "en") -> str:
    """A number exactly as the fact holds it: integers without decimals, no exponent, ``,`` as the Russian
    decimal mark. Anything else is an error (a fact that is not a number must not pass for one)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TemplateError(f"num expects a number, got {value!r}")
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value) if isinstance(value, int) else f"{value:.10f}".rstrip("0").rstrip(".")
    return text.replace(".", ",") if language == "ru" else text


def _ru_form(value: float, one: str, few: str, many: str) -> str:
    """The Russian form after ``value``: 1, 21 -> one; 2-4, 22-24 -> few; 5-20, 25 -> many; a fraction -> few."""
    if not float(value).is_integer():
        return few
    n = abs(int(value))
    if n % 10 == 1 and n % 100 != 11:
        return one
    if 2 <= n % 10 <= 4 and not 12 <= n % 100 <= 14:
        return few
    return many


def plural(value: Any, language: Language, *forms: str) -> str:
    """``value`` as :func:`num` prints it, a space, and the word form it takes (three forms in Russian, two in
    English)."""
    text = num(value, language)
    if language == "ru":
        if len(forms) != 3:
            raise TemplateError(f"plural in Russian takes three forms (one, few, many), got {len(forms)}")
        return f"{text} {_ru_form(float(value), *forms)}"
    if len(forms) != 2:
        raise TemplateError(f"plural in English takes two forms (one, many), got {len(forms)}")
    return f"{text} {forms[0] if float(value) == 1 else forms[1]}"


@dataclass(frozen=True)
class Variant:
    name: str
    requires: tuple[str, ...]
    runbook: str
    dashboard: str
    confidence: str
    """A jinja expression over the facts giving a number in [0, 1]."""
    texts: Mapping[Language, Mapping[str, str]]


@dataclass(frozen=True)
class KindTemplates:
    kind: str
    path: Path
    variants: Mapping[str, Variant]
    vocabulary: Mapping[Language, Mapping[str, str]] = field(default_factory=dict)
    runbooks: Mapping[str, str] = field(default_factory=dict)
    """Variant key -> runbook page, for keys that share a variant (checked before the variant's own runbook)."""

    def variant(self, key: str) -> Variant | None:
        return self.variants.get(key) or self.variants.get("default")


def _environment(language: Language) -> ImmutableSandboxedEnvironment:
    env = ImmutableSandboxedEnvironment(undefined=StrictUndefined, autoescape=False, trim_blocks=True,
                                        lstrip_blocks=True, keep_trailing_newline=False)  # fmt: skip
    env.filters["num"] = lambda value: num(value, language)
    env.filters["unit"] = lambda key: UNITS[language][str(key)]
    env.filters["plural"] = lambda value, *forms: plural(value, language, *forms)
    return env


ENVIRONMENTS: Mapping[Language, ImmutableSandboxedEnvironment] = {lang: _environment(lang) for lang in LANGUAGES}


def _text(data: Mapping[str, Any], key: str, where: str) -> str:
    value = data.get(key, "")
    if not isinstance(value, str):
        raise TemplateFileError(f"{where}: {key} must be a string")
    return value


def _variant(name: str, data: Any, defaults: Mapping[str, Any], where: str) -> Variant:
    if not isinstance(data, Mapping):
        raise TemplateFileError(f"{where}: a variant is a mapping with ru and en texts")
    texts: dict[Language, dict[str, str]] = {}
    for lang in LANGUAGES:
        parts = data.get(lang)
        if not isinstance(parts, Mapping) or any(not parts.get(p) for p in PARTS):
            raise TemplateFileError(f"{where}: {lang} needs {', '.join(PARTS)}")
        texts[lang] = {p: _text(parts, p, f"{where}.{lang}") for p in PARTS}
        for part, source in texts[lang].items():
            try:
                ENVIRONMENTS[lang].parse(source)
            except TemplateError as exc:
                raise TemplateFileError(f"{where}.{lang}.{part}: {exc}") from None
    requires = data.get("requires", [])
    if not isinstance(requires, list) or not all(isinstance(r, str) for r in requires):
        raise TemplateFileError(f"{where}: requires is a list of fact names")
    confidence = _text(data, "confidence", where) or str(defaults.get("confidence") or "score")
    try:
        ENVIRONMENTS["en"].compile_expression(confidence)
    except TemplateError as exc:
        raise TemplateFileError(f"{where}.confidence: {exc}") from None
    return Variant(name, tuple(requires), _text(data, "runbook", where) or str(defaults.get("runbook") or ""),
                   _text(data, "dashboard", where) or str(defaults.get("dashboard") or ""), confidence,
                   texts)  # fmt: skip


def load_kind(path: Path) -> KindTemplates:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise TemplateFileError(f"{path}: {exc}") from None
    if not isinstance(data, Mapping) or not isinstance(data.get("kind"), str):
        raise TemplateFileError(f"{path}: expected a mapping with kind and variants")
    variants = data.get("variants")
    if not isinstance(variants, Mapping) or not variants:
        raise TemplateFileError(f"{path}: variants must name at least one variant")
    defaults = {k: data.get(k) for k in ("confidence", "runbook", "dashboard")}
    parsed = {str(n): _variant(str(n), v, defaults, f"{path.name}: variants.{n}") for n, v in variants.items()}
    words = data.get("vocabulary") or {}
    vocabulary = {lang: {str(k): str(v) for k, v in (words.get(lang) or {}).items()} for lang in LANGUAGES}
    runbooks = data.get("runbooks") or {}
    if not isinstance(runbooks, Mapping) or not all(isinstance(v, str) for v in runbooks.values()):
        raise TemplateFileError(f"{path}: runbooks maps a variant key to a runbook page")
    return KindTemplates(str(data["kind"]), path, parsed, vocabulary, {str(k): v for k, v in runbooks.items()})


def load_templates(directory: Path | str | None = None) -> dict[str, KindTemplates]:
    """Every kind's templates in ``directory`` (the shipped ones by default), keyed by kind."""
    root = Path(directory) if directory is not None else TEMPLATES_DIR
    out: dict[str, KindTemplates] = {}
    for path in sorted(root.glob("*.yml")):
        kind = load_kind(path)
        if kind.kind in out:
            raise TemplateFileError(f"{path}: kind {kind.kind} is already defined in {out[kind.kind].path.name}")
        out[kind.kind] = kind
    return out


_SPACES = re.compile(r"[ \t]+")


def tidy(text: str) -> str:
    """One space between words, no blank lines, no space before punctuation a conditional block left behind."""
    lines = (_SPACES.sub(" ", line).strip() for line in text.splitlines())
    joined = "\n".join(line for line in lines if line)
    return re.sub(r" +([,.;:)])", r"\1", joined)


def render(variant: Variant, language: Language, facts: Mapping[str, Any], words: Mapping[str, str]) -> dict[str, str]:
    """The three texts; raises jinja2's UndefinedError for a missing fact, TemplateError for a bad value."""
    env = ENVIRONMENTS[language]
    scope = {**facts, "words": words}
    return {part: tidy(env.from_string(source).render(scope)) for part, source in variant.texts[language].items()}


def confidence(variant: Variant, facts: Mapping[str, Any]) -> float:
    value = ENVIRONMENTS["en"].compile_expression(variant.confidence)(**facts)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TemplateError(f"confidence {variant.confidence!r} is not a number: {value!r}")
    return round(min(1.0, max(0.0, float(value))), 2)


def render_url(env_language: Language, source: str, facts: Mapping[str, Any]) -> str:
    """A runbook or dashboard link template filled from the facts ("" stays "")."""
    return ENVIRONMENTS[env_language].from_string(source).render(facts).strip() if source else ""
