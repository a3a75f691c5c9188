"""Every PromQL expression of every dashboard panel returns data from a real VictoriaMetrics, and every metric
name a panel uses is in a real scrape of our exporter, agent or analyzer.

The VictoriaMetrics (a private one with a long retention, :func:`tests.helpers.vmhistory.start_history_vm`)
holds what a deployment's would:

- generated history (:mod:`inframind.analyzer.history_fleet`): six assets of tenant acme over two sites and
  racks, with node_exporter, ipmi_exporter and smartctl_exporter series, a hot node, an iowait spike, a filling
  filesystem and a drive whose reallocated sectors grow; plus ``up`` for each of their targets, which the
  scraper writes;
- the real output of our components, scraped over HTTP twice a little apart and stamped with the target labels
  a scrape config sets: the exporter process (``inframind exporter``, host collectors), its ``/probe`` against
  real servers on loopback (snmpsim serving a recorded Cisco switch, ipmi_sim, sushy-static serving a DMTF
  Redfish mockup, TCP targets one open and one closed, one of them through a background-polled module), the
  agent process shipping a log file, and the analyzer app's ``/metrics`` after its metric loop analyzed the
  history and its log loop the agent's log store, and its correlation task grouped their findings into incidents
  (one then acknowledged through a signed feedback link, one resolved), so the incident series are real too.

Two sources have no server here and come from our own code on recorded real output instead: SMART (this VM
has no SMART disk; the collector's family builder reads smartctl JSON recorded from real drives in
../shared/fixtures/smartctl) and the agent's EventLog counters (no WinRM server; the counters the EventLog
source increments, fed a few events).

Variables are substituted as Grafana does on first load (All): the regex ``.*`` where the variable has that
all-value, else the alternation of every value its query finds in this VictoriaMetrics.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import math
import re
import time
from collections.abc import Iterator, Mapping
from contextlib import ExitStack
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest
import requests
import yaml
from fastapi.testclient import TestClient
from prometheus_client import CollectorRegistry

from inframind.agent.eventlog.metrics import EventLogMetrics
from inframind.analyzer.api import Deps, create_app
from inframind.analyzer.correlation_task import CorrelationTask
from inframind.analyzer.detect.failure import shipped_model
from inframind.analyzer.feedback import FeedbackClaim, sign
from inframind.analyzer.feedback_actions import FeedbackHandler
from inframind.analyzer.history_fleet import DiskHealth, SeriesData, fleet_series
from inframind.analyzer.history_import import SeriesLike, demo_fleet, import_history
from inframind.analyzer.logloop import LogAnalyzer
from inframind.analyzer.logloop_settings import LogAnalysisSettings
from inframind.analyzer.metricloop import MetricAnalyzer
from inframind.analyzer.metricloop_settings import MetricAnalysisSettings
from inframind.analyzer.outcomes import OutcomeCollector
from inframind.analyzer.sources.promql import PromClient, PromSettings
from inframind.analyzer.state import StateDB
from inframind.config import AnalyzerConfig, SQLiteStoreSettings
from inframind.dashboards.build import dashboards
from inframind.exporters.exposition import text_format
from inframind.exporters.smart.families import DeviceState, Snapshot, build_families
from inframind.exporters.smart.parse import parse_device
from inframind.exporters.smart.readings import DeviceRef
from inframind.logstore.sqlite import SQLiteStore
from tests.helpers.agent import AgentRun
from tests.helpers.incidents import resolved
from tests.helpers.ipmi import OUR_MODULES, PASSWORD, USERNAME, IpmiSim
from tests.helpers.probes import ProbeExporter, probe_exporter
from tests.helpers.procs import free_port, wait_until
from tests.helpers.redfish import start_static, tree
from tests.helpers.servers import Running
from tests.helpers.snmp import CISCO, Agent, cleanup, shared_dir, start_snmpsim, unpack
from tests.helpers.vmhistory import start_history_vm

pytestmark = pytest.mark.integration
END = math.floor(time.time() / 60) * 60
TENANT = "acme"
STEP = 60.0
RANGE = 6 * 3600.0
SMART_FIXTURES = Path(__file__).resolve().parents[2].parent / "shared" / "fixtures" / "smartctl"
SMART_DRIVES = {"/dev/nvme0": "INTEL_SSDPE2KX080T8_1.json", "/dev/sdc": "HGST_HUS724020ALE640_28.json"}
SCRAPER_NAMES = {"up"}
"""Written by the scraper for every target, in no exporter's answer."""
PROMQL_WORDS = {
    "by",
    "without",
    "on",
    "ignoring",
    "group_left",
    "group_right",
    "offset",
    "bool",
    "and",
    "or",
    "unless",
    "inf",
    "nan",
}
MONITOR_ASSET = {"id": "mon-01", "kind": "host", "role": "monitoring", "rack": "R00", "addresses": ["test-host"]}
"""The agent's host (AgentRun names it test-host) in the inventory, so its events carry asset and tenant."""
MONITOR = {"tenant": TENANT, "site": "site-1", "rack": "R00", "role": "monitoring", "asset": "mon-01"}


