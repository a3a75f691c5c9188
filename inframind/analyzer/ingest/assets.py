"""``POST /assets``: an agent registers (or updates) the asset it runs on, in its caller's tenant."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import HTTPException
from pydantic import BaseModel, ConfigDict, Field, StrictStr, StringConstraints

from inframind.analyzer.assets import RegisteredAsset
from inframind.analyzer.auth import Principal
from inframind.inventory import Asset, AssetKind

Short = Annotated[StrictStr, StringConstraints(strip_whitespace=True, max_length=256)]


class AssetIn(BaseModel):
    """An asset as an agent describes itself. Unknown keys are ignored (earlier agents send more)."""

    model_config = ConfigDict(extra="ignore")

    id: Annotated[StrictStr, StringConstraints(strip_whitespace=True, min_length=1, max_length=256)] = Field(
        examples=["srv-db-03"]
    )
    kind: AssetKind = "host"
    addresses: list[Short] = Field(default_factory=list, max_length=64, examples=[["10.0.3.13", "srv-db-03.lan"]])
    labels: dict[Short, Short] = Field(default_factory=dict, max_length=64, examples=[{"env": "prod"}])
    site: Short = ""
    rack: Short = ""
    role: Short = ""
    tenant: Short | None = Field(default=None, description="Only admin tokens may name a tenant other than theirs.")


class AssetOut(BaseModel):
    id: str
    kind: str
    tenant: str
    site: str
    rack: str
    role: str
    addresses: list[str]
    labels: dict[str, str]
    updated_at: dt.datetime


def asset_from_request(body: AssetIn, principal: Principal) -> Asset:
    """The asset to store: the caller's tenant, checked like an inventory entry (422 with every problem)."""
    tenant = body.tenant or principal.tenant
    if tenant != principal.tenant and principal.role != "admin":
        raise HTTPException(403, f"tenant {tenant!r} is not yours: this token registers into {principal.tenant!r}")
    asset = Asset(
        id=body.id,
        kind=body.kind,
        tenant=tenant,
        site=body.site,
        rack=body.rack,
        role=body.role,
        addresses=tuple(dict.fromkeys(a for a in body.addresses if a)),
        labels=dict(body.labels),
    )
    problems = [
        {"loc": ["body", *map(str, path)], "msg": message, "type": "value_error"} for path, message in asset.check()
    ]
    if problems:
        raise HTTPException(422, problems)
    return asset


def asset_answer(stored: RegisteredAsset) -> AssetOut:
    a = stored.asset
    return AssetOut(
        id=a.id,
        kind=a.kind,
        tenant=a.tenant,
        site=a.site,
        rack=a.rack,
        role=a.role,
        addresses=list(a.addresses),
        labels=dict(a.labels),
        updated_at=stored.updated_at,
    )
