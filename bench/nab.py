"""NAB (Numenta Anomaly Benchmark) on ../shared/bench/nab: our anomaly detector beside NAB's windowed Gaussian.

The scorer re-implements NAB's documented rules (../shared/bench/nab/README.md). The first min(floor(0.15 rows),
750) rows of a file are probationary. A detection is a row scoring >= the threshold. In a labelled window only the
earliest detection counts, A_TP * S(-(right - i + 1) / width) / S(-1); a window without one costs A_FN. Outside,
a detection costs A_FP * S((i - right) / (width - 1)) of the preceding window (the full A_FP if none), with
S(x) = 2 / (1 + exp(5x)) - 1, and -1 for x >= 3. One threshold per profile for the whole corpus, swept over every
score; normalised 100 * (raw - null) / (perfect - null): null never detects, perfect hits every window's first row.

Both detectors read each file as a stream (no look-ahead). Ours is ``score_series`` (the vectorized path, equal
to the streaming ``SeriesDetector``: checked here on the whole corpus) followed by ``onsets``: NAB counts every
row above the threshold, so like a pager we report an episode when it starts or worsens. points/s is that
batch path on one core. ``--data DIR --labels FILE`` scores any folder in NAB's layout; ``--dump DIR`` writes
the per-row scores in NAB's results layout. Writes bench/results/nab.json; the last line is the headline.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import math
import os
import platform
import statistics
import sys
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from inframind.analyzer.detect.anomaly import DetectorConfig, SeriesDetector, onsets, score_series

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared" / "bench" / "nab"
RESULT = ROOT / "bench" / "results" / "nab.json"
ONSET_HOLD = 6
PUBLISHED = {"ARTime": (74.9, 65.2, 80.4), "Numenta HTM": (70.1, 63.1, 74.3), "CAD OSE": (69.9, 67.0, 73.2),
             "Windowed Gaussian": (39.7, 20.9, 47.4)}  # fmt: skip
Array = NDArray[np.float64]


@dataclass(frozen=True)
class Profile:
    tp: float
    fp: float
    fn: float


PROFILES = {
    "standard": Profile(1.0, 0.11, 1.0),
    "reward_low_FP_rate": Profile(1.0, 0.22, 1.0),
    "reward_low_FN_rate": Profile(1.0, 0.11, 2.0),
}


@dataclass(frozen=True)
class Truth:
    """One file as the scorer sees it: its length and its labelled windows as inclusive row ranges."""

    rows: int
    windows: tuple[tuple[int, int], ...]


@dataclass(frozen=True)
class Outcome:
    raw: float
    tp: int
    fn: int
    fp: int


def probation(rows: int) -> int:
    return min(math.floor(0.15 * rows), 750)


def scaled_sigmoid(position: Array) -> Array:
    """NAB's weight of a detection at a relative position: ~1 at a window's start, 0 at its end, -1 far past."""
    out: Array = 2.0 / (1.0 + np.exp(5.0 * position)) - 1.0
    return np.where(position >= 3.0, -1.0, out)


MAX_TP = float(scaled_sigmoid(np.array([-1.0]))[0])


def row_values(truth: Truth) -> tuple[NDArray[np.int64], Array]:
    """Per row: the window it is in (-1 outside, -2 probationary) and its unweighted TP or FP value."""
    index = np.arange(truth.rows)
    window = np.full(truth.rows, -1, dtype=np.int64)
    position = np.full(truth.rows, 3.0)
    for k, (left, right) in enumerate(truth.windows):
        width = right - left + 1
        window[left : right + 1] = k
        position[left : right + 1] = -(right - index[left : right + 1] + 1) / width
        end = truth.windows[k + 1][0] if k + 1 < len(truth.windows) else truth.rows
        position[right + 1 : end] = (index[right + 1 : end] - right) / max(width - 1, 1)
    value = scaled_sigmoid(position)
    value = np.where(window >= 0, value / MAX_TP, value)
    window[: probation(truth.rows)] = -2
    return window, value


def score_file(scores: Array, truth: Truth, profile: Profile, threshold: float) -> Outcome:
    """The raw score of one file at one threshold, row by row as the rules read (the reference for ``curve``)."""
    window, value = row_values(truth)
    best: dict[int, float] = {}
    fp_sum, fp = 0.0, 0
    for i in np.flatnonzero((scores >= threshold) & (window != -2)):
        if window[i] == -1:
            fp_sum += profile.fp * value[i]
            fp += 1
        elif int(window[i]) not in best:
            best[int(window[i])] = profile.tp * value[i]
    missed = len(np.unique(window[window >= 0])) - len(best)
    return Outcome(fp_sum + sum(best.values()) - profile.fn * missed, len(best), missed, fp)


def curve(scores: Array, truth: Truth, profile: Profile, thresholds: Array) -> Array:
    """The raw score of one file at every threshold (thresholds descending), vectorized."""
    window, value = row_values(truth)

    def detected(mask: NDArray[np.bool_]) -> tuple[Array, NDArray[np.intp]]:
        order = np.argsort(-scores[mask], kind="stable")
        return value[mask][order], np.searchsorted(-scores[mask][order], -thresholds, side="right")

    values, count = detected(window == -1)
    out = profile.fp * np.concatenate([[0.0], np.cumsum(values)])[count]
    for k in np.unique(window[window >= 0]):
        values, count = detected(window == k)
        earliest = np.maximum.accumulate(values)
        out += np.where(count > 0, profile.tp * earliest[np.maximum(count - 1, 0)], -profile.fn)
    return out


@dataclass(frozen=True)
class Sweep:
    threshold: float
    raw: float
    null: float
    perfect: float
    score: float
    """100 * (raw - null) / (perfect - null)."""


def sweep(files: Sequence[tuple[Array, Truth]], profile: Profile) -> Sweep:
    """One threshold for the corpus: the (highest) score value that maximises the summed raw score."""
    values = np.unique(np.concatenate([*(s[probation(t.rows) :] for s, t in files), [np.inf]]))[::-1]
    total = sum((curve(s, t, profile, values) for s, t in files), start=np.zeros(len(values)))
    best = int(np.argmax(total))
    windows = sum(len(np.unique(w[w >= 0])) for w in (row_values(t)[0] for _, t in files))
    null, perfect, raw = -profile.fn * windows, profile.tp * windows, float(total[best])
    return Sweep(float(values[best]), raw, null, perfect, 100.0 * (raw - null) / (perfect - null))


@dataclass(frozen=True)
class Series:
    name: str
    """``<category>/<file>.csv`` as in NAB's labels."""
    stamps: list[str]
    timestamps: Array
    values: Array
    truth: Truth


