"""Running the analyzer process: the API server and, beside it, the scheduler that runs the detector families
(sharded among replicas), correlation and delivery (on the leader) on their cadences."""

from __future__ import annotations

import logging
import signal
import socket
import ssl
from collections.abc import Sequence
from contextlib import ExitStack
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any

from inframind.config import Config
from inframind.schema import HostPort

if TYPE_CHECKING:
    from inframind.analyzer.api import Deps
    from inframind.analyzer.auth import TokenAuthenticator
    from inframind.analyzer.explain_alerts import AlertFindings
    from inframind.analyzer.logloop_runner import LogAnalyzerThread
    from inframind.analyzer.metricloop_runner import MetricAnalyzerThread
    from inframind.analyzer.scheduler import Scheduler, Task
    from inframind.analyzer.state import StateStore

log = logging.getLogger(__name__)
STATE_FILE = "state.db"


def _stopped(signum: int, _frame: FrameType | None) -> None:
    log.info("analyzer stopped on %s", signal.Signals(signum).name)


def _bind(address: HostPort) -> socket.socket:
    """Bind before uvicorn does, so a busy port is our clear error rather than uvicorn's exit code 3."""
    family = socket.AF_INET6 if ":" in address.host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((address.host, address.port))
    except OSError as exc:
        sock.close()
        raise OSError(exc.errno, f"cannot listen on {address}: {exc.strerror}") from None
    sock.listen(128)
    return sock


def open_deps(config: Config, resources: ExitStack) -> Deps:
    """The log store, the asset state, the analysis state (``analyzer.state``: SQLite or PostgreSQL) and the
    inventory, opened once; ``resources`` closes them.

    A store that cannot be opened is a startup error (the message names it), not a silent 503 later.
    """
    from inframind.analyzer.api import Deps
    from inframind.analyzer.api_settings import open_api_v1
    from inframind.analyzer.api_sources import StateTemplates
    from inframind.analyzer.assets import AssetRegistry, AssetStateError
    from inframind.analyzer.outcomes import OutcomeCollector
    from inframind.analyzer.recommend_setup import store_recommender
    from inframind.analyzer.replicas_shard import Shard
    from inframind.analyzer.state import StateError, open_state, state_settings
    from inframind.analyzer.state.sql import SQLState
    from inframind.inventory import load_inventory
    from inframind.logstore import LogStoreError, open_store

    inventory = load_inventory(config.inventory) if config.inventory else None
    state_dir = Path(config.analyzer.state_dir)
    vm_url = config.analyzer.victoriametrics_url
    try:
        logstore = open_store(config.logstore)
    except LogStoreError as exc:
        raise OSError(f"cannot open the log store ({config.logstore.type}): {exc}") from None
    resources.callback(logstore.close)
    try:
        assets = AssetRegistry(state_dir / STATE_FILE)
    except AssetStateError as exc:
        raise OSError(str(exc)) from None
    resources.callback(assets.close)
    try:
        analysis = open_state(state_settings(config.analyzer), state_dir)
    except StateError as exc:
        raise OSError(str(exc)) from None
    resources.callback(analysis.close)
    deps = Deps(
        logstore=logstore,
        assets=assets,
        inventory=inventory,
        metrics_import_url=vm_url,
        ingest_limits=config.analyzer.ingest,
        findings=analysis.findings,
        incidents=analysis.incidents,
    )
    sql_state = analysis if isinstance(analysis, SQLState) else None  # both backends are; the audit log needs SQL
    open_api_v1(config, deps, resources, kv_get=analysis.get, feedback=analysis.feedback, state=sql_state)
    deps.authenticator = build_authenticator(config, deps)
    deps.auth_failure_limit = config.security.auth_failure_limit
    deps.alert_findings = alert_lookup(config, analysis)
    deps.recommender = store_recommender(config, logstore, inventory, config.analyzer.alertmanager.language)
    deps.registry.register(OutcomeCollector(lambda: analysis.incidents.list(limit=10_000)))
    shards = config.analyzer.replicas.shards
    if shards > 1:  # each shard's log loop keeps its miners under its own prefix
        deps.templates = StateTemplates(analysis.get, prefixes=[Shard(i, shards).prefix for i in range(shards)])
    return deps


def build_authenticator(config: Config, deps: Deps) -> TokenAuthenticator:
    """Config tokens, the token file of ``inframind tokens create`` and, when configured, OIDC."""
    from inframind.analyzer.auth import TokenAuthenticator
    from inframind.analyzer.oidc import OIDCVerifier
    from inframind.tokenfile import TokenFile

    oidc = OIDCVerifier(config.security.oidc) if config.security.oidc is not None else None
    token_file = TokenFile(config.security.tokens_file)
    return TokenAuthenticator(config.analyzer.tokens, deps.clock, token_file=token_file, oidc=oidc)


def alert_lookup(config: Config, state: StateStore) -> AlertFindings:
    """Alertmanager fingerprints -> findings for explain: the delivery ledger first, then the peers."""
    from inframind.analyzer.explain_alerts import delivered_alert_findings
    from inframind.secrets import SecretError

    am = config.analyzer.alertmanager
    try:
        auth = (am.username, am.password.resolve()) if am.password is not None else None
    except SecretError as exc:
        raise OSError(f"analyzer.alertmanager.password: {exc}") from None
    return delivered_alert_findings(state, am.urls, am.timeout, auth)


