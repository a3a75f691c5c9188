"""The per-minute tasks of the metric loop: their queries and how the answers reach the pure detectors.

Every query covers the whole fleet (one per signal kind or resource), never one per asset: a cycle over a
thousand assets asks a few dozen queries. New anomaly series are warmed with queries restricted to their assets.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from inframind.analyzer.detect.hotcold import GroupRatio, HotColdSettings, Resource, Usage, group_ratios
from inframind.analyzer.detect.hotcold import hotspot_findings as hotcold_findings
from inframind.analyzer.detect.iotuning import DiskLoad, IoSettings, io_findings
from inframind.analyzer.detect.slo import WINDOWS, Objective, burn_findings, error_ratio_query
from inframind.analyzer.findings import Finding
from inframind.analyzer.metricloop_anomaly import AnomalyBank
from inframind.analyzer.metricloop_settings import MetricAnalysisSettings
from inframind.analyzer.metricloop_signals import ANOMALY_SIGNALS, CAPACITY, DISK_IO, UTILIZATION, render, selector
from inframind.analyzer.sources.promql import PromClient, PromError, PromUnavailable
from inframind.analyzer.sources.series import Series
from inframind.inventory import Inventory

ASSETS_PER_WARMUP_QUERY = 200


@dataclass
class AnomalyOutcome:
    findings: list[Finding] = field(default_factory=list)
    failed: set[str] = field(default_factory=set)
    """Signals whose query failed: their findings stand as they are."""
    series: int = 0
    admitted: int = 0
    skipped: int = 0


def run_anomaly(
    client: PromClient,
    bank: AnomalyBank,
    s: MetricAnalysisSettings,
    end: float,
    errors: Counter[str],
    *,
    keep: Callable[[Series], bool] | None = None,
) -> AnomalyOutcome:
    """Feed every signal's new points to the bank (with ``keep``, only the series of a shard's assets)."""
    out = AnomalyOutcome()
    budget = max(0, min(s.max_new_series, s.max_series - len(bank)))
    for signal in ANOMALY_SIGNALS:
        expr = render(signal.expr, rate_window=s.rate_window)
        try:
            found = client.query_range(expr, bank.fetch_start(signal.signal, end), end, s.step)
        except PromUnavailable:
            if not out.series:
                raise
            errors["query"] += 1
            out.failed.add(signal.signal)
            continue
        except PromError:
            errors["query"] += 1
            out.failed.add(signal.signal)
            continue
        if keep is not None:
            found = [series for series in found if keep(series)]
        out.series += len(found)
        new = bank.feed(signal.signal, found)
        take = new[:budget]
        budget -= len(take)
        out.skipped += len(new) - len(take)
        if take:
            try:
                out.admitted += _warm(client, bank, signal=signal.signal, new=dict(take), s=s, end=end)
            except PromError:
                errors["query"] += 1
                out.failed.add(signal.signal)
    bank.forget_stale(end)
    out.findings = bank.findings()
    return out


def _warm(
    client: PromClient,
    bank: AnomalyBank,
    *,
    signal: str,
    new: Mapping[str, Series],
    s: MetricAnalysisSettings,
    end: float,
) -> int:
    """Backfill the new series of a signal with queries restricted to their assets."""
    template = bank.signals[signal].expr
    assets = sorted({series.labels["asset"] for series in new.values()})
    admitted = 0
    for i in range(0, len(assets), ASSETS_PER_WARMUP_QUERY):
        chunk = assets[i : i + ASSETS_PER_WARMUP_QUERY]
        expr = render(template, sel=selector(asset=chunk), rate_window=s.rate_window)
        for series in client.query_range(expr, end - s.backfill, end, s.step):
            for key, _ in bank.feed(signal, [series]):
                if key in new:
                    bank.admit(signal, key, series)
                    admitted += 1
    return admitted


@dataclass
class HotColdOutcome:
    findings: list[Finding]
    ratios: list[GroupRatio]
    usages: int


def _groups(labels: Mapping[str, str], s: MetricAnalysisSettings, inventory: Inventory | None) -> dict[str, str]:
    groups = {g: labels.get(g, "") for g in s.groups_by}
    asset = inventory.assets.get(labels.get("asset", "")) if inventory is not None else None
    if asset is not None:
        known = {"rack": asset.rack, "role": asset.role, "site": asset.site, **asset.labels}
        groups = {g: groups[g] or known.get(g, "") for g in s.groups_by}
    return groups


def run_hotcold(
    client: PromClient, s: MetricAnalysisSettings, end: float, inventory: Inventory | None
) -> HotColdOutcome:
    """Hot/cold nodes per group and resource, and the I/O tuning hints."""
    settings = HotColdSettings(
        hot=s.hot_ratio,
        cold=s.cold_ratio,
        groups_by=s.groups_by,
        percentile=s.hotcold_percentile,
        window_s=s.hotcold_window,
    )
    usages: list[Usage] = []
    for resource, template in UTILIZATION.items():
        inner = render(template, rate_window=s.rate_window, groups=s.groups_by)
        expr = f"quantile_over_time({s.hotcold_percentile:g}, ({inner})[{s.hotcold_window:g}s:{s.step:g}s])"
        capacities = {}
        if resource in CAPACITY:
            capacities = {_ident(x.labels): x.value for x in client.query(render(CAPACITY[resource]), end)}
        for sample in client.query(expr, end):
            if sample.labels.get("asset") and math.isfinite(sample.value):
                usages.append(
                    Usage(
                        sample.labels.get("tenant") or "default",
                        sample.labels["asset"],
                        resource,
                        min(max(sample.value, 0.0), 1.0),
                        capacities.get(_ident(sample.labels)),
                        _groups(sample.labels, s, inventory),
                    )
                )
    at = dt.datetime.fromtimestamp(end, dt.UTC)

    def usage_query(resource: Resource, asset: str) -> str:
        return render(UTILIZATION[resource], sel=selector({"asset": asset}), rate_window=s.rate_window)

    found = hotcold_findings(usages, at, usage_query, settings)
    found.extend(io_findings(_disk_loads(client, s, end), at, _await_query(s), IoSettings(window_s=s.io_window)))
    return HotColdOutcome(found, group_ratios(usages, settings), len(usages))


def _ident(labels: Mapping[str, str]) -> tuple[str, str]:
    return labels.get("tenant") or "default", labels.get("asset", "")


def _await_query(s: MetricAnalysisSettings) -> Callable[[str, str], str]:
    def query(asset: str, device: str) -> str:
        return render(DISK_IO["await"], sel=selector({"asset": asset, "device": device}), rate_window=s.rate_window)

    return query


def _disk_loads(client: PromClient, s: MetricAnalysisSettings, end: float) -> list[DiskLoad]:
    values: dict[tuple[str, str, str], dict[str, float]] = {}
    for name, template in DISK_IO.items():
        inner = render(template, rate_window=s.rate_window)
        for sample in client.query(f"avg_over_time(({inner})[{s.io_window:g}s:{s.step:g}s])", end):
            key = (
                sample.labels.get("tenant") or "default",
                sample.labels.get("asset", ""),
                sample.labels.get("device", ""),
            )
            values.setdefault(key, {})[name] = sample.value
    return [
        DiskLoad(t, a, d, v["await"], v["queue"], v["utilization"])
        for (t, a, d), v in sorted(values.items())
        if a and d and len(v) == len(DISK_IO) and all(math.isfinite(x) for x in v.values())
    ]


def run_slo(client: PromClient, objectives: Sequence[Objective], end: float) -> list[Finding]:
    """Error ratios of every objective over every window (one query per SLI kind, threshold and window)."""
    errors: dict[tuple[str, str, str], dict[str, float]] = {}
    kinds: dict[tuple[str, float | None], list[Objective]] = {}
    for o in objectives:
        kinds.setdefault((o.sli, o.threshold_s), []).append(o)
    for (sli, threshold), members in kinds.items():
        sel = selector(asset=[o.asset for o in members])
        for window in WINDOWS:
            for sample in client.query(error_ratio_query(members[0].sli, window, sel, threshold), end):
                key = (sample.labels.get("tenant") or "default", sample.labels.get("asset", ""), sli)
                errors.setdefault(key, {})[window] = sample.value
    return burn_findings(objectives, errors, dt.datetime.fromtimestamp(end, dt.UTC))
