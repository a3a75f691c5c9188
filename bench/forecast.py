"""Capacity forecasting backtest: the default model and prophet beside naive and seasonal-naive, in one run.

1. Rolling origin on ../shared/bench/capacity (Backblaze fleet raw capacity, daily): from a year of history,
   every ``--origin-step`` days, forecast 30 days ahead. MASE is the models' MAE over all origins and
   horizons 1..30 divided by the naive (last value) forecast's MAE over the same points (so naive = 1);
   accuracy is 1 - MAPE; coverage is the share of actual values inside the 80% band.
2. Generated filesystem histories (inframind.analyzer.history, 120 days hourly, known fill times): each
   forecast 90 days ahead against capacity (used ratio in percent, capacity 100): is the time until full
   within +-10% of the truth for those that fill within 90 days, are the erratic ones refused, are the
   others not; value metrics over the first 30 days against the future's daily peaks (not for the sawtooth,
   whose peaks the models forecast by design: its daily values would measure that choice, not the model).

Time is wall time of ``forecast()`` per series (bucketing, fit and predict). Not a test: run it by hand.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import logging
import math
import platform
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

import numpy as np

from inframind.analyzer.detect.forecast import Forecast, Model, forecast
from inframind.analyzer.history import PATTERNS, History, suite

DAY = 86400.0
H = 30
ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT.parent / "shared" / "bench" / "capacity" / "backblaze_fleet_daily_raw_capacity_2013-2016.csv"
Array = np.ndarray


@dataclass
class Score:
    """Accumulated errors of one forecaster over the same points as the naive one."""

    abs_err: float = 0.0
    naive_abs_err: float = 0.0
    ape: float = 0.0
    covered: int = 0
    banded: int = 0
    points: int = 0
    seconds: list[float] = field(default_factory=list)
    refused: int = 0

    def add(self, pred: Array, truth: Array, naive: Array, lower: Array | None, upper: Array | None) -> None:
        self.abs_err += float(np.sum(np.abs(pred - truth)))
        self.naive_abs_err += float(np.sum(np.abs(naive - truth)))
        self.ape += float(np.sum(np.abs(pred - truth) / np.maximum(np.abs(truth), 1e-12)))
        self.points += truth.size
        if lower is not None and upper is not None:
            self.covered += int(np.sum((truth >= lower) & (truth <= upper)))
            self.banded += truth.size

    def summary(self) -> dict[str, float | int | None]:
        return {
            "mase": round(self.abs_err / self.naive_abs_err, 4) if self.naive_abs_err else None,
            "accuracy": round(1.0 - self.ape / self.points, 4) if self.points else None,
            "coverage_80": round(self.covered / self.banded, 4) if self.banded else None,
            "ms_per_series": round(1000 * float(np.mean(self.seconds)), 3) if self.seconds else None,
            "ms_p95": round(1000 * float(np.percentile(self.seconds, 95)), 3) if self.seconds else None,
            "points": self.points,
            "refused": self.refused,
        }


def timed(call: Callable[[], Forecast], score: Score) -> Forecast:
    start = time.perf_counter()
    out = call()
    score.seconds.append(time.perf_counter() - start)
    return out


def load_capacity(path: Path) -> tuple[Array, Array]:
    with path.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    stamps = [dt.datetime.fromisoformat(r["date"]).replace(tzinfo=dt.UTC).timestamp() for r in rows]
    return np.array(stamps), np.array([float(r["raw_capacity_tb"]) for r in rows])


def seasonal_naive(history: Array, horizon: int, period: int = 7) -> Array:
    return np.array([history[-period + (h % period)] for h in range(horizon)])


def capacity_backtest(path: Path, models: list[Model], origin_step: int) -> dict[str, Score]:
    t, y = load_capacity(path)
    scores = {name: Score() for name in [*models, "naive", "seasonal_naive"]}
    for origin in range(365, len(t) - H + 1, origin_step):
        truth, naive = y[origin : origin + H], np.full(H, y[origin - 1])
        scores["naive"].add(naive, truth, naive, None, None)
        scores["seasonal_naive"].add(seasonal_naive(y[:origin], H), truth, naive, None, None)
        for name in models:
            fc = timed(partial(forecast, t[:origin], y[:origin], H * DAY, model=name), scores[name])
            if not fc.ok:
                scores[name].refused += 1
                continue
            scores[name].add(fc.points[:H], truth, naive, fc.lower80[:H], fc.upper80[:H])
    return scores


@dataclass
class FillScore:
    fills: int = 0
    within: int = 0
    band_holds: int = 0
    errors: list[float] = field(default_factory=list)
    erratic: int = 0
    erratic_refused: int = 0
    steady: int = 0
    steady_refused: int = 0
    no_fill: int = 0
    false_fill: int = 0
    by_pattern: dict[str, list[int]] = field(default_factory=lambda: defaultdict(lambda: [0, 0, 0, 0]))
    """pattern -> [series, fills within 90 d, of those within 10%, refused]."""

    def summary(self) -> dict[str, object]:
        return {
            "ttf_within_10pct": round(self.within / self.fills, 4) if self.fills else None,
            "ttf_interval_holds_truth": round(self.band_holds / self.fills, 4) if self.fills else None,
            "ttf_median_abs_pct_error": round(100 * float(np.median(self.errors)), 2) if self.errors else None,
            "series_filling_within_90d": self.fills,
            "erratic_refused": round(self.erratic_refused / self.erratic, 4) if self.erratic else None,
            "steady_refused": round(self.steady_refused / self.steady, 4) if self.steady else None,
            "false_fill_within_90d": round(self.false_fill / self.no_fill, 4) if self.no_fill else None,
            "by_pattern": {k: dict(zip(("series", "fill_90d", "within_10pct", "refused"), v, strict=True))
                           for k, v in self.by_pattern.items()},
        }  # fmt: skip


def daily_peaks(h: History, times: Array) -> Array:
    ratio = 100 * h.future_observed / h.future_size
    ends = np.searchsorted(h.future_times, times, side="right")
    starts = np.searchsorted(h.future_times, times - DAY, side="right")
    return np.array([ratio[a:b].max() if b > a else ratio[max(b - 1, 0)] for a, b in zip(starts, ends, strict=True)])


def generated_backtest(histories: list[History], models: list[Model]) -> tuple[dict[str, Score], dict[str, FillScore]]:
    values = {name: Score() for name in [*models, "naive", "seasonal_naive"]}
    fills: dict[str, FillScore] = {name: FillScore() for name in models}
    for h in histories:
        ratio = 100 * h.used_ratio()
        day_end = h.end - np.arange(14)[::-1] * DAY
        recent = np.array([ratio[(h.timestamps > e - DAY) & (h.timestamps <= e)].max() for e in day_end])
        truth_s = h.seconds_to_full
        for name in models:
            fc = timed(partial(forecast, h.timestamps, ratio, 90 * DAY, capacity=100.0, model=name), values[name])
            f, row = fills[name], fills[name].by_pattern[h.pattern]
            row[0] += 1
            refused = not fc.ok
            row[3] += refused
            if h.erratic:
                f.erratic += 1
                f.erratic_refused += refused
                continue
            f.steady += 1
            f.steady_refused += refused
            if truth_s is not None and truth_s <= 90 * DAY:
                f.fills += 1
                row[1] += 1
                ttf = fc.time_to_full if fc.ok else None
                if ttf is not None:
                    err = abs(ttf.seconds - truth_s) / truth_s
                    f.errors.append(err)
                    f.within += err <= 0.1
                    row[2] += err <= 0.1
                    latest = math.inf if ttf.latest_s is None else ttf.latest_s
                    f.band_holds += ttf.earliest_s <= truth_s <= latest
            else:
                f.no_fill += 1
                f.false_fill += bool(fc.ok and fc.time_to_full is not None)
            if fc.ok and h.pattern != "sawtooth":  # the sawtooth is forecast at its peaks by design
                times = fc.times[:H]
                truth = daily_peaks(h, times)
                naive = np.full(times.size, recent[-1])
                values[name].add(fc.points[:H], truth, naive, fc.lower80[:H], fc.upper80[:H])
                if name == models[0]:
                    values["naive"].add(naive, truth, naive, None, None)
                    values["seasonal_naive"].add(seasonal_naive(recent, times.size), truth, naive, None, None)
    return values, fills


def table(title: str, scores: dict[str, Score]) -> str:
    lines = [f"\n{title}", f"{'forecaster':<16}{'MASE':>8}{'1-MAPE':>9}{'cover80':>9}{'ms/series':>11}{'refused':>9}"]
    for name, score in scores.items():
        s = score.summary()
        cells = [f"{s[k]:.3f}" if isinstance(s[k], float) else "-" for k in ("mase", "accuracy", "coverage_80")]
        ms = f"{s['ms_per_series']:.2f}" if s["ms_per_series"] is not None else "-"
        lines.append(f"{name:<16}{cells[0]:>8}{cells[1]:>9}{cells[2]:>9}{ms:>11}{s['refused']:>9}")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=DATA, help="capacity CSV (date, ..., raw_capacity_tb)")
    parser.add_argument("--origin-step", type=int, default=7, help="days between rolling origins")
    parser.add_argument("--per-pattern", type=int, default=30, help="generated histories per pattern")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--no-prophet", action="store_true", help="skip prophet (its columns stay empty)")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "forecast.json")
    args = parser.parse_args()
    logging.getLogger("cmdstanpy").setLevel(logging.WARNING)  # prophet logs every fit at INFO
    models: list[Model] = ["robust"] if args.no_prophet else ["robust", "prophet"]

    cap = capacity_backtest(args.data, models, args.origin_step)
    histories = suite(args.seed, args.per_pattern, PATTERNS)
    gen, fills = generated_backtest(histories, models)
    print(table(f"capacity series, 30-day horizon, origins every {args.origin_step} days", cap))
    print(table(f"generated histories ({len(histories)}), first 30 days of a 90-day forecast", gen))
    for name, fill in fills.items():
        print(f"\n{name}: " + json.dumps({k: v for k, v in fill.summary().items() if k != "by_pattern"}))
        for pattern, row in fill.summary()["by_pattern"].items():  # type: ignore[attr-defined]
            print(f"  {pattern:<14} {row}")

    robust_cap, robust_gen = cap["robust"].summary(), gen["robust"].summary()
    prophet_cap = cap["prophet"].summary() if "prophet" in cap else {}
    seconds = cap["robust"].seconds + gen["robust"].seconds
    prophet_seconds = (cap["prophet"].seconds + gen["prophet"].seconds) if "prophet" in cap else []
    headline = {
        "mase_30d": robust_cap["mase"],
        "accuracy_30d": robust_cap["accuracy"],
        "naive_accuracy_30d": cap["naive"].summary()["accuracy"],
        "ttf_within_10pct": fills["robust"].summary()["ttf_within_10pct"],
        "coverage_80": robust_cap["coverage_80"],
        "ms_per_series": round(1000 * float(np.mean(seconds)), 3),
        "prophet_mase_30d": prophet_cap.get("mase"),
        "prophet_ms_per_series": round(1000 * float(np.mean(prophet_seconds)), 3) if prophet_seconds else None,
    }
    result = {
        "date": dt.date.today().isoformat(),
        "machine": f"{platform.machine()}, Python {platform.python_version()}",
        "settings": {"origin_step_days": args.origin_step, "per_pattern": args.per_pattern, "seed": args.seed},
        "headline": headline,
        "capacity": {k: v.summary() for k, v in cap.items()},
        "generated_values": {k: v.summary() for k, v in gen.items()},
        "generated_fill": {k: v.summary() for k, v in fills.items()},
        "coverage_80_generated": robust_gen["coverage_80"],
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(
        f"\nerratic_refused={fills['robust'].summary()['erratic_refused']} "
        f"steady_refused={fills['robust'].summary()['steady_refused']} "
        f"coverage_80_generated={robust_gen['coverage_80']}"
    )
    print(" ".join(f"{k}={v}" for k, v in headline.items()))


if __name__ == "__main__":
    main()
