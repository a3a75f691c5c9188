"""Outcomes: plain threshold rules against the analyzer on the replayed scenarios (false pages, who warns first).

Every scenario of :mod:`inframind.analyzer.scenarios` (the three promised incidents, plus ``backup``: three nights of
a backup job that keeps %iowait at 30% for 40 minutes, which is expected and needs nobody) is generated ending now,
loaded into one real VictoriaMetrics (``/api/v1/import``) and a SQLite log store, then judged twice:

- threshold rules: the real ``vmalert`` in replay mode evaluates ``rules/recording/*.yml`` then
  ``rules/alerts/*.yml`` (every minute, ``-datasource.queryStep=1m``) over each scenario's window (from the
  analyzer's first cycle to the end) against that VictoriaMetrics, writing its ``ALERTS`` series back;
  each firing onset per (alert, asset) is a page. The log rules (``rules/logs/*.yml``, plain count-over-window
  thresholds run by the log loop) page on each firing too;
- the analyzer: its metric and log loops replayed in simulated time with correlation after each cycle; each
  incident opening is a page (delivery sends one alert per incident), with and without simulated feedback (every
  false page marked "false positive" when it arrives, :mod:`inframind.analyzer.outcomes_compare`). Only an
  incident of severity warning or critical reaches people (the shipped ``alertmanager/alertmanager.yml`` routes
  ``info`` to its ``default`` receiver, which sends nothing): an incident that opens at ``info`` (e.g. an anomaly
  on a series still learning its daily pattern) pages when one of its findings is first stored at a paging
  severity while it is open (the loops emit a finding once and refresh it silently after, so the bench watches the
  findings store's writes, where delivery reads it), and not at all otherwise (counted as ``unpaged_incidents``).

A page is false when it names none of the scenario's incident assets (all of ``backup``'s are). Lead is the first
true page after the first signal. MTTR itself needs people repairing things and cannot be measured here: what is
measured is time-to-detect (first signal -> first true page), the part of MTTR that detection controls; a repair
that takes R minutes after the page makes MTTR = TTD + R, so the TTD saved is the MTTR saved in minutes.

Run: ``python bench/outcomes.py`` (a few minutes); writes ``bench/results/outcomes.json`` and prints one
``key=value`` line. ``--anomaly-learning SECONDS`` replays with another learning period for the anomaly detectors
(``analyzer.metrics.anomaly_learning``; 0 turns it off): the replays warm each series on 3 hours of history, so
under the default every series is still learning.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import platform
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from inframind.analyzer.incidents import Incident  # noqa: E402
from inframind.analyzer.outcomes_compare import (  # noqa: E402
    Page,
    Truth,
    incident_pages,
    onsets,
    reduction,
    tally,
    with_feedback,
)
from inframind.analyzer.scenarios import replay as replay_module  # noqa: E402
from inframind.analyzer.scenarios.build import NAMES, ScenarioParams, build  # noqa: E402
from inframind.analyzer.scenarios.replay import RESET_CACHE, ReplayResult, replay  # noqa: E402
from inframind.analyzer.state.records import FindingRecord  # noqa: E402
from inframind.analyzer.state.stores import SQLFindingsStore  # noqa: E402
from inframind.config.logstore import SQLiteStoreSettings  # noqa: E402
from inframind.logstore.sqlite import SQLiteStore  # noqa: E402
from tests.helpers.procs import require_binary  # noqa: E402
from tests.helpers.vmhistory import start_history_vm  # noqa: E402

RESULTS = ROOT / "bench" / "results" / "outcomes.json"
EVALUATION = 60.0
PAGING = ("warning", "critical")
"""Severities the shipped Alertmanager configuration routes to people (``info`` goes to a receiver that sends
nothing)."""
"""vmalert's evaluation interval in the replay (the rules' groups set none; vmalert's default is 1m)."""


