"""Agentless targets by API: "give an address and a credential, collection starts".

- ``POST/GET/PUT/DELETE /api/v1/targets[/{target_id}]``: operators write, viewers read, each in its tenant; the
  list shows the inventory's probe targets too (``inventory:<asset>``, read-only here: they are kept in git).
- ``GET /api/v1/targets/http_sd``: Prometheus HTTP service discovery over the inventory's and the API's probe
  targets (:mod:`.targets_api_sd`), so vmagent or VictoriaMetrics scrape a new target without a restart.
- ``GET /api/v1/auths/{name}``: a stored credential, decrypted, for the exporter or agent that probes with
  ``auth=api:<name>`` (operator; every call is an audited secret access). Nothing else ever answers a
  credential's values: target answers name its fields only.

Credentials are sealed with the analyzer's key (:mod:`inframind.secretstore`); without a key a request that
carries one is refused with 409 and nothing is stored.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Annotated, Any, Literal

from fastapi import APIRouter, Body, Depends, HTTPException, Path, Query, Response
from fastapi.exceptions import RequestValidationError

from inframind.analyzer.api_common import ERRORS, Limit, Offset, TenantParam, page, scope_of, visible
from inframind.analyzer.audit_middleware import audited
from inframind.analyzer.auth import Principal, current_principal, policy
from inframind.analyzer.targets_api_model import DEFAULT_MODULES, ApiTarget, Kind, ModuleName, TargetIn, module_catalog
from inframind.analyzer.targets_api_sd import (
    INVENTORY_PREFIX,
    SdSettings,
    http_sd,
    inventory_owner,
    inventory_targets,
)
from inframind.analyzer.targets_api_store import (
    DuplicateTarget,
    TargetQuery,
    TargetStore,
    TargetStoreError,
)
from inframind.exporters.probe.apiauth import API_PREFIX, CredentialError, plain_credential
from inframind.secretstore import NoKeyError, SecretBox, SecretStoreError

if TYPE_CHECKING:
    from inframind.analyzer.api import Deps

TARGETS_ROUTE = "/api/v1/targets"
AUTHS_ROUTE = "/api/v1/auths/{name}"
TargetId = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$")]


@dataclass
class TargetsDeps:
    """What the targets routes need: the store, the key box, where probes go, and the known modules."""

    store: TargetStore
    box: SecretBox = field(default_factory=SecretBox)
    sd: SdSettings = field(default_factory=SdSettings)
    modules: Mapping[str, str] = field(default_factory=module_catalog)
    """Module name -> prober (shipped plus the exporter config's)."""


def _invalid(loc: tuple[str, ...], message: str) -> RequestValidationError:
    return RequestValidationError([{"loc": ("body", *loc), "msg": message, "type": "value_error"}])


class Targets:
    def __init__(self, deps: Deps) -> None:
        self.deps = deps

    @property
    def ctx(self) -> TargetsDeps:
        if self.deps.api_targets is None:
            raise HTTPException(503, "this analyzer keeps no API targets (no state directory)")
        return self.deps.api_targets

    def build(self, body: TargetIn, principal: Principal, existing: ApiTarget | None) -> tuple[ApiTarget, str | None]:
        """The record ``body`` makes (over ``existing`` on PUT) and its sealed credential."""
        ctx = self.ctx
        tenant = body.tenant or (existing.tenant if existing else principal.tenant)
        if tenant != principal.tenant and principal.role != "admin":
            raise HTTPException(403, f"a {principal.role} token writes only its own tenant ({principal.tenant})")
        module = body.module or DEFAULT_MODULES[body.kind]
        prober = ctx.modules.get(module)
        if prober is None:
            known = sorted(m for m, p in ctx.modules.items() if p == body.kind)
            raise _invalid(("module",), f"unknown module {module!r}; {body.kind} modules: {', '.join(known)}")
        if prober != body.kind:
            raise _invalid(("module",), f"module {module!r} uses the {prober} prober, not {body.kind}")
        if body.auth is not None and body.credential is not None:
            raise _invalid(("auth",), "give either auth (a config auth's name) or credential, not both")
        if body.auth is not None and body.kind == "tcp":
            raise _invalid(("auth",), "tcp targets take no auth")
        sealed, fields = self.credential(body, existing)
        owner = inventory_owner(self.deps.inventory, body.address, module)
        if owner is not None:
            raise HTTPException(409, f"the inventory already probes {body.address} with {module} (asset {owner.id})")
        now = self.deps.clock()
        target = ApiTarget(
            id=existing.id if existing else "t-" + secrets.token_hex(6), tenant=tenant, address=body.address,
            kind=body.kind, module=module, interval=body.interval, asset=body.asset or body.address,
            labels=dict(body.labels), auth=body.auth, credential_fields=fields,
            created_at=existing.created_at if existing else now, updated_at=now,
        )  # fmt: skip
        return target, sealed

    def credential(self, body: TargetIn, existing: ApiTarget | None) -> tuple[str | None, tuple[str, ...]]:
        given = "credential" in body.model_fields_set
        if body.credential is None:
            if given or existing is None or not existing.has_credential:
                return None, ()
            if existing.kind != body.kind:
                raise _invalid(("credential",), f"the kind changed: give a {body.kind} credential, or null")
            found = self.ctx.store.sealed(existing.id)
            return (found[1], existing.credential_fields) if found else (None, ())
        try:
            plain = plain_credential(body.kind, body.credential)
        except CredentialError as exc:
            raise RequestValidationError(
                [{"loc": ("body", "credential", *([f] if f else [])), "msg": m, "type": "value_error"}
                 for f, m in exc.problems]
            ) from None  # fmt: skip
        try:
            return self.ctx.box.seal(plain), tuple(sorted(plain))
        except NoKeyError as exc:
            raise HTTPException(409, str(exc)) from None

    def save(self, target: ApiTarget, sealed: str | None) -> ApiTarget:
        try:
            self.ctx.store.put(target, sealed)
        except DuplicateTarget as exc:
            raise HTTPException(409, f"{exc}: {target.address} with {target.module}") from None
        except TargetStoreError as exc:
            raise HTTPException(503, f"targets are unavailable: {exc}") from None
        return target

    def listing(self, query: TargetQuery, source: str, limit: int, offset: int) -> dict[str, Any]:
        """A page over the inventory's targets, then the API's (each store pages its own part)."""
        ctx = self.ctx
        curated = [] if source == "api" else inventory_targets(self.deps.inventory, ctx.modules, query)
        shown = curated[offset : offset + limit]
        api_offset, api_limit = max(offset - len(curated), 0), limit - len(shown)
        found: list[ApiTarget] = []
        total = 0
        if source != "inventory":
            try:
                found, total = ctx.store.list(query, max(api_limit, 1), api_offset)
            except TargetStoreError as exc:
                raise HTTPException(503, f"targets are unavailable: {exc}") from None
        items = shown + [t.to_dict() for t in found[:api_limit]]
        return page(items, limit, offset, len(curated) + total)

    def find(self, target_id: str, principal: Principal) -> ApiTarget:
        try:
            target = self.ctx.store.get(target_id)
        except TargetStoreError as exc:
            raise HTTPException(503, f"targets are unavailable: {exc}") from None
        if target is None and target_id.startswith(INVENTORY_PREFIX):
            raise HTTPException(404, f"no API target {target_id}: inventory targets are changed in the inventory (git)")
        if target is None or not visible(principal, target.tenant):
            raise HTTPException(404, f"no target {target_id}")
        return target


def targets_router(deps: Deps) -> APIRouter:
    router = APIRouter(tags=["targets"], responses=ERRORS)
    api = Targets(deps)

    @router.get(TARGETS_ROUTE + "/http_sd", openapi_extra=policy("viewer"))
    def targets_http_sd(
        principal: Principal = Depends(current_principal),  # noqa: B008
        module: Annotated[ModuleName | None, Query(description="Only targets of this /probe module.")] = None,
        tenant: TenantParam = None,
    ) -> list[dict[str, Any]]:
        """Prometheus HTTP SD: the inventory's and the API's probe targets, relabeled for /probe already."""
        scope = scope_of(principal, tenant)
        store = deps.api_targets.store if deps.api_targets is not None else None
        sd = deps.api_targets.sd if deps.api_targets is not None else SdSettings()
        try:
            listed = store.list(TargetQuery(tenant=scope, module=module), 1_000_000, 0)[0] if store else []
        except TargetStoreError as exc:
            raise HTTPException(503, f"targets are unavailable: {exc}") from None
        return http_sd(listed, deps.inventory, sd, scope, module)

    @router.get(TARGETS_ROUTE, openapi_extra=policy("viewer"))
    def list_targets(
        *,
        principal: Principal = Depends(current_principal),  # noqa: B008
        kind: Kind | None = None,
        module: Annotated[ModuleName | None, Query()] = None,
        address: Annotated[str | None, Query(min_length=1, max_length=253)] = None,
        source: Literal["all", "inventory", "api"] = "all",
        tenant: TenantParam = None,
        limit: Limit = 100,
        offset: Offset = 0,
    ) -> dict[str, Any]:
        """Probe targets by tenant, kind, module and address: the inventory's (from git, read-only here) first,
        then the API's; credentials only by their field names."""
        query = TargetQuery(scope_of(principal, tenant), kind, module, address)
        return api.listing(query, source, limit, offset)

    @router.post(TARGETS_ROUTE, openapi_extra=policy("operator"), status_code=201)
    def create_target(
        body: Annotated[TargetIn, Body()],
        principal: Principal = Depends(current_principal),  # noqa: B008
    ) -> dict[str, Any]:
        """Create a target; it appears in http_sd at once (409: a duplicate, or a credential without a key)."""
        target, sealed = api.build(body, principal, None)
        return api.save(target, sealed).to_dict()

    @router.get(TARGETS_ROUTE + "/{target_id}", openapi_extra=policy("viewer"))
    def get_target(target_id: TargetId, principal: Principal = Depends(current_principal)) -> dict[str, Any]:  # noqa: B008
        return api.find(target_id, principal).to_dict()

    @router.put(TARGETS_ROUTE + "/{target_id}", openapi_extra=policy("operator"))
    def replace_target(
        target_id: TargetId,
        body: Annotated[TargetIn, Body()],
        principal: Principal = Depends(current_principal),  # noqa: B008
    ) -> dict[str, Any]:
        """Replace a target; a credential left out is kept, ``null`` removes it."""
        existing = api.find(target_id, principal)
        target, sealed = api.build(body, principal, existing)
        return api.save(target, sealed).to_dict()

    @router.delete(TARGETS_ROUTE + "/{target_id}", openapi_extra=policy("operator"), status_code=204)
    def delete_target(target_id: TargetId, principal: Principal = Depends(current_principal)) -> Response:  # noqa: B008
        """Delete a target and its credential; it leaves http_sd at once."""
        target = api.find(target_id, principal)
        try:
            api.ctx.store.delete(target.id)
        except TargetStoreError as exc:
            raise HTTPException(503, f"targets are unavailable: {exc}") from None
        return Response(status_code=204)

    @router.get(AUTHS_ROUTE, openapi_extra={**policy("operator"), **audited("secret.read")}, tags=["auths"])
    def get_auth(
        name: Annotated[str, Path(min_length=1, max_length=80, pattern=r"^[A-Za-z0-9_.:-]+$")],
        response: Response,
        principal: Principal = Depends(current_principal),  # noqa: B008
    ) -> dict[str, Any]:
        """For collectors: the decrypted credential of ``auth=api:<name>`` (audited; never cached by proxies)."""
        target_id = name.removeprefix(API_PREFIX)
        try:
            found = api.ctx.store.sealed(target_id)
        except TargetStoreError as exc:
            raise HTTPException(503, f"credentials are unavailable: {exc}") from None
        if found is None or not visible(principal, found[0].tenant):
            raise HTTPException(404, f"no stored credential {name}")
        target, sealed = found
        try:
            settings = api.ctx.box.open(sealed)
        except SecretStoreError as exc:
            raise HTTPException(503, str(exc)) from None
        response.headers["Cache-Control"] = "no-store"
        return {"name": API_PREFIX + target.id, "type": target.kind, "tenant": target.tenant, "settings": settings}

    return router


def rotate_credentials(store: TargetStore, box: SecretBox) -> tuple[int, int]:
    """Re-encrypt every stored credential with the primary key: (re-encrypted, already current).
    Safe while the analyzer serves: each row is swapped only if it did not change meanwhile."""
    rotated = current = 0
    for target_id, sealed in list(store.all_sealed()):
        if box.sealed_with_primary(sealed):
            current += 1
        elif store.reseal(target_id, sealed, box.rotate(sealed)):
            rotated += 1
    return rotated, current
