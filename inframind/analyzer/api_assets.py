"""Assets over the API: ``GET /api/v1/assets`` (with risk score and factors) and ``GET /api/v1/assets/{asset_id}``
(with its active findings, capacity forecasts, anomaly scores and disk failure probabilities).

Assets are the inventory's (curated, in git) and those agents registered over ``POST /assets``; an id in both is
the inventory's. Tenant-scoped like every read: another tenant's asset answers 404, like an unknown one.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Path, Query

from inframind.analyzer.api_common import ERRORS, Limit, Offset, TenantParam, page, scope_of, visible
from inframind.analyzer.assets import AssetStateError
from inframind.analyzer.auth import Principal, current_principal, policy
from inframind.analyzer.detect.risk import AssetRisk
from inframind.analyzer.metricloop_metrics import MetricSnapshot
from inframind.analyzer.state import StateError
from inframind.inventory import Asset, AssetKind

if TYPE_CHECKING:
    from inframind.analyzer.api import Deps

ASSETS_ROUTE = "/api/v1/assets"
AssetId = Annotated[str, Path(min_length=1, max_length=256)]
Word = Annotated[str | None, Query(min_length=1, max_length=128)]


@dataclass(frozen=True)
class AssetView:
    asset: Asset
    source: Literal["inventory", "registered"]
    risk: AssetRisk | None

    def to_dict(self) -> dict[str, Any]:
        a = self.asset
        return {
            "id": a.id, "tenant": a.tenant, "kind": a.kind, "site": a.site, "rack": a.rack, "role": a.role,
            "criticality": a.criticality, "addresses": list(a.addresses), "labels": dict(a.labels),
            "module": a.module, "source": self.source,
            "risk": None if self.risk is None else {"score": round(self.risk.score, 2),
                                                    "factors": [f.to_dict() for f in self.risk.factors]},
        }  # fmt: skip


def snapshot(deps: Deps) -> MetricSnapshot:
    """The metric loop's last outputs (empty while it is not running or has not finished a cycle)."""
    return deps.metric_outputs.snapshot if deps.metric_outputs is not None else MetricSnapshot()


def iso_time(seconds: float | None) -> str | None:
    if seconds is None:
        return None
    return dt.datetime.fromtimestamp(seconds, dt.UTC).isoformat().replace("+00:00", "Z")


def asset_views(deps: Deps, tenant: str | None) -> list[AssetView]:
    """Every asset of ``tenant`` (None: all): the inventory's, then registered ones it does not have."""
    views: list[AssetView] = []
    risk = deps.risk.risk_of if deps.risk is not None else (lambda _a: None)
    inventory = deps.inventory.assets if deps.inventory is not None else {}
    for asset in inventory.values():
        if tenant in (None, asset.tenant):
            views.append(AssetView(asset, "inventory", risk(asset.id)))
    try:
        registered = deps.assets.list(tenant) if deps.assets is not None else []
    except AssetStateError as exc:
        raise HTTPException(503, f"registered assets are unavailable: {exc}") from None
    for found in registered:
        if found.asset.id not in inventory:
            views.append(AssetView(found.asset, "registered", risk(found.asset.id)))
    return views


def find_asset(deps: Deps, asset_id: str, principal: Principal) -> AssetView:
    for view in asset_views(deps, None if principal.role == "admin" else principal.tenant):
        if view.asset.id == asset_id and visible(principal, view.asset.tenant):
            return view
    raise HTTPException(404, f"no asset {asset_id}")


def forecasts_of(snap: MetricSnapshot, tenant: str | None, asset: str | None = None) -> list[dict[str, Any]]:
    rows = [t for t in snap.time_to_full if tenant in (None, t.tenant) and asset in (None, t.asset)]
    return [
        {"tenant": t.tenant, "asset": t.asset, "resource": t.resource, "mountpoint": t.mountpoint or None,
         "seconds": round(t.seconds, 1), "days": round(t.seconds / 86400, 2),
         "full_at": iso_time(snap.analyzed_until + t.seconds) if snap.analyzed_until is not None else None}
        for t in sorted(rows, key=lambda t: (t.seconds, t.asset, t.resource, t.mountpoint))
    ]  # fmt: skip