@dataclass
class Scrape:
    """One target's answers (exposition text) at successive moments, and the labels its scrape config sets."""

    source: str
    labels: dict[str, str]
    texts: list[str] = dataclasses.field(default_factory=list)
    honor_labels: bool = False


@dataclass
class World:
    vm: Running
    scrapes: list[Scrape]

    def query(self, expr: str, instant: bool) -> list[dict[str, Any]]:
        if instant:
            params: dict[str, Any] = {"query": expr, "time": END}
            answer = requests.get(self.vm.url + "/api/v1/query", params=params, timeout=30)
        else:
            params = {"query": expr, "start": END - RANGE, "end": END, "step": STEP}
            answer = requests.get(self.vm.url + "/api/v1/query_range", params=params, timeout=30)
        assert answer.status_code == 200, f"{expr}: {answer.status_code} {answer.text[:300]}"
        return list(answer.json()["data"]["result"])

    def label_values(self, label: str, match: str) -> list[str]:
        params: dict[str, str | float] = {"match[]": match, "start": END - RANGE, "end": END}
        answer = requests.get(f"{self.vm.url}/api/v1/label/{label}/values", params=params, timeout=30)
        answer.raise_for_status()
        return sorted(answer.json()["data"])


# ---------------------------------------------------------------- generated history


def fleet_history() -> list[SeriesData]:
    fleet = demo_fleet(6, END, tenant=TENANT)
    fleet = [p if i < 3 else replace(p, site="site-2", rack="R01") for i, p in enumerate(fleet)]
    fleet[4] = replace(fleet[4], health={"sda": DiskHealth(reallocated=8, reallocated_per_day=3, pending=2)})
    # Filesystems and SMART every 5 minutes (not hourly) so that an instant query at any minute sees them, as
    # it would see a real exporter scraped every 30 s; two weeks are what the capacity forecast wants.
    series = fleet_series(fleet, end=END, fast_hours=3.0, slow_days=14.0, slow_step=300.0)
    stamps = [float(t) for t in range(int(END - 3 * 3600), int(END) + 1, 60)]
    for profile in fleet:
        for job in ("node", "smartctl", "probe_ipmi"):
            labels = {"__name__": "up", **profile.labels(), "job": job, "instance": f"{profile.asset}-{job}"}
            series.append((labels, stamps, [1.0] * len(stamps)))  # type: ignore[arg-type]
    return series


# ---------------------------------------------------------------- real output, imported as scraped


SAMPLE = re.compile(r"([A-Za-z_:][\w:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+-?\d+)?")
LABEL = re.compile(r'(\w+)="((?:[^"\\]|\\.)*)"')
TYPE = re.compile(r"# TYPE ([A-Za-z_:][\w:]*) (\w+)")


def exposition(text: str) -> Iterator[tuple[str, dict[str, str], float]]:
    """(name, labels, value) of every sample line, names kept exactly as exposed (client_python's parser would
    add ``_total`` to snmp_exporter-style counters such as ``ifHCInOctets``)."""
    unescape = {"\\\\": "\\", '\\"': '"', "\\n": "\n"}
    for line in text.splitlines():
        if line.startswith("#") or not line.strip():
            continue
        found = SAMPLE.fullmatch(line.strip())
        assert found is not None, f"not a sample line: {line!r}"
        labels = {
            k: re.sub(r"\\[\\\"n]", lambda m: unescape[m.group(0)], v) for k, v in LABEL.findall(found.group(2) or "")
        }
        yield found.group(1), labels, float(found.group(3))


