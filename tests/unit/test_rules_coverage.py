"""The rules cover every classic scenario, and read only metrics our exporters, agent and analyzer really emit.

A rule on a misspelt or never-emitted metric is silent forever, and no promtool test catches it (the test feeds
the very series the rule expects). So the names a rule reads are checked against what the code emits:

- a real collection by the host exporter's collectors, in process, of this machine's /proc and /sys and of the
  fixture host tree (which has md arrays and hwmon sensors this machine may lack);
- the exporters' declared family tables (SMART, IPMI, Redfish) and the shipped SNMP modules' metric names, whose
  families are built from those tables at scrape time;
- every metric constructed with a literal name in inframind/ (``GaugeMetricFamily("...")``, ``Counter("...")``
  ...), found by walking the source's syntax tree, with the sample suffixes its type adds (``_total``,
  ``_bucket``...);
- ``up``, which the scraper writes, and the outputs of our recording rules.

The labels a rule matches on are checked the same way, against the label names these sources declare (where the
source builds them from variables, the metric's labels are not checked), plus the target labels the scraper adds.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

import promql_parser
import pytest
import yaml

from inframind.config import ExporterConfig
from inframind.exporters.base import CollectorError
from inframind.exporters.ipmi.families import FAMILIES as IPMI_FAMILIES
from inframind.exporters.redfish.families import FAMILIES as REDFISH_FAMILIES
from inframind.exporters.registry import build_collectors, enabled_names
from inframind.exporters.smart.families import FAMILIES as SMART_FAMILIES
from tests.helpers.hosttree import fixture_config

REPO = Path(__file__).resolve().parents[2]
RULES = REPO / "rules"
PACKAGE = REPO / "inframind"
Known = dict[str, frozenset[str] | None]
"""Sample name -> its label names, or None where they are not known (built at run time from variables)."""
TARGET_LABELS = frozenset({"job", "instance", "tenant", "site", "rack", "role", "env", "asset", "asset_kind", "module"})
"""Labels the scraper adds from the inventory (inframind/targets.py), on every series."""

# Scenario -> the alerts that cover it (issue 8: "every classic scenario").
SCENARIOS: dict[str, set[str]] = {
    "host down": {"HostExporterDown"},
    "probe failures": {"ProbeTargetDown", "ProbeExporterUnreachable"},
    "filesystem fill (predict_linear)": {"HostFilesystemAlmostFull", "HostFilesystemWillFillIn24h"},
    "filesystem fill (analyzer forecast)": {"CapacityForecastFullSoon"},
    "inodes": {"HostFilesystemInodesAlmostFull"},
    "SMART growth": {
        "DiskSmartFailed",
        "DiskReallocatedSectorsGrowing",
        "DiskPendingSectors",
        "DiskUncorrectableErrorsGrowing",
    },
    "NVMe media errors and wear": {"NvmeMediaErrorsGrowing", "NvmeWearHigh", "NvmeCriticalWarning"},
    "RAID degraded or rebuilding (mdraid)": {"MdRaidDegraded", "MdRaidRebuilding"},
    "RAID degraded or rebuilding (Redfish)": {"RedfishVolumeDegraded", "RedfishVolumeRebuilding"},
    "drive faults seen by the BMC": {"DriveReportedFaultyByBmc"},
    "disk latency": {"HostDiskLatencyHigh", "HostDiskLatencyRise"},
    "iowait": {"HostHighIowait"},
    "memory pressure": {"HostMemoryPressure", "HostSwapAlmostFull"},
    "network errors and link down (host)": {"HostNetworkErrors", "HostNetworkCarrierLost"},
    "network errors and link down (SNMP)": {"SnmpInterfaceErrors", "SnmpInterfaceDown"},
    "BMC thermal, PSU and fans": {
        "BmcTemperatureCritical",
        "BmcTemperatureWarning",
        "BmcPowerSupplyFailure",
        "BmcFanFailure",
    },
    "IPMI sensor state": {"IpmiSensorNotNominal"},
    "Windows EventLog": {
        "WindowsEventLogErrorBurst",
        "WindowsServiceCrashes",
        "WindowsEventLogCleared",
        "WindowsEventLogOverwritten",
    },
    "time drift": {"HostClockDrift"},
    "exporter health": {"ExporterCollectorFailing", "SmartRefreshFailing"},
    "agent health": {"AgentSinkDown", "AgentBufferFilling", "AgentDroppingEvents", "AgentSourceLagging"},
    "analyzer health": {
        "AnalyzerDown",
        "AnalyzerTaskLagging",
        "AnalyzerMetricLoopLagging",
        "AnalyzerLogLoopLagging",
        "AnalyzerDeliveryFailing",
    },
    "analyzer outputs": {"AssetRiskScoreHigh", "DiskFailureProbabilityHigh"},
}

# Metric constructors of prometheus_client, and the sample names each adds to its family name.
SUFFIXES: dict[str, tuple[str, ...]] = {
    "GaugeMetricFamily": ("",),
    "Gauge": ("",),
    "CounterMetricFamily": ("_total",),
    "Counter": ("_total",),
    "HistogramMetricFamily": ("_bucket", "_sum", "_count"),
    "Histogram": ("_bucket", "_sum", "_count"),
    "SummaryMetricFamily": ("_sum", "_count"),
    "Summary": ("_sum", "_count"),
    "InfoMetricFamily": ("_info",),
    "Info": ("_info",),
    "StateSetMetricFamily": ("",),
    "Enum": ("",),
}


def _rules(kind: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for path in sorted((RULES / kind).glob("*.yml")):
        for group in yaml.safe_load(path.read_text())["groups"]:
            found.extend(group["rules"])
    return found


ALERTS = _rules("alerts")
RECORDS = _rules("recording")


def _collected(config: ExporterConfig) -> Known:
    """Sample names (with their label names) the host collectors emit for ``config``'s paths; a collector that
    cannot read is skipped."""
    known: Known = {}
    wanted = [n for n in enabled_names(config) if n != "smart"]  # smart runs smartctl: its table is used below
    for collector in build_collectors(config, wanted, platform="linux"):
        try:
            families = list(collector.collect())
        except CollectorError:  # this machine may lack md arrays or sensors; the fixture tree has them
            continue
        for family in families:
            for sample in family.samples:
                _merge(known, sample.name, frozenset(sample.labels))
    return known


def _merge(known: Known, name: str, labels: frozenset[str] | None) -> None:
    """Add a definition of ``name``; labels None means not known from the source, which wins over any set."""
    if name in known and (known[name] is None or labels is None):
        known[name] = None
    else:
        known[name] = (known.get(name) or frozenset()) | (labels or frozenset())


def _table(families: Mapping[str, tuple[str, tuple[str, ...]]]) -> Known:
    return {name: frozenset(labels) for name, (_, labels) in families.items()}


def _constant(tree: ast.Module, node: ast.expr) -> str | None:
    """A string literal, a module-level string constant, or a sum of those; None for anything dynamic."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left, right = _constant(tree, node.left), _constant(tree, node.right)
        return left + right if left is not None and right is not None else None
    if isinstance(node, ast.Name):
        for stmt in tree.body:
            targets = stmt.targets if isinstance(stmt, ast.Assign) else []
            if any(isinstance(t, ast.Name) and t.id == node.id for t in targets):
                assert isinstance(stmt, ast.Assign)
                return _constant(tree, stmt.value)
    return None


