"""Findings over the API: ``GET /api/v1/findings`` and ``GET /api/v1/findings/{fingerprint}`` (viewer).

Tenant-scoped: a caller sees only its own tenant's findings; an admin sees every tenant's (and may narrow with
``tenant=``). Another tenant's fingerprint answers 404, exactly like one that does not exist, so fingerprints
reveal nothing across tenants.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Query

from inframind.analyzer.auth import Principal, current_principal, policy
from inframind.analyzer.state import FindingsStore, FindingState, StateError

if TYPE_CHECKING:
    from inframind.analyzer.api import Deps

FINDINGS_ROUTE = "/api/v1/findings"


def _scope(principal: Principal, tenant: str | None) -> str | None:
    """The tenant to read: the caller's own; an admin's choice (None: all)."""
    if principal.role == "admin":
        return tenant
    if tenant is not None and tenant != principal.tenant:
        raise HTTPException(403, f"a {principal.role} token reads only its own tenant ({principal.tenant})")
    return principal.tenant


def findings_router(deps: Deps) -> APIRouter:
    router = APIRouter(tags=["findings"])

    def store() -> FindingsStore:
        if deps.findings is None:
            raise HTTPException(503, "this analyzer keeps no findings (no state file is configured)")
        return deps.findings

    @router.get(FINDINGS_ROUTE, openapi_extra=policy("viewer"))
    def list_findings(
        *,
        principal: Principal = Depends(current_principal),  # noqa: B008
        state: Literal["active", "resolved", "all"] = Query("active", description="Which findings to list."),
        kind: str | None = Query(None, description="A kind (`log.burst`), or a family ending in a dot (`log.`)."),
        asset: str | None = Query(None, description="The finding's asset, or any asset its evidence lists."),
        tenant: str | None = Query(None, description="Admins only: one tenant (default: all)."),
        limit: int = Query(100, ge=1, le=1000),
    ) -> dict[str, Any]:
        """Findings, most recently seen first, each with its state, first and last time seen and evidence."""
        wanted: FindingState | None = None if state == "all" else state
        try:
            records = store().list(_scope(principal, tenant), wanted, kind, asset, limit)
        except StateError as exc:
            raise HTTPException(503, f"findings are unavailable: {exc}") from None
        return {"findings": [r.to_dict() for r in records], "count": len(records)}

    @router.get(FINDINGS_ROUTE + "/{fingerprint}", openapi_extra=policy("viewer"))
    def get_finding(
        fingerprint: str,
        principal: Principal = Depends(current_principal),  # noqa: B008
    ) -> dict[str, Any]:
        """One finding by fingerprint (404 when unknown or another tenant's)."""
        scope = None if principal.role == "admin" else principal.tenant
        try:
            record = store().get(fingerprint, scope)
        except StateError as exc:
            raise HTTPException(503, f"findings are unavailable: {exc}") from None
        if record is None:
            raise HTTPException(404, f"no finding {fingerprint}")
        return record.to_dict()

    return router