def anomalies_of(snap: MetricSnapshot, tenant: str | None, asset: str | None = None) -> list[dict[str, Any]]:
    rows = [r for r in snap.anomaly if tenant in (None, r[0]) and asset in (None, r[1])]
    return [
        {"tenant": t, "asset": a, "signal": s, "score": v}
        for t, a, s, v in sorted(rows, key=lambda r: (-r[3], r[1], r[2]))
    ]


def _matches(view: AssetView, *, kind: str | None, site: str | None, rack: str | None, role: str | None,
             q: str | None, min_risk: float | None) -> bool:  # fmt: skip
    a = view.asset
    for wanted, value in ((kind, a.kind), (site, a.site), (rack, a.rack), (role, a.role)):
        if wanted is not None and wanted != value:
            return False
    if q is not None and not any(q.lower() in name.lower() for name in (a.id, *a.addresses)):
        return False
    return min_risk is None or (view.risk is not None and view.risk.score >= min_risk)


def sort_views(views: Sequence[AssetView], by: str) -> list[AssetView]:
    if by == "id":
        return sorted(views, key=lambda v: v.asset.id)
    return sorted(views, key=lambda v: (-(v.risk.score if v.risk else -1.0), v.asset.id))


def assets_router(deps: Deps) -> APIRouter:
    router = APIRouter(tags=["assets"], responses=ERRORS)

    @router.get(ASSETS_ROUTE, openapi_extra=policy("viewer"))
    def list_assets(
        *,
        principal: Principal = Depends(current_principal),  # noqa: B008
        kind: AssetKind | None = None,
        site: Word = None,
        rack: Word = None,
        role: Word = None,
        q: Annotated[str | None, Query(min_length=1, max_length=128, description="Part of an id or address.")] = None,
        min_risk: Annotated[float | None, Query(ge=0, le=100, description="Only assets scoring at least this.")] = None,
        sort: Literal["risk", "id"] = "risk",
        tenant: TenantParam = None,
        limit: Limit = 100,
        offset: Offset = 0,
    ) -> dict[str, Any]:
        """Assets with their risk score (0-100) and its factors, riskiest first (or by id)."""
        views = [v for v in asset_views(deps, scope_of(principal, tenant))
                 if _matches(v, kind=kind, site=site, rack=rack, role=role, q=q, min_risk=min_risk)]  # fmt: skip
        answer = page([v.to_dict() for v in sort_views(views, sort)], limit, offset)
        return {**answer, "as_of": iso_time(snapshot(deps).analyzed_until)}

    @router.get(ASSETS_ROUTE + "/{asset_id}", openapi_extra=policy("viewer"))
    def get_asset(asset_id: AssetId, principal: Principal = Depends(current_principal)) -> dict[str, Any]:  # noqa: B008
        """One asset with its active findings, forecasts, anomaly scores and disk failure probabilities."""
        view = find_asset(deps, asset_id, principal)
        tenant, snap = view.asset.tenant, snapshot(deps)
        findings: list[dict[str, Any]] = []
        if deps.findings is not None:
            try:
                findings = [r.to_dict() for r in deps.findings.list(tenant, "active", None, asset_id, 100)]
            except StateError as exc:
                raise HTTPException(503, f"findings are unavailable: {exc}") from None
        disks = [{"device": d, "probability": p} for t, a, d, p in snap.disk_probability
                 if t == tenant and a == asset_id]  # fmt: skip
        return {
            **view.to_dict(),
            "findings": findings,
            "forecasts": forecasts_of(snap, tenant, asset_id),
            "anomalies": anomalies_of(snap, tenant, asset_id),
            "disks": disks,
            "as_of": iso_time(snap.analyzed_until),
        }

    return router