def _kind(call: ast.Call) -> str:
    func = call.func
    return func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""


def _wrappers(tree: ast.Module) -> dict[str, str]:
    """Helper functions that pass their first parameter on as a metric's name: helper name -> metric kind."""
    found: dict[str, str] = {}
    for node in ast.walk(tree):
        if not isinstance(node, ast.FunctionDef) or not node.args.args:
            continue
        first = node.args.args[0].arg
        for call in ast.walk(node):
            if (
                isinstance(call, ast.Call)
                and _kind(call) in SUFFIXES
                and call.args
                and isinstance(call.args[0], ast.Name)
                and call.args[0].id == first
            ):
                found[node.name] = _kind(call)
    return found


def _strings(node: ast.expr | None) -> frozenset[str] | None:
    """A literal list or tuple of strings, else None."""
    if isinstance(node, (ast.List, ast.Tuple)) and all(
        isinstance(e, ast.Constant) and isinstance(e.value, str) for e in node.elts
    ):
        return frozenset(str(e.value) for e in node.elts if isinstance(e, ast.Constant))
    return None


def _label_names(call: ast.Call, kind: str, wrapped: bool) -> frozenset[str] | None:
    """The label names a constructor call declares: ``labels=`` (families), ``labelnames`` (client metrics, third
    positional argument too); none given means no labels, unless the call goes through a helper."""
    keywords = {k.arg: k.value for k in call.keywords}
    if "labels" in keywords or "labelnames" in keywords:
        return _strings(keywords.get("labels") or keywords.get("labelnames"))
    if wrapped:
        return _strings(call.args[2]) if len(call.args) > 2 else None
    if "MetricFamily" not in kind and len(call.args) > 2:
        return _strings(call.args[2])
    if "MetricFamily" in kind and len(call.args) > 3:
        return _strings(call.args[3])
    return frozenset()


