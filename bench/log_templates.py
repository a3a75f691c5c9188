"""Template mining on Loghub-2k: our miner against drain3 (the published Drain settings) in the same run.

For every system folder in ``--data`` (laid out like ../shared/bench/loghub2k, with its settings.json) the lines
are stripped to their message with the system's Loghub ``log_format`` and mined three ways:

- ``ours``: our miner with its built-in generic masks only (the headline: users do not tune masks per source);
- ``ours_dataset_masks``: the same plus the per-dataset regexes of settings.json as extra masks;
- ``drain3``: drain3 with each system's published ``st``, ``depth`` and regexes (replaced by ``<*>``).

Accuracy uses the standard definitions (see ``evaluate``) against the corrected ground truth (loghub-2.0), with
every template rendered in Loghub's ``<*>`` format. Speed is lines per second of mining alone (header stripping
is shared and untimed), the median of ``--repeat`` interleaved runs; ``speedup`` is ours over drain3 on all
lines. A last section mines all systems as separate sources through ``mine_batches`` on a process pool against
the same call in-process. Writes bench/results/log_templates.json; the last line printed is the headline.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import logging
import os
import platform
import statistics
import sys
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

from inframind.analyzer.detect.templates import MinerConfig, TemplateMiner, loghub_format, mine_batches

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATA = ROOT.parent / "shared" / "bench" / "loghub2k"
RESULT = ROOT / "bench" / "results" / "log_templates.json"
RUNS = ("ours", "ours_dataset_masks", "drain3")


@dataclass(frozen=True)
class Scores:
    ga: float
    """Grouping accuracy: share of lines whose predicted group is exactly their ground-truth group."""
    pa: float
    """Parsing accuracy: share of lines whose predicted template text equals the ground truth's."""
    fga: float
    """F1 over groups: precision = exact groups / predicted groups, recall = exact groups / true groups."""
    fta: float
    """F1 over templates: as FGA, counting a group only if it is exact and its text equals the truth's."""


def _f1(correct: int, predicted: int, truth: int) -> float:
    if correct == 0:
        return 0.0
    precision, recall = correct / predicted, correct / truth
    return 2 * precision * recall / (precision + recall)


def evaluate(truth: Sequence[str], predicted: Sequence[str]) -> Scores:
    """GA, PA, FGA and FTA of per-line predicted templates against per-line true templates.

    As in loghub-2.0's evaluator, a group is the set of lines sharing a template string, on both sides. A true
    group is exact when all its lines share one predicted template and no other line has it.
    """
    if len(truth) != len(predicted) or not truth:
        raise ValueError(f"need equal, non-empty line lists (truth {len(truth)}, predicted {len(predicted)})")
    true_groups: dict[str, list[int]] = defaultdict(list)
    predicted_size: dict[str, int] = defaultdict(int)
    for i, (t, p) in enumerate(zip(truth, predicted, strict=True)):
        true_groups[t].append(i)
        predicted_size[p] += 1
    exact_lines = exact_groups = exact_templates = 0
    for template, lines in true_groups.items():
        labels = {predicted[i] for i in lines}
        if len(labels) == 1:
            label = labels.pop()
            if predicted_size[label] == len(lines):
                exact_lines += len(lines)
                exact_groups += 1
                exact_templates += label == template
    n = len(truth)
    return Scores(
        ga=exact_lines / n,
        pa=sum(t == p for t, p in zip(truth, predicted, strict=True)) / n,
        fga=_f1(exact_groups, len(predicted_size), len(true_groups)),
        fta=_f1(exact_templates, len(predicted_size), len(true_groups)),
    )


@dataclass(frozen=True)
class System:
    name: str
    contents: list[str]
    truth: list[str]
    regexes: list[str]
    st: float
    depth: int
    header_mismatches: int


