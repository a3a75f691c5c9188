"""The earlier InfraMind endpoints, kept answering as thin aliases over the /api/v1 routes (docs/api-compat.md).

``GET /assets``, ``/assets/{asset_id}/events``, ``/assets/{asset_id}/recommendation``, ``/alerts``,
``/insights`` and ``/overview``: plain JSON lists or objects as earlier clients read them, built from the same
sources and with the same tenant scope and policies (viewer) as the new routes.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Path, Query

from inframind.analyzer.api_assets import anomalies_of, asset_views, find_asset, forecasts_of, iso_time, snapshot
from inframind.analyzer.api_common import ERRORS, Limit, Offset
from inframind.analyzer.api_insights import recommendation_for
from inframind.analyzer.auth import Principal, current_principal, policy
from inframind.analyzer.findings import SEVERITIES, Severity
from inframind.analyzer.recommendation import Language
from inframind.analyzer.state import FindingRecord, StateError
from inframind.logstore import LogStoreError
from inframind.logstore import Query as LogQuery

if TYPE_CHECKING:
    from inframind.analyzer.api import Deps

AssetId = Annotated[str, Path(min_length=1, max_length=256)]
RANK = {severity: i for i, severity in enumerate(reversed(SEVERITIES))}
"""critical 0, warning 1, info 2: lower is worse."""
MAX_ACTIVE = 100_000


def _own(principal: Principal) -> str | None:
    return None if principal.role == "admin" else principal.tenant


def active_findings(deps: Deps, tenant: str | None, asset: str | None = None) -> list[FindingRecord]:
    if deps.findings is None:
        return []
    try:
        return list(deps.findings.list(tenant, "active", None, asset, MAX_ACTIVE))
    except StateError as exc:
        raise HTTPException(503, f"findings are unavailable: {exc}") from None


def worst(records: Sequence[FindingRecord]) -> dict[str, Severity]:
    """Asset id -> the worst severity among its active findings."""
    out: dict[str, Severity] = {}
    for r in records:
        f = r.finding
        if f.asset_id and (f.asset_id not in out or RANK[f.severity] < RANK[out[f.asset_id]]):
            out[f.asset_id] = f.severity
    return out


def _alert(r: FindingRecord) -> dict[str, Any]:
    f = r.finding
    return {"id": r.fingerprint, "asset_id": f.asset_id, "tenant": f.tenant, "severity": f.severity, "kind": f.kind,
            "title": f.title, "started_at": iso_time(r.first_seen.timestamp()),
            "last_seen": iso_time(r.last_seen.timestamp())}  # fmt: skip


def compat_router(deps: Deps) -> APIRouter:
    router = APIRouter(tags=["compat"], responses=ERRORS)

    @router.get("/assets", openapi_extra=policy("viewer"))
    def legacy_assets(
        principal: Principal = Depends(current_principal),  # noqa: B008
        limit: Annotated[int, Query(ge=1, le=10_000)] = 1000,
        offset: Offset = 0,
    ) -> list[dict[str, Any]]:
        """Assets as a list: id, name, type, ip, status (worst active finding) and risk_score."""
        scope = _own(principal)
        status = worst(active_findings(deps, scope))
        views = sorted(asset_views(deps, scope), key=lambda v: v.asset.id)[offset : offset + limit]
        return [
            {"id": v.asset.id, "name": v.asset.id, "type": v.asset.kind, "tenant": v.asset.tenant,
             "ip": v.asset.address, "status": {"critical": "critical", "warning": "warning"}.get(
                 status.get(v.asset.id, ""), "ok"),
             "risk_score": round(v.risk.score, 2) if v.risk else None}
            for v in views
        ]  # fmt: skip

    @router.get("/assets/{asset_id}/events", openapi_extra=policy("viewer"))
    def legacy_asset_events(
        asset_id: AssetId,
        principal: Principal = Depends(current_principal),  # noqa: B008
        limit: Limit = 100,
    ) -> list[dict[str, Any]]:
        """The asset's latest log events, newest first."""
        view = find_asset(deps, asset_id, principal)
        if deps.logstore is None:
            raise HTTPException(503, "no log store is configured on this analyzer")
        try:
            found = deps.logstore.search(LogQuery(tenant=view.asset.tenant, asset_ids=(asset_id,)), limit=limit)
        except LogStoreError as exc:
            raise HTTPException(503, f"the log store is unavailable: {exc}") from None
        return [
            {"timestamp": iso_time(e.timestamp.timestamp()), "source": e.source, "severity": e.level,
             "message": e.message, "event_id": e.event_id, "host": e.host}
            for e in found.events
        ]  # fmt: skip

    @router.get("/assets/{asset_id}/recommendation", openapi_extra=policy("viewer"))
    def legacy_asset_recommendation(
        asset_id: AssetId,
        principal: Principal = Depends(current_principal),  # noqa: B008
        lang: Language = "en",
    ) -> dict[str, Any]:
        """The recommendation for the asset's most severe active finding (404 when it has none)."""
        view = find_asset(deps, asset_id, principal)
        records = [r for r in active_findings(deps, view.asset.tenant, asset_id) if r.finding.asset_id == asset_id]
        if not records:
            raise HTTPException(404, f"asset {asset_id} has no active finding to recommend on")
        top = min(records, key=lambda r: (RANK[r.finding.severity], -r.last_seen.timestamp()))
        return {"asset_id": asset_id, "finding": _alert(top),
                "recommendation": recommendation_for(deps, top.fingerprint, principal, lang)}  # fmt: skip

    @router.get("/alerts", openapi_extra=policy("viewer"))
    def legacy_alerts(
        principal: Principal = Depends(current_principal),  # noqa: B008
        severity: Literal["critical", "warning", "info"] | None = None,
        limit: Annotated[int, Query(ge=1, le=10_000)] = 1000,
    ) -> list[dict[str, Any]]:
        """Active findings as alerts, worst and newest first."""
        records = [r for r in active_findings(deps, _own(principal)) if severity in (None, r.finding.severity)]
        records.sort(key=lambda r: (RANK[r.finding.severity], -r.last_seen.timestamp(), r.fingerprint))
        return [_alert(r) for r in records[:limit]]

    @router.get("/insights", openapi_extra=policy("viewer"))
    def legacy_insights(
        principal: Principal = Depends(current_principal),  # noqa: B008
        limit: Limit = 100,
    ) -> list[dict[str, Any]]:
        """Forecasts, anomalies and risks as one list of short messages with their value."""
        scope, snap = _own(principal), snapshot(deps)
        out: list[dict[str, Any]] = []
        for f in forecasts_of(snap, scope):
            what = f"{f['resource']} {f['mountpoint']}" if f["mountpoint"] else f["resource"]
            out.append({"type": "forecast", "asset_id": f["asset"], "value": f["days"],
                        "message": f"{what} full in ~{f['days']:.1f} days"})  # fmt: skip
        for a in anomalies_of(snap, scope):
            out.append({"type": "anomaly", "asset_id": a["asset"], "value": a["score"],
                        "message": f"{a['signal']} anomaly score {a['score']:.2f}"})  # fmt: skip
        for v in asset_views(deps, scope):
            if v.risk is not None and v.risk.score > 0:
                top = v.risk.factors[0].detail if v.risk.factors else ""
                out.append({"type": "risk", "asset_id": v.asset.id, "value": round(v.risk.score, 2),
                            "message": f"risk {v.risk.score:.0f}/100" + (f": {top}" if top else "")})  # fmt: skip
        return out[:limit]

    @router.get("/overview", openapi_extra=policy("viewer"))
    def legacy_overview(principal: Principal = Depends(current_principal)) -> dict[str, Any]:  # noqa: B008
        """Counts for a dashboard: assets, active alerts by severity, forecasts, anomalies, top risks."""
        scope, snap = _own(principal), snapshot(deps)
        views = asset_views(deps, scope)
        alerts = {severity: 0 for severity in reversed(SEVERITIES)}
        for r in active_findings(deps, scope):
            alerts[r.finding.severity] += 1
        risky = sorted((v for v in views if v.risk is not None), key=lambda v: -v.risk.score if v.risk else 0)[:5]
        return {
            "assets": len(views), "alerts": alerts, "forecasts": len(forecasts_of(snap, scope)),
            "anomalies": len([a for a in anomalies_of(snap, scope) if a["score"] >= 0.5]),
            "top_risks": [{"asset_id": v.asset.id, "score": round(v.risk.score, 2)} for v in risky if v.risk],
            "as_of": iso_time(snap.analyzed_until),
        }  # fmt: skip

    return router
