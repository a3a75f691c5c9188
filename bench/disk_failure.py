"""Disk failure prediction on drive models held out of training, beside Backblaze's 5-attribute rule.

Default run (``--smart``, ../shared/bench/smart): for each 2019 drive-level file (HGST HMS5C4040BLE640,
ST8000DM002, TOSHIBA MQ01ABF050), the trainer of ``inframind/analyzer/training/disk.py`` is run without that
drive model (its 2013-2016 drives and its sibling models are dropped too), and the model it writes scores the
held-out drives at their last observation: recall at 1% and 5% false alarms, ROC AUC, Brier, reliability bins,
and our recall at the rule's own false-alarm rate. The rule flags a drive when any raw SMART 5/187/188/197/198
is > 0 (what the file has of them). The headline is ST8000DM002, chosen before any run: the only file with all
five rule attributes, the most failures (122), and the target REFERENCE.md names.

``--data DIR`` scores the drive-level files in DIR (same columns) with the shipped model instead, all files
pooled for the headline; a start-stop file there is scored on its 720-hour labels too.

Probabilities are the model's (failure within 720 power-on hours); a last-day label (failed that day) is a
shorter horizon, so Brier here mixes calibration with that mismatch. The training's own out-of-model check on
720-hour labels is in model.json. Writes bench/results/disk_failure.json; the last line is the headline.
"""

from __future__ import annotations

import argparse
import json
import platform
import time
from pathlib import Path
from typing import Any

import numpy as np

from inframind.analyzer.detect.failure.findings import HORIZON_DAYS, SeverityThresholds
from inframind.analyzer.detect.failure.model import DiskModel
from inframind.analyzer.detect.failure.shipped import shipped_model
from inframind.analyzer.training import metrics
from inframind.analyzer.training.disk import train
from inframind.analyzer.training.disk_design import probabilities
from inframind.analyzer.training.smart_data import (
    INTERVALS_FILE,
    Table,
    concat,
    drive_level_files,
    load_drive_level,
    load_intervals,
)

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SMART = ROOT.parent / "shared" / "bench" / "smart"
RESULTS = ROOT / "bench" / "results" / "disk_failure.json"
HEADLINE_MODEL = "ST8000DM002"
SIBLINGS = {"HGST HMS5C4040BLE640": ("HGST HMS5C4040ALE640",)}
"""Same platform, another sector format: held out together so the test model is not seen under another name."""
RULE_COUNTERS = ("reallocated", "reported_uncorrectable", "command_timeouts", "pending", "offline_uncorrectable")


def rule_flags(table: Table) -> np.ndarray[Any, Any]:
    """Backblaze's rule: any raw SMART 5, 187, 188, 197, 198 above 0 (missing attributes never flag)."""
    flags = np.zeros(len(table), dtype=bool)
    for counter in RULE_COUNTERS:
        flags |= np.nan_to_num(table.columns[counter], nan=0.0) > 0
    return flags


def evaluate(model: DiskModel, table: Table) -> dict[str, Any]:
    p = probabilities(model, table)
    y = table.label
    out: dict[str, Any] = metrics.summary(p, y)
    flags = rule_flags(table)
    rule_recall, rule_far = float(flags[y == 1].mean()), float(flags[y == 0].mean())
    same_far = metrics.recall_at(p, y, rule_far)
    out.update(
        rule_recall=round(rule_recall, 4),
        rule_far=round(rule_far, 5),
        recall_at_rule_far=round(same_far[0], 4),
        reliability=metrics.reliability(p, y),
        severity=_severity_rates(model, p, y),
    )
    return out


def _severity_rates(model: DiskModel, p: np.ndarray[Any, Any], y: np.ndarray[Any, Any]) -> dict[str, Any]:
    """Recall and false-alarm rate at the findings' thresholds (14-day probabilities, as the findings state)."""
    p14 = 1.0 - (1.0 - p) ** (HORIZON_DAYS * 24.0 / model.horizon_hours)
    thresholds = SeverityThresholds()
    rates = {}
    for level in ("info", "warning", "critical"):
        flagged = p14 >= getattr(thresholds, level)
        rates[level] = {
            "recall": round(float(flagged[y == 1].mean()), 4),
            "far": round(float(flagged[y == 0].mean()), 5),
        }
    return rates


def held_out_runs(smart: Path, seed: int) -> dict[str, Any]:
    runs: dict[str, Any] = {}
    for path in drive_level_files(smart):
        table = load_drive_level(path)
        name = str(table.model[0])
        started = time.perf_counter()
        model = train(smart, seed, exclude=frozenset({name, *SIBLINGS.get(name, ())}))
        result = evaluate(model, table)
        result.update(file=path.name, excluded=sorted({name, *SIBLINGS.get(name, ())}),
                      train_seconds=round(time.perf_counter() - started, 1),
                      training_out_of_model=model.training["calibration_check"])  # fmt: skip
        runs[name] = result
        print(f"{name}: {_brief(result)}", flush=True)
    return runs


def data_runs(folder: Path, seed: int) -> dict[str, Any]:
    model = shipped_model()
    tables = [load_drive_level(p) for p in drive_level_files(folder)]
    if not tables:
        raise SystemExit(f"no *_lastday_raw.csv or *_last10days_raw.csv files in {folder}")
    runs: dict[str, Any] = {p.name: evaluate(model, t) for p, t in zip(drive_level_files(folder), tables, strict=True)}
    runs["pooled"] = evaluate(model, concat(tables))
    if (folder / INTERVALS_FILE).exists():
        horizon = load_intervals(folder / INTERVALS_FILE, seed)
        runs["horizon_720h"] = metrics.summary(probabilities(model, horizon), horizon.label)
    for name, result in runs.items():
        print(f"{name}: {_brief(result)}", flush=True)
    return runs


def _brief(r: dict[str, Any]) -> str:
    keys = ("drives", "failures", "recall_at_1pct", "recall_at_5pct", "auc", "brier", "rule_recall", "rule_far",
            "recall_at_rule_far")  # fmt: skip
    return " ".join(f"{k}={r[k]}" for k in keys if k in r)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--smart", type=Path, default=DEFAULT_SMART, help="training data (../shared/bench/smart)")
    parser.add_argument("--data", type=Path, default=None, help="score the files in DIR with the shipped model")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    if args.data is not None:
        runs = data_runs(args.data, args.seed)
        head = runs["pooled"]
        mode = {"mode": "data", "data": str(args.data), "model": "shipped"}
    else:
        runs = held_out_runs(args.smart, args.seed)
        head = runs[next(name for name in runs if HEADLINE_MODEL in name)]
        mode = {"mode": "held_out_by_model", "smart": str(args.smart), "headline_model": HEADLINE_MODEL}
    headline = {
        "recall_at_1pct": head["recall_at_1pct"],
        "recall_at_5pct": head["recall_at_5pct"],
        "auc": head["auc"],
        "brier": head["brier"],
        "rule_recall": head["rule_recall"],
        "rule_far": head["rule_far"],
    }
    report = {**mode, "seed": args.seed, "python": platform.python_version(), "headline": headline, "runs": runs}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")
    print(" ".join(f"{key}={value}" for key, value in headline.items()))


if __name__ == "__main__":
    main()
