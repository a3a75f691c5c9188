"""The analyzer's settings: its API address and the API tokens (hashes only) with roles and tenants."""

from __future__ import annotations

import datetime as dt
import os
import re
import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Literal

from inframind.config.analyzer_sections import (
    ApiTargetSettings,
    AuditSettings,
    CorrelationSettings,
    NarrativeSettings,
    SecretStoreSettings,
)
from inframind.config.delivery import AlertmanagerSinkSettings, FeedbackSettings, ItsmSettings, RelaySettings
from inframind.schema import Duration, HostPort, PathKey
from inframind.secrets import SecretRef

ANALYZER_PORT = 8050
Role = Literal["viewer", "operator", "admin"]
ROLES: tuple[Role, ...] = ("viewer", "operator", "admin")


_TOKEN_HASH = re.compile(r"^sha256:[0-9a-f]{64}$")


@dataclass(frozen=True)
class ApiToken:
    """An API token as stored in config: only its SHA-256, never the token itself."""

    name: str
    hash: str
    role: Role = "viewer"
    tenant: str = "default"
    expires: dt.datetime | None = None

    def check(self) -> Iterator[tuple[PathKey, str]]:
        if not _TOKEN_HASH.match(self.hash):
            yield ("hash",), "expected sha256:<64 hex digits>; create one with `inframind tokens generate`"


@dataclass(frozen=True)
class IngestSettings:
    """Limits of the ingest API (POST /api/v1/logs, /ingest/events)."""

    max_body_bytes: int = 10 * 2**20
    max_events: int = 10_000
    max_message_bytes: int = 2**20

    def check(self) -> Iterator[tuple[PathKey, str]]:
        for name in ("max_body_bytes", "max_events", "max_message_bytes"):
            if getattr(self, name) < 1:
                yield (name,), "must be at least 1"


@dataclass(frozen=True)
class LogAnalysisSettings:
    """How the analyzer turns the log stream into findings."""

    enabled: bool = True
    rules: tuple[str, ...] = ("rules/logs/*.yml",)
    """Log rule files (globs; a directory means its ``*.yml``)."""
    interval: Duration = 60.0
    """Cadence of the loop: read what is new, mine it, evaluate rules and detectors, persist."""
    batch: int = 5000
    """Events per log-store read."""
    max_cycle_events: int = 200_000
    """At most this many events per cycle, so a backlog is worked off in steps that each commit."""
    parallel_lines: int = 20_000
    """Mine sources in parallel processes when a cycle has at least this many lines over two or more sources."""
    workers: int = 0
    """Processes for parallel mining (0: one per CPU)."""
    warmup: Duration = 86400.0
    """New templates: a (tenant, source) learns silently this long after its first event."""
    asset_warmup: Duration = 3600.0
    """New templates: an asset new to a source learns silently this long."""
    grace: Duration = 300.0
    """New templates: wait this long before reporting, so early over-splits of the miner can heal."""
    repeat_window: Duration = 900.0
    repeat_count: int = 10
    """Repeated errors: this many events of one error template within ``repeat_window`` make one finding."""
    top_n: int = 10
    """Template rate gauges: the busiest templates per asset."""
    rate_window: Duration = 300.0
    """Template rate gauges: events per second over this window."""
    snapshot_every: Duration = 900.0
    """Write the miners' state at least this often while lines flow (always when templates changed)."""

    def check(self) -> Iterator[tuple[PathKey, str]]:
        for name in ("batch", "max_cycle_events", "parallel_lines", "repeat_count", "top_n"):
            if getattr(self, name) < 1:
                yield (name,), "must be at least 1"
        for name in ("interval", "grace", "repeat_window", "rate_window"):
            if getattr(self, name) <= 0:
                yield (name,), "must be positive"
        if self.workers < 0:
            yield ("workers",), "must be 0 (one per CPU) or more"
        if not self.rules:
            yield ("rules",), "name at least one rule file or glob, e.g. rules/logs/*.yml"


