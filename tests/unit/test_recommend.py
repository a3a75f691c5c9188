"""Recommendations from findings: filled from facts only, in Russian and English, or not made at all."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import numpy as np
import pytest

from inframind.analyzer.api_sources import default_recommender as api_default
from inframind.analyzer.findings import FactEvidence, Finding, LogEvidence, MetricEvidence, Window
from inframind.analyzer.recommend import NoRecommendation, Recommender, recommend
from inframind.analyzer.recommend_facts import facts_for
from inframind.analyzer.recommend_series import queue_depth_for, rise
from inframind.analyzer.recommend_templates import TemplateFileError, load_templates, num
from inframind.analyzer.recommend_types import Context
from inframind.inventory import inventory_from_data

END = dt.datetime(2026, 3, 2, 12, 0, tzinfo=dt.UTC)
WINDOW = Window(END - dt.timedelta(minutes=20), END)
QUERY = 'avg by (tenant, asset) (rate(node_cpu_seconds_total{mode="iowait",tenant="acme",asset="srv-db-03"}[300s]))'
INVENTORY = inventory_from_data({
    "defaults": {"tenant": "acme"},
    "assets": [
        {"id": "LUN-12", "kind": "lun", "labels": {"wwn": "0x600a0980"}},
        {"id": "srv-db-03", "kind": "host", "rack": "R1", "depends": {"uses-lun": ["LUN-12"]}},
        {"id": "R3-01", "kind": "host", "rack": "R3"},
        {"id": "R3-02", "kind": "host", "rack": "R3"},
        {"id": "shelf-a2", "kind": "shelf", "rack": "R2", "labels": {"redfish_enclosure": "Enclosure.External.0-2"}},
    ],
})  # fmt: skip


def iowait_finding(observed: float = 0.21) -> Finding:
    evidence = MetricEvidence(QUERY, WINDOW, observed, expected=0.08, lower=0.06, upper=0.11, unit="ratio")
    return Finding("metric.anomaly", "srv-db-03", "acme", "warning", "iowait anomaly", WINDOW,
                   (evidence, FactEvidence("anomaly_votes", {"points": 4, "ongoing": True})), QUERY, score=0.93,
                   labels={"signal": "iowait", "model": "level"})  # fmt: skip


def ramp(start_level: float, end_level: float, hours: float = 6.0) -> dict[str, list[float]]:
    """Two flat hours, then a climb of ``hours`` (one point a minute) with a little noise."""
    t = END.timestamp() - 60.0 * np.arange((hours + 2) * 60, -1, -1)
    start = END.timestamp() - hours * 3600.0
    v = start_level + (end_level - start_level) * np.clip((t - start) / (hours * 3600.0 - 1200), 0, 1)
    v = v + np.random.default_rng(1).normal(0, 0.002, t.size)
    return {"t": t.tolist(), "v": v.tolist()}


def measured(to: float = 0.29) -> Context:
    lun = {"device": "sdb", "wwn": "0x600A0980", "writes_before": 61.2, "writes_now": 880.4, "in_flight": 17.9,
           "await_s": 0.0187}  # fmt: skip
    return Context(inventory=INVENTORY, measured={"rise": ramp(0.08, to), "lun": lun})


def numbers(text: str) -> list[str]:
    return re.findall(r"\d+(?:[.,]\d+)?", text)


def test_iowait_text_states_the_measured_rise_the_lun_and_the_queue_depth() -> None:
    rec = Recommender().recommend(iowait_finding(), language="en", context=measured())
    f = rec.facts
    assert f["lun"] == "LUN-12" and f["queue_depth"] == 32 == queue_depth_for(17.9)
    assert abs(f["rise_from"] - 8.0) < 0.5 and abs(f["rise_to"] - 29.0) < 0.5 and abs(f["rise_hours"] - 6.0) < 0.3
    assert rec.title == f"srv-db-03: %iowait rose from {num(f['rise_from'])}% to {num(f['rise_to'])}% over 6 h"
    assert "coinciding with a write burst on LUN-12 (device sdb: 61 -> 880 writes/s, 14.4x)" in rec.text
    assert "raise queue depth to 32, and re-measure latency" in rec.text
    assert rec.confidence == 0.93 and rec.runbook_url == "docs/runbooks/HostHighIowait.md"
    assert rec.dashboard_url == "/d/inframind-host?var-asset=srv-db-03"
    values = [v for v in f.values() if isinstance(v, int | float) and not isinstance(v, bool)]
    stated = {num(v) for v in values}
    dates = " ".join(str(f[k]) for k in ("rise_start", "window_start", "window_end"))
    for number in numbers(f"{rec.title} {rec.text} {rec.next_step}"):
        assert number in stated or number in dates, f"{number} is not a fact"


def test_russian_uses_a_decimal_comma_and_the_same_facts() -> None:
    en = Recommender().recommend(iowait_finding(), language="en", context=measured(0.355))
    ru = Recommender(language="ru").recommend(iowait_finding(), context=measured(0.355))
    assert ru.language == "ru" and en.facts["rise_to"] == ru.facts["rise_to"]
    assert num(en.facts["rise_to"], "ru") in ru.title and "," in num(en.facts["rise_to"], "ru")
    assert "поднимите queue depth до 32" in ru.text and "LUN-12" in ru.text


def test_changing_the_data_changes_the_text() -> None:
    low = Recommender().recommend(iowait_finding(), context=measured(0.29))
    high = Recommender().recommend(iowait_finding(), context=measured(0.35))
    assert low.text != high.text and high.facts["rise_to"] > low.facts["rise_to"] + 5


def test_without_measurements_the_evidence_alone_gives_the_default_variant() -> None:
    rec = recommend(iowait_finding(), "en")
    assert rec.title == "srv-db-03: %iowait anomaly"
    assert "iowait is 21% where 8% was expected" in rec.text and "rose" not in rec.text
    assert api_default() is recommend


def test_a_kind_without_templates_is_an_error_not_a_text() -> None:
    finding = Finding("log.new_kind", "a", "t", "info", "x", WINDOW, (FactEvidence("x", {"v": 1}),), "k")
    with pytest.raises(NoRecommendation, match=r"no recommendation templates for kind 'log\.new_kind'"):
        recommend(finding)
    assert Recommender().for_delivery(finding, None, "en") is None


def test_missing_evidence_names_the_missing_facts() -> None:
    finding = Finding("disk.failure", "srv-stor-01", "acme", "warning", "disk", WINDOW,
                      (FactEvidence("unrelated", {"x": 1}),), "ZA1", probability=0.08)  # fmt: skip
    with pytest.raises(NoRecommendation, match=r"missing horizon_days, drive_serial"):
        recommend(finding)


def test_a_template_using_an_absent_fact_fails(tmp_path: Path) -> None:
    (tmp_path / "x.yml").write_text(
        "kind: metric.anomaly\nconfidence: '0.5'\nvariants:\n  default:\n    requires: []\n"
        "    en: {title: 'a {{ nowhere }}', text: t, next_step: n}\n    ru: {title: a, text: t, next_step: n}\n",
        encoding="utf-8",
    )
    with pytest.raises(NoRecommendation, match="nowhere"):
        Recommender.from_directory(tmp_path).recommend(iowait_finding())


def test_template_files_need_both_languages(tmp_path: Path) -> None:
    (tmp_path / "x.yml").write_text(
        "kind: k\nvariants:\n  default:\n    en: {title: a, text: t, next_step: n}\n", encoding="utf-8"
    )
    with pytest.raises(TemplateFileError, match="ru needs title, text, next_step"):
        load_templates(tmp_path)
    shipped = load_templates()
    assert {"metric.anomaly", "disk.failure", "log.rule", "hotspot.io"} <= set(shipped)


def test_thermal_rule_over_a_rack_day() -> None:
    window = Window(END - dt.timedelta(minutes=30), END)
    log = LogEvidence("thermal", "t1", 2, window, window.start, window.end, assets=("R3-01",))
    finding = Finding("log.rule", "R3-01", "acme", "warning", "BMCThermalEvents", window, (log,),
                      "BMCThermalEvents|asset_id=R3-01", labels={"alertname": "BMCThermalEvents"},
                      links={"runbook": "docs/runbooks/BMCThermalEvents.md"})  # fmt: skip
    rack = {"rack": "R3", "hours": 24.0, "counts": {"R3-01": 8, "R3-02": 4}, "inlet": {"R3-01": 29.0, "R3-02": 22.0}}
    rec = Recommender().recommend(finding, context=Context(inventory=INVENTORY, measured={"rack": rack}))
    assert rec.title == "Rack R3: 12 BMC thermal warnings in 24 h"
    assert "move load between R3-01 and R3-02 (R3-02: 4 warnings, inlet 22 °C)" in rec.text
    assert rec.confidence == 0.8 and rec.runbook_url == "docs/runbooks/BMCThermalEvents.md"
    plain = Recommender().recommend(finding)
    assert plain.title == "R3-01: BMCThermalEvents (2 in 30 min)"


def test_drive_location_from_redfish_names_shelf_and_slot() -> None:
    summary = FactEvidence("disk failure probability", {"probability": 0.084, "horizon_days": 14.0})
    realloc = FactEvidence("SMART 5 reallocated sectors", {"attribute": "reallocated", "value": 134.0, "growth": 60.0,
                                                          "growth_window_hours": 240.0})  # fmt: skip
    finding = Finding("disk.failure", "srv-stor-01", "acme", "warning", "disk", WINDOW, (summary, realloc), "ZA1A0B07",
                      probability=0.084, labels={"serial": "ZA1A0B07", "device": "sdb"})  # fmt: skip
    drive = {"serial": "ZA1A0B07", "enclosure": "enclosure.external.0-2", "slot": "7", "location": "Slot 7"}
    context = Context(inventory=INVENTORY, measured={"drive": drive})
    facts = facts_for(finding, context)
    assert (facts["shelf"], facts["slot"], facts["reallocated_growth"]) == ("shelf-a2", "slot-7", 60)
    rec = Recommender().recommend(finding, context=context)
    assert rec.title == "Disk slot-7 in shelf shelf-a2: 8.4% failure probability within 14 days"
    assert "hot-swap it in the next maintenance window" in rec.text and "(134, +60 in 10 days)" in rec.text
    assert Recommender().recommend(finding).title == "Disk sdb on srv-stor-01: 8.4% failure probability within 14 days"


def test_rise_finds_a_step_and_ignores_noise() -> None:
    t = np.arange(200.0) * 60.0
    noise = np.random.default_rng(0).normal(0, 0.01, t.size)
    assert rise(t, 0.1 + noise) is None
    found = rise(t, np.where(t >= 120 * 60.0, 0.3, 0.1) + noise)
    assert found is not None and found.start == 120 * 60.0
    assert abs(found.baseline - 0.1) < 0.01 and abs(found.current - 0.3) < 0.01
    assert rise(t[:5], t[:5]) is None
    assert [queue_depth_for(x) for x in (0.5, 9.0, 17.9, 5000.0, float("nan"))] == [8, 16, 32, 1024, 8]