def _declared_in_source(root: Path) -> Known:
    """Sample names (and label names, where literal) of every metric constructed with a literal (or constant) name
    under ``root``, directly or through a helper that takes the name as its first argument."""
    known: Known = {}
    for path in root.rglob("*.py"):
        text = path.read_text()
        if "prometheus_client" not in text:
            continue
        tree = ast.parse(text, str(path))
        wrappers = _wrappers(tree)
        kinds = {**wrappers, **{k: k for k in SUFFIXES}}
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call) or not node.args or _kind(node) not in kinds:
                continue
            kind = kinds[_kind(node)]
            name = _constant(tree, node.args[0])
            if name is None or not re.fullmatch(r"[a-zA-Z_:][a-zA-Z0-9_:]*", name):
                continue
            labels = _label_names(node, kind, _kind(node) in wrappers and _kind(node) not in SUFFIXES)
            base = name.removesuffix("_total") if "Counter" in kind else name
            for suffix in SUFFIXES[kind]:
                extra = frozenset({"le"}) if suffix == "_bucket" else frozenset()
                _merge(known, base + suffix, None if labels is None else labels | extra)
    return known


def _snmp_module_metrics() -> Known:
    """Metric names of the shipped SNMP modules (labels come from indexes and lookups: not checked)."""
    known: Known = {}
    for path in (PACKAGE / "exporters" / "probe" / "modules").glob("snmp_*.yml"):
        for module in yaml.safe_load(path.read_text()).values():
            for metric in module["snmp"].get("metrics", []):
                name = f"{metric['name']}_info" if metric.get("type") == "EnumAsInfo" else metric["name"]
                known[name] = None
    return known


@pytest.fixture(scope="module")
def host_scrape() -> Known:
    known = _collected(ExporterConfig())
    for name, labels in _collected(fixture_config()).items():
        _merge(known, name, labels)
    return known


@pytest.fixture(scope="module")
def known(host_scrape: Known) -> Known:
    """Every emitted sample name with its label names (None where the source does not spell them out)."""
    merged: Known = {}
    sources = [
        host_scrape,
        _table(SMART_FAMILIES),
        _table(IPMI_FAMILIES),
        _table(REDFISH_FAMILIES),
        _snmp_module_metrics(),
        _declared_in_source(PACKAGE),
    ]
    for source in sources:
        for name, labels in source.items():
            _merge(merged, name, labels)
    return merged


@pytest.fixture(scope="module")
def emitted(known: Known) -> set[str]:
    return set(known) | {"up"} | {r["record"] for r in RECORDS}


def _selectors(expr: str) -> Iterator[tuple[str | None, list[tuple[str, str, str]]]]:
    """(metric name, matchers) of every vector selector in a PromQL expression."""
    found: list[tuple[str | None, list[tuple[str, str, str]]]] = []

    def visit(node: object) -> bool:
        if isinstance(node, promql_parser.VectorSelector):
            matchers = [(m.name, str(m.op), m.value) for m in node.matchers.matchers]
            found.append((node.name, matchers))
        return True

    promql_parser.walk(promql_parser.parse(expr), visit)
    yield from found


def _alternatives(regex: str) -> list[str]:
    """Top-level ``|`` branches of a regex (a branch inside parentheses stays whole)."""
    branches, depth, current = [], 0, ""
    for char in regex:
        depth += {"(": 1, ")": -1}.get(char, 0)
        if char == "|" and depth == 0:
            branches.append(current)
            current = ""
        else:
            current += char
    return [*branches, current]


def _used(rules: Iterable[dict[str, Any]]) -> Iterator[tuple[str, str | None, list[tuple[str, str, str]]]]:
    for rule in rules:
        for name, matchers in _selectors(rule["expr"]):
            yield rule.get("alert") or rule["record"], name, matchers


