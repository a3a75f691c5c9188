"""An optional narrative of an incident from an LLM behind an OpenAI-compatible chat-completions endpoint.

Off by default (``analyzer.narrative.enabled``). The deterministic report is always produced first; the model
only gets the facts that report holds (causes, paths, evidence numbers, timeline) and is asked to summarize
them without adding any. Its answer is returned as a :class:`Narrative` marked ``generated`` (the report says
so beside it), and any failure (endpoint down, timeout, an error status, an answer without text) becomes a
note, never an exception: the report renders without the summary.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import requests

from inframind.config.analyzer_sections import NarrativeSettings
from inframind.secrets import SecretError, scrub

MAX_TEXT = 4000
"""Longer answers are cut: a summary that needs more is not a summary."""
CHAT_PATH = "/chat/completions"
SYSTEM_PROMPT = {
    "en": (
        "You summarize an infrastructure incident for the on-call engineer in at most five sentences. Use only "
        "the facts given: name the most likely root cause, the dependency path to the affected assets, the key "
        "numbers and the time it began. Do not add causes, numbers or advice that are not in the facts."
    ),
    "ru": (
        "Кратко (не более пяти предложений) изложи инцидент инфраструктуры для дежурного инженера. Используй "
        "только приведённые факты: вероятную первопричину, путь зависимостей до затронутых активов, ключевые "
        "числа и время начала. Не добавляй причин, чисел и советов, которых нет в фактах."  # noqa: RUF001
    ),
}


@dataclass(frozen=True)
class Narrative:
    """A generated summary (``text``), or why there is none (``note``)."""

    model: str
    text: str | None = None
    note: str = ""
    generated: bool = True


def chat_url(url: str) -> str:
    base = url.rstrip("/")
    return base if base.endswith(CHAT_PATH) else base + CHAT_PATH


def _evidence_line(evidence: Mapping[str, Any]) -> str:
    window = evidence.get("window") or {}
    span = f" over {window.get('start')}..{window.get('end')}" if window else ""
    if evidence.get("kind") == "metric":
        expected = "" if evidence.get("expected") is None else f", expected {evidence['expected']}"
        return f"series {evidence['query']}: observed {evidence['observed']}{evidence.get('unit', '')}{expected}{span}"
    if evidence.get("kind") == "log":
        return f"log template {evidence['template']!r}: {evidence['count']} events{span}"
    return f"fact {evidence.get('name')}: {json.dumps(evidence.get('values') or {}, sort_keys=True)}"


def facts(rca: Mapping[str, Any]) -> str:
    """The RCA as plain lines: what the model may use, and nothing else."""
    incident = rca["incident"]
    lines = [f"Incident {incident['id']}: {incident['title']} (severity {incident['severity']}, {incident['state']})"]
    timeline = rca.get("timeline") or {}
    lines += [f"{name}: {timeline[name]}" for name in ("first_signal_at", "detected_at", "resolved_at")
              if timeline.get(name)]  # fmt: skip
    for i, cause in enumerate(rca.get("causes") or (), 1):
        what = "inferred (no finding of its own)" if cause["inferred"] else cause["kind"]
        lines.append(f"Cause candidate {i}: {cause['asset_id']} ({cause['asset_kind'] or 'asset'}), {what}, "
                     f"score {cause['score']}")  # fmt: skip
        lines += [f"  - {reason}" for reason in cause["reasons"]]
    for finding in rca.get("findings") or ():
        if finding.get("state") == "unknown":
            continue
        lines.append(f"Finding on {finding['asset_id']}: {finding['title']} ({finding['kind']}, {finding['state']})")
        lines += [f"  - {_evidence_line(e)}" for e in finding.get("evidence") or ()]
    return "\n".join(lines)


def summarize(
    rca: Mapping[str, Any],
    settings: NarrativeSettings,
    session: requests.Session | None = None,
    env: Mapping[str, str] | None = None,
) -> Narrative | None:
    """The model's summary of the RCA view; None when narratives are off. Never raises for the endpoint."""
    if not settings.enabled:
        return None
    headers = {"Content-Type": "application/json"}
    try:
        if settings.api_key is not None:
            headers["Authorization"] = f"Bearer {settings.api_key.resolve(env)}"
    except SecretError as exc:
        return Narrative(settings.model, note=f"no summary: {exc}")
    body = {
        "model": settings.model,
        "messages": [
            {"role": "system", "content": SYSTEM_PROMPT[settings.language]},
            {"role": "user", "content": facts(rca)},
        ],
        "max_tokens": settings.max_tokens,
        "temperature": 0,
    }
    url = chat_url(settings.url)
    http = session or requests.Session()
    try:
        answer = http.post(url, json=body, headers=headers, timeout=settings.timeout)
    except requests.RequestException as exc:
        return Narrative(settings.model, note=f"no summary: {url} is unreachable ({scrub(type(exc).__name__)})")
    finally:
        if session is None:
            http.close()
    if answer.status_code >= 400:
        return Narrative(settings.model, note=f"no summary: {url} answered HTTP {answer.status_code}")
    try:
        text = answer.json()["choices"][0]["message"]["content"]
    except (ValueError, KeyError, IndexError, TypeError):
        return Narrative(settings.model, note=f"no summary: {url} gave no chat completion in its answer")
    if not isinstance(text, str) or not text.strip():
        return Narrative(settings.model, note=f"no summary: {url} answered with an empty completion")
    text = text.strip()
    return Narrative(settings.model, text if len(text) <= MAX_TEXT else text[: MAX_TEXT - 1] + "…")