def scraped_series(scrape: Scrape) -> Iterator[SeriesLike]:
    """Each answer at three sample times; the first answer before the second, a minute apart, ending at END."""
    count = len(scrape.texts)
    for k, text in enumerate(scrape.texts):
        stamps = [END - STEP * (3 * (count - k) - 1 - j) for j in range(3)]
        for name, own, value in exposition(text):
            labels = {**scrape.labels, **own} if scrape.honor_labels else {**own, **scrape.labels}
            yield {"__name__": name, **labels}, stamps, [value] * 3
        yield {"__name__": "up", **scrape.labels}, stamps, [1.0] * 3


def get_text(url: str) -> str:
    answer = requests.get(url, timeout=60)
    assert answer.status_code == 200, f"{url}: {answer.status_code} {answer.text[:300]}"
    return answer.text


def target(source: str, job: str, instance: str, **labels: str) -> Scrape:
    return Scrape(source, {**MONITOR, "job": job, "instance": instance, **labels})


def smart_text() -> str:
    """SMART families as our collector builds them, from smartctl JSON recorded on real drives."""
    states = []
    for device, name in SMART_DRIVES.items():
        readings = parse_device(json.loads((SMART_FIXTURES / name).read_text()))
        states.append(DeviceState(DeviceRef(device), readings.exit_status, readings))
    body, _ = text_format(build_families(Snapshot(tuple(states), None, {}, float(END))))
    return body.decode()


def eventlog_texts() -> list[str]:
    """The agent's EventLog counters after some events read from a Windows host, then after some more."""
    metrics = EventLogMetrics()
    registry = CollectorRegistry()
    registry.register(metrics)
    texts = []
    for round_ in range(2):
        for n in range(5 + 10 * round_):
            metrics.count_event("win-01:5986", "System", "error" if n % 3 else "critical", "41" if n % 2 else "7")
            metrics.count_event("win-01:5986", "Security", "warning", "4625")
        metrics.count_gap("win-01:5986", "Security", "cleared")
        body, _ = text_format(registry.collect())
        texts.append(body.decode())
    return texts


@dataclass
class Servers:
    snmp: Agent
    bmc: IpmiSim
    redfish: Running
    probe: ProbeExporter


@pytest.fixture(scope="module")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Servers]:
    base = tmp_path_factory.mktemp("dashboard-servers")
    data = shared_dir("inframind-snmpsim-")
    unpack(CISCO, data / "public.snmprec")
    secret = base / "sim.pw"
    secret.write_text(PASSWORD)
    secret.chmod(0o600)
    auths = {"sim": {"type": "ipmi", "username": USERNAME, "password": f"file:{secret}"}}
    modules = {
        "ipmi_sim": OUR_MODULES["ipmi_sim"],
        "tcp_polled": {"prober": "tcp", "timeout": "2s", "cache": {"interval": "1s"}},
    }
    with ExitStack() as stack:
        stack.callback(cleanup, data)
        snmp = start_snmpsim(data, base / "snmpsim")
        stack.callback(snmp.stop)
        bmc = IpmiSim(base / "ipmi-sim")
        stack.callback(bmc.stop)
        redfish = start_static(tree("dmtf/public-tower"), base / "sushy")
        stack.callback(redfish.stop)
        probe = stack.enter_context(probe_exporter(modules, auths))
        yield Servers(snmp, bmc, redfish, probe)


def agent_scrape(root: Path) -> tuple[Scrape, Path]:
    """The agent shipping a log file into its SQLite store: its /metrics after a first and a second batch."""
    root.mkdir(parents=True, exist_ok=True)
    log = root / "app.log"
    log.write_text("".join(f"disk sda I/O error on sector {n}\n" for n in range(20)))
    run = AgentRun(root, f"    - paths: [{log}]\n      start_at: beginning\n")
    inventory = {"defaults": {"tenant": TENANT, "site": "site-1"}, "assets": [MONITOR_ASSET]}
    (root / "inventory.yml").write_text(yaml.safe_dump(inventory))
    with run.config.open("a") as config:
        config.write(f"inventory: {root / 'inventory.yml'}\n")
    scrape = target("agent", "agent", f"127.0.0.1:{run.port}")
    run.start()
    try:
        run.wait_ready()
        for total, lines in ((20, ()), (50, [f"user u{n} logged in from 10.0.0.{n}\n" for n in range(30)])):
            with log.open("a") as out:
                out.writelines(lines)

            def shipped(total: int = total) -> bool:
                family = run.metrics().get("inframind_agent_events_shipped_total")
                return family is not None and sum(family.series.values()) >= total

            assert wait_until(shipped, 30.0), run.server.log_tail() if run.server else ""
            scrape.texts.append(get_text(f"http://127.0.0.1:{run.port}/metrics"))
    finally:
        run.stop()
    return scrape, run.db


