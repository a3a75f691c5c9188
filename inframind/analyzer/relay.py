"""The relay: Alertmanager webhook in, Telegram Bot API out (escaped, split under 4096, feedback links added).

Alertmanager retries a whole notification when the receiver answers an error, so the relay answers an error
only when some part could not be sent, and remembers (for ``dedup_window``) which parts each chat already
got: a retry sends only what is missing. Telegram's 429 (``retry_after``) and 5xx are retried a few times
here before giving up. Link previews are off, so Telegram never fetches a feedback link by itself.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import requests

from inframind.analyzer.feedback import MIN_KEY_BYTES, Link, feedback_links
from inframind.analyzer.relay_html import LIMIT, split_message
from inframind.analyzer.relay_message import render_message
from inframind.analyzer.relay_webhook import WebhookAlert, WebhookMessage
from inframind.config.delivery import FeedbackSettings, RelaySettings
from inframind.secrets import SecretError, scrub

log = logging.getLogger(__name__)
MAX_RETRY_AFTER = 30.0


class RelayError(Exception):
    """Telegram did not take a part (after retries) or the relay is not configured; the message says which."""


@dataclass
class RelayReport:
    chat: str
    parts: int
    sent: int = 0
    skipped: int = 0
    """Parts this chat already had (a retried notification)."""


@dataclass
class TelegramBot:
    """``sendMessage`` on the Bot API at ``api_url`` (a local Bot API server or a test listener works too)."""

    api_url: str
    token: str
    timeout: float = 10.0
    retries: int = 3
    sleep: Callable[[float], None] = time.sleep

    def send(self, chat_id: str, text: str) -> dict[str, Any]:
        url = f"{self.api_url.rstrip('/')}/bot{self.token}/sendMessage"
        body = {"chat_id": chat_id, "text": text, "parse_mode": "HTML", "disable_web_page_preview": True}
        problem = ""
        for attempt in range(self.retries):
            try:
                answer = requests.post(url, json=body, timeout=self.timeout)
            except requests.RequestException as exc:
                problem = f"cannot reach the Telegram API: {type(exc).__name__}"
            else:
                data = _json(answer)
                if answer.status_code == 200 and data.get("ok") is True:
                    return dict(data.get("result") or {})
                problem = f"Telegram answered {answer.status_code}: {str(data.get('description', ''))[:200]}"
                if answer.status_code != 429 and answer.status_code < 500:
                    break  # a 400 (bad HTML, unknown chat) does not get better by retrying
                wait = (data.get("parameters") or {}).get("retry_after")
                if isinstance(wait, int | float) and attempt + 1 < self.retries:
                    self.sleep(min(float(wait), MAX_RETRY_AFTER))
                    continue
            if attempt + 1 < self.retries:
                self.sleep(float(2**attempt))
        raise RelayError(scrub(problem))


def _json(answer: requests.Response) -> dict[str, Any]:
    try:
        data = answer.json()
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


@dataclass
class TelegramRelay:
    settings: RelaySettings
    feedback: FeedbackSettings = field(default_factory=FeedbackSettings)
    clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC)
    sleep: Callable[[float], None] = time.sleep
    limit: int = LIMIT
    _sent: dict[str, dt.datetime] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def bot(self) -> TelegramBot:
        if self.settings.telegram_bot_token is None:
            raise RelayError("the Telegram relay has no bot token (analyzer.relay.telegram_bot_token)")
        try:
            token = self.settings.telegram_bot_token.resolve()
        except SecretError as exc:
            raise RelayError(str(exc)) from None
        return TelegramBot(self.settings.telegram_api_url, token, self.settings.timeout, self.settings.retries,
                           self.sleep)  # fmt: skip

    def chat_for(self, message: WebhookMessage) -> str:
        tenant = message.common_labels.get("tenant", "")
        chat = self.settings.chats.get(tenant, "") or self.settings.telegram_chat_id
        if not chat:
            raise RelayError(f"no Telegram chat for tenant {tenant!r} (analyzer.relay.chats or telegram_chat_id)")
        return chat

    def _links(self, now: dt.datetime) -> Callable[[WebhookAlert], list[Link]] | None:
        if self.feedback.key is None:
            return None
        try:
            key = self.feedback.key.resolve().encode("utf-8")
        except SecretError as exc:
            log.warning("messages go without feedback links: %s", exc)
            return None
        if len(key) < MIN_KEY_BYTES:
            log.warning("messages go without feedback links: the key needs at least %d bytes", MIN_KEY_BYTES)
            return None
        settings = self.feedback

        def links(alert: WebhookAlert) -> list[Link]:
            return feedback_links(alert.labels, alert.annotations, key, public_url=settings.public_url, now=now,
                                  ttl=settings.link_ttl, silence_hours=settings.silence_hours,
                                  language=self.settings.language)  # fmt: skip

        return links

    def handle(self, message: WebhookMessage) -> RelayReport:
        """Send ``message`` to its chat; raises :class:`RelayError` if a part could not be sent."""
        now = self.clock()
        bot, chat = self.bot(), self.chat_for(message)
        # Links are signed as of the hour, so a retried notification renders the same text and dedups.
        links = self._links(now.replace(minute=0, second=0, microsecond=0))
        parts = split_message(render_message(message, links, self.settings.language), self.limit)
        report = RelayReport(chat, len(parts))
        horizon = now - dt.timedelta(seconds=self.settings.dedup_window)
        for part in parts:
            key = hashlib.sha256(f"{chat}\0{message.group_key}\0{part}".encode()).hexdigest()
            with self._lock:
                self._sent = {k: at for k, at in self._sent.items() if at >= horizon}
                if key in self._sent:
                    report.skipped += 1
                    continue
            bot.send(chat, part)
            with self._lock:
                self._sent[key] = now
            report.sent += 1
        return report
