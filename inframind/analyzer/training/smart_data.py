"""Backblaze SMART subsets (../shared/bench/smart) -> labelled rows in the failure model's vocabulary.

Three kinds of file, three kinds of label (see that folder's README):

- ``*_lastday_raw.csv``: each drive's last 2019 row; label = failed at that observation. No growth (one row).
- ``*_last10days_raw.csv``: the last 10 daily rows per drive; one row per drive at its last day, label from
  the last row's flag (the original one, as the README says), growth = last minus first of the 10 days.
- ``*_startstop.csv.gz`` (2013-2016): piecewise-constant SMART values on the power-on-hours axis. Each drive is
  observed on a grid of :data:`HORIZON_HOURS` steps starting at a seeded random offset; label = the drive fails
  within the next 720 power-on hours. Growth is the increase over the previous 240 hours. Points whose horizon
  runs past the end of a surviving drive's record are dropped (censored: we do not know).

Columns: the counters of :data:`~inframind.analyzer.detect.failure.features.COUNTS`, ``growth.<counter>``,
``power_on_hours``, ``temperature_celsius``; NaN where the file has no such attribute.
"""

from __future__ import annotations

import csv
import datetime as dt
import gzip
import math
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from inframind.analyzer.detect.failure.features import ATA_IDS, COUNTS, timeout_count

HORIZON_HOURS = 720.0
GROWTH_HOURS = 240.0
GROWTH_COUNTS = ("reallocated", "pending", "offline_uncorrectable", "reported_uncorrectable", "command_timeouts")
"""Counters the start-stop file tracks over time (it has no 199), so growth can be learned for them."""
COLUMNS = (*COUNTS, *(f"growth.{c}" for c in COUNTS), "power_on_hours", "temperature_celsius")
INTERVALS_FILE = "backblaze2013-2016_hds_startstop.csv.gz"

FloatArray = NDArray[np.float64]


@dataclass
class Table:
    """Rows of one source: values by column, label, drive model and serial, and the kind of label."""

    source: str
    """``horizon`` (failure within 720 power-on hours) or ``snapshot`` (failed at the observation)."""
    columns: dict[str, FloatArray]
    label: NDArray[np.int8]
    model: NDArray[np.str_]
    serial: NDArray[np.str_]
    weight: FloatArray | None = None
    """Row weights (a row standing for 1/rate rows after subsampling); None means 1 each."""

    def __len__(self) -> int:
        return len(self.label)

    def take(self, mask: NDArray[np.bool_]) -> Table:
        return Table(
            self.source,
            {k: v[mask] for k, v in self.columns.items()},
            self.label[mask],
            self.model[mask],
            self.serial[mask],
            None if self.weight is None else self.weight[mask],
        )

    def weights(self) -> FloatArray:
        return np.ones(len(self)) if self.weight is None else self.weight


def _number(text: str | None) -> float:
    if text is None or text in ("", "NA", "nan"):
        return math.nan
    return float(text)


def _ata_row(row: dict[str, str], prefix: str, suffix: str) -> dict[str, float]:
    """Counter values of one CSV row whose SMART columns are ``<prefix><id><suffix>``."""
    out: dict[str, float] = {}
    for ata_id, name in ATA_IDS.items():
        value = _number(row.get(f"{prefix}{ata_id}{suffix}"))
        out[name] = timeout_count(value) if name == "command_timeouts" and not math.isnan(value) else value
    return out


def _temperature(raw: float) -> float:
    """SMART 194 raw: some vendors pack min/max into the upper bytes; the current value is the low byte."""
    return float(int(raw) & 0xFF) if not math.isnan(raw) and raw > 255 else raw


def _table(source: str, rows: list[tuple[dict[str, float], int, str, str]]) -> Table:
    columns = {name: np.array([r[0].get(name, math.nan) for r in rows], dtype=np.float64) for name in COLUMNS}
    return Table(
        source,
        columns,
        np.array([r[1] for r in rows], dtype=np.int8),
        np.array([r[2] for r in rows], dtype=np.str_),
        np.array([r[3] for r in rows], dtype=np.str_),
    )


def _snapshot_values(row: dict[str, str]) -> dict[str, float]:
    values = _ata_row(row, "smart_", "_raw")
    values["power_on_hours"] = _number(row.get("smart_9_raw"))
    values["temperature_celsius"] = _temperature(_number(row.get("smart_194_raw")))
    return values


def load_lastday(path: Path) -> Table:
    """One row per drive: its last observation, labelled failed (1) or not (0) at that observation."""
    with path.open(newline="", encoding="utf-8") as handle:
        rows = [
            (_snapshot_values(r), int(_number(r["failure"])), r["model"], r["serial_number"])
            for r in csv.DictReader(handle)
        ]
    return _table("snapshot", rows)


