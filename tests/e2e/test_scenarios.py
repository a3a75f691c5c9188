"""The three promised recommendations, end to end on a real VictoriaMetrics and a SQLite log store.

Each scenario's generated history goes in through ``/api/v1/import`` (the exporters' metric names and labels) and
the log store's writer (the agent's Redfish LogService events); the analyzer's own metric and log loops run over
it in simulated time; the recommender renders the finding with facts it measures in the same stores. Then the
generator's inputs change (iowait 8 -> 35 %, 9 warnings, rack R5, in tenant globex of the same stores) and the
texts must change with them: the numbers and names come from the data, not from the templates.
"""

from __future__ import annotations

import json
import math
import re
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from inframind.analyzer.outcomes import durations
from inframind.analyzer.recommend_series import queue_depth_for
from inframind.analyzer.scenarios.build import ScenarioParams, build, burst_shape
from inframind.analyzer.scenarios.replay import ReplayResult, replay
from inframind.cli_demo import demo
from inframind.config.logstore import SQLiteStoreSettings
from inframind.logstore.sqlite import SQLiteStore
from tests.helpers.servers import REPO, Running
from tests.helpers.vmhistory import start_history_vm

pytestmark = pytest.mark.integration
END = math.floor(time.time() / 60) * 60 - 60
RULES = (str(REPO / "rules" / "logs" / "*.yml"),)
CHANGED = replace(ScenarioParams(), tenant="globex", iowait_to=0.35, warnings=9, rack="R5")


@pytest.fixture(scope="module")
def vm(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    directory = tmp_path_factory.mktemp("scenarios-vm")
    server = start_history_vm(directory, directory / "data")
    yield server
    server.stop()


def _run(vm: Running, root: Path, name: str, params: ScenarioParams) -> ReplayResult:
    """The scenario replayed once (its recommendation rendered in both languages)."""
    scenario = build(name, END, params)
    logs = SQLiteStore(SQLiteStoreSettings(path=str(root / f"{name}-{params.tenant}-logs.db")))
    try:
        return replay(scenario, vm.url, logs, root / f"{name}-{params.tenant}", rules=RULES)
    finally:
        logs.close()


@pytest.fixture(scope="module")
def results(vm: Running, tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, str], ReplayResult]:
    root = tmp_path_factory.mktemp("scenarios")
    out = {}
    for params in (ScenarioParams(), CHANGED):
        for name in ("iowait", "disk", "thermal"):
            out[(name, params.tenant)] = _run(vm, root, name, params)
    return out


def _text(result: ReplayResult, language: str = "en") -> str:
    r = result.rendered.get(language)
    assert r is not None, f"no recommendation for {result.scenario.name}"
    return f"{r.title}\n{r.text}\n{r.next_step}"


def test_iowait_rise_with_a_write_burst_on_the_lun(results: dict[tuple[str, str], ReplayResult]) -> None:
    result = results[("iowait", "acme")]
    rec = result.recommendation
    assert result.primary is not None and rec is not None
    assert (result.primary.asset_id, result.primary.labels["signal"]) == ("srv-db-03", "iowait")
    facts = rec.facts
    assert facts["lun"] == "LUN-12" and facts["lun_device"] == "sdb"
    assert abs(facts["rise_from"] - 8.0) <= 1.0 and abs(facts["rise_to"] - 29.0) <= 1.5
    assert abs(facts["rise_hours"] - 6.0) <= 0.5
    assert facts["writes_now"] > 10 * facts["writes_before"]
    assert facts["queue_depth"] == queue_depth_for(facts["in_flight"]) and facts["queue_depth"] >= 16
    text = _text(result)
    assert text.startswith(f"srv-db-03: %iowait rose from {facts['rise_from']:g}% to {facts['rise_to']:g}%")
    assert "coinciding with a write burst on LUN-12" in text
    assert f"raise queue depth to {facts['queue_depth']}" in text and "re-measure latency" in text
    assert rec.runbook_url == "docs/runbooks/HostHighIowait.md" and 0.0 < rec.confidence <= 1.0
    assert result.detected_at is not None and result.detected_at < result.scenario.end


def test_a_shelf_drive_with_growing_reallocated_sectors(results: dict[tuple[str, str], ReplayResult]) -> None:
    result = results[("disk", "acme")]
    assert result.primary is not None and result.primary.probability is not None
    text = _text(result)
    p = round(result.primary.probability * 100.0, 1)
    assert "Disk slot-7 in shelf shelf-a2 (rack R2, serial ZA1A0B07) has a growing reallocated sector count" in text
    assert f"failure probability within 14 days is {p:g}%: hot-swap it in the next maintenance window" in text
    growth = re.search(r"\((\d+), \+(\d+) in ([\d.]+) days\)", text)
    assert growth is not None and int(growth.group(2)) == pytest.approx(6 * float(growth.group(3)), abs=6)


