"""The analyzer's HTTP API: one FastAPI app built by :func:`create_app`; later features add routers to it.

Every route declares its access policy (see :mod:`.auth`); OpenAPI is served at /docs and /openapi.json.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from fastapi import APIRouter, Depends, FastAPI, Request, Response
from prometheus_client import CollectorRegistry, Counter, Gauge, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4

from inframind import __version__
from inframind.analyzer.api_sources import MetricOutputs, Recommender, TemplateSource
from inframind.analyzer.api_v1 import install_api_v1
from inframind.analyzer.assets import AssetRegistry
from inframind.analyzer.audit_store import AuditLog
from inframind.analyzer.auth import (
    Authenticator,
    FailureLimiter,
    Principal,
    TokenAuthenticator,
    current_principal,
    make_authorize,
    policy,
)
from inframind.analyzer.delivery_api import DeliveryDeps, delivery_router
from inframind.analyzer.explain_alerts import AlertFindings
from inframind.analyzer.findings_api import findings_router
from inframind.analyzer.incidents import IncidentStore
from inframind.analyzer.incidents_api import incidents_router
from inframind.analyzer.ingest import IngestLimits, ingest_router
from inframind.analyzer.logloop_metrics import FindingsCollector
from inframind.analyzer.risk_api import RiskSource, risk_router
from inframind.analyzer.state import FeedbackStore, FindingsStore
from inframind.analyzer.targets_api import TargetsDeps
from inframind.config import AnalyzerConfig
from inframind.inventory import Inventory
from inframind.logstore import LogStore


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass
class Deps:
    """What the app needs from outside; tests pass their own (a fresh registry, a fixed clock)."""

    registry: CollectorRegistry = field(default_factory=lambda: CollectorRegistry(auto_describe=True))
    clock: Callable[[], dt.datetime] = _utcnow
    logstore: LogStore | None = None
    """Where ingested log events go (config.logstore); without one the ingest routes answer 503."""
    assets: AssetRegistry | None = None
    """Assets registered over ``POST /assets`` (the analyzer's state file)."""
    inventory: Inventory | None = None
    """The curated assets; resolution tries it before the registered ones."""
    metrics_import_url: str | None = None
    """VictoriaMetrics base URL for samples from ``/ingest/events``; None refuses events carrying metrics."""
    ingest_limits: IngestLimits = field(default_factory=IngestLimits)
    findings: FindingsStore | None = None
    """Where detectors keep their findings (the state file); without one the findings routes answer 503."""
    risk: RiskSource | None = None
    """The metric analyzer's risk scores; without it the risk route answers 503."""
    metric_outputs: MetricOutputs | None = None
    """The metric analyzer's last outputs (forecasts, anomaly scores) for /api/v1/forecasts, /anomalies, /assets."""
    templates: TemplateSource | None = None
    """Mined log templates (the log loop's miner snapshots) for /api/v1/templates."""
    feedback_reader: FeedbackStore | None = None
    """Recorded feedback for GET /api/v1/feedback."""
    recommender: Recommender | None = None
    """finding -> recommendation; None: the recommend module's, when it exists."""
    audit: AuditLog | None = None
    """The audit log (None: one in memory for the life of the app)."""
    api_targets: TargetsDeps | None = None
    """Targets and credentials created through the API; without it the targets routes answer 503."""
    incidents: IncidentStore | None = None
    """Incidents from correlation (the state store); without it the incident routes answer 503."""
    alert_findings: AlertFindings | None = None
    """Resolves Alertmanager alert fingerprints to findings for /api/v1/explain (None: finding fingerprints only)."""
    authenticator: Authenticator | None = None
    """Who a bearer token is (None: the config's API tokens only; the service adds the token file and OIDC)."""
    health: Callable[[], dict[str, Any]] | None = None
    """The scheduler's health (tasks, lag, errors, leadership) for /health."""
    auth_failure_limit: int = 20
    """Failed authentications per client address per minute before 429 (0: no limit)."""
    delivery: DeliveryDeps = field(default_factory=DeliveryDeps)
    """ITSM webhook, Telegram relay and feedback links; parts left None answer 503. The service fills this
    object in place (the routes read it per request), so it may be completed after the app is built."""


@dataclass
class _Metrics:
    requests: Counter
    auth_failures: Counter


def _register_metrics(registry: CollectorRegistry) -> _Metrics:
    info = Gauge("inframind_analyzer_build_info", "The analyzer's version, always 1.", ["version"], registry=registry)
    info.labels(__version__).set(1)
    Gauge("inframind_analyzer_start_time_seconds", "Unix time the analyzer started.", registry=registry).set(
        time.time()
    )
    return _Metrics(
        requests=Counter(
            "inframind_analyzer_http_requests",
            "API requests by route template, method and status code.",
            ["route", "method", "code"],
            registry=registry,
        ),
        auth_failures=Counter(
            "inframind_analyzer_auth_failures",
            "Refused API requests by reason (missing_token, unknown_token, expired_token, forbidden, no_policy).",
            ["reason"],
            registry=registry,
        ),
    )


def _core_router(settings: AnalyzerConfig, deps: Deps, started: dt.datetime) -> APIRouter:
    router = APIRouter()

    @router.get("/health", openapi_extra=policy("public"), tags=["operations"])
    def health() -> dict[str, Any]:
        """Liveness, and the analysis tasks' state: last run, lag, errors, leadership (``status`` degraded
        when a task is failing or late; the process still answers)."""
        body: dict[str, Any] = {
            "status": "ok",
            "version": __version__,
            "uptime_seconds": round((deps.clock() - started).total_seconds(), 3),
        }
        if deps.health is not None:
            analysis = deps.health()
            body["status"], body["analysis"] = analysis.get("status", "ok"), analysis
        return body

    metrics_policy = policy("public" if settings.public_metrics else "viewer")

    @router.get("/metrics", openapi_extra=metrics_policy, tags=["operations"], response_class=Response)
    def metrics() -> Response:
        """The analyzer's own metrics in the Prometheus text format."""
        return Response(generate_latest(deps.registry), media_type=CONTENT_TYPE_PLAIN_0_0_4)

    @router.get("/api/v1/whoami", openapi_extra=policy("viewer"), tags=["auth"])
    def whoami(principal: Principal = Depends(current_principal)) -> dict[str, str]:  # noqa: B008
        """The caller's token name, role and tenant."""
        return {"name": principal.name, "role": principal.role, "tenant": principal.tenant}

    return router


def create_app(settings: AnalyzerConfig, deps: Deps | None = None) -> FastAPI:
    """The analyzer app; every route is behind the one authorize dependency."""
    deps = deps or Deps()
    metrics = _register_metrics(deps.registry)
    if deps.authenticator is None:
        deps.authenticator = TokenAuthenticator(settings.tokens, deps.clock)
    limiter = FailureLimiter(deps.auth_failure_limit)
    authorize = make_authorize(deps.authenticator, metrics.auth_failures, limiter)
    app = FastAPI(
        title="InfraMind analyzer",
        version=__version__,
        description="Findings, recommendations and operations of the InfraMind analyzer. "
        "Authenticate with `Authorization: Bearer <token>`.",
        dependencies=[Depends(authorize)],
    )
    app.include_router(_core_router(settings, deps, deps.clock()))
    app.include_router(ingest_router(deps))
    app.include_router(findings_router(deps))
    app.include_router(risk_router(deps))
    install_api_v1(app, settings, deps)
    app.include_router(incidents_router(deps))
    app.include_router(delivery_router(deps.delivery))
    if deps.findings is not None:
        deps.registry.register(FindingsCollector(deps.findings))

    @app.middleware("http")
    async def count_requests(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        response = await call_next(request)
        route = request.scope.get("route")
        template = getattr(route, "path", "unmatched")
        metrics.requests.labels(template, request.method, str(response.status_code)).inc()
        return response

    app.state.deps = deps
    return app
