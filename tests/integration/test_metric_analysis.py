"""The metric loop end to end on a real VictoriaMetrics loaded with generated history (history_import).

Twelve assets of tenant acme in rack R00 with node_exporter, ipmi_exporter and smartctl_exporter series: node-0000
runs hot (90% CPU day and night), node-0001 gets an iowait spike 40 minutes before the end of the history,
node-0002's /data fills in about ten days (a plain trend says 10, its wobbling growth a little more).

Simulated time walks over the last 45 minutes, one cycle a minute, twice: once uninterrupted (the control), and
once with a restart ten minutes before the end (a new analyzer on the same state file). The restarted one must
re-alert nothing and end in exactly the state of the control, which proves that detectors resume from their
checkpoints and are fed each point once.
"""

from __future__ import annotations

import datetime as dt
import math
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient
from prometheus_client import CollectorRegistry
from prometheus_client.parser import text_string_to_metric_families

from inframind.analyzer.api import Deps, create_app
from inframind.analyzer.detect.failure import shipped_model
from inframind.analyzer.findings import FactEvidence, Finding, MetricEvidence
from inframind.analyzer.history_fleet import fleet_series
from inframind.analyzer.history_import import demo_fleet, import_history
from inframind.analyzer.metricloop import MetricAnalyzer
from inframind.analyzer.metricloop_settings import MetricAnalysisSettings
from inframind.analyzer.sources.promql import PromClient, PromSettings
from inframind.analyzer.state import StateDB
from inframind.config import AnalyzerConfig, ApiToken
from inframind.inventory import inventory_from_data
from inframind.tokens import generate_token
from tests.helpers.servers import Running
from tests.helpers.vmhistory import start_history_vm

pytestmark = pytest.mark.integration
END = math.floor(time.time() / 60) * 60 - 60
DAY = 86400.0
CYCLES = 46
RESTART_AT = 36
SETTINGS = MetricAnalysisSettings(groups_by=("rack",), hotcold_window=3600.0, backfill=3 * 3600.0)
ACME, ACME_HASH = generate_token()
GLOBEX, GLOBEX_HASH = generate_token()


def probes() -> tuple[dict[str, str], np.ndarray, np.ndarray]:
    """svc-api's blackbox probe: fine for hours, then failing every other probe for the last ten minutes."""
    stamps = END - 15.0 * np.arange(4 * 240 - 1, -1, -1)
    success = np.where((stamps > END - 600) & (np.arange(stamps.size) % 2 == 0), 0.0, 1.0)
    return {"__name__": "probe_success", "tenant": "acme", "asset": "svc-api", "job": "probe_http"}, stamps, success


def cycle_time(k: int) -> dt.datetime:
    """Cycle k analyzes up to END - 45 min + k minutes."""
    return dt.datetime.fromtimestamp(END - 45 * 60 + k * 60 + SETTINGS.delay, dt.UTC)


@dataclass
class Run:
    analyzer: MetricAnalyzer
    state: StateDB
    emitted: list[Finding] = field(default_factory=list)
    resolved: list[Finding] = field(default_factory=list)


@dataclass
class Timeline:
    control: Run
    before: Run
    after: Run
    active_at_restart: set[str]
    checkpoints_at_restart: int


def analyzer(vm: Running, state: StateDB) -> MetricAnalyzer:
    return MetricAnalyzer(PromClient(PromSettings(vm.url)), state, SETTINGS, disk_model=shipped_model())


def advance(run: Run, cycles: range) -> None:
    for k in cycles:
        report = run.analyzer.run_once(cycle_time(k))
        run.emitted.extend(report.emitted)
        run.resolved.extend(report.resolved)


