"""Capacity forecasts of the metric loop (hourly): filesystems and memory, read in one range query each.

Used bytes and the limit are read per (tenant, asset, mountpoint) over ``forecast_lookback`` at ``forecast_step``;
the latest limit is the capacity (a grown filesystem is judged against its new size; the forecaster handles the
step in the history). :func:`inframind.analyzer.detect.forecast.capacity_findings` does the rest; every
forecast that yields a time until full is also an output (``inframind_capacity_time_to_full_seconds``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from inframind.analyzer.detect.forecast import CapacitySeries, Model, Resource, capacity_finding, forecast_series
from inframind.analyzer.findings import Finding
from inframind.analyzer.metricloop_settings import MetricAnalysisSettings
from inframind.analyzer.metricloop_signals import FILESYSTEM_SIZE, FILESYSTEM_USED, MEMORY_TOTAL, MEMORY_USED, render
from inframind.analyzer.metricloop_signals import selector as matchers
from inframind.analyzer.sources.promql import PromClient
from inframind.analyzer.sources.series import Series

KINDS: tuple[tuple[Resource, str, str, tuple[str, ...]], ...] = (
    ("filesystem", FILESYSTEM_USED, FILESYSTEM_SIZE, ("mountpoint",)),
    ("memory", MEMORY_USED, MEMORY_TOTAL, ()),
)


@dataclass(frozen=True)
class TimeToFull:
    tenant: str
    asset: str
    resource: str
    mountpoint: str
    seconds: float
    earliest: float | None = None
    """The 80 % interval's early edge (seconds): the forecast's upper band reaching capacity."""
    latest: float | None = None
    """Its late edge; None when the lower band never reaches capacity within the horizon."""


@dataclass(frozen=True)
class CapacityResult:
    findings: list[Finding]
    time_to_full: list[TimeToFull]
    series: int
    refused: int


def _key(labels: Mapping[str, str], parts: Sequence[str]) -> tuple[str, ...]:
    return (labels.get("tenant", ""), labels.get("asset", ""), *(labels.get(p, "") for p in parts))


def capacity_series(client: PromClient, s: MetricAnalysisSettings, end: float) -> list[CapacitySeries]:
    """Every filesystem and memory of the fleet with its history and capacity."""
    start = end - s.forecast_lookback
    out = []
    for resource, used_expr, size_expr, parts in KINDS:
        used = client.query_range(render(used_expr), start, end, s.forecast_step)
        limits: dict[tuple[str, ...], Series] = {
            _key(x.labels, parts): x for x in client.query_range(render(size_expr), start, end, s.forecast_step)
        }
        for series in used:
            limit = limits.get(_key(series.labels, parts))
            asset = series.labels.get("asset", "")
            if limit is None or not len(limit) or not asset or len(series) < 2:
                continue
            capacity = float(limit.values[-1])
            if not np.isfinite(capacity) or capacity <= 0:
                continue
            pinned = {name: series.labels.get(name, "") for name in ("tenant", "asset", *parts)}
            name = pinned.get("mountpoint", "")
            out.append(
                CapacitySeries(
                    asset_id=asset,
                    query=render(used_expr, sel=matchers(pinned)),
                    timestamps=series.timestamps,
                    values=series.values,
                    capacity=capacity,
                    resource=resource,
                    name=name,
                    unit="bytes",
                    tenant=series.labels.get("tenant") or "default",
                    labels={"mountpoint": name} if name else {},
                )
            )
    return out


def forecast_all(series: Sequence[CapacitySeries], model: Model) -> CapacityResult:
    found: list[Finding] = []
    outputs: list[TimeToFull] = []
    refused = 0
    for s in series:
        fc = forecast_series(s, model=model)
        if not fc.ok:
            refused += 1
            continue
        finding = capacity_finding(s, fc)
        if finding is not None:
            found.append(finding)
        if fc.time_to_full is not None:
            ttf = fc.time_to_full
            outputs.append(
                TimeToFull(s.tenant, s.asset_id, s.resource, s.name, ttf.seconds, ttf.earliest_s, ttf.latest_s)
            )
    return CapacityResult(found, outputs, len(series), refused)
