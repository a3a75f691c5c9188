"""Every finding kind the analyzer can produce gets a recommendation in Russian and English, filled from its evidence.

The kinds are found by scanning the analyzer's source for ``Finding(kind=...)`` (a new detector or case fails here
until it is listed in :mod:`inframind.analyzer.finding_kinds` and has templates). Each kind's finding is made by
its real detector from realistic inputs wherever the detector is a pure function or a small state machine; the
anomaly and disk-failure findings are built with the exact evidence their detectors emit (their detectors need
trained models and long series). A finding stripped of its evidence must get no text at all.
"""

from __future__ import annotations

import ast
import datetime as dt
import math
import re
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any, get_args

import pytest
from jinja2 import TemplateError

from inframind.analyzer import finding_kinds
from inframind.analyzer.detect.failure import DiskObservation, disk_findings
from inframind.analyzer.detect.failure.features import DiskFeatures
from inframind.analyzer.detect.failure.shipped import shipped_model
from inframind.analyzer.detect.forecast.findings import CapacitySeries, capacity_finding, forecast_series
from inframind.analyzer.detect.grouping import RepeatedErrors
from inframind.analyzer.detect.hotcold import HotColdSettings, Hotspot, Move, Resource, hotspot_finding
from inframind.analyzer.detect.iotuning import DiskLoad, io_findings
from inframind.analyzer.detect.loghits import TemplateHit
from inframind.analyzer.detect.logrules import RuleState
from inframind.analyzer.detect.new_template import NewTemplateDetector
from inframind.analyzer.detect.noderisk import NodeSignals, node_risk
from inframind.analyzer.detect.ratefindings import burst_finding, silence_finding
from inframind.analyzer.detect.rateseries import Baseline, Series
from inframind.analyzer.detect.slo import Objective, burn_finding
from inframind.analyzer.findings import FactEvidence, Finding, LogEvidence, MetricEvidence, Window
from inframind.analyzer.metricloop_disks import node_finding
from inframind.analyzer.recommend import NoRecommendation, Recommender
from inframind.analyzer.recommend_templates import load_templates, num, plural
from inframind.analyzer.recommendation import LANGUAGES, Recommendation
from inframind.analyzer.rulefiles import load_log_rules
from inframind.events import LogEvent

ROOT = Path(__file__).resolve().parents[2]
ANALYZER = ROOT / "inframind" / "analyzer"
END = dt.datetime(2026, 3, 2, 12, 0, tzinfo=dt.UTC)
NOW = END.timestamp()
HOUR = 3600.0
SHARED = Recommender()
"""The shipped templates, loaded once for the module (loading parses every template of every kind)."""


# ------------------------------------------------------------ which kinds the code produces


def _literal_aliases(tree: ast.Module) -> dict[str, tuple[str, ...]]:
    """Module-level ``Name = Literal["a", "b"]`` aliases."""
    out: dict[str, tuple[str, ...]] = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            value = node.value
            if isinstance(value, ast.Subscript) and isinstance(value.value, ast.Name) and value.value.id == "Literal":
                items = value.slice.elts if isinstance(value.slice, ast.Tuple) else [value.slice]
                out[node.targets[0].id] = tuple(str(i.value) for i in items if isinstance(i, ast.Constant))
    return out


def _constants(tree: ast.Module) -> dict[str, str]:
    """Module-level ``NAME = "text"`` constants."""
    return {
        node.targets[0].id: node.value.value
        for node in tree.body
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name)
        and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str)
    }  # fmt: skip