def analyzer_scrape(vm: Running, logs_db: Path, state_dir: Path) -> Scrape:
    """The analyzer's /metrics after its metric loop ran over the history and its log loop over the agent's logs."""
    state = StateDB(state_dir / "analysis.db")
    settings = MetricAnalysisSettings(groups_by=("rack",), hotcold_window=3600.0, backfill=3 * 3600.0)
    metric = MetricAnalyzer(PromClient(PromSettings(vm.url)), state, settings, disk_model=shipped_model())
    metric.run_once(dt.datetime.fromtimestamp(END + settings.delay, dt.UTC))
    store = SQLiteStore(SQLiteStoreSettings(path=str(logs_db)))
    logs = LogAnalyzer(store, state, LogAnalysisSettings(), [])
    logs.run_once(dt.datetime.now(dt.UTC))
    outcomes = correlate_and_follow_up(state, dt.datetime.fromtimestamp(END + settings.delay, dt.UTC))
    registry = CollectorRegistry()
    registry.register(metric.collector())
    registry.register(logs.collector())
    registry.register(outcomes)
    app = create_app(AnalyzerConfig(), Deps(registry=registry, findings=state.findings, risk=metric))
    scrape = Scrape("analyzer", {"job": "analyzer", "instance": "analyzer:8050"}, honor_labels=True)
    try:
        with TestClient(app) as client:
            for _ in range(2):
                answer = client.get("/metrics")
                assert answer.status_code == 200
                scrape.texts.append(answer.text)
    finally:
        store.close()
        state.close()
    return scrape


def correlate_and_follow_up(state: StateDB, now: dt.datetime) -> OutcomeCollector:
    """The correlation task turns the loops' findings into incidents; a person acknowledges one through a signed
    feedback link, and another resolves (its findings resolve, the next correlation pass closes it), so every
    moment the analyzer dashboard shows has a value. Returns the outcome collector the service registers."""
    task = CorrelationTask(state.findings, state.incidents, None)
    assert task(now).opened >= 2
    first, second, *_ = state.incidents.list(state="open")
    key = b"dashboard-test-feedback-key"
    claim = FeedbackClaim("ack", first.tenant, now + dt.timedelta(days=1), incident=first.id)
    clock = now + dt.timedelta(minutes=7)
    FeedbackHandler(lambda: key, state.feedback, incidents=state.incidents, clock=lambda: clock).apply(sign(claim, key))
    for fingerprint in second.findings:
        record = state.findings.get(fingerprint)
        assert record is not None
        state.findings.upsert(resolved(record, now + dt.timedelta(minutes=20)))
    assert task(now + dt.timedelta(minutes=21)).resolved == 1
    return OutcomeCollector(lambda: state.incidents.list(limit=10_000))


