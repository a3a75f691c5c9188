"""The one place requests become audit records: an ASGI middleware around the whole app.

It records, just before the response starts (so a caller that saw the answer knows it was recorded):

- every write (POST, PUT, PATCH, DELETE), whatever its outcome;
- every denied request (401 or 403), whichever layer refused it: the authorize dependency, a handler's tenant
  check, a failed link signature;
- every request to a route that declares an audited action with ``openapi_extra=audited("secret.read")``
  (the credential lookup of collectors);
- a login: the first authenticated request of each principal, and again after ``LOGIN_EVERY`` without one
  (bearer tokens have no login step, so first use stands for it).

Who: the principal the authorize dependency stored on the request; for a refused token the middleware identifies
the caller itself (the same token table), so a 403 names the token and a 401 says why (missing, unknown,
expired). Nothing of the request body or query string is recorded: they may hold credentials or signatures.
A request that crashes the app is recorded as an error before the exception moves on.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from typing import Any

import anyio.to_thread
from prometheus_client import CollectorRegistry, Counter
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from inframind.analyzer.audit import WRITE_METHODS, AuditEvent, outcome_of
from inframind.analyzer.audit_store import AuditError, AuditLog
from inframind.analyzer.auth import Authenticator, Principal

log = logging.getLogger(__name__)
AUDIT_KEY = "x-audit"
MAX_TARGET = 512
LOGIN_EVERY = dt.timedelta(hours=1)


def audited(action: str) -> dict[str, Any]:
    """``openapi_extra`` that makes every request to the route an audit record named ``action``."""
    return {AUDIT_KEY: action}


class AuditMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.records = Counter(
            "inframind_analyzer_audit_records", "Audit records written, by outcome.", ["outcome"], registry=registry
        )
        self.failures = Counter(
            "inframind_analyzer_audit_failures", "Audit records that could not be written.", registry=registry
        )


def _header(scope: Scope, name: bytes) -> str:
    for key, value in scope.get("headers") or ():
        if key.lower() == name:
            return bytes(value).decode("latin-1")
    return ""


class AuditMiddleware:
    def __init__(
        self,
        app: ASGIApp,
        audit: Callable[[], AuditLog | None],
        authenticator: Authenticator,
        clock: Callable[[], dt.datetime],
        metrics: AuditMetrics,
    ) -> None:
        self.app, self.audit, self.authenticator = app, audit, authenticator
        self.clock, self.metrics = clock, metrics
        self._last_seen: dict[tuple[str, str], dt.datetime] = {}

    def _login(self, principal: Principal | None, now: dt.datetime) -> bool:
        """Whether this authenticated request counts as a login (first use, or first after a quiet hour)."""
        if principal is None:
            return False
        key = (principal.name, principal.tenant)
        last = self._last_seen.get(key)
        self._last_seen[key] = now
        if len(self._last_seen) > 100_000:  # bounded: forget the quietest half
            for stale in sorted(self._last_seen, key=self._last_seen.__getitem__)[:50_000]:
                del self._last_seen[stale]
        return last is None or now - last >= LOGIN_EVERY

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        recorded = False

        async def send_recorded(message: Message) -> None:
            nonlocal recorded
            if message["type"] == "http.response.start" and not recorded:
                recorded = True
                await self.record(scope, int(message["status"]))
            await send(message)

        try:
            await self.app(scope, receive, send_recorded)
        except Exception:
            if not recorded:
                recorded = True
                await self.record(scope, 500)
            raise

    def identify(self, scope: Scope) -> tuple[Principal | None, str]:
        """The caller and, when it was not authenticated, why (for the record's detail)."""
        state = scope.get("state") or {}
        principal = state.get("principal")
        if isinstance(principal, Principal):
            return principal, ""
        if isinstance(state.get("auth_failure"), str):
            return None, state["auth_failure"]
        scheme, _, token = _header(scope, b"authorization").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return None, "missing_token"
        found, reason = self.authenticator.authenticate(token.strip())
        return found, "" if found is not None else reason

    def event(self, scope: Scope, status: int) -> AuditEvent | None:
        """The record this request makes, or None when it is not one the log keeps."""
        route = scope.get("route")
        action = (getattr(route, "openapi_extra", None) or {}).get(AUDIT_KEY)
        method = str(scope.get("method", ""))
        if action is None and method not in WRITE_METHODS and status not in (401, 403):
            state = scope.get("state") or {}
            principal = state.get("principal") if isinstance(state.get("principal"), Principal) else None
            if not self._login(principal, self.clock()):
                return None
            action = "auth.login"
        principal, reason = self.identify(scope)
        outcome = outcome_of(status)
        detail = reason if outcome == "denied" else ""
        if outcome == "denied" and principal is not None:
            detail = "forbidden"
        client = scope.get("client")
        return AuditEvent(
            at=self.clock(),
            actor=principal.name if principal else "-",
            role=principal.role if principal else "",
            tenant=principal.tenant if principal else "",
            action=str(action or f"{method} {getattr(route, 'path', 'unmatched')}"),
            target=str(scope.get("path", ""))[:MAX_TARGET],
            status=status,
            outcome=outcome,
            client=str(client[0]) if client else "",
            detail=detail,
        )

    async def record(self, scope: Scope, status: int) -> None:
        audit = self.audit()
        if audit is None:
            return
        event = self.event(scope, status)
        if event is None:
            return
        try:
            await anyio.to_thread.run_sync(audit.append, event)
        except AuditError as exc:
            self.metrics.failures.inc()
            log.error("audit record not written (%s %s by %s): %s", event.action, event.outcome, event.actor, exc)
            return
        self.metrics.records.labels(event.outcome).inc()
