"""Who may call what: bearer tokens from config, roles viewer < operator < admin, one enforcing dependency.

Every API route declares its policy where it is defined (``openapi_extra=policy("operator")``); the one
app-wide dependency :func:`authorize` reads the matched route's policy and enforces it. A route without a
policy is refused (fail closed), so a forgotten declaration is a visible 500, never an open door.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, Protocol

from fastapi import HTTPException, Request
from fastapi.routing import APIRoute
from prometheus_client import Counter

from inframind.config import ROLES, ApiToken, Role
from inframind.tokenfile import StoredToken, TokenFile, TokenFileError

if TYPE_CHECKING:
    from inframind.analyzer.oidc import OIDCVerifier

log = logging.getLogger(__name__)

POLICY_KEY = "x-required-role"
Policy = Role | Literal["public"]
RANK = {role: i for i, role in enumerate(ROLES, start=1)}


def policy(required: Policy) -> dict[str, Any]:
    """The ``openapi_extra`` that declares a route's required role (or ``public``)."""
    return {POLICY_KEY: required}


@dataclass(frozen=True)
class Principal:
    name: str
    role: Role
    tenant: str


class Authenticator(Protocol):
    def authenticate(self, token: str) -> tuple[Principal | None, str]:
        """The principal, or None and a short reason (unknown_token, expired_token, bad_signature...)."""
        ...


class TokenAuthenticator:
    """API tokens (config and the token file, by SHA-256, with expiry) and, when configured, OIDC JWTs.

    A JWT (three dot-separated parts) goes to the OIDC verifier; anything else is looked up by hash. The token
    file is re-read when it changes, so a revocation holds from the next request.
    """

    def __init__(
        self,
        tokens: Sequence[ApiToken],
        clock: Callable[[], dt.datetime],
        *,
        token_file: TokenFile | None = None,
        oidc: OIDCVerifier | None = None,
    ) -> None:
        self._by_hash = {t.hash: t for t in tokens}
        self._clock = clock
        self._file = token_file
        self._oidc = oidc
        self._index: tuple[tuple[StoredToken, ...], dict[str, StoredToken]] = ((), {})

    def _stored(self) -> dict[str, StoredToken]:
        """The token file by hash, rebuilt only when the file changed (its load is cached by mtime)."""
        assert self._file is not None
        try:
            tokens = self._file.load()
        except TokenFileError as exc:
            log.error("token file unreadable, its tokens are refused: %s", exc)
            return {}
        if self._index[0] is not tokens:
            self._index = (tokens, {t.hash: t for t in tokens})
        return self._index[1]

    def authenticate(self, token: str) -> tuple[Principal | None, str]:
        if token.count(".") == 2:
            if self._oidc is None:
                return None, "oidc_not_configured"
            return self._oidc.verify(token)
        hashed = "sha256:" + hashlib.sha256(token.encode("utf-8")).hexdigest()
        entry = self._by_hash.get(hashed)
        if entry is None and self._file is not None:
            record = self._stored().get(hashed)
            if record is not None and record.revoked is not None:
                return None, "revoked_token"
            entry = record.as_api_token() if record is not None else None
        if entry is None:
            return None, "unknown_token"
        if entry.expires is not None and entry.expires <= self._clock():
            return None, "expired_token"
        return Principal(entry.name, entry.role, entry.tenant), "ok"


class FailureLimiter:
    """At most ``limit`` failed authentications per client address per ``window`` seconds; then 429."""

    def __init__(self, limit: int, window: float = 60.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.limit, self.window, self._clock = limit, window, clock
        self._failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, client: str, now: float) -> deque[float]:
        seen = self._failures.setdefault(client, deque())
        while seen and seen[0] <= now - self.window:
            seen.popleft()
        return seen

    def blocked(self, client: str) -> bool:
        if self.limit <= 0:
            return False
        with self._lock:
            return len(self._recent(client, self._clock())) >= self.limit

    def failed(self, client: str) -> None:
        if self.limit <= 0:
            return
        with self._lock:
            now = self._clock()
            self._recent(client, now).append(now)
            if len(self._failures) > 10_000:  # a flood of addresses must not grow this without bound
                for key in [k for k, v in self._failures.items() if not v or v[-1] <= now - self.window]:
                    del self._failures[key]


def route_policy(request: Request) -> Policy | None:
    route = request.scope.get("route")
    extra = getattr(route, "openapi_extra", None) or {}
    value = extra.get(POLICY_KEY)
    return value if value in (*ROLES, "public") else None


def _unauthorized(detail: str) -> HTTPException:
    return HTTPException(401, detail, headers={"WWW-Authenticate": 'Bearer realm="inframind"'})


def make_authorize(
    authenticator: Authenticator, failures: Counter, limiter: FailureLimiter | None = None
) -> Callable[[Request], Principal | None]:
    """The app-wide dependency; stores the caller on ``request.state.principal`` and, when refused, the reason
    on ``request.state.auth_failure`` (the audit log records it)."""

    def refuse(request: Request, reason: str, error: HTTPException) -> HTTPException:
        failures.labels(reason).inc()
        request.state.auth_failure = reason
        if limiter is not None and error.status_code == 401:
            limiter.failed(request.client.host if request.client else "-")
        return error

    def authorize(request: Request) -> Principal | None:
        required = route_policy(request)
        if required is None:
            failures.labels("no_policy").inc()
            raise HTTPException(500, "this route declares no access policy; refusing to serve it")
        request.state.principal = None
        if required == "public":
            return None
        client = request.client.host if request.client else "-"
        if limiter is not None and limiter.blocked(client):
            failures.labels("rate_limited").inc()
            request.state.auth_failure = "rate_limited"
            raise HTTPException(429, "too many failed authentications from this address; retry in a minute",
                                headers={"Retry-After": str(int(limiter.window))})  # fmt: skip
        header = request.headers.get("Authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise refuse(
                request, "missing_token", _unauthorized("a bearer token is required (Authorization: Bearer <token>)")
            )
        principal, reason = authenticator.authenticate(token.strip())
        if principal is None:
            raise refuse(request, reason, _unauthorized("invalid or expired token"))
        if RANK[principal.role] < RANK[required]:
            request.state.principal = principal
            raise refuse(
                request,
                "forbidden",
                HTTPException(403, f"role {principal.role} may not do this; {required} or higher is required"),
            )
        request.state.principal = principal
        return principal

    return authorize


def current_principal(request: Request) -> Principal:
    """For handlers behind a non-public policy: the authenticated caller."""
    principal = getattr(request.state, "principal", None)
    if principal is None:
        raise _unauthorized("not authenticated")
    return principal  # type: ignore[no-any-return]


def api_routes(routes: Iterable[Any]) -> Iterator[APIRoute]:
    """Every APIRoute of an app, including those of included routers and mounts (for policy audits)."""
    for route in routes:
        if isinstance(route, APIRoute):
            yield route
        elif (inner := getattr(route, "original_router", None)) is not None:  # FastAPI >= 0.160 include
            yield from api_routes(inner.routes)
        elif (children := getattr(route, "routes", None)) is not None:
            yield from api_routes(children)
