"""Resolving ``auth=api:<name>`` on the exporter: the credential fetched from the analyzer, cached with a TTL.

Targets created through the analyzer's API are scraped with ``&auth=api:<target id>``, so the credential never
sits in a scrape URL or a scrape config. The exporter asks ``GET /api/v1/auths/<name>`` of the analyzer with its
own bearer token (role operator; every answer is an audited secret access there), keeps the answer for ``ttl``,
and keeps serving the last good answer for up to ``stale_ttl`` while the analyzer cannot be reached, so a short
analyzer outage does not stop collection. An unknown name is remembered briefly too (``negative_ttl``).

Settings come from ``exporter.probe.auth_api`` once that config section exists; until then from the environment:
``INFRAMIND_AUTH_API_URL`` (the analyzer's base URL) and ``INFRAMIND_AUTH_API_TOKEN`` (its bearer token).
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import requests

from inframind.exporters.probe.apiauth import API_PREFIX, CredentialError, auth_from_credential
from inframind.exporters.probe.config import Auth
from inframind.secrets import SecretError, SecretRef

Fetch = Callable[[str, Mapping[str, str], float], tuple[int, Any]]
"""(url, headers, timeout) -> (status, parsed JSON body or None)."""


class AuthLookupError(Exception):
    """The credential could not be had; ``unknown`` says whether the analyzer does not know the name."""

    def __init__(self, message: str, unknown: bool = False) -> None:
        super().__init__(message)
        self.unknown = unknown


@dataclass(frozen=True)
class AuthApiSettings:
    url: str | None = None
    """The analyzer's base URL (``http://127.0.0.1:8050``); None: ``api:`` auths are unknown."""
    token: SecretRef | None = None
    ttl: float = 300.0
    stale_ttl: float = 3600.0
    negative_ttl: float = 10.0
    timeout: float = 5.0

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> AuthApiSettings:
        environ = os.environ if env is None else env
        url = environ.get("INFRAMIND_AUTH_API_URL") or None
        token = SecretRef("env", "INFRAMIND_AUTH_API_TOKEN") if environ.get("INFRAMIND_AUTH_API_TOKEN") else None
        return cls(url=url, token=token)


def _requests_fetch(url: str, headers: Mapping[str, str], timeout: float) -> tuple[int, Any]:
    answer = requests.get(url, headers=dict(headers), timeout=timeout)
    try:
        body = answer.json()
    except ValueError:
        body = None
    return answer.status_code, body


@dataclass
class _Entry:
    auth: Auth | None
    fetched: float
    error: str = ""


class ApiAuthResolver:
    """``api:<name>`` -> :class:`Auth`, thread-safe, cached."""

    def __init__(
        self,
        settings: AuthApiSettings,
        fetch: Fetch = _requests_fetch,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.settings, self._fetch, self._clock = settings, fetch, clock
        self._cache: dict[str, _Entry] = {}
        self._lock = threading.Lock()

    @staticmethod
    def handles(reference: str) -> bool:
        return reference.startswith(API_PREFIX) and len(reference) > len(API_PREFIX)

    def resolve(self, reference: str) -> Auth:
        """The credential ``reference`` names; :class:`AuthLookupError` when it cannot be had."""
        now = self._clock()
        with self._lock:
            entry = self._cache.get(reference)
        if entry is not None:
            age = now - entry.fetched
            if entry.auth is not None and age < self.settings.ttl:
                return entry.auth
            if entry.auth is None and age < self.settings.negative_ttl:
                raise AuthLookupError(entry.error, unknown=True)
        try:
            auth = self._lookup(reference)
        except AuthLookupError as exc:
            with self._lock:
                if exc.unknown:
                    self._cache[reference] = _Entry(None, now, str(exc))
                elif entry is not None and entry.auth is not None and now - entry.fetched < self.settings.stale_ttl:
                    return entry.auth  # the analyzer is away: the last good answer still opens the device
            raise
        with self._lock:
            self._cache[reference] = _Entry(auth, now)
        return auth

    def _lookup(self, reference: str) -> Auth:
        s = self.settings
        if not s.url:
            raise AuthLookupError(f"auth {reference}: no analyzer to ask (set INFRAMIND_AUTH_API_URL)", unknown=True)
        name = reference[len(API_PREFIX) :]
        headers = {"Accept": "application/json"}
        if s.token is not None:
            try:
                headers["Authorization"] = f"Bearer {s.token.resolve()}"
            except SecretError as exc:
                raise AuthLookupError(f"auth {reference}: {exc}") from None
        url = f"{s.url.rstrip('/')}/api/v1/auths/{quote(name, safe='')}"
        try:
            status, body = self._fetch(url, headers, s.timeout)
        except requests.RequestException as exc:
            raise AuthLookupError(
                f"auth {reference}: the analyzer at {s.url} is unreachable: {type(exc).__name__}"
            ) from None
        if status == 404:
            raise AuthLookupError(f"auth {reference}: the analyzer knows no such credential", unknown=True)
        if status in (401, 403):
            raise AuthLookupError(f"auth {reference}: the analyzer refused the exporter's token ({status}); "
                                  "it needs an operator token of the target's tenant")  # fmt: skip
        if status != 200 or not isinstance(body, dict):
            raise AuthLookupError(f"auth {reference}: the analyzer answered {status}")
        kind, settings = body.get("type"), body.get("settings")
        if not isinstance(kind, str) or not isinstance(settings, dict):
            raise AuthLookupError(f"auth {reference}: the analyzer's answer has no type and settings")
        try:
            return auth_from_credential(reference, kind, settings)
        except (CredentialError, KeyError) as exc:
            raise AuthLookupError(f"auth {reference}: the stored credential does not fit {kind}: {exc}") from None
