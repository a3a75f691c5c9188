"""OIDC bearer tokens: a JWT from the identity provider, checked offline against its published keys.

The key set is cached; a token signed with a key id we have not seen refetches it at once (that is how
providers rotate keys), at most every ``_REFETCH_GAP`` seconds so garbage tokens cannot make us hammer the
provider. Only asymmetric algorithms are accepted (config refuses ``none`` and HS*), and issuer, audience
and expiry are required claims. Every refusal has a short reason for the audit log and metrics.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import jwt
import requests

from inframind.analyzer.auth import RANK, Principal
from inframind.config import ROLES, Role
from inframind.config.security import OIDCSettings

_REFETCH_GAP = 10.0


class OIDCVerifier:
    """Maps a JWT to a principal (name, role, tenant) or a refusal reason."""

    def __init__(
        self,
        settings: OIDCSettings,
        *,
        session: requests.Session | None = None,
        clock: Callable[[], float] = time.time,
        timeout: float = 5.0,
    ) -> None:
        self.settings = settings
        self._session = session or requests.Session()
        self._clock = clock
        self._timeout = timeout
        self._lock = threading.Lock()
        self._keys: dict[str, jwt.PyJWK] = {}
        self._fetched_at = float("-inf")

    # ------------------------------------------------------------------ keys

    def _jwks_url(self) -> str:
        if self.settings.jwks_url:
            return self.settings.jwks_url
        discovery = self.settings.issuer.rstrip("/") + "/.well-known/openid-configuration"
        answer = self._session.get(discovery, timeout=self._timeout)
        answer.raise_for_status()
        uri = answer.json().get("jwks_uri")
        if not isinstance(uri, str) or not uri.startswith(("https://", "http://")):
            raise ValueError(f"{discovery} has no usable jwks_uri")
        return uri

    def _refresh(self) -> None:
        answer = self._session.get(self._jwks_url(), timeout=self._timeout)
        answer.raise_for_status()
        keys: dict[str, jwt.PyJWK] = {}
        for key in jwt.PyJWKSet.from_dict(answer.json()).keys:
            if key.key_id and getattr(key, "public_key_use", None) in (None, "sig"):
                keys[key.key_id] = key
        self._keys = keys
        self._fetched_at = self._clock()

    def _key(self, kid: str) -> jwt.PyJWK | None:
        with self._lock:
            age = self._clock() - self._fetched_at
            stale = age > self.settings.jwks_cache
            if stale or (kid not in self._keys and age > _REFETCH_GAP):
                self._refresh()
            return self._keys.get(kid)

    # ------------------------------------------------------------------ tokens

    def verify(self, token: str) -> tuple[Principal | None, str]:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.DecodeError:
            return None, "malformed_token"
        alg, kid = header.get("alg"), header.get("kid")
        if alg not in self.settings.algorithms:
            return None, "bad_algorithm"
        if not isinstance(kid, str):
            return None, "no_key_id"
        try:
            key = self._key(kid)
        except (requests.RequestException, ValueError, jwt.PyJWKSetError):
            return None, "jwks_unavailable"
        if key is None:
            return None, "unknown_key"
        try:
            claims = jwt.decode(
                token,
                key.key,
                algorithms=[alg],
                audience=self.settings.audience,
                issuer=self.settings.issuer,
                leeway=self.settings.leeway,
                options={"require": ["exp", "iss", "aud", "sub"]},
            )
        except jwt.ExpiredSignatureError:
            return None, "expired_token"
        except jwt.InvalidAudienceError:
            return None, "wrong_audience"
        except jwt.InvalidIssuerError:
            return None, "wrong_issuer"
        except jwt.InvalidSignatureError:
            return None, "bad_signature"
        except jwt.InvalidTokenError:
            return None, "invalid_token"
        return self._principal(claims)

    def _principal(self, claims: dict[str, Any]) -> tuple[Principal | None, str]:
        role = best_role(_claim(claims, self.settings.role_claim), self.settings.role_map)
        if role is None:
            return None, "no_role"
        tenant = _claim(claims, self.settings.tenant_claim)
        if not isinstance(tenant, str) or not tenant:
            return None, "no_tenant"
        name = claims.get("preferred_username") or claims["sub"]
        return Principal(f"oidc:{name}", role, tenant), "ok"


def _claim(claims: dict[str, Any], path: str) -> Any:
    value: Any = claims
    for part in path.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


def best_role(value: Any, role_map: dict[str, str]) -> Role | None:
    """The highest role the claim grants: a string or a list of strings, mapped through ``role_map``."""
    values = [value] if isinstance(value, str) else value if isinstance(value, list) else []
    roles = [r for v in values if isinstance(v, str) for r in [role_map.get(v, v)] if r in ROLES]
    if not roles:
        return None
    return max(roles, key=lambda r: RANK[r])
