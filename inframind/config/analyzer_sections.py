"""Sections of ``analyzer`` for correlation, the generated narrative, the audit log, the credential store and API
targets. They live in the config package (which imports nothing of the analyzer) so ``inframind.yml`` and
``INFRAMIND__ANALYZER__...`` set them like every other setting; the analyzer modules re-export them.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal

from inframind.schema import Duration, PathKey
from inframind.secrets import SecretRef

DEFAULT_KEY_REF = SecretRef("env", "INFRAMIND_SECRET_KEY")
"""Where the credential store's key is looked for when the configuration names none."""


@dataclass(frozen=True)
class CorrelationSettings:
    """How findings are joined into incidents (``analyzer.correlation``)."""

    enabled: bool = True
    interval: Duration = 60.0
    """Cadence of the correlation task."""
    window: Duration = 1800.0
    """Findings whose active spans lie at most this many seconds apart may belong together."""
    max_hops: int = 4
    """Longest dependency path along which one finding's asset can explain another's."""
    shared_hops: int = 2
    """Two assets that depend on one asset within this many hops are related through it (a rack, a CRAC)."""
    max_causes: int = 5


@dataclass(frozen=True)
class NarrativeSettings:
    """``analyzer.narrative``: where the chat-completions endpoint is, and how to call it."""

    enabled: bool = False
    url: str = ""
    """``http://127.0.0.1:8000/v1/chat/completions``, or the API base (``.../v1``) it is appended to."""
    model: str = ""
    api_key: SecretRef | None = None
    """Bearer token (env:NAME or file:/path); none for a local server that needs none."""
    timeout: Duration = 30.0
    max_tokens: int = 400
    language: Literal["en", "ru"] = "en"

    def check(self) -> Iterator[tuple[tuple[str | int, ...], str]]:
        if self.url and not self.url.startswith(("http://", "https://")):
            yield ("url",), "expected an http:// or https:// URL"
        if self.enabled and not self.url:
            yield ("url",), "a narrative needs the URL of an OpenAI-compatible chat-completions endpoint"
        if self.enabled and not self.model:
            yield ("model",), "a narrative needs the model name to ask for"
        if self.timeout <= 0:
            yield ("timeout",), "must be positive"
        if self.max_tokens < 1:
            yield ("max_tokens",), "must be at least 1"


@dataclass(frozen=True)
class AuditSettings:
    retention: Duration = 365 * 86400.0
    """Records older than this are deleted (the chain stays verifiable from its anchor)."""

    def check(self) -> Iterator[tuple[PathKey, str]]:
        if self.retention < 86400:
            yield ("retention",), "must be at least 1d"


@dataclass(frozen=True)
class SecretStoreSettings:
    keys: tuple[SecretRef, ...] = (DEFAULT_KEY_REF,)
    """Fernet keys for credentials entered through the API (env:/file: references; the first key encrypts)."""


@dataclass(frozen=True)
class ApiTargetSettings:
    probe_exporter: str = "127.0.0.1:10121"
    """``host:port`` of the exporter whose /probe reaches API and inventory targets in http_sd."""
    probe_scheme: str = "http"

    def check(self) -> Iterator[tuple[PathKey, str]]:
        if self.probe_scheme not in ("http", "https"):
            yield ("probe_scheme",), "expected http or https"
