"""A populated analyzer app for the /api/v1 tests: two tenants, every role, real stores in a tmp dir.

Findings, feedback and template snapshots live in a real SQLite state file (:class:`StateDB`), API targets in a
real targets file, the audit log in a real audit file, log events in a real SQLite log store; only the metric
loop's outputs (risk, forecasts, anomaly scores) are a fixed :class:`MetricSnapshot`, because producing them
needs the metric loop and VictoriaMetrics.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet
from fastapi.testclient import TestClient
from prometheus_client import CollectorRegistry

from inframind.analyzer.api import Deps, create_app
from inframind.analyzer.api_sources import MINERS_KEY, StateTemplates
from inframind.analyzer.assets import AssetRegistry
from inframind.analyzer.audit_store import StateAuditLog
from inframind.analyzer.auth import Authenticator
from inframind.analyzer.delivery_api import DeliveryDeps
from inframind.analyzer.detect.risk import AssetRisk, RiskInputs, assess
from inframind.analyzer.detect.templates.minerset import MinerSet
from inframind.analyzer.feedback_actions import FeedbackHandler
from inframind.analyzer.feedback_marks import KeyValueMarks
from inframind.analyzer.findings import Finding, LogEvidence, Window
from inframind.analyzer.metricloop_capacity import TimeToFull
from inframind.analyzer.metricloop_metrics import MetricSnapshot
from inframind.analyzer.recommendation import Language, Recommendation
from inframind.analyzer.state import FeedbackRecord, FindingRecord, StateDB
from inframind.analyzer.targets_api import TargetsDeps
from inframind.analyzer.targets_api_sd import SdSettings
from inframind.analyzer.targets_api_store import SQLiteTargetStore
from inframind.config import AnalyzerConfig, ApiToken, SQLiteStoreSettings
from inframind.inventory import Inventory, inventory_from_data
from inframind.logstore.sqlite import SQLiteStore
from inframind.secretstore import SecretBox
from inframind.tokens import generate_token

NOW = dt.datetime(2026, 11, 26, 12, 0, tzinfo=dt.UTC)
FEEDBACK_KEY = b"feedback-links-test-key-of-32-bytes!"
WINDOW = Window(NOW - dt.timedelta(hours=6), NOW)
ROLES = {
    "acme-viewer": ("viewer", "acme"),
    "acme-operator": ("operator", "acme"),
    "globex-viewer": ("viewer", "globex"),
    "globex-operator": ("operator", "globex"),
    "admin": ("admin", "acme"),
}
TOKENS: dict[str, tuple[str, str]] = {name: generate_token() for name in ROLES}
"""Token name -> (plain token, its config hash); generated once per test session."""

INVENTORY: dict[str, Any] = {
    "assets": [
        {"id": "srv-db-03", "kind": "host", "tenant": "acme", "site": "msk", "rack": "R3", "criticality": "high",
         "addresses": ["10.0.0.3"]},
        {"id": "srv-web-01", "kind": "host", "tenant": "acme", "site": "msk", "rack": "R4", "addresses": ["10.0.0.4"]},
        {"id": "bmc-r3-01", "kind": "bmc", "tenant": "acme", "rack": "R3", "addresses": ["10.0.1.1"],
         "module": "redfish", "auth": "idrac"},
        {"id": "gx-1", "kind": "host", "tenant": "globex", "site": "spb", "addresses": ["10.9.0.1"]},
    ]
}  # fmt: skip


def headers(name: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {TOKENS[name][0]}"}


def api_tokens() -> tuple[ApiToken, ...]:
    return tuple(ApiToken(name, TOKENS[name][1], role, tenant) for name, (role, tenant) in ROLES.items())  # type: ignore[arg-type]


def finding(kind: str, tenant: str, asset: str, severity: str = "warning", count: int = 3) -> Finding:
    evidence = LogEvidence("disk <*> error", "tid-1", count, WINDOW, WINDOW.start, WINDOW.end, assets=(asset,))
    return Finding(kind, asset, tenant, severity, f"{kind} on {asset}", WINDOW, (evidence,), "k")  # type: ignore[arg-type]


def recommender(found: Finding, lang: Language) -> Recommendation:
    """A recommender that fills the evidence's count in; the real engine is another module's."""
    count = found.evidence[0].count  # type: ignore[union-attr]
    text = {"en": f"{count} errors on {found.asset_id}: check it", "ru": f"{count} ошибок на {found.asset_id}"}[lang]
    return Recommendation(found.fingerprint, found.kind, lang, found.title, text, "re-measure", 0.8,
                          facts={"count": count})  # fmt: skip


def risks() -> dict[str, AssetRisk]:
    return {
        "srv-db-03": assess(RiskInputs("acme", "srv-db-03", "high", disk_failure={"sdb": 0.3},
                                       time_to_full={"filesystem /data": 3 * 86400})),
        "srv-web-01": assess(RiskInputs("acme", "srv-web-01", "medium", anomaly={"cpu": 0.9})),
        "gx-1": assess(RiskInputs("globex", "gx-1", "medium", disk_failure={"sda": 0.05})),
    }  # fmt: skip


def metric_snapshot() -> MetricSnapshot:
    return MetricSnapshot(
        risk=risks(),
        disk_probability=(("acme", "srv-db-03", "sdb", 0.3), ("globex", "gx-1", "sda", 0.05)),
        time_to_full=(
            TimeToFull("acme", "srv-db-03", "filesystem", "/data", 3 * 86400.0),
            TimeToFull("acme", "srv-web-01", "memory", "", 40 * 86400.0),
            TimeToFull("globex", "gx-1", "filesystem", "/", 10 * 86400.0),
        ),
        anomaly=(
            ("acme", "srv-web-01", "cpu", 0.9),
            ("acme", "srv-db-03", "iowait", 0.4),
            ("globex", "gx-1", "cpu", 0.7),
        ),
        analyzed_until=NOW.timestamp(),
    )


@dataclass
class Snapshot:
    snapshot: MetricSnapshot


@dataclass
class RiskBoard:
    board: dict[str, AssetRisk] = field(default_factory=risks)

    def risk_of(self, asset: str) -> AssetRisk | None:
        return self.board.get(asset)

    def risk_as_of(self) -> float | None:
        return NOW.timestamp()


@dataclass
class World:
    client: TestClient
    deps: Deps
    state: StateDB
    fingerprints: dict[str, str]
    key: str | None


def miner_snapshot() -> dict[str, Any]:
    miners = MinerSet()
    for n in range(5):
        miners.add("acme", "syslog", f"disk sd{n} error at sector {n * 100}")
    miners.add("acme", "syslog", "link eth0 down")
    miners.add("globex", "syslog", "fan 3 speed low")
    return miners.snapshot()


def build_world(
    tmp_path: Path,
    *,
    key: bool = True,
    inventory: Inventory | None = None,
    sd: SdSettings | None = None,
    auth_failure_limit: int = 20,
    authenticator: Authenticator | None = None,
) -> World:
    """The app over real stores in ``tmp_path``; ``key=False``: no credential key configured."""
    state = StateDB(tmp_path / "analysis.db")
    records = {
        "db-burst": FindingRecord(finding("log.burst", "acme", "srv-db-03", "critical", 12), "active", NOW, NOW),
        "web-rule": FindingRecord(finding("log.rule", "acme", "srv-web-01"), "active", NOW, NOW),
        "old": FindingRecord(finding("log.rate", "acme", "srv-web-01", "info"), "resolved", NOW, NOW, 1, NOW),
        "gx": FindingRecord(finding("log.new_template", "globex", "gx-1"), "active", NOW, NOW),
    }
    for record in records.values():
        state.findings.upsert(record)
    for n, (tenant, action) in enumerate((("acme", "ack"), ("acme", "false_positive"), ("globex", "ack"))):
        fp = records["db-burst" if tenant == "acme" else "gx"].fingerprint
        at = NOW - dt.timedelta(minutes=10 - n)
        state.feedback.add(FeedbackRecord(f"fb-{n}", action, "anna", tenant, at, fingerprint=fp))  # type: ignore[arg-type]
    state.put(MINERS_KEY, miner_snapshot(), NOW)
    secret = Fernet.generate_key() if key else None
    targets = SQLiteTargetStore(tmp_path / "targets.db")
    deps = Deps(
        registry=CollectorRegistry(),
        clock=lambda: NOW,
        logstore=SQLiteStore(SQLiteStoreSettings(path=str(tmp_path / "logs.db"))),
        assets=AssetRegistry(tmp_path / "assets.db"),
        inventory=inventory if inventory is not None else inventory_from_data(INVENTORY),
        findings=state.findings,
        incidents=state.incidents,
        risk=RiskBoard(),
        metric_outputs=Snapshot(metric_snapshot()),
        templates=StateTemplates(state.get),
        feedback_reader=state.feedback,
        recommender=recommender,
        audit=StateAuditLog(state, clock=lambda: NOW),
        api_targets=TargetsDeps(targets, SecretBox([secret] if secret else []), sd or SdSettings()),
        auth_failure_limit=auth_failure_limit,
        authenticator=authenticator,
        delivery=DeliveryDeps(
            feedback=FeedbackHandler(
                lambda: FEEDBACK_KEY,
                state.feedback,
                KeyValueMarks(state),
                state.findings,
                state.incidents,
                clock=lambda: NOW,
            )
        ),
    )
    app = create_app(AnalyzerConfig(tokens=api_tokens()), deps)
    return World(TestClient(app), deps, state, {k: r.fingerprint for k, r in records.items()},
                 secret.decode() if secret else None)  # fmt: skip