def _kinds_of(expr: ast.expr, tree: ast.Module, where: str) -> set[str]:
    """The kinds a ``kind=`` argument can take: a literal, a module constant, or an f-string over a Literal type
    (``f"hotspot.{spot.resource}"`` with ``Resource = Literal[...]``)."""
    if isinstance(expr, ast.Constant) and isinstance(expr.value, str):
        return {expr.value}
    if isinstance(expr, ast.Name) and expr.id in _constants(tree):
        return {_constants(tree)[expr.id]}
    if isinstance(expr, ast.JoinedStr):
        prefixes: set[str] = {""}
        aliases = {k.lower(): v for k, v in _literal_aliases(tree).items()}
        for part in expr.values:
            if isinstance(part, ast.Constant):
                prefixes = {p + str(part.value) for p in prefixes}
                continue
            assert isinstance(part, ast.FormattedValue)
            inner = part.value
            name = inner.attr if isinstance(inner, ast.Attribute) else getattr(inner, "id", "")
            assert name.lower() in aliases, f"{where}: cannot tell which kinds {ast.unparse(expr)} makes"
            prefixes = {p + v for p in prefixes for v in aliases[name.lower()]}
        return prefixes
    raise AssertionError(f"{where}: cannot tell which kind {ast.unparse(expr)} is; use a literal or a constant")


def produced_kinds() -> dict[str, set[str]]:
    """Kind -> the files whose ``Finding(kind=...)`` makes it (``findings.py`` only reads kinds back)."""
    out: dict[str, set[str]] = {}
    for path in sorted(ANALYZER.rglob("*.py")):
        if path.name == "findings.py" and path.parent == ANALYZER:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
            if name != "Finding":
                continue
            where = f"{path.relative_to(ROOT)}:{node.lineno}"
            kind = next((k.value for k in node.keywords if k.arg == "kind"), node.args[0] if node.args else None)
            assert kind is not None, f"{where}: Finding() without a kind"
            for found in _kinds_of(kind, tree, where):
                out.setdefault(found, set()).add(str(path.relative_to(ROOT)))
    return out


def test_the_registry_lists_exactly_the_kinds_the_detectors_produce() -> None:
    produced = produced_kinds()
    assert len(produced) >= 15, produced
    assert set(produced) == set(finding_kinds.FINDING_KINDS), (
        f"produced but not listed: {sorted(set(produced) - set(finding_kinds.FINDING_KINDS))}; "
        f"listed but not produced: {sorted(set(finding_kinds.FINDING_KINDS) - set(produced))}"
    )
    assert len(set(finding_kinds.FINDING_KINDS)) == len(finding_kinds.FINDING_KINDS)


def test_every_kind_has_templates_with_runbooks_that_exist() -> None:
    templates = load_templates()
    assert set(finding_kinds.FINDING_KINDS) <= set(templates), sorted(set(finding_kinds.FINDING_KINDS) - set(templates))
    for kind in templates.values():
        for page in (*kind.runbooks.values(), *(v.runbook for v in kind.variants.values())):
            if "{" not in page:
                assert (ROOT / page).is_file(), f"{kind.path.name}: runbook {page} does not exist"


# ------------------------------------------------------------ one realistic finding per kind (and variant)


def _hit(message: str, template: str, at: float, *, asset: str = "srv-app-01", level: str = "error",
         source: str = "journald", template_id: str = "t1") -> TemplateHit:  # fmt: skip
    return TemplateHit("acme", source, asset, at, level, message, template_id, template)


def new_template() -> Finding:
    detector = NewTemplateDetector()
    start = NOW - 3 * 86400
    detector.observe(_hit("session opened for user backup", "session opened for user <*>", start, level="info",
                          template_id="known"))  # fmt: skip
    for i in range(7):
        line = f"EXT4-fs error (device sdb1): ext4_find_entry:1455: inode #{i + 2}: comm rsync"
        detector.observe(_hit(line, "EXT4-fs error (device <*>): ext4_find_entry:<NUM>: inode #<NUM>: comm <*>",
                              NOW - 1800 + 60 * i, template_id="t7"))  # fmt: skip
    (found,) = detector.evaluate(NOW)
    return found