def _unix(text: str) -> float:
    return dt.datetime.fromisoformat(text).replace(tzinfo=dt.UTC).timestamp()


def load(data: Path, labels: Path) -> list[Series]:
    """Every labelled file under ``data`` (NAB's ``<category>/<name>.csv``), windows mapped to row ranges."""
    windows: dict[str, list[list[str]]] = json.loads(labels.read_text(encoding="utf-8"))
    out = []
    for name in sorted(n for n in windows if (data / n).is_file()):
        with (data / name).open(encoding="utf-8", newline="") as handle:
            rows = list(csv.DictReader(handle))
        stamps = np.array([_unix(r["timestamp"]) for r in rows])
        limits = tuple(
            (int(np.searchsorted(stamps, _unix(a), "left")), int(np.searchsorted(stamps, _unix(b), "right")) - 1)
            for a, b in windows[name]
        )
        values = np.array([float(r["value"]) for r in rows])
        out.append(Series(name, [r["timestamp"] for r in rows], stamps, values, Truth(len(rows), limits)))
    return out


def windowed_gaussian(values: Array, size: int = 1000) -> Array:
    """NAB's baseline: the two-sided Gaussian tail of each value over the previous ``size`` values, as 1 - Q(|z|)."""
    out = np.zeros(len(values))
    for i in range(1, len(values)):
        window = values[max(0, i - size) : i]
        z = abs(values[i] - float(window.mean())) / (float(window.std()) or 1e-6)
        out[i] = 1.0 - 0.5 * math.erfc(z / math.sqrt(2.0))
    return out


def evaluate(corpus: list[Series], scores: list[Array], profiles: dict[str, Profile]) -> dict[str, Any]:
    """Per profile: the swept threshold, raw and normalised scores, and each file's outcome at that threshold."""
    files = [(s, c.truth) for s, c in zip(scores, corpus, strict=True)]
    out: dict[str, Any] = {}
    for name, profile in profiles.items():
        result = sweep(files, profile)
        per_file = {
            c.name: asdict(score_file(*f, profile, result.threshold)) for f, c in zip(files, corpus, strict=True)
        }
        out[name] = {**asdict(result), "files": per_file}
    return out