@dataclass(frozen=True)
class MetricAnalysisSettings:
    """How the analyzer turns metrics into findings, forecasts, probabilities and risk scores."""

    enabled: bool = True
    interval: Duration = 60.0
    """Cadence of anomalies, hot/cold nodes, I/O hints, SLO burn rates and risk scores."""
    forecast_interval: Duration = 3600.0
    """Cadence of capacity forecasts."""
    failure_interval: Duration = 86400.0
    """Cadence of disk failure and node risk models."""
    step: Duration = 60.0
    """Sample step of the anomaly detectors' series."""
    rate_window: Duration = 300.0
    """Window of ``rate()`` over counters (at least four scrape intervals)."""
    delay: Duration = 60.0
    """Analyze up to ``now - delay``: the newest samples are still being scraped and ingested."""
    backfill: Duration = 14400.0
    """History a series is warmed on when it is first seen (the detectors score after 100 points)."""
    anomaly_event_signals: tuple[str, ...] = ("network_errors", "network_drops")
    """Anomaly signals that are rates of discrete events: their rate moves in whole events per ``rate_window``, so
    an anomaly there must also be a significant count (Poisson), not one event more than usual."""
    anomaly_event_alpha: float = 0.001
    """... the observed count in one ``rate_window`` is at most this likely under the expected rate ..."""
    anomaly_min_excess_events: float = 3.0
    """... and exceeds the expected count by at least this many events (one or two stray drops page nobody)."""
    anomaly_min_duration: dict[str, Duration] = field(default_factory=lambda: {"disk_queue": 600.0})
    """Noisy signals whose anomalies must last this long (consecutive anomalous points) before they are findings;
    at most 60 steps (the recent points findings are judged on)."""
    anomaly_band_excess: float = 0.1
    """An anomaly must show a value outside the band it is explained against (expected range widened by the
    residual scale) by at least this share of the band's width; a score saturated by a tiny scale while the value
    sits on (or inside) the band is not a material change. Negative turns the check off."""
    anomaly_recurrence_days: int = 1
    """An anomaly like one already seen at the same time of day on this many earlier days (within
    ``anomaly_recurrence_spread``, at least half as far from the level) is a known daily pattern, a nightly job
    rather than an incident: it is kept as an ``info`` finding, visible but not paged. 0 turns this off."""
    anomaly_recurrence_spread: Duration = 1800.0
    """How far from the same time of day an earlier excursion may have been (scheduled jobs drift)."""
    anomaly_learning: Duration = 3 * 86400.0
    """A series watched for less than this is still learning its daily pattern (the daily profile trusts the
    median of three occurrences per time of day): its anomalies with weak evidence (not critical) are kept as
    ``info`` findings, visible but not paged, unless they last ``anomaly_learning_persistence``. 0: no learning."""
    anomaly_learning_persistence: Duration = 3600.0
    """An anomaly that lasts this long pages even while its series is learning."""
    max_series: int = 20_000
    """Anomaly detectors kept at most (a mature one holds ~180 KB in memory); further series are counted, not
    analyzed."""
    max_new_series: int = 2_000
    """New series warmed per cycle (~12 s for 4 h of backfill each): a new fleet is taken on over a few cycles."""
    checkpoint_interval: Duration = 900.0
    """Every detector's state is written at least this often (a share each cycle); a restart replays the rest
    from the metrics store."""
    stale_after: Duration = 86400.0
    """A series not seen this long is forgotten (its detector and state)."""
    groups_by: tuple[str, ...] = ("cluster", "rack", "role")
    """Labels whose values form the groups of hot/cold analysis, most preferred first."""
    hotcold_window: Duration = 86400.0
    hotcold_percentile: float = 0.95
    hot_ratio: float = 0.8
    cold_ratio: float = 0.35
    io_window: Duration = 3600.0
    """Window the I/O tuning hints average latency, queue depth and utilization over."""
    forecast_lookback: Duration = 35 * 86400.0
    forecast_step: Duration = 3600.0
    forecast_model: str = "robust"
    disk_window: Duration = 10 * 86400.0
    """SMART history read for a drive's growth features (the model's growth terms use 10 days)."""
    disk_step: Duration = 21600.0
    timeout: Duration = 30.0
    retries: int = 3
    max_points: int = 11_000
    path_prefix: str = ""
    """Before ``/api/v1``: ``/select/0/prometheus`` reads tenant 0 of a VictoriaMetrics cluster."""

    def _check_anomaly(self) -> Iterator[tuple[PathKey, str]]:
        if not 0.0 < self.anomaly_event_alpha < 1.0:
            yield ("anomaly_event_alpha",), "must be between 0 and 1"
        for name in ("anomaly_min_excess_events", "anomaly_learning", "anomaly_recurrence_days",
                     "anomaly_recurrence_spread"):  # fmt: skip
            if getattr(self, name) < 0:
                yield (name,), "must not be negative"
        if self.anomaly_learning_persistence <= 0:
            yield ("anomaly_learning_persistence",), "must be positive"
        for signal, duration in self.anomaly_min_duration.items():
            if not 0 < duration <= 60 * self.step:
                yield ("anomaly_min_duration", signal), "must be positive and at most 60 steps"

    def check(self) -> Iterator[tuple[PathKey, str]]:
        for name in (
            "interval",
            "forecast_interval",
            "failure_interval",
            "step",
            "rate_window",
            "backfill",
            "checkpoint_interval",
            "stale_after",
            "hotcold_window",
            "io_window",
            "forecast_lookback",
            "forecast_step",
            "disk_window",
            "disk_step",
            "timeout",
        ):
            if getattr(self, name) <= 0:
                yield (name,), "must be positive"
        for name in ("max_series", "max_new_series", "max_points"):
            if getattr(self, name) < 1:
                yield (name,), "must be at least 1"
        yield from self._check_anomaly()
        if self.delay < 0 or self.retries < 0:
            yield ("delay" if self.delay < 0 else "retries",), "must not be negative"
        if self.rate_window < 2 * self.step:
            yield ("rate_window",), "must be at least twice the step"
        for name in ("hotcold_percentile", "hot_ratio", "cold_ratio"):
            if not 0.0 < getattr(self, name) < 1.0:
                yield (name,), "must be between 0 and 1"
        if self.cold_ratio >= self.hot_ratio:
            yield ("cold_ratio",), "must be below hot_ratio"
        if self.forecast_model not in ("robust", "prophet"):
            yield ("forecast_model",), "expected robust or prophet"