def load_systems(data: Path) -> list[System]:
    settings = json.loads((data / "settings.json").read_text(encoding="utf-8"))["datasets"]
    systems = []
    for name, s in settings.items():
        log_file = data / s["log_file"]
        structured = log_file.with_name(log_file.name + "_structured.csv")
        if not log_file.is_file() or not structured.is_file():
            print(f"skip {name}: {log_file} or {structured} missing", file=sys.stderr)
            continue
        fmt = loghub_format(s["log_format"])
        contents = [fmt.parse(line).content for line in log_file.read_text(encoding="utf-8").splitlines()]
        with structured.open(encoding="utf-8", newline="") as f:
            rows = list(csv.DictReader(f))
        if len(rows) != len(contents):
            raise SystemExit(f"{name}: {len(contents)} log lines but {len(rows)} ground-truth rows")
        mismatches = sum(c != r["Content"].strip() for c, r in zip(contents, rows, strict=True))
        systems.append(
            System(
                name,
                contents,
                [r["EventTemplate"] for r in rows],
                list(s.get("regex", [])),
                float(s["drain"]["st"]),
                int(s["drain"]["depth"]),
                mismatches,
            )
        )
    return systems


def mine_ours(contents: list[str], extra: dict[str, str]) -> tuple[list[str], float]:
    """Templates per line (after every later rename, followed through ``changed_from``) and mining seconds."""
    miner = TemplateMiner(MinerConfig(extra_masks=extra))
    start = time.perf_counter()
    results = [miner.add(line) for line in contents]
    seconds = time.perf_counter() - start
    forward: dict[str, str] = {}
    for r in results:
        for old in r.changed_from:
            forward[old] = r.template_id
    text = {t.template_id: t.wildcard_text for t in miner.templates()}
    out = []
    for r in results:
        tid, hops = r.template_id, 0
        while tid not in text and tid in forward and hops < len(forward):
            tid, hops = forward[tid], hops + 1
        out.append(text[tid])
    return out, seconds


def mine_drain3(contents: list[str], system: System) -> tuple[list[str], float]:
    from drain3 import TemplateMiner as Drain3Miner  # type: ignore[import-untyped]
    from drain3.masking import MaskingInstruction  # type: ignore[import-untyped]
    from drain3.template_miner_config import TemplateMinerConfig  # type: ignore[import-untyped]

    config = TemplateMinerConfig()
    config.drain_sim_th = system.st
    config.drain_depth = system.depth
    config.masking_instructions = [MaskingInstruction(regex, "*") for regex in system.regexes]
    miner = Drain3Miner(config=config)
    start = time.perf_counter()
    ids = [miner.add_log_message(line)["cluster_id"] for line in contents]
    seconds = time.perf_counter() - start
    templates = {c.cluster_id: c.get_template() for c in miner.drain.clusters}
    return [templates[i] for i in ids], seconds


def bench_system(system: System, repeat: int) -> dict[str, Any]:
    masks = {f"DATASET{i}": regex for i, regex in enumerate(system.regexes)}
    runners: dict[str, Callable[[], tuple[list[str], float]]] = {
        "ours": lambda: mine_ours(system.contents, {}),
        "ours_dataset_masks": lambda: mine_ours(system.contents, masks),
        "drain3": lambda: mine_drain3(system.contents, system),
    }
    seconds: dict[str, list[float]] = {run: [] for run in RUNS}
    predicted: dict[str, list[str]] = {}
    for _ in range(repeat):
        for run, mine in runners.items():
            templates, took = mine()
            predicted.setdefault(run, templates)
            seconds[run].append(took)
    n = len(system.contents)
    out: dict[str, Any] = {"lines": n, "header_mismatches": system.header_mismatches}
    for run in RUNS:
        median = statistics.median(seconds[run])
        scores = evaluate(system.truth, predicted[run])
        out[run] = {**asdict(scores), "templates": len(set(predicted[run])), "seconds": median}
        out[run]["lines_per_s"] = n / median
    out["truth_templates"] = len(set(system.truth))
    out["speedup"] = out["ours"]["lines_per_s"] / out["drain3"]["lines_per_s"]
    return out


