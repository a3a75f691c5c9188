"""The audit log over the API, for admins: query, export as JSON lines, verify the hash chain.

- ``GET /api/v1/audit``: records newest first, filtered by actor, tenant, action (exact, or a prefix ending in a
  space or dot: ``POST ``, ``secret.``), outcome and time; a page with its total.
- ``GET /api/v1/audit/export``: the matching records oldest first as ``application/x-ndjson`` (one JSON object a
  line, each with its ``prev_hash`` and ``hash``, so an exported file can be verified offline).
- ``GET /api/v1/audit/verify``: walks the chain from its anchor and says whether it holds, and where it breaks.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from typing import TYPE_CHECKING, Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Query
from fastapi.responses import StreamingResponse

from inframind.analyzer.api_common import ERRORS, Limit, Offset, page
from inframind.analyzer.audit_store import AuditError, AuditFilter, AuditLog
from inframind.analyzer.auth import policy

if TYPE_CHECKING:
    from inframind.analyzer.api import Deps

AUDIT_ROUTE = "/api/v1/audit"
Text = Annotated[str | None, Query(min_length=1, max_length=256)]
Stamp = Annotated[dt.datetime | None, Query(description="ISO 8601; without an offset, UTC.")]


def _filter(
    *,
    actor: Text = None,
    tenant: Text = None,
    action: Text = None,
    outcome: Literal["ok", "denied", "failed", "error"] | None = None,
    since: Stamp = None,
    until: Stamp = None,
) -> AuditFilter:
    def utc(stamp: dt.datetime | None) -> dt.datetime | None:
        return stamp.replace(tzinfo=dt.UTC) if stamp is not None and stamp.tzinfo is None else stamp

    return AuditFilter(actor, tenant, action, outcome, utc(since), utc(until))


Where = Annotated[AuditFilter, Depends(_filter)]
"""The filter query parameters (actor, tenant, action, outcome, since, until), shared by listing and export."""


def audit_router(deps: Deps) -> APIRouter:
    router = APIRouter(tags=["audit"], responses=ERRORS)

    def log() -> AuditLog:
        if deps.audit is None:
            raise HTTPException(503, "this analyzer keeps no audit log")
        return deps.audit

    @router.get(AUDIT_ROUTE, openapi_extra=policy("admin"))
    def list_audit(*, where: Where, limit: Limit = 100, offset: Offset = 0) -> dict[str, Any]:
        """Audit records, newest first."""
        try:
            records, total = log().query(where, limit, offset)
        except AuditError as exc:
            raise HTTPException(503, f"the audit log is unavailable: {exc}") from None
        return page([r.to_dict() for r in records], limit, offset, total)

    @router.get(AUDIT_ROUTE + "/export", openapi_extra=policy("admin"), response_class=StreamingResponse)
    def export_audit(*, where: Where) -> StreamingResponse:
        """Matching records, oldest first, as JSON lines."""
        store = log()

        def lines() -> Iterator[bytes]:
            for record in store.export(where):
                yield (json.dumps(record.to_dict(), ensure_ascii=False, separators=(",", ":")) + "\n").encode()

        return StreamingResponse(lines(), media_type="application/x-ndjson")

    @router.get(AUDIT_ROUTE + "/verify", openapi_extra=policy("admin"))
    def verify_audit() -> dict[str, Any]:
        """Whether the kept chain is intact (from its anchor), its head hash, and the first broken record."""
        try:
            return log().verify().to_dict()
        except AuditError as exc:
            raise HTTPException(503, f"the audit log is unavailable: {exc}") from None

    return router
