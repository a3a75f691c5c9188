"""Incidents over the API (viewer, tenant-scoped): the list, one incident, and its root-cause analysis.

- ``GET /api/v1/incidents?state=&limit=&offset=``: most recently detected first, as a page
  ``{items, total, limit, offset, next_offset}`` (``total`` is null while further pages follow: the store
  counts nothing, so the route reads one item past the page to know whether another page exists);
- ``GET /api/v1/incidents/{id}``: the incident as stored;
- ``GET /api/v1/incidents/{id}/rca``: the causal chain, the causes with their dependency paths and what each
  explains, the evidence of every finding, and the timeline (:func:`inframind.analyzer.explain.rca_view`).

Another tenant's incident answers 404 exactly like an unknown id, so ids reveal nothing across tenants. The
explain route (:mod:`.explain_api`) is included here, so the app adds one router for RCA.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Path, Query

from inframind.analyzer.api_common import ERRORS, Limit, Offset, TenantParam, scope_of
from inframind.analyzer.auth import Principal, current_principal, policy
from inframind.analyzer.correlate_graph import ImpactGraph
from inframind.analyzer.explain import rca_view
from inframind.analyzer.explain_api import explain_router, member_records
from inframind.analyzer.incidents import Incident, IncidentStore
from inframind.analyzer.state import StateError

if TYPE_CHECKING:
    from inframind.analyzer.api import Deps

INCIDENTS_ROUTE = "/api/v1/incidents"
IncidentId = Path(min_length=1, max_length=64, description="The incident id (inc- and 12 hex digits).")


def incidents_router(deps: Deps) -> APIRouter:
    router = APIRouter(tags=["incidents"])
    graph = ImpactGraph(deps.inventory)

    def store() -> IncidentStore:
        if deps.incidents is None:
            raise HTTPException(503, "this analyzer keeps no incidents (no state store is configured)")
        return deps.incidents

    def one(incident_id: str, principal: Principal) -> Incident:
        scope = None if principal.role == "admin" else principal.tenant
        try:
            incident = store().get(incident_id, scope)
        except StateError as exc:
            raise HTTPException(503, f"incidents are unavailable: {exc}") from None
        if incident is None:
            raise HTTPException(404, f"no incident {incident_id}")
        return incident

    @router.get(INCIDENTS_ROUTE, openapi_extra=policy("viewer"), responses=ERRORS)
    def list_incidents(
        *,
        principal: Principal = Depends(current_principal),  # noqa: B008
        state: Literal["open", "resolved", "all"] = Query("open", description="Which incidents to list."),
        tenant: TenantParam = None,
        limit: Limit = 100,
        offset: Offset = 0,
    ) -> dict[str, Any]:
        """Incidents, most recently detected first, each with its causes and timeline."""
        try:
            found = list(
                store().list(scope_of(principal, tenant), None if state == "all" else state, limit + 1, offset)
            )
        except StateError as exc:
            raise HTTPException(503, f"incidents are unavailable: {exc}") from None
        more = len(found) > limit
        return {
            "items": [i.to_dict() for i in found[:limit]],
            "total": None if more else offset + len(found),
            "limit": limit,
            "offset": offset,
            "next_offset": offset + limit if more else None,
        }

    @router.get(INCIDENTS_ROUTE + "/{incident_id}", openapi_extra=policy("viewer"), responses=ERRORS)
    def get_incident(
        incident_id: str = IncidentId,
        principal: Principal = Depends(current_principal),  # noqa: B008
    ) -> dict[str, Any]:
        """One incident (404 when unknown or another tenant's)."""
        return one(incident_id, principal).to_dict()

    @router.get(INCIDENTS_ROUTE + "/{incident_id}/rca", openapi_extra=policy("viewer"), responses=ERRORS)
    def get_rca(
        incident_id: str = IncidentId,
        principal: Principal = Depends(current_principal),  # noqa: B008
    ) -> dict[str, Any]:
        """The root-cause analysis: chain, causes with paths and what each explains, evidence, timeline."""
        incident = one(incident_id, principal)
        return rca_view(incident, member_records(deps, incident), graph)

    router.include_router(explain_router(deps, graph))
    return router