@dataclass(frozen=True)
class StateSettings:
    """Where the analyzer keeps its state (``analyzer.state``): SQLite in ``state_dir`` (one node) or
    PostgreSQL (several replicas)."""

    backend: Literal["sqlite", "postgres"] = "sqlite"
    dsn: SecretRef | None = None
    """PostgreSQL connection string (it may hold a password): env:NAME or file:/path."""
    connect_timeout: float = 10.0

    def check(self) -> Iterator[tuple[PathKey, str]]:
        if self.backend == "postgres" and self.dsn is None:
            yield ("dsn",), "the postgres backend needs dsn: env:NAME or file:/path (e.g. postgresql://u@db/inframind)"
        if self.connect_timeout <= 0:
            yield ("connect_timeout",), "must be positive"


@dataclass(frozen=True)
class ReplicaSettings:
    """Several analyzers on one PostgreSQL state (``analyzer.replicas``): detector work split in shards, one
    leader for correlation and delivery."""

    id: str = ""
    """This replica's name, unique among the replicas and stable across restarts (empty: the host name)."""
    shards: int = 1
    """Shards the assets are hashed into (the same on every replica); more shards than replicas spread better."""
    lease_ttl: Duration = 30.0
    """A replica that stops renewing loses its shards and the leadership this long after its last heartbeat."""
    heartbeat: Duration = 0.0
    """How often leases and the heartbeat are renewed (0: a third of ``lease_ttl``)."""

    @property
    def replica_id(self) -> str:
        return self.id or socket.gethostname()

    @property
    def renew_every(self) -> float:
        return self.heartbeat or self.lease_ttl / 3

    def check(self) -> Iterator[tuple[PathKey, str]]:
        if self.shards < 1:
            yield ("shards",), "must be at least 1"
        if self.lease_ttl <= 0:
            yield ("lease_ttl",), "must be positive"
        if self.heartbeat < 0 or self.heartbeat >= self.lease_ttl:
            yield ("heartbeat",), "must be 0 (a third of lease_ttl) or shorter than lease_ttl"


