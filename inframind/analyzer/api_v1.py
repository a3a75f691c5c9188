"""Installs the REST API's read routes, the targets and credential routes, the audit log and its middleware on
the app :func:`~inframind.analyzer.api.create_app` builds (one call there, so the wiring stays in one place)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError

from inframind.analyzer.api_assets import assets_router
from inframind.analyzer.api_common import validation_error
from inframind.analyzer.api_compat import compat_router
from inframind.analyzer.api_insights import insights_router
from inframind.analyzer.api_sources import default_recommender
from inframind.analyzer.audit_api import audit_router
from inframind.analyzer.audit_middleware import AuditMetrics, AuditMiddleware
from inframind.analyzer.audit_store import StateAuditLog
from inframind.analyzer.auth import TokenAuthenticator
from inframind.analyzer.targets_api import targets_router
from inframind.config import AnalyzerConfig

if TYPE_CHECKING:
    from inframind.analyzer.api import Deps


def install_api_v1(app: FastAPI, settings: AnalyzerConfig, deps: Deps) -> None:
    """Routers, the 422 handler that never echoes input, and the audit middleware.

    Without an audit log in ``deps`` the app keeps one in memory, so every write and every refusal is
    still recorded (and queryable) for the life of the process."""
    if deps.audit is None:
        deps.audit = StateAuditLog.open_file(":memory:", clock=deps.clock)
    if deps.recommender is None:
        deps.recommender = default_recommender()
    app.add_exception_handler(RequestValidationError, validation_error)
    for router in (assets_router, insights_router, targets_router, audit_router, compat_router):
        app.include_router(router(deps))
    app.add_middleware(
        AuditMiddleware,
        audit=lambda: deps.audit,
        authenticator=deps.authenticator or TokenAuthenticator(settings.tokens, deps.clock),
        clock=deps.clock,
        metrics=AuditMetrics(deps.registry),
    )
