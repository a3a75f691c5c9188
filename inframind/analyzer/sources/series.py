"""What a Prometheus API answer turns into, and how the pieces of a chunked range query fit back together.

Pure: parsing JSON that is already decoded, splitting a time range, merging parts. The HTTP client in
:mod:`.promql` does the IO.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

Array = npt.NDArray[np.float64]
LabelKey = tuple[tuple[str, str], ...]


@dataclass(frozen=True, eq=False)
class Series:
    """One series of a range query: its labels and its points in time order (unix seconds)."""

    labels: Mapping[str, str]
    timestamps: Array
    values: Array

    def __len__(self) -> int:
        return int(self.timestamps.size)


@dataclass(frozen=True)
class Sample:
    """One element of an instant query's vector (or its scalar, with no labels)."""

    labels: Mapping[str, str]
    timestamp: float
    value: float


def label_key(labels: Mapping[str, str]) -> LabelKey:
    return tuple(sorted(labels.items()))


def parse_matrix(result: Sequence[Mapping[str, Any]]) -> list[Series]:
    """``data.result`` of a matrix answer; values are strings in the API ("NaN", "+Inf" included)."""
    out = []
    for item in result:
        points = item.get("values") or []
        stamps = np.fromiter((float(p[0]) for p in points), dtype=np.float64, count=len(points))
        values = np.fromiter((float(p[1]) for p in points), dtype=np.float64, count=len(points))
        out.append(Series(dict(item.get("metric") or {}), stamps, values))
    return out


def parse_instant(result_type: str, result: Any) -> list[Sample]:
    """``data`` of an instant answer: a vector becomes its samples, a scalar one sample without labels."""
    if result_type == "vector":
        return [Sample(dict(i.get("metric") or {}), float(i["value"][0]), float(i["value"][1])) for i in result]
    if result_type in ("scalar", "string"):
        return [Sample({}, float(result[0]), float(result[1]) if result_type == "scalar" else math.nan)]
    raise ValueError(f"unexpected result type {result_type!r}")


def plan_chunks(start: float, end: float, step: float, max_points: int) -> list[tuple[float, float]]:
    """Sub-ranges of ``[start, end]`` on the same step grid, each of at most ``max_points`` points.

    Prometheus refuses a range query of more than 11,000 points per series and VictoriaMetrics of more than
    ``-search.maxPointsPerTimeseries``; the chunks share the first one's grid, so merging them is concatenating.
    """
    if step <= 0:
        raise ValueError(f"step must be positive, got {step}")
    if end < start:
        raise ValueError(f"end ({end}) is before start ({start})")
    if max_points < 1:
        raise ValueError(f"max_points must be at least 1, got {max_points}")
    total = math.floor((end - start) / step + 1e-9) + 1
    chunks = []
    for first in range(0, total, max_points):
        last = min(total, first + max_points) - 1
        chunks.append((start + first * step, start + last * step))
    return chunks


def merge_chunks(parts: Iterable[Sequence[Series]]) -> list[Series]:
    """Series of consecutive chunks joined by label set, in time order, each timestamp once.

    A series absent from some chunks (it started or stopped within the range) keeps the points it has.
    """
    pieces: dict[LabelKey, list[Series]] = {}
    for part in parts:
        for series in part:
            pieces.setdefault(label_key(series.labels), []).append(series)
    out = []
    for group in pieces.values():
        if len(group) == 1:
            out.append(group[0])
            continue
        stamps = np.concatenate([s.timestamps for s in group])
        values = np.concatenate([s.values for s in group])
        order = np.argsort(stamps, kind="stable")
        stamps, values = stamps[order], values[order]
        keep = np.r_[True, np.diff(stamps) > 0]
        out.append(Series(group[0].labels, stamps[keep], values[keep]))
    return out