@pytest.fixture(scope="module")
def vm(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    directory = tmp_path_factory.mktemp("metric-analysis")
    server = start_history_vm(directory, directory / "data")
    fleet = demo_fleet(12, END, tenant="acme")
    import_history(server.url, [*fleet_series(fleet, end=END, fast_hours=4.0, slow_days=21.0), probes()])
    yield server
    server.stop()


@pytest.fixture(scope="module")
def timeline(vm: Running, tmp_path_factory: pytest.TempPathFactory) -> Timeline:
    directory: Path = tmp_path_factory.mktemp("metric-state")
    alone = StateDB(directory / "control.db")
    control = Run(analyzer(vm, alone), alone)
    advance(control, range(CYCLES))
    first = StateDB(directory / "analysis.db")
    before = Run(analyzer(vm, first), first)
    advance(before, range(RESTART_AT))
    active = {r.fingerprint for r in first.findings.list(state="active")}
    checkpoints = len(first.items("metric/anomaly/"))
    first.close()
    second = StateDB(directory / "analysis.db")
    after = Run(analyzer(vm, second), second)
    advance(after, range(RESTART_AT, CYCLES))
    return Timeline(control, before, after, active, checkpoints)


def facts(finding: Finding) -> dict[str, object]:
    return {k: v for e in finding.evidence if isinstance(e, FactEvidence) for k, v in e.values.items()}


def test_an_iowait_spike_is_an_anomaly_finding_on_that_asset_only(timeline: Timeline) -> None:
    iowait = [f for f in timeline.control.emitted if f.kind == "metric.anomaly" and f.labels["signal"] == "iowait"]
    assert [f.asset_id for f in iowait] == ["node-0001"]
    (finding,) = iowait
    metric = finding.evidence[0]
    assert isinstance(metric, MetricEvidence)
    assert metric.upper is not None and metric.observed > metric.upper > 0.0
    assert 'asset="node-0001"' in metric.query and 'mode="iowait"' in metric.query
    assert finding.window.start >= dt.datetime.fromtimestamp(END - 41 * 60, dt.UTC)


def test_a_filesystem_filling_in_about_ten_days_is_a_capacity_finding(timeline: Timeline) -> None:
    (finding,) = [f for f in timeline.control.emitted if f.kind == "capacity.exhaustion"]
    assert (finding.asset_id, finding.labels["name"], finding.severity) == ("node-0002", "/data", "warning")
    days = facts(finding)["time_to_full_days"]
    assert isinstance(days, float) and 8.0 <= days <= 16.0


def test_a_hot_node_gets_a_move_to_a_cold_one_in_its_rack(timeline: Timeline) -> None:
    (finding,) = [f for f in timeline.control.emitted if f.kind == "hotspot.cpu"]
    values = facts(finding)
    assert (finding.asset_id, finding.key, values["move_from"]) == ("node-0000", "rack=R00", "node-0000")
    target = str(values["move_to"])
    assert target not in ("node-0000", "node-0001")
    source_after, target_after = float(str(values["source_after"])), float(str(values["target_after"]))
    assert 0.0 < float(str(values["move_share"])) <= 0.5
    assert source_after < float(str(values["value"])) and target_after < SETTINGS.hot_ratio
    assert f"to {target}" in finding.title


def test_outputs_on_metrics_and_risk_over_the_api(timeline: Timeline) -> None:
    registry = CollectorRegistry()
    tokens = (ApiToken("acme", ACME_HASH, "viewer", "acme"), ApiToken("globex", GLOBEX_HASH, "viewer", "globex"))
    deps = Deps(registry=registry, findings=timeline.control.state.findings, risk=timeline.control.analyzer)
    registry.register(timeline.control.analyzer.collector())
    client = TestClient(create_app(AnalyzerConfig(tokens=tokens), deps))
    samples = {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(client.get("/metrics").text)
        for s in family.samples
    }

    def value(name: str, **labels: str) -> float:
        return samples[(name, tuple(sorted(labels.items())))]

    risks = {dict(k[1])["asset"]: v for k, v in samples.items() if k[0] == "inframind_asset_risk_score"}
    assert len(risks) == 12
    calm = sorted(v for a, v in risks.items() if a not in ("node-0000", "node-0001", "node-0002"))
    assert risks["node-0001"] > calm[len(calm) // 2] and risks["node-0002"] > calm[len(calm) // 2]
    ttf = value("inframind_capacity_time_to_full_seconds", tenant="acme", asset="node-0002", resource="filesystem",
                mountpoint="/data")  # fmt: skip
    assert 8 * DAY <= ttf <= 16 * DAY
    labels = {"tenant": "acme", "asset": "node-0002", "resource": "filesystem", "mountpoint": "/data"}
    earliest = value("inframind_capacity_time_to_full_earliest_seconds", **labels)
    assert 0 < earliest <= ttf, "the interval's early edge comes no later than the expected fill"
    latest = [v for k, v in samples.items() if k[0] == "inframind_capacity_time_to_full_latest_seconds"
              and dict(k[1]) == labels]  # fmt: skip
    assert all(v >= ttf for v in latest), "the late edge, when the slow end fills at all, is no earlier"
    assert 0.0 <= value("inframind_anomaly_score", tenant="acme", asset="node-0001", signal="iowait") <= 1.0
    assert value("inframind_hotspot_ratio", tenant="acme", group="rack=R00", asset="node-0000", resource="cpu") > 1.5
    assert 0.0 <= value("inframind_disk_failure_probability", tenant="acme", asset="node-0003", device="sda") < 0.01
    assert value("inframind_metric_analyzer_cycle_seconds", task="anomaly") > 0.0
    assert value("inframind_metric_analyzer_series_analyzed", task="anomaly") == 12 * 12
    assert value("inframind_metric_analyzer_detector_series") == 12 * 12
    assert value("inframind_findings_active", kind="metric.anomaly", severity="critical") >= 1

    answer = client.get("/api/v1/assets/node-0001/risk", headers={"Authorization": f"Bearer {ACME}"})
    assert answer.status_code == 200
    body = answer.json()
    assert body["score"] == pytest.approx(risks["node-0001"], abs=0.01)
    assert any(f["kind"] in ("anomaly", "metric.anomaly") for f in body["factors"])
    assert sum(f["points"] for f in body["factors"]) == pytest.approx(body["score"], abs=0.1)
    other = client.get("/api/v1/assets/node-0001/risk", headers={"Authorization": f"Bearer {GLOBEX}"})
    assert other.status_code == 404


def test_a_restart_re_alerts_nothing_and_continues_exactly(timeline: Timeline) -> None:
    before, after = timeline.before, timeline.after
    assert timeline.checkpoints_at_restart == 12 * 12
    assert not {f.fingerprint for f in after.emitted} & timeline.active_at_restart
    assert "capacity" not in after.analyzer.snapshot.series_analyzed  # not due yet: its outputs came from the state
    assert after.analyzer.snapshot.time_to_full == timeline.control.analyzer.snapshot.time_to_full
    iowait = next(f for f in before.emitted if f.kind == "metric.anomaly" and f.labels["signal"] == "iowait")
    record = after.state.findings.get(iowait.fingerprint)
    assert record is not None and record.state == "active" and record.count == 1
    control = timeline.control.analyzer.bank.series
    resumed = after.analyzer.bank.series
    assert set(resumed) == set(control)
    for key in resumed:
        assert resumed[key].detector.to_dict() == control[key].detector.to_dict(), key
    ended = {r.fingerprint: (r.state, r.count) for r in after.state.findings.list()}
    assert ended == {r.fingerprint: (r.state, r.count) for r in timeline.control.state.findings.list()}


def test_an_slo_from_the_inventory_burning_fast_pages(vm: Running, tmp_path: Path) -> None:
    inventory = inventory_from_data(
        {"defaults": {"tenant": "acme"},
         "assets": [{"id": "svc-api", "kind": "service", "slo": {"availability_ratio": 0.999}}]}
    )  # fmt: skip
    state = StateDB(tmp_path / "slo.db")
    slo = MetricAnalyzer(PromClient(PromSettings(vm.url)), state, SETTINGS, inventory=inventory)
    calm = slo.run_once(cycle_time(CYCLES - 15))
    assert "slo" in calm.ran and [f for f in calm.emitted if f.kind == "slo.burn"] == []
    report = slo.run_once(cycle_time(CYCLES - 1))
    (finding,) = [f for f in report.emitted if f.kind == "slo.burn"]
    assert (finding.asset_id, finding.severity, finding.key) == ("svc-api", "critical", "availability")
    burn = facts(finding)
    assert burn["rule"] == "1h/5m > 14.4x" and float(str(burn["burn_5m"])) > 100