def streaming_check(corpus: list[Series]) -> dict[str, float]:
    """Every file through ``SeriesDetector`` one point at a time: points/s and the largest gap to the batch path."""
    gap, points, seconds = 0.0, 0, 0.0
    for series in corpus:
        detector = SeriesDetector(DetectorConfig())
        begin = time.perf_counter()
        rows = zip(series.timestamps.tolist(), series.values.tolist(), strict=True)
        live = np.array([detector.update(t, v).score for t, v in rows])
        seconds += time.perf_counter() - begin
        points += len(live)
        gap = max(gap, float(np.max(np.abs(live - score_series(series.timestamps, series.values)))))
    return {"points_per_s": points / seconds, "max_diff": gap}


def dump(root: Path, detector: str, corpus: list[Series], scores: list[Array]) -> None:
    """NAB's results layout: ``root/<detector>/<category>/<detector>_<file>.csv``."""
    for series, score in zip(corpus, scores, strict=True):
        category, file = series.name.split("/", 1)
        path = root / detector / category / f"{detector}_{file}"
        path.parent.mkdir(parents=True, exist_ok=True)
        label = [int(any(a <= i <= b for a, b in series.truth.windows)) for i in range(series.truth.rows)]
        with path.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(["timestamp", "value", "anomaly_score", "label"])
            writer.writerows(zip(series.stamps, series.values.tolist(), score.tolist(), label, strict=True))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--data", type=Path, default=SHARED / "data", help="NAB-style <category>/<file>.csv tree")
    parser.add_argument("--labels", type=Path, default=SHARED / "labels" / "combined_windows.json")
    parser.add_argument("--dump", type=Path, help="also write per-row scores in NAB's results layout here")
    parser.add_argument("--repeat", type=int, default=5, help="timed runs of our detector (median points/s)")
    parser.add_argument("--no-stream", action="store_true", help="skip the streaming pass (equality and speed)")
    parser.add_argument("--out", type=Path, default=RESULT)
    args = parser.parse_args(argv)
    corpus = load(args.data, args.labels)
    if not corpus:
        raise SystemExit(f"no labelled files of {args.labels} found under {args.data}")
    rates, points = [], sum(len(s.values) for s in corpus)
    for _ in range(args.repeat):
        begin = time.perf_counter()
        scores = [onsets(score_series(s.timestamps, s.values, DetectorConfig()), ONSET_HOLD) for s in corpus]
        rates.append(points / (time.perf_counter() - begin))
    rate = statistics.median(rates)
    runs = {"inframind": scores, "windowedGaussian": [windowed_gaussian(s.values) for s in corpus]}
    results = {name: evaluate(corpus, detector_scores, PROFILES) for name, detector_scores in runs.items()}
    for name, detector_scores in runs.items():
        if args.dump:
            dump(args.dump, name, corpus, detector_scores)
    stream = {} if args.no_stream else {"stream": streaming_check(corpus)}
    report = {
        "benchmark": "nab",
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform(), "python": platform.python_version()},
        "data": str(args.data),
        "files": len(corpus),
        "windows": sum(len(s.truth.windows) for s in corpus),
        "points": points,
        "config": {**asdict(DetectorConfig()), "onset_hold": ONSET_HOLD},
        "points_per_s": {"batch_one_core": rate, **stream},
        "published_full_corpus": PUBLISHED,
        "results": results,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    score = {name: {d: results[d][name]["score"] for d in results} for name in PROFILES}
    print(f"{'profile':<20} {'inframind':>10} {'windowedGaussian':>17} {'threshold':>10}")
    for name, pair in score.items():
        cut = results["inframind"][name]["threshold"]
        print(f"{name:<20} {pair['inframind']:>10.1f} {pair['windowedGaussian']:>17.1f} {cut:>10.4f}")
    for check in stream.values():
        print(f"streaming: {check['points_per_s']:.0f} points/s, |stream - batch| <= {check['max_diff']:.0e}")
    mine = {name: pair["inframind"] for name, pair in score.items()}
    print(
        f"nab_standard={mine['standard']:.1f} nab_low_fp={mine['reward_low_FP_rate']:.1f} "
        f"nab_low_fn={mine['reward_low_FN_rate']:.1f} baseline_standard={score['standard']['windowedGaussian']:.1f} "
        f"points_per_s={rate:.0f}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
