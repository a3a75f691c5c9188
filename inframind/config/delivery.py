"""Settings of delivery: Alertmanager peers, the Telegram relay, feedback links and ITSM tickets.

They are meant to live in the main config as ``analyzer.alertmanager``, ``analyzer.relay``,
``analyzer.feedback`` and ``analyzer.itsm`` (frozen dataclasses with ``check()``, like every config section);
until those sections exist, :func:`delivery_settings` reads them from the config when present and falls back
to these defaults, under which nothing is sent anywhere.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from inframind.schema import Duration, PathKey
from inframind.secrets import SecretRef

if TYPE_CHECKING:
    from inframind.config.analyzer import AnalyzerConfig


def _http_url(value: str) -> bool:
    return value.startswith(("http://", "https://"))


@dataclass(frozen=True)
class AlertmanagerSinkSettings:
    """Where findings go as alerts (``analyzer.alertmanager``)."""

    urls: tuple[str, ...] = ()
    """Every Alertmanager peer (an HA cluster expects each alert on every peer); empty turns delivery off."""
    resend_interval: Duration = 60.0
    """Active alerts are re-sent this often; their ``endsAt`` lies ``resend_factor`` intervals ahead."""
    resend_factor: int = 4
    timeout: Duration = 10.0
    username: str = ""
    password: SecretRef | None = None
    """Basic auth for Alertmanager behind a proxy (with ``username``)."""
    interval: Duration = 10.0
    """Cadence of the delivery task."""
    max_backoff: Duration = 300.0
    """A peer that fails is retried after 1, 2, 4 ... seconds, at most this long apart."""
    language: Literal["ru", "en"] = "en"
    """Language of the recommendations put into annotations."""

    def check(self) -> Iterator[tuple[PathKey, str]]:
        for i, url in enumerate(self.urls):
            if not _http_url(url):
                yield ("urls", i), "expected an http:// or https:// URL"
        for name in ("resend_interval", "timeout", "interval", "max_backoff"):
            if getattr(self, name) <= 0:
                yield (name,), "must be positive"
        if self.resend_factor < 2:
            yield ("resend_factor",), "must be at least 2, or alerts expire between two resends"
        if self.password is not None and not self.username:
            yield ("username",), "a password needs a username"


@dataclass(frozen=True)
class RelaySettings:
    """The Alertmanager webhook -> Telegram relay (``analyzer.relay``)."""

    telegram_api_url: str = "https://api.telegram.org"
    telegram_bot_token: SecretRef | None = None
    """E.g. ``env:INFRAMIND_TELEGRAM_BOT_TOKEN``; without it the relay answers 503."""
    telegram_chat_id: str = ""
    """Default chat; ``chats`` maps a tenant to its own chat."""
    chats: Mapping[str, str] = field(default_factory=dict)
    timeout: Duration = 10.0
    retries: int = 3
    """Attempts per message part when Telegram answers 429 or 5xx (honouring ``retry_after``)."""
    dedup_window: Duration = 600.0
    """A part already sent to a chat within this window is not sent again (Alertmanager retries a whole
    notification when one part failed)."""
    language: Literal["ru", "en"] = "en"
    """Language of the message's own words (section names, feedback buttons)."""

    def check(self) -> Iterator[tuple[PathKey, str]]:
        if not _http_url(self.telegram_api_url):
            yield ("telegram_api_url",), "expected an http:// or https:// URL"
        if self.telegram_bot_token is not None and not (self.telegram_chat_id or self.chats):
            yield ("telegram_chat_id",), "a bot token needs a chat id (or chats per tenant)"
        if self.timeout <= 0 or self.dedup_window <= 0:
            yield ("timeout" if self.timeout <= 0 else "dedup_window",), "must be positive"
        if self.retries < 1:
            yield ("retries",), "must be at least 1"


@dataclass(frozen=True)
class FeedbackSettings:
    """Signed feedback links (``analyzer.feedback``)."""

    key: SecretRef | None = None
    """HMAC key (at least 32 bytes); without it messages carry no links and the feedback route refuses all."""
    public_url: str = "http://127.0.0.1:8050"
    """The analyzer's URL as people reach it; links are ``{public_url}/api/v1/feedback/link/{token}``."""
    link_ttl: Duration = 7 * 86400.0
    silence_hours: tuple[int, ...] = (4, 24)
    """One "silence for N hours" link per entry."""
    false_positive_memory: Duration = 30 * 86400.0
    """A false-positive mark raises the threshold this long."""
    false_positive_margin: float = 0.1
    """How much stronger than a marked finding the same signal must be to be delivered again (per mark)."""

    def check(self) -> Iterator[tuple[PathKey, str]]:
        if not _http_url(self.public_url):
            yield ("public_url",), "expected an http:// or https:// URL"
        for i, hours in enumerate(self.silence_hours):
            if not 1 <= hours <= 24 * 14:
                yield ("silence_hours", i), "expected 1 to 336 hours"
        if self.link_ttl <= 0 or self.false_positive_memory <= 0:
            yield ("link_ttl" if self.link_ttl <= 0 else "false_positive_memory",), "must be positive"
        if not 0.0 < self.false_positive_margin <= 1.0:
            yield ("false_positive_margin",), "must be within (0, 1]"


@dataclass(frozen=True)
class JiraSettings:
    url: str
    """``https://example.atlassian.net`` (Cloud) or the Data Center base URL."""
    project: str
    token: SecretRef
    """Cloud: an API token (with ``username``, the account's e-mail); Data Center: a personal access token."""
    username: str = ""
    """Empty: the token is sent as a bearer token (Data Center PAT)."""
    issue_type: str = "Task"
    api_version: Literal[2, 3] = 2
    """3 sends descriptions and comments as Atlassian Document Format."""
    resolve_transition: str = "Done"
    priorities: Mapping[str, str] = field(default_factory=dict)
    """Severity -> Jira priority name; empty leaves the project's default."""
    labels: tuple[str, ...] = ("inframind",)


@dataclass(frozen=True)
class ServiceNowSettings:
    url: str
    """The instance, ``https://example.service-now.com``."""
    username: str
    password: SecretRef
    assignment_group: str = ""
    caller_id: str = ""
    close_code: str = "Solution provided"
    """Resolving needs a close code the instance knows (older releases: ``Solved (Permanently)``)."""


@dataclass(frozen=True)
class ItsmSettings:
    """Tickets from incidents (``analyzer.itsm``), opened from Alertmanager's webhook to the analyzer."""

    jira: JiraSettings | None = None
    servicenow: ServiceNowSettings | None = None
    timeout: Duration = 15.0
    retries: int = 4
    """Attempts per request on 429 (honouring ``Retry-After``) and 5xx."""

    def check(self) -> Iterator[tuple[PathKey, str]]:
        for name in ("jira", "servicenow"):
            system = getattr(self, name)
            if system is not None and not _http_url(system.url):
                yield (name, "url"), "expected an http:// or https:// URL"
        if self.retries < 1:
            yield ("retries",), "must be at least 1"


@dataclass(frozen=True)
class DeliverySettings:
    alertmanager: AlertmanagerSinkSettings = AlertmanagerSinkSettings()
    relay: RelaySettings = RelaySettings()
    feedback: FeedbackSettings = FeedbackSettings()
    itsm: ItsmSettings = ItsmSettings()


def delivery_settings(analyzer_config: AnalyzerConfig) -> DeliverySettings:
    """The four delivery sections of ``config.analyzer``, together."""
    a = analyzer_config
    return DeliverySettings(alertmanager=a.alertmanager, relay=a.relay, feedback=a.feedback, itsm=a.itsm)
