"""The ingest routes: ``POST /api/v1/logs``, and ``POST /assets`` and ``POST /ingest/events`` for earlier agents.

Nothing half-written: each request makes at most one log-store write (all or nothing per batch) and, for
``/ingest/events``, one VictoriaMetrics import *before* it. If the import fails the answer is 503 and no
log event is written. If the log write fails after the import, the answer is 503 too; the retry imports
the same points again (same series, timestamp and value) and writes the events, deduplicated by
fingerprint. VictoriaMetrics 1.79 keeps such a repeated point twice in raw storage (instant queries and
last values are unaffected, ``count_over_time`` is not) unless it runs with ``-dedup.minScrapeInterval=1ms``,
which collapses identical points: run it so wherever agents push through this route.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from fastapi import APIRouter, Depends, HTTPException, Request
from prometheus_client import Counter
from pydantic import Field
from starlette.concurrency import run_in_threadpool

from inframind.analyzer.assets import AssetConflict, AssetDirectory, AssetStateError
from inframind.analyzer.auth import Principal, current_principal, policy
from inframind.analyzer.ingest.assets import AssetIn, AssetOut, asset_answer, asset_from_request
from inframind.analyzer.ingest.batch import (
    ERROR_RESPONSES,
    IngestReport,
    Problem,
    Rejected,
    batch_body,
    read_events,
    sort_out,
    unavailable,
)
from inframind.analyzer.ingest.legacy import LegacyEvent, LegacyEventIn, accept_legacy_event
from inframind.analyzer.ingest.logs import LogEventIn, accept_log_event
from inframind.analyzer.sinks.victoriametrics import MetricsImportError, VictoriaMetricsImporter
from inframind.events import LogEvent
from inframind.inventory import Asset
from inframind.logstore import LogStore, LogStoreError, WriteResult

if TYPE_CHECKING:
    from inframind.analyzer.api import Deps

log = logging.getLogger(__name__)
LOGS_ROUTE = "/api/v1/logs"
LEGACY_ROUTE = "/ingest/events"


class LegacyReport(IngestReport):
    samples: int = Field(description="Samples imported into VictoriaMetrics (events that carried metric and value).")


class Ingest:
    """What the routes do once the body is read: check, resolve, import, write (runs on a worker thread)."""

    def __init__(self, deps: Deps) -> None:
        self.deps = deps
        self.limits = deps.ingest_limits
        self.directory = AssetDirectory(deps.inventory, deps.assets)
        self.importer = VictoriaMetricsImporter(deps.metrics_import_url) if deps.metrics_import_url else None
        self.events_total = Counter(
            "inframind_analyzer_ingest_events",
            "Events received by the ingest API, by route and outcome (written, duplicate, rejected).",
            ["route", "outcome"],
            registry=deps.registry,
        )
        self.samples_total = Counter(
            "inframind_analyzer_ingest_samples",
            "Samples imported into VictoriaMetrics from /ingest/events.",
            registry=deps.registry,
        )

    def store(self) -> LogStore:
        if self.deps.logstore is None:
            raise unavailable("no log store is configured on this analyzer; nothing was written")
        return self.deps.logstore

    def write(self, route: str, events: list[LogEvent], rejected: int) -> WriteResult:
        store = self.store()
        try:
            result = store.write(events) if events else WriteResult(0, 0)
        except LogStoreError as exc:
            log.warning("ingest %s: %d events not written: %s", route, len(events), exc)
            raise unavailable("the log store is unavailable; no event was written, retry later") from None
        for outcome, n in (("written", result.written), ("duplicate", result.duplicates), ("rejected", rejected)):
            self.events_total.labels(route, outcome).inc(n)
        return result

    def logs(self, raw: list[Any], principal: Principal) -> IngestReport:
        events, rejected = sort_out(raw, lambda item: accept_log_event(item, principal, self.limits))
        result = self.write(LOGS_ROUTE, events, len(rejected))
        return IngestReport(written=result.written, duplicates=result.duplicates, rejected=rejected)

    def resolver(self, principal: Principal) -> Callable[[str], Asset | None]:
        """Asset lookup for one batch (each name once); admins resolve in every tenant, others in theirs."""
        scope = None if principal.role == "admin" else principal.tenant
        cache: dict[str, Asset | None] = {}

        def resolve(name: str) -> Asset | None:
            if name not in cache:
                cache[name] = self.directory.resolve(name, scope)
            return cache[name]

        return resolve

    def legacy(self, raw: list[Any], principal: Principal) -> LegacyReport:
        resolve, now = self.resolver(principal), self.deps.clock()

        def accept(item: Any) -> LegacyEvent:
            taken = accept_legacy_event(item, principal, self.limits, resolve, now)
            if taken.sample is not None and self.importer is None:
                raise Rejected("metric: this analyzer has no VictoriaMetrics to import into (analyzer setting)")
            return taken

        try:
            accepted, rejected = sort_out(raw, accept)
        except AssetStateError as exc:
            log.warning("ingest %s: cannot resolve assets: %s", LEGACY_ROUTE, exc)
            raise unavailable("the analyzer's asset state is unavailable; nothing was written, retry later") from None
        samples = [a.sample for a in accepted if a.sample is not None]
        self.store()  # no samples without a place for their events
        if samples and self.importer is not None:
            try:
                self.importer.import_samples(samples)
            except MetricsImportError as exc:
                log.warning("ingest %s: %d samples not imported: %s", LEGACY_ROUTE, len(samples), exc)
                raise unavailable("VictoriaMetrics is unavailable; nothing was written, retry later") from None
            self.samples_total.inc(len(samples))
        result = self.write(LEGACY_ROUTE, [a.event for a in accepted], len(rejected))
        return LegacyReport(
            written=result.written, duplicates=result.duplicates, rejected=rejected, samples=len(samples)
        )

    def register(self, body: AssetIn, principal: Principal) -> AssetOut:
        asset = asset_from_request(body, principal)
        try:
            stored = self.directory.register(asset, self.deps.clock())
        except AssetConflict as exc:
            raise HTTPException(409, str(exc)) from None
        except AssetStateError as exc:
            log.warning("POST /assets: %s", exc)
            raise unavailable("the analyzer's asset state is unavailable; retry later") from None
        return asset_answer(stored)


def ingest_router(deps: Deps) -> APIRouter:
    """The ingest routes over ``deps``' log store, assets, inventory and VictoriaMetrics."""
    router = APIRouter(tags=["ingest"])
    ingest = Ingest(deps)
    limits = deps.ingest_limits

    @router.post(
        LOGS_ROUTE,
        openapi_extra={**policy("operator"), **batch_body(LogEventIn, limits, "LogEvent.to_dict() objects")},
        responses=ERROR_RESPONSES,
        summary="Store a batch of log events",
    )
    async def post_logs(request: Request, principal: Principal = Depends(current_principal)) -> IngestReport:  # noqa: B008
        """Each event is checked on its own; the valid ones are written in one all-or-nothing store write,
        under the token's tenant (admin tokens may name others). A resend counts as duplicates."""
        raw = await read_events(request, limits)
        return await run_in_threadpool(ingest.logs, raw, principal)

    @router.post(
        LEGACY_ROUTE,
        openapi_extra={**policy("operator"), **batch_body(LegacyEventIn, limits, "events of earlier InfraMind agents")},
        responses=ERROR_RESPONSES,
        summary="Events (and metric values) from earlier InfraMind agents",
    )
    async def post_legacy_events(request: Request, principal: Principal = Depends(current_principal)) -> LegacyReport:  # noqa: B008
        """Every event becomes a log event; one with ``metric`` and ``value`` also becomes the sample
        ``inframind_agent_<metric>`` with its asset's labels."""
        raw = await read_events(request, limits)
        return await run_in_threadpool(ingest.legacy, raw, principal)

    @router.post(
        "/assets",
        openapi_extra=policy("operator"),
        responses={
            403: {"model": Problem, "description": "The body names another tenant and the token is not admin."},
            409: {"model": Problem, "description": "The id belongs to an asset of another tenant."},
            503: {"model": Problem, "description": "The analyzer's state file is unavailable."},
        },
        summary="Register or update an asset (earlier InfraMind agents)",
    )
    def post_asset(body: AssetIn, principal: Principal = Depends(current_principal)) -> AssetOut:  # noqa: B008
        """Stored in the analyzer's state and used, after the inventory, to resolve events to assets."""
        return ingest.register(body, principal)

    return router