def vm_read(config: Config) -> tuple[str, dict[str, str]]:
    """Where the analyzer reads metrics (directly, or through vmauth as ``tenancy.analyzer_user``) and the
    headers; an unset password is a startup error naming its variable."""
    from inframind.vmauth import analyzer_read

    try:
        return analyzer_read(config.tenancy, config.analyzer.victoriametrics_url)
    except ValueError as exc:
        raise OSError(str(exc)) from None


def analysis_state(deps: Deps) -> StateStore | None:
    """The state store behind ``deps.findings`` (None when the findings are kept elsewhere)."""
    from inframind.analyzer.state import SQLFindingsStore

    return deps.findings.db if isinstance(deps.findings, SQLFindingsStore) else None


def start_log_analysis(config: Config, deps: Deps, resources: ExitStack) -> LogAnalyzerThread | None:
    """The log analyzer alone on its thread, without the scheduler (one node; tools and tests), every
    ``analyzer.logs.interval``, stopped by ``resources`` before the stores it uses close."""
    from inframind.analyzer.assets import AssetDirectory
    from inframind.analyzer.logloop_runner import LogAnalyzerThread, build_log_analyzer

    settings = config.analyzer.logs
    state = analysis_state(deps)
    if not settings.enabled or deps.logstore is None or state is None:
        return None
    directory = AssetDirectory(deps.inventory, deps.assets)
    analyzer = build_log_analyzer(settings, deps.logstore, state, directory, deps.registry)
    thread = LogAnalyzerThread(analyzer, settings.interval)
    thread.start()
    resources.callback(thread.stop)
    return thread


def start_metric_analysis(config: Config, deps: Deps, resources: ExitStack) -> MetricAnalyzerThread | None:
    """The metric analyzer alone on its thread, without the scheduler (every ``analyzer.metrics.interval``) reading
    ``analyzer.victoriametrics_url``, its risk scores behind the API, stopped by ``resources`` before the state
    file closes. Settings come from ``analyzer.metrics`` (defaults until that config section exists)."""
    import threading

    from inframind.analyzer.assets import AssetDirectory
    from inframind.analyzer.metricloop_runner import MetricAnalyzerThread, build_metric_analyzer

    settings = config.analyzer.metrics
    state = analysis_state(deps)
    if not settings.enabled or state is None:
        return None
    directory = AssetDirectory(deps.inventory, deps.assets)
    stop = threading.Event()  # also cuts short the retries of a cycle in flight
    read_url, read_headers = vm_read(config)
    analyzer = build_metric_analyzer(
        settings, read_url, state, directory=directory, registry=deps.registry, sleep=stop.wait, headers=read_headers
    )
    deps.risk = deps.metric_outputs = analyzer
    thread = MetricAnalyzerThread(analyzer, settings.interval, stop=stop)
    thread.start()
    resources.callback(thread.stop)
    return thread


def start_scheduler(
    config: Config, deps: Deps, resources: ExitStack, leader_tasks: Sequence[Task] = ()
) -> Scheduler | None:
    """Every task of the analyzer on the scheduler (:mod:`.scheduler_wiring`), its health and leadership on
    ``deps.registry``; ``leader_tasks`` are added to correlation and delivery on the leader. ``resources`` stops
    it (runs in flight finish, leases are released) before the stores close."""
    from inframind.analyzer.scheduler_wiring import build_scheduler

    state = analysis_state(deps)
    if state is None:
        return None
    scheduler = build_scheduler(config, deps, state, resources, leader_tasks)
    deps.health = scheduler.health
    scheduler.start()
    resources.callback(scheduler.stop, config.analyzer.schedule.stop_timeout)
    return scheduler


def run_analyzer(config: Config, listen: HostPort | None = None) -> None:
    """Serve the API until SIGINT/SIGTERM (uvicorn handles both and drains requests)."""
    import uvicorn
    from prometheus_client import disable_created_metrics

    from inframind.analyzer.api import create_app

    # *_created series double the exposition and no dashboard reads them.
    disable_created_metrics()  # type: ignore[no-untyped-call]

    address = listen or config.analyzer.listen
    if not config.analyzer.tokens and config.security.oidc is None and not Path(config.security.tokens_file).exists():
        log.warning(
            "no API tokens configured: only /health, /metrics and /docs are reachable; "
            "create one with `inframind tokens create`"
        )
    tls = config.analyzer.tls
    ssl_options: dict[str, Any] = {}
    if tls is not None:
        ssl_options = {"ssl_certfile": tls.cert_file, "ssl_keyfile": tls.key_file}
        if tls.client_ca_file:
            ssl_options |= {"ssl_ca_certs": tls.client_ca_file, "ssl_cert_reqs": ssl.CERT_REQUIRED}
    with ExitStack() as resources:
        deps = open_deps(config, resources)
        app = create_app(config.analyzer, deps)
        start_scheduler(config, deps, resources)
        server = uvicorn.Server(
            uvicorn.Config(
                app, host=address.host, port=address.port, log_config=None, access_log=False, server_header=False,
                **ssl_options,
            )
        )  # fmt: skip
        scheme = "https" if tls is not None else "http"
        log.info("analyzer API on %s://%s:%d (OpenAPI at /docs)", scheme, address.url_host, address.port)
        # uvicorn drains on SIGINT/SIGTERM, restores the previous handlers and re-raises the signal; with
        # these in place the re-raised signal is a no-op and the process exits 0 after a clean shutdown.
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, _stopped)
        server.run(sockets=[_bind(address)])
