"""Log analysis end to end: realistic events in a real SQLite log store, the analyzer's loop over simulated time.

Three and a half days of Loghub Linux lines on three Linux servers and Windows logon events on a domain
controller, then at 10:00 on day four: kernel I/O errors on the database server, an NFS server that stops
answering two web servers, and a burst of failed logons (EventID 4625) on the domain controller. The loop must
report exactly what that calls for, keep it across a restart without re-alerting, follow the rule files it is
given, scope the findings API by tenant, and expose bounded template-rate gauges.
"""

from __future__ import annotations

import datetime as dt
import random
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from prometheus_client import CollectorRegistry

from inframind.analyzer.api import Deps, create_app
from inframind.analyzer.assets import AssetDirectory
from inframind.analyzer.findings import Finding, LogEvidence
from inframind.analyzer.logloop import LogAnalyzer
from inframind.analyzer.logloop_runner import build_log_analyzer
from inframind.analyzer.logloop_settings import LogAnalysisSettings
from inframind.analyzer.state import StateDB
from inframind.config import AnalyzerConfig, ApiToken, SQLiteStoreSettings
from inframind.events import LogEvent
from inframind.inventory import inventory_from_data
from inframind.logstore.sqlite import SQLiteStore
from inframind.tokens import generate_token

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
LOGHUB = ROOT.parent / "shared" / "bench" / "loghub2k" / "Linux" / "Linux_2k.log"
T0 = dt.datetime(2026, 11, 2, tzinfo=dt.UTC)  # a Monday
INCIDENT = T0 + dt.timedelta(days=3, hours=10)
LINUX = ("srv-db-01", "srv-web-01", "srv-web-02")
DC = "win-dc-01"
ACME, ACME_HASH = generate_token()
GLOBEX, GLOBEX_HASH = generate_token()
HEADER = re.compile(r"^\w{3}\s+\d+ [\d:]+ \S+ ([^:\[]+)(?:\[\d+\])?: (.*)$")
INVENTORY = {
    "assets": [
        {"id": "srv-db-01", "kind": "host", "tenant": "acme", "criticality": "high"},
        {"id": "srv-web-01", "kind": "host", "tenant": "acme"},
        {"id": "srv-web-02", "kind": "host", "tenant": "acme"},
        {"id": DC, "kind": "windows", "tenant": "globex", "criticality": "critical"},
    ]
}


def loghub_lines() -> list[tuple[str, str]]:
    """(provider, message) of every Loghub Linux line."""
    out = []
    for line in LOGHUB.read_text(errors="replace").splitlines():
        m = HEADER.match(line)
        if m:
            out.append((m.group(1), m.group(2)))
    return out


def routine(rng: random.Random, lines: list[tuple[str, str]]) -> list[LogEvent]:
    """Every hour until the incident's hour ends: 30 Loghub lines per Linux server, logons on the DC."""
    events = []
    for hour in range(3 * 24 + 11):
        start = T0 + dt.timedelta(hours=hour)
        for asset in LINUX:
            for provider, message in rng.sample(lines, 30):
                at = start + dt.timedelta(seconds=rng.uniform(0, 3300))
                events.append(LogEvent(at, "syslog", "info", message, host=asset, asset_id=asset, tenant="acme",
                                       provider=provider))  # fmt: skip
        for i in range(10):
            at = start + dt.timedelta(seconds=rng.uniform(0, 3300))
            events.append(windows_logon(at, "4624", f"svc{i % 4}", f"10.1.0.{i}"))
        for i in range(rng.choice((1, 2, 2, 3))):
            at = start + dt.timedelta(seconds=rng.uniform(0, 3300))
            events.append(windows_logon(at, "4625", f"user{rng.randrange(50)}", f"10.2.0.{i}"))
    return events