@dataclass(frozen=True)
class ScheduleSettings:
    """The scheduler (``analyzer.schedule``). Cadences stay with their families: ``logs.interval`` (1 min),
    ``metrics.interval`` (anomalies, 1 min), ``metrics.forecast_interval`` (1 h), ``metrics.failure_interval``
    (1 day), ``correlation.interval`` and ``alertmanager.interval`` (delivery) on the leader."""

    cadences: dict[str, Duration] = field(default_factory=dict)
    """Overrides by task name (logs, anomalies, forecasts, failure_models, correlation, delivery), e.g. to run
    forecasts every 30 minutes without touching the family's own settings."""
    retry_initial: Duration = 5.0
    """A failed task is retried after this, then twice as long each time, at most its cadence apart."""
    stop_timeout: Duration = 60.0
    """On shutdown, wait this long for runs in flight before the leases are released."""

    def check(self) -> Iterator[tuple[PathKey, str]]:
        for name in ("retry_initial", "stop_timeout"):
            if getattr(self, name) <= 0:
                yield (name,), "must be positive"
        for task, cadence in self.cadences.items():
            if cadence <= 0:
                yield ("cadences", task), "must be positive"


@dataclass(frozen=True)
class ListenerTLS:
    """TLS for the analyzer's listener: PEM files; a client CA turns on mutual TLS."""

    cert_file: str
    key_file: str
    client_ca_file: str | None = None

    def check(self) -> Iterator[tuple[PathKey, str]]:
        for name in ("cert_file", "key_file", "client_ca_file"):
            value = getattr(self, name)
            if value is not None and not os.path.isfile(value):
                yield (name,), f"no such file: {value}"


@dataclass(frozen=True)
class AnalyzerConfig:
    listen: HostPort = HostPort("127.0.0.1", ANALYZER_PORT)
    tokens: tuple[ApiToken, ...] = ()
    public_metrics: bool = True
    """Serve /metrics without a token (the usual exporter convention; scrape it over a trusted network)."""
    state_dir: str = "var/analyzer"
    """The analyzer's own state (registered assets, findings, cursors) lives here."""
    victoriametrics_url: str = "http://127.0.0.1:8428"
    """The metrics store: queried by detectors, and where /ingest/events samples are imported."""
    ingest: IngestSettings = IngestSettings()
    logs: LogAnalysisSettings = LogAnalysisSettings()
    metrics: MetricAnalysisSettings = MetricAnalysisSettings()
    state: StateSettings = StateSettings()
    replicas: ReplicaSettings = ReplicaSettings()
    schedule: ScheduleSettings = ScheduleSettings()
    correlation: CorrelationSettings = CorrelationSettings()
    narrative: NarrativeSettings = NarrativeSettings()
    alertmanager: AlertmanagerSinkSettings = AlertmanagerSinkSettings()
    relay: RelaySettings = RelaySettings()
    feedback: FeedbackSettings = FeedbackSettings()
    itsm: ItsmSettings = ItsmSettings()
    audit: AuditSettings = AuditSettings()
    secrets: SecretStoreSettings = SecretStoreSettings()
    targets: ApiTargetSettings = ApiTargetSettings()
    tls: ListenerTLS | None = None
    """Serve the API over HTTPS (and require client certificates when ``client_ca_file`` is set)."""

    def check(self) -> Iterator[tuple[PathKey, str]]:
        if not self.victoriametrics_url.startswith(("http://", "https://")):
            yield ("victoriametrics_url",), "expected an http:// or https:// URL"
        seen: dict[str, int] = {}
        for i, token in enumerate(self.tokens):
            if token.name in seen:
                yield ("tokens", i, "name"), f"duplicate token name {token.name!r} (also tokens[{seen[token.name]}])"
            seen.setdefault(token.name, i)
