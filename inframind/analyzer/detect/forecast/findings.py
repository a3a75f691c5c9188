"""``capacity.exhaustion`` findings: what will run out, when, how sure, at the 7-, 30- and 90-day horizons.

Severity follows the predicted time until full: within 7 days ``critical``, 30 ``warning``, 90 ``info``.
A series whose point forecast stays under capacity for 90 days but whose band gives at least ``POSSIBLE``
chance of filling within them is reported as ``info`` too (a possibility worth a look, not a date). The
finding's probability is that of filling within its severity's horizon, from the forecast's band.

Each series is forecast at the longest horizon its history allows (a 90-day forecast needs 30 days of
history; a filesystem created 10 days ago can still get a 7-day one). A refusal (too short, too erratic)
yields no finding: the service reports it as the series' forecast status instead of inventing a date.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import numpy.typing as npt

from inframind.analyzer.detect.forecast.api import DEFAULT_MODEL, Model, forecast
from inframind.analyzer.detect.forecast.fill import fill_probability
from inframind.analyzer.detect.forecast.grid import Reduce
from inframind.analyzer.detect.forecast.types import DAY, Forecast
from inframind.analyzer.findings import JSON, FactEvidence, Finding, MetricEvidence, Severity, Window

Resource = Literal["filesystem", "pool", "memory", "cpu", "network"]
HORIZONS_DAYS: tuple[int, ...] = (7, 30, 90)
SEVERITY_BY_HORIZON: tuple[Severity, ...] = ("critical", "warning", "info")
POSSIBLE = 0.2
REDUCE: Mapping[Resource, Reduce] = {
    "filesystem": "max",
    "pool": "max",
    "memory": "max",
    "cpu": "p95",
    "network": "p95",
}
"""Disks and memory fill at their peak; CPU and links saturate when the busy part of the day reaches the limit."""
VERB: Mapping[Resource, str] = {"filesystem": "fills", "pool": "fills", "memory": "runs out", "cpu": "saturates",
                                "network": "saturates"}  # fmt: skip


@dataclass(frozen=True, eq=False)
class CapacitySeries:
    """One series to watch: its history, its limit, and how to name it in a finding."""

    asset_id: str
    query: str
    """The series as PromQL (``node_filesystem_size_bytes{...} - node_filesystem_avail_bytes{...}``)."""
    timestamps: npt.ArrayLike
    values: npt.ArrayLike
    capacity: float
    resource: Resource = "filesystem"
    name: str = ""
    """What people call it: a mountpoint, a pool, an interface."""
    unit: str = "bytes"
    tenant: str = ""
    labels: Mapping[str, str] = field(default_factory=dict)


def _utc(seconds: float) -> dt.datetime:
    return dt.datetime.fromtimestamp(seconds, dt.UTC)


def _iso(seconds: float | None) -> str | None:
    return None if seconds is None else _utc(seconds).isoformat(timespec="seconds").replace("+00:00", "Z")


def forecast_series(
    s: CapacitySeries, horizons: Sequence[int] = HORIZONS_DAYS, model: Model = DEFAULT_MODEL
) -> Forecast:
    """The forecast at the longest horizon the history allows (or the refusal at the shortest)."""
    result: Forecast | None = None
    for days in sorted(horizons, reverse=True):
        result = forecast(s.timestamps, s.values, days * DAY, s.capacity, model, reduce=REDUCE[s.resource])
        if result.status != "too_short":
            return result
    if result is None:
        raise ValueError("no horizons given")
    return result


def severity_of(fc: Forecast, horizons: Sequence[int] = HORIZONS_DAYS) -> tuple[Severity, float, int] | None:
    """(severity, probability of filling within its horizon, horizon in days), or None when nothing to say."""
    if not fc.ok or fc.capacity is None:
        return None
    ordered = sorted(horizons)[: len(SEVERITY_BY_HORIZON)]
    ttf = fc.time_to_full
    for days, severity in zip(ordered, SEVERITY_BY_HORIZON, strict=False):
        if ttf is not None and ttf.seconds <= days * DAY:
            return severity, fill_probability(fc, days * DAY), days
    longest = ordered[-1]
    chance = fill_probability(fc, longest * DAY)
    if chance >= POSSIBLE:
        return "info", chance, longest
    return None


def capacity_finding(s: CapacitySeries, fc: Forecast, horizons: Sequence[int] = HORIZONS_DAYS) -> Finding | None:
    verdict = severity_of(fc, horizons)
    if verdict is None or fc.last_time is None:
        return None
    severity, probability, days = verdict
    t = np.asarray(s.timestamps, dtype=np.float64)
    v = np.asarray(s.values, dtype=np.float64)
    finite = np.isfinite(t) & np.isfinite(v)
    t, v = t[finite], v[finite]
    order = np.argsort(t)
    t, v = t[order], v[order]
    window = Window(_utc(float(t[0])), _utc(float(t[-1])))
    current = float(v[-1])
    shape = np.linspace(0, t.size - 1, min(t.size, 8)).round().astype(np.int64)
    ttf = fc.time_to_full
    what = s.name or s.query
    if ttf is not None:
        latest = f"{ttf.latest_s / DAY:.0f}" if ttf.latest_s is not None else f">{days}"
        when = f"in ~{ttf.seconds / DAY:.1f} days ({ttf.earliest_s / DAY:.1f}-{latest} days, 80%)"
    else:
        when = f"within {days} days with probability {probability:.0%}"
    horizon_end = min(int(np.searchsorted(fc.times, fc.last_time + days * DAY, side="right")), fc.times.size) - 1
    facts: dict[str, JSON] = {
        "resource": s.resource,
        "capacity": s.capacity,
        "current": current,
        "used_ratio": round(current / s.capacity, 4) if s.capacity else None,
        "trend_per_day": fc.trend_per_day,
        "time_to_full_days": None if ttf is None else round(ttf.seconds / DAY, 2),
        "time_to_full_earliest_days": None if ttf is None else round(ttf.earliest_s / DAY, 2),
        "time_to_full_latest_days": None if ttf is None or ttf.latest_s is None else round(ttf.latest_s / DAY, 2),
        "full_at": _iso(None if ttf is None else ttf.at),
        "full_at_earliest": _iso(None if ttf is None else fc.last_time + ttf.earliest_s),
        "full_at_latest": _iso(None if ttf is None or ttf.latest_s is None else fc.last_time + ttf.latest_s),
        "horizon_days": days,
        "model": fc.model,
        "notes": "; ".join(fc.notes),
    }
    for h in sorted(horizons):
        facts[f"probability_{h}d"] = round(fill_probability(fc, h * DAY), 4)
    return Finding(
        kind="capacity.exhaustion",
        asset_id=s.asset_id,
        tenant=s.tenant,
        severity=severity,
        title=f"{s.resource.capitalize()} {what} on {s.asset_id} {VERB[s.resource]} {when}",
        window=window,
        evidence=(
            MetricEvidence(
                query=s.query,
                window=window,
                observed=current,
                expected=float(fc.points[horizon_end]),
                lower=float(fc.lower80[horizon_end]),
                upper=float(fc.upper80[horizon_end]),
                unit=s.unit,
                labels=dict(s.labels),
                points=tuple((float(t[i]), float(v[i])) for i in shape),
            ),
            FactEvidence("capacity.forecast", facts),
        ),
        key=f"{s.resource}:{s.query}",
        probability=min(max(probability, 0.0), 1.0),
        labels={"resource": s.resource, **({"name": s.name} if s.name else {})},
    )


def capacity_findings(
    series: Iterable[CapacitySeries], *, model: Model = DEFAULT_MODEL, horizons: Sequence[int] = HORIZONS_DAYS
) -> list[Finding]:
    """Forecast each series and return the findings of those that may run out within the longest horizon."""
    out = []
    for s in series:
        found = capacity_finding(s, forecast_series(s, horizons, model), horizons)
        if found is not None:
            out.append(found)
    return out
