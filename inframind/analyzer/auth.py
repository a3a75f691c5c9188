"""Who may call what: bearer tokens from config, roles viewer < operator < admin, one enforcing dependency.

Every API route declares its policy where it is defined (``openapi_extra=policy("operator")``); the one
app-wide dependency :func:`authorize` reads the matched route's policy and enforces it. A route without a
policy is refused (fail closed), so a forgotten declaration is a visible 500, never an open door.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from fastapi import HTTPException, Request
from fastapi.routing import APIRoute
from prometheus_client import Counter

from inframind.config import ROLES, ApiToken, Role

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


class TokenAuthenticator:
    """Maps a presented bearer token to its config entry by the token's SHA-256; checks expiry."""

    def __init__(self, tokens: Sequence[ApiToken], clock: Callable[[], dt.datetime]) -> None:
        self._by_hash = {t.hash: t for t in tokens}
        self._clock = clock

    def authenticate(self, token: str) -> tuple[Principal | None, str]:
        """The principal, or None and a reason (unknown, expired) for metrics and logs."""
        entry = self._by_hash.get("sha256:" + hashlib.sha256(token.encode("utf-8")).hexdigest())
        if entry is None:
            return None, "unknown_token"
        if entry.expires is not None and entry.expires <= self._clock():
            return None, "expired_token"
        return Principal(entry.name, entry.role, entry.tenant), "ok"


def route_policy(request: Request) -> Policy | None:
    route = request.scope.get("route")
    extra = getattr(route, "openapi_extra", None) or {}
    value = extra.get(POLICY_KEY)
    return value if value in (*ROLES, "public") else None


def _unauthorized(detail: str) -> HTTPException:
    return HTTPException(401, detail, headers={"WWW-Authenticate": 'Bearer realm="inframind"'})


def make_authorize(authenticator: TokenAuthenticator, failures: Counter) -> Callable[[Request], Principal | None]:
    """The app-wide dependency; stores the caller on ``request.state.principal``."""

    def authorize(request: Request) -> Principal | None:
        required = route_policy(request)
        if required is None:
            failures.labels("no_policy").inc()
            raise HTTPException(500, "this route declares no access policy; refusing to serve it")
        request.state.principal = None
        if required == "public":
            return None
        header = request.headers.get("Authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            failures.labels("missing_token").inc()
            raise _unauthorized("a bearer token is required (Authorization: Bearer <token>)")
        principal, reason = authenticator.authenticate(token.strip())
        if principal is None:
            failures.labels(reason).inc()
            raise _unauthorized("invalid or expired token")
        if RANK[principal.role] < RANK[required]:
            failures.labels("forbidden").inc()
            raise HTTPException(403, f"role {principal.role} may not do this; {required} or higher is required")
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