def windows_logon(at: dt.datetime, event_id: str, user: str, address: str) -> LogEvent:
    if event_id == "4625":
        message = (f"An account failed to log on. Account Name: {user} Failure Reason: Unknown user name or bad "
                   f"password. Source Network Address: {address}")  # fmt: skip
        level = "warning"
    else:
        message = f"An account was successfully logged on. Account Name: {user} Source Network Address: {address}"
        level = "info"
    return LogEvent(at, "eventlog", level, message, host=DC, asset_id=DC, tenant="globex",  # type: ignore[arg-type]
                    event_id=event_id, provider="Microsoft-Windows-Security-Auditing", channel="Security")  # fmt: skip


def incident() -> list[LogEvent]:
    out = []
    for i in range(6):
        at = INCIDENT + dt.timedelta(minutes=1, seconds=30 * i)
        out.append(LogEvent(at, "syslog", "error", f"blk_update_request: I/O error, dev sdb, sector {2048 + 8 * i}",
                            host="srv-db-01", asset_id="srv-db-01", tenant="acme", provider="kernel"))  # fmt: skip
    for asset in ("srv-web-01", "srv-web-02"):
        for i in range(8):
            at = INCIDENT + dt.timedelta(seconds=30 + 60 * i + (7 if asset.endswith("2") else 0))
            out.append(LogEvent(at, "syslog", "warning", "nfs: server filer01 not responding, still trying",
                                host=asset, asset_id=asset, tenant="acme", provider="kernel"))  # fmt: skip
    for i in range(300):
        at = INCIDENT + dt.timedelta(minutes=2, seconds=0.8 * i)
        out.append(windows_logon(at, "4625", f"user{i % 40}", f"203.0.113.{i % 7}"))
    return out


@dataclass
class Run:
    dir: Path
    store: SQLiteStore
    rules: Path
    events: list[LogEvent]
    written: int = 0
    emitted: list[tuple[dt.datetime, Finding]] = field(default_factory=list)
    transitions: dict[str, list[str]] = field(default_factory=dict)
    """Fingerprint -> ``emit`` / ``resolve`` in the order they happened."""

    def settings(self, rules: Path | None = None) -> LogAnalysisSettings:
        return LogAnalysisSettings(rules=(str((rules or self.rules) / "*.yml"),), warmup=6 * 3600,
                                   asset_warmup=3600, grace=300, top_n=5, rate_window=300)  # fmt: skip

    def analyzer(
        self, db: StateDB, registry: CollectorRegistry | None = None, rules: Path | None = None
    ) -> LogAnalyzer:
        directory = AssetDirectory(inventory_from_data(INVENTORY), None)
        return build_log_analyzer(self.settings(rules), self.store, db, directory, registry)

    def step(self, analyzer: LogAnalyzer, now: dt.datetime) -> None:
        """Write everything that happened before ``now``, then run one cycle at ``now``."""
        upto = self.written
        while upto < len(self.events) and self.events[upto].timestamp < now:
            upto += 1
        self.store.write(self.events[self.written : upto])
        self.written = upto
        report = analyzer.run_once(now)
        self.emitted.extend((now, f) for f in report.emitted)
        for change, findings in (("emit", report.emitted), ("resolve", report.resolved)):
            for f in findings:
                self.transitions.setdefault(f.fingerprint, []).append(change)


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Run, StateDB, CollectorRegistry]]:
    """The scenario played once: hourly cycles for three days, then every minute from 10:00 to 10:10."""
    base = tmp_path_factory.mktemp("logs")
    rules = base / "rules"
    shutil.copytree(ROOT / "rules" / "logs", rules)
    events = sorted(routine(random.Random(5), loghub_lines()) + incident(), key=lambda e: e.timestamp)
    scenario = Run(base, SQLiteStore(SQLiteStoreSettings(path=str(base / "logs.db"))), rules, events)
    db, registry = StateDB(base / "analysis.db"), CollectorRegistry()
    analyzer = scenario.analyzer(db, registry)
    for hour in range(3 * 24 + 10):
        scenario.step(analyzer, T0 + dt.timedelta(hours=hour, minutes=55))
    for minute in range(11):
        scenario.step(analyzer, INCIDENT + dt.timedelta(minutes=minute))
    yield scenario, db, registry
    db.close()
    scenario.store.close()