def _series(count: int, template: str, *, hours: Mapping[int, int] | None = None, last: float = NOW) -> Series:
    hour = int(NOW // HOUR)
    return Series("acme", "journald", "srv-app-01", "t3", template, "error", hour - 48, hour, count=count,
                  minutes={i: count // 20 for i in range(20)}, first=hour * HOUR + 60, last=last,
                  hours=dict(hours or {}), samples=["connection to db-01:5432 refused (attempt 3)"],
                  key="journald:t3")  # fmt: skip


def burst() -> Finding:
    base = Baseline(mu=4.2, phi=0.3, seasonal=False, regular=True)
    return burst_finding(_series(180, "connection to <*> refused (attempt <NUM>)"), base, -60.0, NOW,
                         criticality="medium", alpha=1e-6)  # fmt: skip


def silence(template: str = "backup job finished in <NUM> s", level: str = "info") -> Finding:
    hour = int(NOW // HOUR)
    series = _series(0, template, hours={hour - h: 6 for h in range(1, 20)}, last=NOW - 95 * 60)
    series.level = level
    base = Baseline(mu=6.0, phi=0.1, seasonal=False, regular=True)
    return silence_finding(series, base, 9.5, NOW)


def repeated(counts: Mapping[str, int] | None = None) -> Finding:
    detector = RepeatedErrors()
    counts = counts or {"srv-web-01": 9, "srv-web-02": 6, "srv-web-03": 4}
    for asset, n in counts.items():
        for i in range(n):
            detector.observe(_hit(f"upstream timed out (110: Connection timed out) while reading {i}",
                                  "upstream timed out (<NUM>: Connection timed out) while reading <*>",
                                  NOW - 600 + 20 * i, asset=asset, template_id="t9"))  # fmt: skip
    (found,) = detector.evaluate(NOW)
    return found


def log_rule() -> Finding:
    (rule,) = [r for g in load_log_rules([str(ROOT / "rules" / "logs")]) for r in g.rules if r.alert == "LinuxOOMKills"]
    state = RuleState(rule)
    for i in range(3):
        state.observe(LogEvent(timestamp=END - dt.timedelta(minutes=10 - i), source="journald", level="error",
                               message=f"Out of memory: Killed process {4242 + i} (java) total-vm:8125340kB",
                               host="srv-app-01", asset_id="srv-app-01", tenant="acme"))  # fmt: skip
    (found,) = state.evaluate(NOW + rule.for_ + 1)
    return found


def anomaly(signal: str = "memory_pressure") -> Finding:
    window = Window(END - dt.timedelta(minutes=25), END)
    query = f'1 - sum by (tenant, asset) (node_memory_MemAvailable_bytes{{asset="srv-app-01"}}) / ... # {signal}'
    evidence = MetricEvidence(query, window, 0.934, expected=0.612, lower=0.55, upper=0.68, unit="ratio")
    votes = FactEvidence("anomaly_votes", {"score": 0.88, "model": "level", "points": 25, "ongoing": True,
                                           "agreeing": "level, seasonal"})  # fmt: skip
    return Finding("metric.anomaly", "srv-app-01", "acme", "warning", f"{signal} anomaly", window, (evidence, votes),
                   query, score=0.88, labels={"signal": signal, "model": "level"})  # fmt: skip


def capacity(resource: str = "filesystem") -> Finding:
    days = 30
    t = [NOW - (days * 24 - i) * HOUR for i in range(days * 24 + 1)]
    gib = 2.0**30
    if resource == "filesystem":
        v = [
            300 * gib + (i / 24.0) * 6 * gib + (i % 24) * 0.4 * gib + (i * 7919 % 13) * 0.05 * gib
            for i in range(len(t))
        ]
        s = CapacitySeries("srv-db-03", "node_filesystem_size_bytes - node_filesystem_avail_bytes", t, v, 500 * gib,
                           "filesystem", "/var/lib/postgresql", tenant="acme",
                           labels={"mountpoint": "/var/lib/postgresql"})  # fmt: skip
    else:
        v = [40 * gib + (i / 24.0) * 0.5 * gib for i in range(len(t))]
        s = CapacitySeries("srv-db-03", "node_memory_MemTotal_bytes - node_memory_MemAvailable_bytes", t, v, 64 * gib,
                           "memory", tenant="acme")  # fmt: skip
    found = capacity_finding(s, forecast_series(s))
    assert found is not None
    return found


def disk() -> Finding:
    window = Window(END - dt.timedelta(days=10), END)
    features = DiskFeatures(counts={"reallocated": 134.0, "pending": 8.0}, growth={"reallocated": 60.0, "pending": 8.0},
                            window_hours=240.0, power_on_hours=31000.0, temperature_celsius=41.0)  # fmt: skip
    obs = DiskObservation("srv-stor-01", "ZA1A0B07", features, window, "acme",
                          {"device": "sdb", "serial": "ZA1A0B07", "model": "ST4000NM0035"})  # fmt: skip
    found = disk_findings([obs], shipped_model())
    assert found, "the shipped model must rate a drive with 60 new reallocated sectors"
    return found[0]


def node() -> Finding:
    signals = NodeSignals("srv-db-03", events={"thermal": 5.0, "psu": 1.0}, disk_probabilities={"sdb": 0.084},
                          anomaly_scores=(0.8, 0.6))  # fmt: skip
    found = node_finding("acme", node_risk(signals), END, 86400.0)
    assert found is not None
    return found


def slo(sli: str = "availability") -> Finding:
    if sli == "availability":
        objective = Objective("acme", "api-gw", "availability", 0.999)
    else:
        objective = Objective("acme", "api-gw", "latency", 0.99, threshold_s=0.3)
    budget = objective.budget
    found = burn_finding(objective, {"1h": 16.0 * budget, "5m": 21.0 * budget, "6h": 7.2 * budget}, END)
    assert found is not None
    return found


def hotspot(resource: str, move: bool = True) -> Finding:
    spot = Hotspot("acme", "rack", "R3", resource, "R3-01", 0.92, 0.41, 5, (("R3-04", 0.18), ("R3-05", 0.22)),  # type: ignore[arg-type]
                   Move("R3-01", "R3-04", 0.26, 0.26, 0.92, 0.18, 0.68, 0.42) if move else None)  # fmt: skip
    return hotspot_finding(spot, Window(END - dt.timedelta(days=1), END), lambda r, a: f"{r}{{asset={a!r}}}",
                           HotColdSettings())  # fmt: skip


def io(queue: float = 12.5) -> Finding:
    loads = [DiskLoad("acme", "srv-db-03", "sdb", 0.0412, queue, 0.97)]
    (found,) = io_findings(loads, END, lambda a, d: f'disk_await{{asset="{a}",device="{d}"}}')
    return found


CASES: dict[str, Callable[[], Finding]] = {
    "log.new_template": new_template,
    "log.burst": burst,
    "log.silence": silence,
    "log.silence/errors_stopped": lambda: silence("connection to <*> refused", "error"),
    "log.repeated": repeated,
    "log.repeated/one_asset": lambda: repeated({"srv-web-02": 14}),
    "log.rule": log_rule,
    "metric.anomaly": anomaly,
    "capacity.exhaustion": capacity,
    "capacity.exhaustion/memory": lambda: capacity("memory"),
    "disk.failure": disk,
    "node.risk": node,
    "slo.burn": slo,
    "slo.burn/latency": lambda: slo("latency"),
    "hotspot.io": io,
    "hotspot.io/slow_device": lambda: io(0.9),
    **{f"hotspot.{r}": (lambda r=r: hotspot(r)) for r in get_args(Resource)},  # type: ignore[misc]
    **{f"hotspot.{r}/no_room": (lambda r=r: hotspot(r, move=False)) for r in get_args(Resource)},  # type: ignore[misc]
}


def _numbers(text: str) -> list[str]:
    return re.findall(r"\d+(?:[.,]\d+)?", text)


def _flat(value: Any) -> Iterator[Any]:
    if isinstance(value, Mapping):
        for v in value.values():
            yield from _flat(v)
    elif isinstance(value, list | tuple):
        for v in value:
            yield from _flat(v)
    else:
        yield value


def _assert_only_facts(rec: Recommendation) -> None:
    """Every number in the texts is a fact (as the template prints it) or part of a fact's text (a name, a date,
    a log template): nothing is invented."""
    values = list(_flat(dict(rec.facts)))
    stated = {num(v, rec.language) for v in values if isinstance(v, int | float) and not isinstance(v, bool)}
    words = " ".join(str(v) for v in values if isinstance(v, str))
    allowed = set(_numbers(words)) | {n.replace(".", ",") for n in _numbers(words)}
    for number in _numbers(f"{rec.title}\n{rec.text}\n{rec.next_step}"):
        assert number in stated or number in allowed, f"{rec.kind} ({rec.language}): {number} is not a fact"


def test_every_kind_has_a_case_here() -> None:
    assert {case.split("/")[0] for case in CASES} == set(finding_kinds.FINDING_KINDS)


@pytest.mark.parametrize("case", sorted(CASES))
def test_each_kind_renders_in_both_languages_from_its_evidence(case: str) -> None:
    finding = CASES[case]()
    assert finding.kind == case.split("/", maxsplit=1)[0]
    rendered = {lang: SHARED.recommend(finding, language=lang) for lang in LANGUAGES}
    for lang, rec in rendered.items():
        text = f"{rec.title}\n{rec.text}\n{rec.next_step}"
        assert finding.asset_id in text, text
        assert "{" not in text and "None" not in text and "  " not in text, text
        assert 0.0 < rec.confidence <= 1.0
        assert rec.runbook_url.startswith("docs/runbooks/") and (ROOT / rec.runbook_url).is_file(), rec.runbook_url
        _assert_only_facts(rec)
        if lang == "ru":
            assert re.search("[а-яё]{4}", rec.text), "the Russian text must be Russian"  # noqa: RUF001
            assert not re.search(r"\b(the|and|with|when|done)\b", rec.text + rec.next_step), rec.text
            assert not re.search(r"\d\.\d", re.sub(r"\d+\.\d+\.\d+\.\d+|\d{4}-\d\d-\d\d \d\d:\d\d", "", text)), text
    assert rendered["ru"].facts == rendered["en"].facts
    assert rendered["ru"].confidence == rendered["en"].confidence


def _evidence_numbers(finding: Finding, facts: Mapping[str, Any]) -> dict[str, Any]:
    """Per kind, facts that must come from the evidence and appear in the text (checked against the evidence)."""
    kind = finding.kind
    metric = next((e for e in finding.evidence if isinstance(e, MetricEvidence)), None)
    log = next((e for e in finding.evidence if isinstance(e, LogEvidence)), None)
    values: Mapping[str, Any] = next((e.values for e in finding.evidence if isinstance(e, FactEvidence)), {})
    if kind in ("log.new_template", "log.repeated", "log.rule"):
        assert log is not None
        return {"count": log.count}
    if kind == "log.burst":
        assert metric is not None and metric.expected is not None
        return {"per_hour": int(metric.observed), "expected_per_hour": round(metric.expected, 1)}
    if kind == "log.silence":
        assert log is not None
        return {
            "silent_minutes": round((finding.window.end - log.last_seen).total_seconds() / 60),
            "day_count": log.count,
        }
    if kind == "metric.anomaly":
        assert metric is not None and metric.expected is not None
        return {"observed_v": round(metric.observed * 100, 1), "expected_v": round(metric.expected * 100, 1)}
    if kind == "capacity.exhaustion":
        return {"used_pct": round(float(values["used_ratio"]) * 100, 1),
                "full_in_days": round(float(values["time_to_full_days"]), 1)}  # fmt: skip
    if kind == "disk.failure":
        assert finding.probability is not None
        return {"probability_pct": round(finding.probability * 100, 1)}
    if kind == "node.risk":
        return {"risk_score": round(float(values["score"]))}
    if kind == "slo.burn":
        return {"burn_long": round(float(values["burn_1h"]), 1), "target_pct": round(float(values["target"]) * 100, 3)}
    if kind == "hotspot.io":
        return {"await_ms": round(float(values["await_seconds"]) * 1000, 1)}
    return {
        "value_pct": round(float(values["value"]) * 100, 1),
        "median_pct": round(float(values["group_median"]) * 100, 1),
    }


@pytest.mark.parametrize("case", sorted(CASES))
def test_the_texts_carry_the_evidence_numbers(case: str) -> None:
    finding = CASES[case]()
    for lang in LANGUAGES:
        rec = SHARED.recommend(finding, language=lang)
        for name, value in _evidence_numbers(finding, rec.facts).items():
            assert rec.facts[name] == value, (name, rec.facts[name], value)
            assert num(value, lang) in f"{rec.title} {rec.text}", f"{case} ({lang}): {name}={value} not stated"


@pytest.mark.parametrize("case", sorted(CASES))
def test_without_its_evidence_a_finding_gets_no_text(case: str) -> None:
    finding = CASES[case]()
    bare = Finding(finding.kind, finding.asset_id, finding.tenant, finding.severity, finding.title, finding.window,
                   (FactEvidence("unrelated", {"x": 1}),), finding.key, score=finding.score,
                   probability=finding.probability, labels=finding.labels)  # fmt: skip
    for lang in LANGUAGES:
        with pytest.raises(NoRecommendation, match="lacks facts"):
            SHARED.recommend(bare, language=lang)
    assert SHARED.for_delivery(bare, None, "ru") is None


def test_changed_evidence_changes_the_text() -> None:
    small, big = io(6.0), io(40.0)
    assert "queue depth to 8" in SHARED.recommend(small).text
    assert "queue depth to 64" in SHARED.recommend(big).text
    one, two = slo("availability"), slo("latency")
    assert SHARED.recommend(one, language="ru").title != SHARED.recommend(two, language="ru").title


def test_russian_counts_agree_with_their_words() -> None:
    rec = SHARED.recommend(repeated(), language="ru")
    assert rec.title.startswith("3 узла: ошибка повторилась 19 раз")
    assert "на 3 узлах: srv-web-01 (9), srv-web-02 (6), srv-web-03 (4)" in rec.text
    node_rec = SHARED.recommend(node(), language="ru")
    assert "баллов" in node_rec.text or "балла" in node_rec.text
    assert math.isfinite(node_rec.facts["risk_score"])


def test_the_scanner_reads_literals_constants_and_literal_fstrings_and_refuses_the_rest() -> None:
    tree = ast.parse(
        'from typing import Literal\nMode = Literal["a", "b"]\nKIND = "x.const"\n'
        'Finding(kind="x.lit")\nFinding(kind=KIND)\nFinding(kind=f"x.{spot.mode}")\nFinding(kind=name())\n'
    )
    calls = [n for n in ast.walk(tree) if isinstance(n, ast.Call) and getattr(n.func, "id", "") == "Finding"]
    kinds = [_kinds_of(c.keywords[0].value, tree, "snippet") for c in calls[:3]]
    assert kinds == [{"x.lit"}, {"x.const"}, {"x.a", "x.b"}]
    with pytest.raises(AssertionError, match="cannot tell which kind"):
        _kinds_of(calls[3].keywords[0].value, tree, "snippet")


def test_plural_takes_the_russian_form_of_the_number() -> None:
    forms = ("событие", "события", "событий")
    said = {n: plural(n, "ru", *forms) for n in (1, 2, 5, 11, 12, 21, 22, 25, 111, 1.5, 0)}
    assert said == {1: "1 событие", 2: "2 события", 5: "5 событий", 11: "11 событий", 12: "12 событий",
                    21: "21 событие", 22: "22 события", 25: "25 событий", 111: "111 событий", 1.5: "1,5 события",
                    0: "0 событий"}  # fmt: skip
    assert plural(1, "en", "event", "events") == "1 event" and plural(3, "en", "event", "events") == "3 events"
    with pytest.raises(TemplateError, match="three forms"):
        plural(2, "ru", "a", "b")