@pytest.fixture(scope="module")
def world(servers: Servers, exporter: Running, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    base = tmp_path_factory.mktemp("dashboards-vm")
    vm = start_history_vm(base, base / "data")
    try:
        yield World(vm, load(vm, servers, exporter, base))
    finally:
        vm.stop()


def load(vm: Running, servers: Servers, exporter: Running, base: Path) -> list[Scrape]:
    """Fill ``vm`` with the history and the real scrapes; returns the scrapes."""
    import_history(vm.url, fleet_history())
    probe = servers.probe
    closed = f"127.0.0.1:{free_port()}"
    probes = [
        (
            target("snmp", "snmp", servers.snmp.url, asset="sw-01", role="switch"),
            f"127.0.0.1:{servers.snmp.port}",
            "if_mib",
        ),
        (target("ipmi", "probe_ipmi", servers.bmc.target, asset="node-0000"), servers.bmc.target, "ipmi_sim"),
        (target("redfish", "probe_redfish", servers.redfish.url, asset="node-0001"), servers.redfish.url, "redfish"),
        (target("tcp", "probe_tcp", vm.url, asset="sw-01"), vm.url.removeprefix("http://"), "tcp_polled"),
        (target("tcp", "probe_tcp", closed, asset="sw-01"), closed, "tcp_connect"),
    ]
    scrapes = [p[0] for p in probes]
    host = target("exporter", "node", exporter.url)
    own = target("exporter", "node", "probe-exporter")
    for _ in range(2):
        for scrape, address, module in probes:
            scrape.texts.append(get_text(f"{probe.url}/probe?target={address}&module={module}"))
        host.texts.append(get_text(exporter.url + "/metrics"))
        own.texts.append(get_text(probe.url + "/metrics"))
    smart = target("smart", "smartctl", "node-0002:9633", asset="node-0002")
    smart.texts.append(smart_text())
    windows = target("agent", "agent", "mon-01:9180")
    windows.texts.extend(eventlog_texts())
    agent, logs_db = agent_scrape(base / "agent")
    scrapes += [host, own, smart, windows, agent]
    imported = [s for scrape in scrapes for s in scraped_series(scrape)]
    import_history(vm.url, imported)
    analyzer = analyzer_scrape(vm, logs_db, base)
    import_history(vm.url, list(scraped_series(analyzer)))
    return [*scrapes, analyzer]


# ---------------------------------------------------------------- reading the dashboards


def resolve_variables(world: World, board: Mapping[str, Any]) -> dict[str, str]:
    """Each variable as Grafana substitutes it on first load: its all-value, or every value it finds."""
    values: dict[str, str] = {}
    for variable in board["templating"]["list"]:
        found = re.fullmatch(r"label_values\((.+), (\w+)\)", variable["query"])
        assert found, variable["query"]
        match = substitute(found.group(1), values)
        options = world.label_values(found.group(2), match)
        assert options, f"{board['uid']}: variable {variable['name']} has no values ({match})"
        values[variable["name"]] = variable.get("allValue") or "(" + "|".join(map(regex_escape, options)) + ")"
    return values


def regex_escape(value: str) -> str:
    """Grafana's escaping of a value inside a multi-value regex (its prometheusRegularEscape)."""
    return re.sub(r"([\\^$*+?.()|{}\[\]'])", r"\\\\\1", value)


def substitute(expr: str, values: Mapping[str, str]) -> str:
    return re.sub(r"\$(\w+)", lambda m: values[m.group(1)], expr)


def targets() -> Iterator[tuple[str, str, str, bool]]:
    """(dashboard uid, panel title, expression, instant) for every query of every panel."""
    for uid, board in dashboards().items():
        for panel in board["panels"]:
            for query in panel.get("targets", []):
                yield uid, panel["title"], query["expr"], bool(query.get("instant"))


def metric_names(expr: str) -> set[str]:
    """The metric names in a PromQL expression: identifiers that are not functions, keywords or labels."""
    text = re.sub(r'"(?:[^"\\]|\\.)*"', "", expr)
    text = re.sub(r"\{[^}]*\}", "", text)
    text = re.sub(r"\[[^\]]*\]", "", text)
    text = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", "", text)
    found = re.findall(r"(?<![\w.])([A-Za-z_:][\w:]*)\b(?!\s*\()", text)
    return {name for name in found if name.lower() not in PROMQL_WORDS and not re.fullmatch(r"\d+[smhdwy]", name)}


def scraped_names(scrapes: list[Scrape]) -> set[str]:
    """Every series name in the answers, and the names a family without samples would give its series."""
    names: set[str] = set()
    for scrape in scrapes:
        for text in scrape.texts:
            names.update(name for name, _, _ in exposition(text))
            for name, kind in TYPE.findall(text):
                names.add(name)
                if kind == "counter" and not name.endswith("_total"):  # client_python adds _total to samples
                    names.add(name + "_total")
    return names


# ---------------------------------------------------------------- the tests


def test_every_panel_query_returns_data(world: World) -> None:
    empty = []
    resolved = {uid: resolve_variables(world, board) for uid, board in dashboards().items()}
    count = 0
    for uid, title, expr, instant in targets():
        count += 1
        result = world.query(substitute(expr, resolved[uid]), instant)
        values = [v for r in result for v in ([r["value"]] if instant else r["values"])]
        if not any(math.isfinite(float(v[1])) for v in values):
            empty.append(f"{uid} / {title}: {expr}")
    assert count > 100
    assert empty == [], "panels that would be empty:\n" + "\n".join(empty)


def test_every_metric_name_is_in_a_real_scrape(world: World) -> None:
    real = scraped_names(world.scrapes)
    used: dict[str, set[str]] = {}
    for uid, _title, expr, _instant in targets():
        for name in metric_names(expr):
            used.setdefault(name, set()).add(uid)
    assert {
        "inframind_asset_risk_score",
        "ifHCInOctets",
        "ipmi_temperature_celsius",
        "node_cpu_seconds_total",
        "inframind_agent_source_lag_seconds",
        "inframind_redfish_drive_health",
    } <= set(used)
    missing = {name: sorted(uids) for name, uids in used.items() if name not in real | SCRAPER_NAMES}
    assert missing == {}


def test_the_name_extractor_sees_names_not_functions_or_labels() -> None:
    expr = (
        'sum by (asset, device) (rate(node_disk_reads_completed_total{tenant=~"$tenant", device!~"loop.*"}[5m]))'
        " / on (asset) group_left () count by (asset) (up == 1) or vector(0) unless x offset 1h"
    )
    assert metric_names(expr) == {"node_disk_reads_completed_total", "up", "x"}


def test_variables_narrow_to_the_chosen_site(world: World) -> None:
    """Choosing site-2 leaves only its assets in the asset variable, and the panels follow."""
    assets = world.label_values("asset", 'up{tenant=~".*", site=~"site-2", rack=~".*"}')
    assert assets == ["node-0003", "node-0004", "node-0005"]
    selection = "(" + "|".join(assets) + ")"
    result = world.query(f'inframind_asset_risk_score{{tenant=~".*", asset=~"{selection}"}}', instant=True)
    assert sorted(r["metric"]["asset"] for r in result) == assets


def test_failure_streaks_tell_the_failing_target_from_the_healthy_ones(world: World) -> None:
    """The closed port never answered (a streak of at least the hour), the open one is fine now (0)."""
    board = dashboards()["inframind-collection"]
    (panel,) = [p for p in board["panels"] if p["title"] == "Failure streaks (minutes)"]
    values = resolve_variables(world, board)
    streak = {
        r["metric"]["instance"]: float(r["value"][1])
        for r in world.query(substitute(panel["targets"][0]["expr"], values), instant=True)
    }
    tcp = {s.labels["instance"]: "probe_success 0" in s.texts[-1] for s in world.scrapes if s.source == "tcp"}
    assert sorted(tcp.values()) == [False, True]
    for instance, down in tcp.items():
        assert streak[instance] == (60.0 if down else 0.0), (instance, streak)


def test_incident_panels_show_what_the_analyzer_holds(world: World) -> None:
    """The fleet's incident panels count the analyzer's open incidents (one was resolved, so fewer than it
    opened), and the analyzer's outcome table has a time to resolve that includes the time to detect."""
    (analyzer,) = [s for s in world.scrapes if s.source == "analyzer"]
    exposed = {
        labels["severity"]: value
        for name, labels, value in exposition(analyzer.texts[-1])
        if name == "inframind_incidents_active"
    }
    assert sum(exposed.values()) >= 1
    fleet = dashboards()["inframind-fleet"]
    values = resolve_variables(world, fleet)
    panels = {p["title"]: p["targets"][0]["expr"] for p in fleet["panels"] if p.get("targets")}
    by_severity = {
        r["metric"]["severity"]: float(r["value"][1])
        for r in world.query(substitute(panels["Active incidents by severity"], values), instant=True)
    }
    assert by_severity == exposed
    (total,) = world.query(substitute(panels["Active incidents"], values), instant=True)
    assert float(total["value"][1]) == sum(exposed.values())
    board = dashboards()["inframind-analyzer"]
    values = resolve_variables(world, board)
    (table,) = [p for p in board["panels"] if p["title"] == "Mean time to detect, acknowledge, resolve"]
    means = {
        t["legendFormat"]: float(world.query(substitute(t["expr"], values), instant=True)[0]["value"][1])
        for t in table["targets"]
    }
    assert 0 <= means["detect"] <= means["resolve"]
    assert means["acknowledge"] > 0