def raised_at_incident(emitted: list[tuple[dt.datetime, Finding]], kind: str, asset: str, what: str) -> Finding:
    """The finding of ``kind`` on ``asset`` raised from 10:00 on whose alert is ``what`` or whose template starts
    with it."""
    for at, f in emitted:
        logs = next(e for e in f.evidence if isinstance(e, LogEvidence))
        named = f.labels.get("alertname") == what or logs.template.startswith(what)
        if at >= INCIDENT and (f.kind, f.asset_id) == (kind, asset) and named:
            return f
    raise AssertionError(f"no {kind} on {asset} for {what!r}")


def test_the_incident_raises_what_it_calls_for(run: tuple[Run, StateDB, CollectorRegistry]) -> None:
    scenario, _, _ = run
    new = raised_at_incident(scenario.emitted, "log.new_template", "srv-db-01", "blk_update_request: I/O error")
    evidence = new.evidence[0]
    assert isinstance(evidence, LogEvidence)
    assert evidence.template == "blk_update_request: I/O error, dev sdb, sector <NUM>"
    assert evidence.samples[0] == "blk_update_request: I/O error, dev sdb, sector 2048"
    assert evidence.first_seen == INCIDENT + dt.timedelta(minutes=1) and evidence.count == 6
    assert evidence.parameters["<NUM>"][:2] == ("2048", "2056")
    assert new.severity == "critical" and new.labels["category"] == "storage"  # an error word on a high asset

    rule = raised_at_incident(scenario.emitted, "log.rule", "srv-db-01", "LinuxBlockIOErrors")
    assert rule.severity == "warning" and rule.links["runbook"].endswith("LinuxBlockIOErrors.md")

    burst = raised_at_incident(scenario.emitted, "log.burst", DC, "An account failed to log on")
    metric = burst.evidence[0]
    assert burst.tenant == "globex" and burst.labels["category"] == "auth"
    assert burst.severity == "critical"  # "failed" is an error word; the DC's criticality raises it
    assert metric.observed > 20 * (metric.expected or 1)  # type: ignore[union-attr]
    assert raised_at_incident(scenario.emitted, "log.rule", DC, "WindowsLogonFailureBurst").severity == "warning"

    repeated = raised_at_incident(scenario.emitted, "log.repeated", "srv-web-01", "nfs: server")
    logs = repeated.evidence[0]
    assert isinstance(logs, LogEvidence) and logs.assets == ("srv-web-01", "srv-web-02")
    assert logs.count >= 10 and logs.samples[0] == "nfs: server filer01 not responding, still trying"

    # each problem once: a fingerprint is emitted again only after it was resolved
    for fingerprint, changes in scenario.transitions.items():
        assert changes[::2] == ["emit"] * len(changes[::2]) and "emit" not in changes[1::2], fingerprint


def test_a_restart_keeps_the_findings_and_re_emits_nothing(run: tuple[Run, StateDB, CollectorRegistry]) -> None:
    scenario, db, _ = run
    before = {r.fingerprint for r in db.findings.list(state="active")}
    assert len(before) >= 5
    reopened = StateDB(scenario.dir / "analysis.db")
    restarted = scenario.analyzer(reopened)
    report = restarted.run_once(INCIDENT + dt.timedelta(minutes=11))
    assert report.emitted == () and report.events == 0 and report.active == len(before) - len(report.resolved)
    after = {r.fingerprint for r in reopened.findings.list(state="active")}
    assert after == before - {f.fingerprint for f in report.resolved}
    reopened.close()


def rule_alerts(scenario: Run, rules: Path, name: str) -> set[tuple[str, str]]:
    """The rule findings of a fresh state that reads the whole store in one cycle at 10:08."""
    db = StateDB(scenario.dir / f"fresh-{name}.db")
    report = scenario.analyzer(db, rules=rules).run_once(INCIDENT + dt.timedelta(minutes=8))
    db.close()
    return {(f.labels["alertname"], f.asset_id) for f in report.emitted if f.kind == "log.rule"}