def _stamp(t: float) -> str:
    return dt.datetime.fromtimestamp(t, dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def vmalert_replay(vm_url: str, rules: list[str], start: float, end: float, log: Path, chained: bool) -> None:
    """The real vmalert evaluating ``rules`` over [start, end] against ``vm_url``, writing results back to it.
    ``chained``: a rule may read an earlier one's output (recording rules), so each waits for the one before to be
    flushed (a short remote-write flush interval keeps that wait short)."""
    argv = [require_binary("vmalert"), *(f"-rule={r}" for r in rules), f"-datasource.url={vm_url}",
            f"-remoteWrite.url={vm_url}", f"-replay.timeFrom={_stamp(start)}", f"-replay.timeTo={_stamp(end)}",
            f"-evaluationInterval={EVALUATION:g}s", f"-datasource.queryStep={EVALUATION:g}s",
            "-replay.disableProgressBar", "-httpListenAddr=127.0.0.1:0", "-remoteWrite.flushInterval=200ms",
            f"-replay.rulesDelay={'300ms' if chained else '0s'}"]  # fmt: skip
    with log.open("ab") as out:
        done = subprocess.run(argv, stdout=out, stderr=subprocess.STDOUT, timeout=900, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"vmalert replay failed ({done.returncode}); see {log}")
    requests.get(vm_url + "/internal/force_flush", timeout=30).raise_for_status()
    time.sleep(2.0)
    requests.get(vm_url + RESET_CACHE, timeout=30).raise_for_status()


def threshold_alerts(vm_url: str) -> list[tuple[dict[str, str], list[float]]]:
    """Every ``ALERTS{alertstate="firing"}`` series vmalert wrote, with its raw sample times."""
    answer = requests.get(vm_url + "/api/v1/export", params={"match[]": 'ALERTS{alertstate="firing"}'}, timeout=60)
    answer.raise_for_status()
    out = []
    for line in answer.text.splitlines():
        if line.strip():
            row = json.loads(line)
            out.append((row["metric"], [t / 1000.0 for t in row["timestamps"]]))
    return out


def threshold_pages(alerts: list[tuple[dict[str, str], list[float]]], result: ReplayResult) -> list[Page]:
    """vmalert's onsets for the scenario's tenant since its replay's first cycle (vmalert ran over each scenario's
    window; the other windows' evaluations of this tenant are left out), plus each firing of a plain log rule."""
    tenant, since = result.scenario.params.tenant, result.judged_from
    pages = [Page("threshold", labels.get("alertname", ""), (labels.get("asset", ""),), at)
             for labels, stamps in alerts if labels.get("tenant") == tenant
             for at in onsets([t for t in stamps if t >= since], 2.5 * EVALUATION)]  # fmt: skip
    pages += [Page("threshold", f.labels.get("alertname", f.kind), (f.asset_id,), at)
              for at, f in result.emissions if f.kind == "log.rule"]  # fmt: skip
    return sorted(pages, key=lambda p: p.at)


Stored = list[tuple[float, str, str]]
"""(simulated time, fingerprint, severity) of each active finding written to a findings store."""


@contextmanager
def watch_findings() -> Iterator[Stored]:
    """Record every active finding the loops write (the loops' own store, unchanged otherwise)."""
    seen: Stored = []
    original = SQLFindingsStore.upsert

    def upsert(self: SQLFindingsStore, record: FindingRecord) -> None:
        if record.state == "active":
            seen.append((record.last_seen.timestamp(), record.finding.fingerprint, record.finding.severity))
        original(self, record)

    SQLFindingsStore.upsert = upsert  # type: ignore[method-assign]
    try:
        yield seen
    finally:
        SQLFindingsStore.upsert = original  # type: ignore[method-assign]


def paged_openings(result: ReplayResult, stored: Stored) -> tuple[list[tuple[float, Incident]], int]:
    """When each incident opening first reached people, and how many openings never did. An opening at a paging
    severity pages then; one at ``info`` pages when one of its findings is first stored at a paging severity
    before the incident opens again (a later opening is its own page), else never."""
    final = {i.id: i for i in result.incidents}
    times: dict[str, list[float]] = {}
    for at, incident in result.openings:
        times.setdefault(incident.id, []).append(at)
    paged: list[tuple[float, Incident]] = []
    silent = 0
    for at, incident in result.openings:
        if incident.severity in PAGING:
            paged.append((at, incident))
            continue
        later = [t for t in times[incident.id] if t > at]
        until = min(later, default=math.inf)
        held = set(incident.findings) | set(final[incident.id].findings if incident.id in final else ())
        rises = [t for t, key, severity in stored if key in held and severity in PAGING and at <= t < until]
        if rises:
            paged.append((min(rises), final.get(incident.id, incident)))
        else:
            silent += 1
    return paged, silent


def run(workdir: Path) -> dict[str, Any]:
    vm = start_history_vm(workdir, workdir / "vm")
    try:
        end = math.floor(time.time() / 60) * 60 - 60
        results: dict[str, ReplayResult] = {}
        stored: dict[str, Stored] = {}
        for name in NAMES:
            params = replace(ScenarioParams(), tenant=f"bench-{name}")
            scenario = build(name, end, params)
            logs = SQLiteStore(SQLiteStoreSettings(path=str(workdir / f"{name}-logs.db")))
            try:
                with watch_findings() as stored[name]:
                    results[name] = replay(
                        scenario, vm.url, logs, workdir / name, rules=[str(ROOT / "rules/logs/*.yml")]
                    )
            finally:
                logs.close()
        log = workdir / "vmalert.log"
        for result in results.values():
            for rules, chained in (("rules/recording/*.yml", True), ("rules/alerts/*.yml", False)):
                vmalert_replay(vm.url, [str(ROOT / rules)], result.judged_from, end, log, chained)
        alerts = threshold_alerts(vm.url)
    finally:
        vm.stop()
    scenarios: dict[str, Any] = {}
    totals = {"threshold": 0, "analyzer": 0, "analyzer_feedback": 0}
    false = dict.fromkeys(totals, 0)
    for name, result in results.items():
        sc = result.scenario
        truth = Truth(frozenset(sc.truth), sc.first_signal)
        paged, silent = paged_openings(result, stored[name])
        sides = {
            "threshold": threshold_pages(alerts, result),
            "analyzer": incident_pages([(at, i) for at, i in paged if i.tenant == sc.params.tenant], result.findings),
        }
        sides["analyzer_feedback"] = with_feedback(sides["analyzer"], truth)
        scenarios[name] = {"truth_assets": sorted(sc.truth), "first_signal": _stamp(sc.first_signal),
                           "hours": round((sc.end - sc.start) / 3600.0, 1),
                           **{side: tally(pages, truth) for side, pages in sides.items()}}  # fmt: skip
        scenarios[name]["analyzer"]["unpaged_incidents"] = silent
        if result.recommendation is not None:
            scenarios[name]["recommendation"] = result.recommendation.title
        for side, pages in sides.items():
            totals[side] += len(pages)
            false[side] += scenarios[name][side]["false_pages"]
    iowait = scenarios["iowait"]
    t_lead = iowait["threshold"]["first_true_page_after_first_signal_s"]
    a_lead = iowait["analyzer"]["first_true_page_after_first_signal_s"]
    return {
        "bench": "outcomes",
        "python": platform.python_version(),
        "generated_at": _stamp(time.time()),
        "method": __doc__.split("\n\n", 1)[1] if __doc__ else "",
        "scenarios": scenarios,
        "pages": totals,
        "false_pages": false,
        "page_reduction": reduction(totals["threshold"], totals["analyzer"]),
        "false_page_reduction": reduction(false["threshold"], false["analyzer"]),
        "false_page_reduction_with_feedback": reduction(false["threshold"], false["analyzer_feedback"]),
        "iowait_detect_s": {"threshold": t_lead, "analyzer": a_lead},
        "iowait_detect_earlier_s": None if t_lead is None or a_lead is None else round(t_lead - a_lead, 1),
        "iowait_ttd_reduction": None if t_lead is None or a_lead is None else reduction(t_lead, a_lead),
        "anomaly_learning_s": replay_module.METRIC_SETTINGS.anomaly_learning,
        "promise": {"false_alerts": -0.30, "mttr": [-0.25, -0.40]},
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument("--anomaly-learning", type=float, help="seconds a series is learning (default: the setting's)")
    args = parser.parse_args(argv)
    if args.anomaly_learning is not None:
        replay_module.METRIC_SETTINGS = replace(replay_module.METRIC_SETTINGS, anomaly_learning=args.anomaly_learning)
    with tempfile.TemporaryDirectory(prefix="inframind-outcomes-") as tmp:
        report = run(Path(tmp))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    f = report["false_pages"]
    print(f"pages_threshold={report['pages']['threshold']} pages_analyzer={report['pages']['analyzer']} "
          f"false_pages_threshold={f['threshold']} false_pages_analyzer={f['analyzer']} "
          f"false_pages_analyzer_feedback={f['analyzer_feedback']} "
          f"false_page_reduction={report['false_page_reduction']} "
          f"false_page_reduction_with_feedback={report['false_page_reduction_with_feedback']} "
          f"iowait_detect_earlier_s={report['iowait_detect_earlier_s']} "
          f"iowait_ttd_reduction={report['iowait_ttd_reduction']}")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