def test_every_scenario_has_its_alerts() -> None:
    names = {a["alert"] for a in ALERTS}
    missing = {scenario: sorted(want - names) for scenario, want in SCENARIOS.items() if want - names}
    assert not missing


def test_the_known_names_come_from_a_real_collection_and_are_not_a_catch_all(
    host_scrape: Known, emitted: set[str]
) -> None:
    """Guards the check below: the collection really ran, and the known set rejects names nobody emits."""
    assert {"node_cpu_seconds_total", "node_memory_MemAvailable_bytes", "node_md_disks", "node_time_seconds"} <= set(
        host_scrape
    )
    assert {"inframind_eventlog_events_total", "inframind_probe_duration_seconds_bucket"} <= emitted
    assert {"inframind_asset_risk_score", "inframind_analyzer_task_lag_seconds", "ifOperStatus"} <= emitted
    assert not {"node_network_up", "node_disk_latency_seconds", "inframind_eventlog_events"} & emitted


@pytest.mark.parametrize("kind", ["alerts", "recording"])
def test_every_metric_a_rule_reads_is_emitted(kind: str, emitted: set[str]) -> None:
    unknown = []
    for rule, name, matchers in _used(_rules(kind)):
        if name is not None:
            if name not in emitted:
                unknown.append(f"{rule}: {name}")
            continue
        for label, op, value in matchers:
            if label != "__name__":
                continue
            assert op in ("MatchOp.Re", "MatchOp.Equal"), f"{rule}: use a positive __name__ matcher"
            for branch in _alternatives(value) if op == "MatchOp.Re" else [value]:
                if not any(re.fullmatch(branch, known) for known in emitted):
                    unknown.append(f"{rule}: {{__name__=~{branch!r}}}")
    assert not unknown, "metrics no exporter, agent or analyzer emits:\n" + "\n".join(unknown)


def test_a_misspelt_metric_would_be_caught(emitted: set[str]) -> None:
    """The check above is not vacuous: a rule on a name nobody emits is reported."""
    rule = {"alert": "Typo", "expr": 'rate(node_network_recieve_errs_total[5m]) > 0 and {__name__=~"ipmi_tmp_.*"}'}
    reported = [(name, matchers) for _, name, matchers in _used([rule]) if name is None or name not in emitted]
    assert [n for n, _ in reported] == ["node_network_recieve_errs_total", None]
    regex = reported[1][1][0][2]
    assert not any(re.fullmatch(regex, known) for known in emitted)


def _wrong_labels(rules: Iterable[dict[str, Any]], known: Known) -> list[str]:
    wrong: list[str] = []
    for rule, name, matchers in _used(rules):
        labels = known.get(name or "")
        if labels is None:
            continue
        wrong.extend(
            f"{rule}: {name}{{{label}}} (it has {', '.join(sorted(labels))})"
            for label, _, _ in matchers
            if label not in labels | TARGET_LABELS
        )
    return wrong


@pytest.mark.parametrize("kind", ["alerts", "recording"])
def test_every_label_a_rule_matches_on_is_one_the_metric_has(kind: str, known: Known) -> None:
    """A matcher on a label the metric lacks (``status`` for ``state``) selects nothing, silently."""
    wrong = _wrong_labels(_rules(kind), known)
    assert not wrong, "matchers on labels the metric does not have:\n" + "\n".join(wrong)


def test_label_names_are_known_for_the_metrics_the_alerts_filter_on(known: Known) -> None:
    """Guards the check above: the labels the rules filter on are really read from the code."""
    assert known["smartctl_device_attribute"] is not None
    assert {"attribute_name", "attribute_value_type"} <= known["smartctl_device_attribute"]
    assert known["inframind_eventlog_events_total"] == frozenset({"target", "channel", "level", "event_id"})
    assert known["inframind_probe_duration_seconds_bucket"] == frozenset({"module", "le"})
    assert known["node_md_state"] == frozenset({"device", "state"})
    assert known["node_cpu_seconds_total"] == frozenset({"cpu", "mode"})
    rule = {"alert": "Typo", "expr": 'node_md_state{status="recovering", asset="a"} == 1'}
    assert _wrong_labels([rule], known) == ["Typo: node_md_state{status} (it has device, state)"]