def test_the_rules_drive_the_behaviour(run: tuple[Run, StateDB, CollectorRegistry]) -> None:
    scenario, _, _ = run
    assert ("LinuxBlockIOErrors", "srv-db-01") in rule_alerts(scenario, scenario.rules, "control")
    without = scenario.dir / "rules-without-linux"
    shutil.copytree(scenario.rules, without)
    (without / "linux.yml").unlink()
    alerts = rule_alerts(scenario, without, "without-linux")
    assert ("LinuxBlockIOErrors", "srv-db-01") not in alerts and ("WindowsLogonFailureBurst", DC) in alerts
    custom = scenario.dir / "rules-custom"
    shutil.copytree(scenario.rules, custom)
    (custom / "nfs.yml").write_text(
        "groups:\n  - name: nfs\n    rules:\n      - alert: NFSServerNotResponding\n"
        "        match: {regex: 'nfs: server \\S+ not responding'}\n        threshold: 5\n        window: 10m\n"
        "        severity: critical\n        annotations: {summary: 'NFS lost on {{ asset }}'}\n"
    )
    assert {("NFSServerNotResponding", "srv-web-01"), ("NFSServerNotResponding", "srv-web-02")} <= rule_alerts(
        scenario, custom, "custom"
    )


def test_findings_api_is_tenant_scoped_and_metrics_are_bounded(run: tuple[Run, StateDB, CollectorRegistry]) -> None:
    scenario, db, registry = run
    tokens = (ApiToken("acme", ACME_HASH, "viewer", "acme"), ApiToken("globex", GLOBEX_HASH, "viewer", "globex"))
    client = TestClient(create_app(AnalyzerConfig(tokens=tokens), Deps(registry=registry, findings=db.findings)))

    def get(token: str, url: str) -> Any:
        return client.get(url, headers={"Authorization": f"Bearer {token}"})

    acme = get(ACME, "/api/v1/findings?state=all").json()
    assert acme["count"] > 0 and {i["finding"]["tenant"] for i in acme["findings"]} == {"acme"}
    [burst] = [i for i in get(GLOBEX, "/api/v1/findings?kind=log.burst").json()["findings"]]
    assert burst["state"] == "active" and burst["finding"]["asset_id"] == DC
    assert get(ACME, f"/api/v1/findings/{burst['fingerprint']}").status_code == 404  # another tenant's
    mine = get(GLOBEX, f"/api/v1/findings/{burst['fingerprint']}")
    assert mine.status_code == 200 and mine.json()["finding"]["kind"] == "log.burst"
    listed = get(ACME, "/api/v1/findings?asset=srv-web-02&kind=log.repeated").json()["findings"]
    assert [i["finding"]["asset_id"] for i in listed] == ["srv-web-01"]  # found through the assets it lists

    assert 'inframind_findings_active{kind="log.burst",severity="critical"} 1.0' in client.get("/metrics").text
    rates = [s for m in registry.collect() if m.name == "inframind_log_template_rate" for s in m.samples]
    per_asset: dict[str, int] = {}
    for sample in rates:
        per_asset[sample.labels["asset"]] = per_asset.get(sample.labels["asset"], 0) + 1
    assert set(per_asset) == {*LINUX, DC} and max(per_asset.values()) <= 5  # top 5 per asset
    dc = {s.labels["template_id"]: s.value for s in rates if s.labels["asset"] == DC}
    assert max(dc, key=lambda tid: dc[tid]) == burst["finding"]["evidence"][1]["template_id"]  # failed logons lead
    analyzed = sum(1 for e in scenario.events if e.timestamp < INCIDENT + dt.timedelta(minutes=10))
    assert registry.get_sample_value("inframind_log_analyzer_events_total") == analyzed