def bench_parallel(systems: list[System], repeat: int) -> dict[str, Any]:
    """All systems as separate sources in one ``mine_batches`` call: a process pool against in-process."""
    batches = {("bench", s.name): s.contents for s in systems}
    lines = sum(len(s.contents) for s in systems)
    workers = os.cpu_count() or 1
    timings: dict[str, list[float]] = {"in_process": [], "pool": []}
    with ProcessPoolExecutor(workers) as pool:
        mine_batches(batches, executor=pool, min_parallel_lines=0)  # start the workers before timing
        for _ in range(repeat):
            start = time.perf_counter()
            sequential = mine_batches(batches)
            timings["in_process"].append(time.perf_counter() - start)
            start = time.perf_counter()
            parallel = mine_batches(batches, executor=pool, min_parallel_lines=0)
            timings["pool"].append(time.perf_counter() - start)
    same = all(sequential[k].lines == parallel[k].lines for k in batches)
    in_process, pool_s = statistics.median(timings["in_process"]), statistics.median(timings["pool"])
    return {
        "workers": workers,
        "sources": len(batches),
        "lines": lines,
        "in_process_lines_per_s": lines / in_process,
        "pool_lines_per_s": lines / pool_s,
        "pool_speedup": in_process / pool_s,
        "same_results": same,
    }


def _mean(systems: dict[str, Any], run: str, key: str) -> float:
    return statistics.fmean(r[run][key] for r in systems.values())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="folder of systems with settings.json")
    parser.add_argument("--repeat", type=int, default=5, help="timed runs per system and miner (median)")
    parser.add_argument("--out", type=Path, default=RESULT)
    args = parser.parse_args(argv)
    logging.getLogger("drain3").setLevel(logging.WARNING)
    systems = load_systems(args.data)
    if not systems:
        raise SystemExit(f"no systems found in {args.data}")
    results = {s.name: bench_system(s, args.repeat) for s in systems}
    total = {run: sum(r[run]["seconds"] for r in results.values()) for run in RUNS}
    lines = sum(r["lines"] for r in results.values())
    mean = {run: {k: _mean(results, run, k) for k in ("ga", "pa", "fga", "fta")} for run in RUNS}
    for run in RUNS:
        mean[run]["lines_per_s"] = lines / total[run]
    speedup = mean["ours"]["lines_per_s"] / mean["drain3"]["lines_per_s"]
    parallel = bench_parallel(systems, args.repeat)
    parallel["pool_vs_drain3"] = parallel["pool_lines_per_s"] / mean["drain3"]["lines_per_s"]
    report = {
        "benchmark": "log_templates",
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform(), "python": platform.python_version()},
        "drain3_version": metadata.version("drain3"),
        "data": str(args.data),
        "repeat": args.repeat,
        "systems": results,
        "mean": mean,
        "speedup": speedup,
        "parallel": parallel,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    print(f"{'system':<10} " + " | ".join(f"{run:^33}" for run in RUNS) + " | speedup")
    print(f"{'':<10} " + " | ".join(f"{'GA    PA    FGA   FTA   lines/s':^33}" for _ in RUNS) + " |")
    rows = [(name, r) for name, r in results.items()] + [("mean", {**mean, "speedup": speedup})]
    for name, r in rows:
        cells = [" ".join(f"{r[run][k]:.3f}" for k in ("ga", "pa", "fga", "fta")) for run in RUNS]
        cells = [f"{cell} {r[run]['lines_per_s']:7.0f}" for cell, run in zip(cells, RUNS, strict=True)]
        print(f"{name:<10} " + " | ".join(cells) + f" | {r['speedup']:.2f}")
    print(
        f"parallel: {parallel['sources']} sources on {parallel['workers']} workers: "
        f"{parallel['pool_lines_per_s']:.0f} lines/s vs {parallel['in_process_lines_per_s']:.0f} in-process "
        f"(x{parallel['pool_speedup']:.2f}, x{parallel['pool_vs_drain3']:.2f} drain3; same results: "
        f"{parallel['same_results']})"
    )
    ours, drain3 = mean["ours"], mean["drain3"]
    print(
        f"ga_mean={ours['ga']:.3f} pa_mean={ours['pa']:.3f} fga_mean={ours['fga']:.3f} fta_mean={ours['fta']:.3f} "
        f"drain3_ga_mean={drain3['ga']:.3f} drain3_pa_mean={drain3['pa']:.3f} speedup={speedup:.2f}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
