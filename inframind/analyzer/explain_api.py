""" "Why did this alert fire?" over the API: ``GET /api/v1/explain/{fingerprint}`` (viewer, tenant-scoped).

The fingerprint may be a finding's, or the fingerprint Alertmanager gave an alert the analyzer sent (delivery
labels every alert with its finding as ``finding``; :mod:`.explain_alerts` resolves one to the other). The
answer (:func:`inframind.analyzer.explain.explain_view`) names the detector or rule, the series and values, the
log templates of the finding and of its incident's other findings, and the dependency path from the
incident's cause. Another tenant's finding answers 404 like an unknown one.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from fastapi import APIRouter, Depends, HTTPException, Path

from inframind.analyzer.api_common import ERRORS
from inframind.analyzer.auth import Principal, current_principal, policy
from inframind.analyzer.correlate_graph import ImpactGraph
from inframind.analyzer.explain import explain_view, records_of
from inframind.analyzer.explain_alerts import AlertLookupError
from inframind.analyzer.incidents import Incident
from inframind.analyzer.state import FindingRecord, FindingsStore, StateError

if TYPE_CHECKING:
    from inframind.analyzer.api import Deps

EXPLAIN_ROUTE = "/api/v1/explain/{fingerprint}"


def member_records(deps: Deps, incident: Incident) -> dict[str, FindingRecord]:
    """The records of an incident's findings (those the store still has), read within its tenant."""
    return records_of(deps.findings, incident)


def explain_router(deps: Deps, graph: ImpactGraph) -> APIRouter:
    router = APIRouter(tags=["incidents"])

    def findings() -> FindingsStore:
        if deps.findings is None:
            raise HTTPException(503, "this analyzer keeps no findings (no state store is configured)")
        return deps.findings

    def resolve(fingerprint: str, scope: str | None) -> tuple[FindingRecord | None, str]:
        record = findings().get(fingerprint, scope)
        if record is not None or deps.alert_findings is None:
            return record, "finding"
        try:
            target = deps.alert_findings.finding_of(fingerprint)
        except AlertLookupError as exc:
            raise HTTPException(503, f"{fingerprint} is no finding, and alerts cannot be looked up: {exc}") from None
        return (findings().get(target, scope) if target else None), "alert"

    @router.get(EXPLAIN_ROUTE, openapi_extra=policy("viewer"), responses=ERRORS)
    def explain(
        fingerprint: str = Path(min_length=1, max_length=128, description="A finding's or an alert's fingerprint."),
        principal: Principal = Depends(current_principal),  # noqa: B008
    ) -> dict[str, Any]:
        """Why a finding (or the alert sent for it) fired: detector or rule, series and values, related log
        templates, and the dependency path from its incident's cause."""
        scope = None if principal.role == "admin" else principal.tenant
        try:
            record, source = resolve(fingerprint, scope)
            if record is None:
                raise HTTPException(404, f"no finding or alert {fingerprint}")
            incident = deps.incidents.by_finding(record.fingerprint) if deps.incidents is not None else None
        except StateError as exc:
            raise HTTPException(503, f"findings are unavailable: {exc}") from None
        if incident is not None and incident.tenant != record.finding.tenant:
            incident = None
        members = member_records(deps, incident) if incident is not None else {}
        view = explain_view(record, incident, members, graph)
        return {**view, "resolved_from": source, "alert_fingerprint": fingerprint if source == "alert" else None}

    return router