def load_sequence(path: Path) -> Table:
    """One row per drive at its last day, with growth over its daily rows (the 10-day files)."""
    by_serial: dict[str, list[dict[str, str]]] = {}
    with path.open(newline="", encoding="utf-8") as handle:
        for r in csv.DictReader(handle):
            by_serial.setdefault(r["serial_number"], []).append(r)
    rows = []
    for serial, days in by_serial.items():
        days.sort(key=lambda r: r["date"])
        last, first = _snapshot_values(days[-1]), _snapshot_values(days[0])
        span = (dt.date.fromisoformat(days[-1]["date"]) - dt.date.fromisoformat(days[0]["date"])).days
        if span > 0:
            for name in COUNTS:
                if not math.isnan(last.get(name, math.nan)) and not math.isnan(first.get(name, math.nan)):
                    last[f"growth.{name}"] = max(0.0, last[name] - first[name])
        rows.append((last, int(_number(days[-1]["failure"])), days[-1]["model"], serial))
    return _table("snapshot", rows)


def _drives(path: Path, max_rows: int | None) -> Iterator[list[dict[str, str]]]:
    """The start-stop file's rows grouped by drive (the file keeps each drive's rows together, in order)."""
    with gzip.open(path, "rt", newline="", encoding="utf-8") as handle:
        current: list[dict[str, str]] = []
        for index, row in enumerate(csv.DictReader(handle)):
            if max_rows is not None and index >= max_rows:
                break
            if current and row["serial_number"] != current[0]["serial_number"]:
                yield current
                current = []
            current.append(row)
        if current and max_rows is None:
            yield current


def _interval_values(row: dict[str, str]) -> dict[str, float]:
    return _ata_row(row, "smart_", "")


def load_intervals(
    path: Path, seed: int, max_rows: int | None = None, horizon: float = HORIZON_HOURS, growth: float = GROWTH_HOURS
) -> Table:
    """Grid observations of every drive; label 1 when it fails within ``horizon`` power-on hours."""
    rng = np.random.default_rng(seed)
    rows: list[tuple[dict[str, float], int, str, str]] = []
    for drive in _drives(path, max_rows):
        starts = [float(r["tstart"]) for r in drive]
        stops = [float(r["tstop"]) for r in drive]
        values = [_interval_values(r) for r in drive]
        end, failed = stops[-1], _number(drive[-1]["fails"]) == 1.0
        t = starts[0] + float(rng.random()) * horizon
        index = 0
        while t < end:
            positive = failed and end - t <= horizon
            if positive or t + horizon <= end:
                while stops[index] <= t:
                    index += 1
                rows.append((_observation(values, starts, index, t, growth), int(positive), drive[0]["model"],
                             drive[0]["serial_number"]))  # fmt: skip
            t += horizon
    return _table("horizon", rows)


def _observation(
    values: list[dict[str, float]], starts: list[float], index: int, t: float, growth: float
) -> dict[str, float]:
    now = dict(values[index])
    then_index = index
    while then_index > 0 and starts[then_index] > t - growth:
        then_index -= 1
    then = values[then_index]
    for name in GROWTH_COUNTS:
        a, b = now.get(name, math.nan), then.get(name, math.nan)
        if not (math.isnan(a) or math.isnan(b)):
            now[f"growth.{name}"] = max(0.0, a - b)
    now["power_on_hours"] = t
    return now


def concat(tables: Iterable[Table]) -> Table:
    parts = list(tables)
    sources = {t.source for t in parts}
    return Table(
        sources.pop() if len(sources) == 1 else "mixed",
        {name: np.concatenate([t.columns[name] for t in parts]) for name in COLUMNS},
        np.concatenate([t.label for t in parts]),
        np.concatenate([t.model for t in parts]),
        np.concatenate([t.serial for t in parts]),
        None if all(t.weight is None for t in parts) else np.concatenate([t.weights() for t in parts]),
    )


def drive_level_files(folder: Path) -> list[Path]:
    """The drive-level files of a folder: a 10-day sequence where there is one, else the model's last day."""
    sequences = sorted(folder.glob("*_last10days_raw.csv"))
    covered = {p.name.replace("_last10days_raw.csv", "") for p in sequences}
    lastdays = [
        p for p in sorted(folder.glob("*_lastday_raw.csv")) if p.name.replace("_lastday_raw.csv", "") not in covered
    ]
    return sorted([*sequences, *lastdays])


def load_drive_level(path: Path) -> Table:
    return load_sequence(path) if path.name.endswith("_last10days_raw.csv") else load_lastday(path)