def test_thermal_warnings_in_a_rack(results: dict[tuple[str, str], ReplayResult]) -> None:
    result = results[("thermal", "acme")]
    text = _text(result)
    assert text.startswith("Rack R3: 12 BMC thermal warnings in 24 h")
    assert "iDRAC/BMC logged 12 thermal warnings in 24 hours in rack R3 (most on R3-01: 8, inlet 29 °C)" in text
    assert "Check airflow and filters and move load between R3-01 and R3-02 (R3-02: 4 warnings" in text


def test_russian_texts_carry_the_same_facts(results: dict[tuple[str, str], ReplayResult]) -> None:
    iowait = results[("iowait", "acme")]
    en, ru = iowait.rendered["en"], iowait.rendered["ru"]
    assert en is not None and ru is not None and ru.language == "ru"
    assert f"поднимите queue depth до {en.facts['queue_depth']}" in ru.text and "LUN-12" in ru.text
    assert f"{en.facts['rise_to']:g}".replace(".", ",") + "%" in ru.title
    assert "Диск slot-7 в полке shelf-a2" in _text(results[("disk", "acme")], "ru")
    thermal = _text(results[("thermal", "acme")], "ru")
    assert "12 температурных предупреждений" in thermal and "между R3-01 и R3-02" in thermal


def test_changed_inputs_change_the_texts(results: dict[tuple[str, str], ReplayResult]) -> None:
    iowait = results[("iowait", "globex")]
    rec = iowait.recommendation
    assert rec is not None and abs(rec.facts["rise_to"] - 35.0) <= 1.5 and abs(rec.facts["rise_from"] - 8.0) <= 1.0
    assert f"to {rec.facts['rise_to']:g}%" in rec.title and "29" not in rec.title
    thermal = _text(results[("thermal", "globex")])
    assert thermal.startswith("Rack R5: 9 BMC thermal warnings in 24 h")
    assert "move load between R5-01 and R5-02" in thermal and "R3" not in thermal
    before, after = _text(results[("thermal", "acme")]), thermal
    assert before != after


def test_demo_command_prints_the_thermal_recommendation(vm: Running, tmp_path: Path) -> None:
    runner = CliRunner()
    args = ["--scenario", "thermal", "--vm-url", vm.url, "--state-dir", str(tmp_path), "--rules", RULES[0]]
    answer = runner.invoke(demo, [*args, "--language", "ru"])
    assert answer.exit_code == 0, answer.output
    assert answer.output.startswith("Стойка R3: 12 температурных предупреждений BMC за 24 ч\n")
    assert "перенесите нагрузку между R3-01 и R3-02" in answer.output
    as_json = runner.invoke(demo, [*args, "--json", "--tenant", "demo2"])
    assert as_json.exit_code == 0, as_json.output
    body = json.loads(as_json.output)
    assert body["recommendation"]["facts"]["rack_count"] == 12 and body["finding"]["tenant"] == "demo2"
    down = runner.invoke(demo, ["--scenario", "iowait", "--vm-url", "http://127.0.0.1:9", "--state-dir", str(tmp_path)])
    assert down.exit_code == 1 and "is VictoriaMetrics running at http://127.0.0.1:9?" in down.output


def test_the_analyzer_warns_before_the_iowait_threshold_and_times_its_incident(
    results: dict[tuple[str, str], ReplayResult],
) -> None:
    """HostHighIowait (rules/alerts/host.yml) pages at > 20% for 15 minutes; the generated ramp crosses 20% at a
    known time, so the plain rule cannot page before then plus 15 minutes. The analyzer's incident must."""
    result = results[("iowait", "acme")]
    sc = result.scenario
    grid = np.arange(sc.first_signal, sc.end, 60.0)
    level = sc.params.iowait_from + (sc.params.iowait_to - sc.params.iowait_from) * burst_shape(grid, sc.first_signal,
                                                                                                 sc.end)  # fmt: skip
    rule_earliest = float(grid[np.argmax(level > 0.2)]) + 15 * 60
    assert result.detected_at is not None and result.detected_at < rule_earliest - 3600
    assert result.primary is not None
    (incident,) = [i for i in result.incidents if result.primary.fingerprint in i.findings]
    assert "srv-db-03" in incident.assets
    took = durations(incident)["detect"]
    assert 0.0 <= took <= result.detected_at - sc.first_signal + 60
