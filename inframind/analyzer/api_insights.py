"""Read routes over what the analyzer worked out (viewer, tenant-scoped, paginated):

- ``GET /api/v1/forecasts``: capacity time-to-full per asset and resource (the metric loop's hourly forecasts);
- ``GET /api/v1/anomalies``: current anomaly scores per asset and signal (strongest over the last cycle);
- ``GET /api/v1/templates``: mined log templates per tenant and source with their counts;
- ``GET /api/v1/feedback``: recorded feedback (acknowledge, false positive, silence), newest first;
- ``GET /api/v1/findings/{fingerprint}/recommendation?lang=ru|en``: what to do about a finding.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Path, Query

from inframind.analyzer.api_assets import anomalies_of, forecasts_of, iso_time, snapshot
from inframind.analyzer.api_common import ERRORS, Limit, Offset, TenantParam, page, scope_of
from inframind.analyzer.auth import Principal, current_principal, policy
from inframind.analyzer.recommendation import Language
from inframind.analyzer.state import StateError

if TYPE_CHECKING:
    from inframind.analyzer.api import Deps

Word = Annotated[str | None, Query(min_length=1, max_length=256)]
Fingerprint = Annotated[str, Path(min_length=1, max_length=128)]


def _feedback_dict(record: Any) -> dict[str, Any]:
    return {
        "id": record.id, "action": record.action, "actor": record.actor, "tenant": record.tenant,
        "at": iso_time(record.at.timestamp()), "fingerprint": record.fingerprint, "incident_id": record.incident_id,
        "note": record.note, "until": iso_time(record.until.timestamp()) if record.until else None,
    }  # fmt: skip


def insights_router(deps: Deps) -> APIRouter:
    router = APIRouter(responses=ERRORS)

    @router.get("/api/v1/forecasts", openapi_extra=policy("viewer"), tags=["forecasts"])
    def list_forecasts(
        *,
        principal: Principal = Depends(current_principal),  # noqa: B008
        asset: Word = None,
        resource: Literal["filesystem", "memory"] | None = None,
        within_days: Annotated[float | None, Query(gt=0, le=3650, description="Only those full within.")] = None,
        tenant: TenantParam = None,
        limit: Limit = 100,
        offset: Offset = 0,
    ) -> dict[str, Any]:
        """Time until full per asset and resource, soonest first; only resources that are filling."""
        snap = snapshot(deps)
        rows = [r for r in forecasts_of(snap, scope_of(principal, tenant), asset)
                if resource in (None, r["resource"]) and (within_days is None or r["days"] <= within_days)]  # fmt: skip
        return {**page(rows, limit, offset), "as_of": iso_time(snap.analyzed_until)}

    @router.get("/api/v1/anomalies", openapi_extra=policy("viewer"), tags=["anomalies"])
    def list_anomalies(
        *,
        principal: Principal = Depends(current_principal),  # noqa: B008
        asset: Word = None,
        signal: Word = None,
        min_score: Annotated[float, Query(ge=0, le=1, description="Only scores at least this (0-1).")] = 0.0,
        tenant: TenantParam = None,
        limit: Limit = 100,
        offset: Offset = 0,
    ) -> dict[str, Any]:
        """The strongest anomaly score (0-1) per asset and signal during the last cycle, highest first."""
        snap = snapshot(deps)
        rows = [r for r in anomalies_of(snap, scope_of(principal, tenant), asset)
                if signal in (None, r["signal"]) and r["score"] >= min_score]  # fmt: skip
        return {**page(rows, limit, offset), "as_of": iso_time(snap.analyzed_until)}

    @router.get("/api/v1/templates", openapi_extra=policy("viewer"), tags=["templates"])
    def list_templates(
        *,
        principal: Principal = Depends(current_principal),  # noqa: B008
        source: Word = None,
        q: Annotated[str | None, Query(min_length=1, max_length=256, description="Part of the template text.")] = None,
        min_count: Annotated[int, Query(ge=0, le=10**12)] = 0,
        tenant: TenantParam = None,
        limit: Limit = 100,
        offset: Offset = 0,
    ) -> dict[str, Any]:
        """Log templates mined per tenant and source, most frequent first."""
        if deps.templates is None:
            raise HTTPException(503, "this analyzer mines no log templates (analyzer.logs is off or has no state)")
        scope = scope_of(principal, tenant)
        try:
            rows = deps.templates.templates()
        except (StateError, ValueError) as exc:
            raise HTTPException(503, f"the template snapshot is unreadable: {exc}") from None
        wanted = [r for r in rows if scope in (None, r.tenant) and source in (None, r.source)
                  and r.count >= min_count and (q is None or q.lower() in r.text.lower())]  # fmt: skip
        wanted.sort(key=lambda r: (-r.count, r.tenant, r.source, r.template_id))
        return page([r.to_dict() for r in wanted], limit, offset)

    @router.get("/api/v1/feedback", openapi_extra=policy("viewer"), tags=["feedback"])
    def list_feedback(
        *,
        principal: Principal = Depends(current_principal),  # noqa: B008
        fingerprint: Word = None,
        incident_id: Word = None,
        action: Literal["ack", "false_positive", "silence"] | None = None,
        tenant: TenantParam = None,
        limit: Limit = 100,
        offset: Offset = 0,
    ) -> dict[str, Any]:
        """Feedback on findings and incidents, newest first (``total`` is null: follow ``next_offset``)."""
        if deps.feedback_reader is None:
            raise HTTPException(503, "this analyzer keeps no feedback")
        try:
            rows = list(deps.feedback_reader.list(scope_of(principal, tenant), fingerprint, incident_id, action,
                                                  limit + 1, offset))  # fmt: skip
        except StateError as exc:
            raise HTTPException(503, f"feedback is unavailable: {exc}") from None
        more = len(rows) > limit
        return {"items": [_feedback_dict(r) for r in rows[:limit]], "total": None, "limit": limit, "offset": offset,
                "next_offset": offset + limit if more else None}  # fmt: skip

    @router.get("/api/v1/findings/{fingerprint}/recommendation", openapi_extra=policy("viewer"), tags=["findings"])
    def finding_recommendation(
        fingerprint: Fingerprint,
        principal: Principal = Depends(current_principal),  # noqa: B008
        lang: Language = "en",
    ) -> dict[str, Any]:
        """What to do about the finding, in Russian or English, with the numbers of its evidence."""
        return recommendation_for(deps, fingerprint, principal, lang)

    return router


def recommendation_for(deps: Deps, fingerprint: str, principal: Principal, lang: Language) -> dict[str, Any]:
    if deps.findings is None:
        raise HTTPException(503, "this analyzer keeps no findings (no state file is configured)")
    try:
        record = deps.findings.get(fingerprint, None if principal.role == "admin" else principal.tenant)
    except StateError as exc:
        raise HTTPException(503, f"findings are unavailable: {exc}") from None
    if record is None:
        raise HTTPException(404, f"no finding {fingerprint}")
    if deps.recommender is None:
        raise HTTPException(503, "recommendations are not available on this analyzer")
    try:
        return deps.recommender(record.finding, lang).to_dict()
    except (KeyError, ValueError) as exc:
        raise HTTPException(404, f"no recommendation for a {record.finding.kind} finding: {exc}") from None
