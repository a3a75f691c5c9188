"""Risk over the API: ``GET /api/v1/assets/{asset_id}/risk`` (viewer): an asset's score and what makes it up.

Tenant-scoped like the findings: a caller reads only its own tenant's assets (an admin any); another tenant's
asset answers 404 exactly like an unknown one, so asset ids reveal nothing across tenants.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any, Protocol

from fastapi import APIRouter, Depends, HTTPException

from inframind.analyzer.auth import Principal, current_principal, policy
from inframind.analyzer.detect.risk import AssetRisk

if TYPE_CHECKING:
    from inframind.analyzer.api import Deps

RISK_ROUTE = "/api/v1/assets/{asset_id}/risk"


class RiskSource(Protocol):
    """The metric analyzer, as far as the API is concerned."""

    def risk_of(self, asset: str) -> AssetRisk | None: ...

    def risk_as_of(self) -> float | None:
        """Unix time of the data the scores were computed on (None before the first cycle)."""
        ...


def risk_router(deps: Deps) -> APIRouter:
    router = APIRouter(tags=["risk"])

    @router.get(RISK_ROUTE, openapi_extra=policy("viewer"))
    def asset_risk(asset_id: str, principal: Principal = Depends(current_principal)) -> dict[str, Any]:  # noqa: B008
        """The asset's risk score (0-100) with its contributing factors, largest first."""
        if deps.risk is None:
            raise HTTPException(503, "this analyzer runs no metric analysis (analyzer.metrics.enabled)")
        risk = deps.risk.risk_of(asset_id)
        if risk is None or (principal.role != "admin" and risk.tenant != principal.tenant):
            raise HTTPException(404, f"no risk known for asset {asset_id}")
        as_of = deps.risk.risk_as_of()
        stamp = None if as_of is None else dt.datetime.fromtimestamp(as_of, dt.UTC).isoformat().replace("+00:00", "Z")
        return {**risk.to_dict(), "as_of": stamp}

    return router
