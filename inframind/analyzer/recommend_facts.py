"""The facts a recommendation is filled with: numbers, names and times taken from a finding's evidence, the
inventory and what the context measured, rounded once here to what a person reads.

Pure. Every value a template prints comes from this dict (the templates do no arithmetic and no rounding), so a
test can check that each number in a text is a fact, and a fact the evidence lacks is simply absent (the template
then fails on it instead of printing a guess). Kinds whose facts need more than the evidence (a LUN behind a
device, a rack's day of BMC events, a drive's shelf and slot) get them from :mod:`.recommend_context`, measured
from the stores, and from :mod:`.recommend_facts_hw`.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Callable, Mapping
from typing import Any

from inframind.analyzer.findings import FactEvidence, Finding, LogEvidence, MetricEvidence
from inframind.analyzer.recommend_facts_hw import disk_facts, hotspot_facts, io_facts, lun_facts, rack_facts, rise_facts
from inframind.analyzer.recommend_types import Context

Facts = dict[str, Any]


def when(stamp: dt.datetime | float) -> str:
    moment = dt.datetime.fromtimestamp(stamp, dt.UTC) if isinstance(stamp, int | float) else stamp
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")


def sig(x: float, digits: int = 3) -> float:
    """``x`` rounded to ``digits`` significant digits (for values of no fixed scale: rates, counts per second)."""
    if x == 0 or not math.isfinite(x):
        return 0.0
    return round(x, max(0, digits - 1 - math.floor(math.log10(abs(x)))))


DISPLAY: Mapping[str, tuple[str, Callable[[float], float]]] = {
    "ratio": ("pct", lambda x: round(x * 100.0, 1)),
    "seconds": ("ms", lambda x: round(x * 1000.0, 1)),
    "celsius": ("celsius", lambda x: round(x, 1)),
    "rpm": ("rpm", lambda x: float(round(x))),
    "watts": ("watts", lambda x: float(round(x))),
    "per second": ("per_s", sig),
    "requests": ("requests", lambda x: round(x, 1)),
    "bytes": ("gib", lambda x: round(x / 2**30, 1)),
}


def shown(value: float, unit: str) -> tuple[float, str]:
    """A value in the unit a person reads (ratio -> %, seconds -> ms, bytes -> GiB) and that unit's key."""
    key, convert = DISPLAY.get(unit, ("", lambda x: sig(x, 4)))
    return convert(value), key


def first(finding: Finding, kind: type[Any]) -> Any:
    return next((e for e in finding.evidence if isinstance(e, kind)), None)


def fact_values(finding: Finding, name: str) -> Mapping[str, Any]:
    found = next((e for e in finding.evidence if isinstance(e, FactEvidence) and e.name == name), None)
    return found.values if found is not None else {}


def _set(out: Facts, name: str, value: Any) -> None:
    """Only facts that exist: None stays out, so a template that needs it fails instead of printing nothing."""
    if value is not None and not (isinstance(value, float) and not math.isfinite(value)):
        out[name] = value


def common(finding: Finding, context: Context) -> Facts:
    out: Facts = {"asset": finding.asset_id, "tenant": finding.tenant, "kind": finding.kind,
                  "severity": finding.severity, "labels": dict(finding.labels),
                  "window_start": when(finding.window.start), "window_end": when(finding.window.end)}  # fmt: skip
    seconds = (finding.window.end - finding.window.start).total_seconds()
    out["window_minutes"] = round(seconds / 60.0)
    out["window_hours"] = round(seconds / 3600.0, 1)
    _set(out, "score", None if finding.score is None else round(finding.score, 2))
    if finding.probability is not None:
        out["probability"] = round(finding.probability, 4)
        out["probability_pct"] = round(finding.probability * 100.0, 1)
    asset = context.inventory.assets.get(finding.asset_id) if context.inventory is not None else None
    if asset is not None:
        out["asset_kind"], out["criticality"] = asset.kind, asset.criticality
        for name in ("rack", "role", "site"):
            if getattr(asset, name):
                out[name] = getattr(asset, name)
    return out


def metric_facts(finding: Finding) -> Facts:
    out: Facts = {}
    m: MetricEvidence | None = first(finding, MetricEvidence)
    if m is None:
        return out
    out["query"] = m.query
    for name in ("observed", "expected", "lower", "upper"):
        value = getattr(m, name)
        if value is not None and math.isfinite(value):
            out[f"{name}_v"], out["unit_v"] = shown(float(value), m.unit)
    out.setdefault("unit_v", shown(0.0, m.unit)[1])
    _set(out, "device", m.labels.get("device"))
    return out


def log_facts(finding: Finding) -> Facts:
    out: Facts = {}
    e: LogEvidence | None = first(finding, LogEvidence)
    if e is None:
        return out
    out.update(template=e.template, count=e.count, first_seen=when(e.first_seen), last_seen=when(e.last_seen),
               sample=e.samples[0] if e.samples else e.template, assets_n=len(e.assets) or 1)  # fmt: skip
    _set(out, "source", e.source or None)
    _set(out, "event_id", e.event_id)
    for name in ("category", "impact"):
        _set(out, name, finding.labels.get(name) or None)
    return out


def anomaly_facts(finding: Finding, context: Context, out: Facts) -> None:
    votes = fact_values(finding, "anomaly_votes")
    _set(out, "signal", finding.labels.get("signal"))
    _set(out, "run_points", votes.get("points"))
    out["ongoing"] = bool(votes.get("ongoing", False))
    m: MetricEvidence | None = first(finding, MetricEvidence)
    out.update(rise_facts(context.measured.get("rise"), m.unit if m is not None else ""))
    out.update(lun_facts(context.measured.get("lun"), context.inventory))


def burst_facts(finding: Finding, out: Facts) -> None:
    m: MetricEvidence | None = first(finding, MetricEvidence)
    if m is None or m.expected is None:
        return
    out["per_hour"] = int(m.observed)
    out["expected_per_hour"] = round(m.expected, 1)
    _set(out, "upper_per_hour", None if m.upper is None else round(m.upper, 1))
    if m.expected > 0:
        out["times_expected"] = round(m.observed / m.expected, 1)
    minutes = fact_values(finding, "rate_test").get("minutes")
    _set(out, "active_minutes", minutes if isinstance(minutes, int) else None)


def silence_facts(finding: Finding, out: Facts) -> None:
    m: MetricEvidence | None = first(finding, MetricEvidence)
    if m is not None and m.expected is not None:
        out["expected_count"] = round(m.expected, 1)
    e: LogEvidence | None = first(finding, LogEvidence)
    if e is not None:
        out["silent_minutes"] = round((finding.window.end - e.last_seen).total_seconds() / 60.0)
        out["day_count"] = e.count


def repeated_facts(finding: Finding, out: Facts) -> None:
    counts = fact_values(finding, "affected_assets")
    ranked = sorted(((str(a), int(n)) for a, n in counts.items() if isinstance(n, int | float)), key=lambda x: -x[1])
    out["top_assets"] = [{"asset": a, "count": n} for a, n in ranked[:5]]
    out["assets_n"] = len(counts) or out.get("assets_n", 1)


def rule_facts(finding: Finding, context: Context, out: Facts) -> None:
    _set(out, "alertname", finding.labels.get("alertname"))
    out["rule_window_minutes"] = out["window_minutes"]
    out.update(rack_facts(context.measured.get("rack"), context.related, context.inventory))


CAPACITY_DAYS: Mapping[str, str] = {
    "time_to_full_days": "full_in_days",
    "time_to_full_earliest_days": "full_earliest_days",
    "time_to_full_latest_days": "full_latest_days",
    "horizon_days": "horizon_days",
}
"""``capacity.forecast`` evidence fields -> the facts the templates print (days, one decimal)."""
FORECAST_INTERVAL_PCT = 80
"""The forecast's earliest/latest time to full bound its 80% interval (detect/forecast: lower80, upper80)."""


def capacity_facts(finding: Finding, out: Facts) -> None:
    f = fact_values(finding, "capacity.forecast")
    m: MetricEvidence | None = first(finding, MetricEvidence)
    unit = m.unit if m is not None else ""
    _set(out, "resource", f.get("resource"))
    _set(out, "name", finding.labels.get("name"))
    for name in ("current", "capacity"):
        if isinstance(f.get(name), int | float):
            out[f"{name}_v"], out["unit_v"] = shown(float(f[name]), unit)
    if isinstance(f.get("trend_per_day"), int | float):
        out["trend_v"] = shown(float(f["trend_per_day"]), unit)[0]
    if isinstance(f.get("used_ratio"), int | float):
        out["used_pct"] = round(float(f["used_ratio"]) * 100.0, 1)
    for name, fact in CAPACITY_DAYS.items():
        value = f.get(name)
        _set(out, fact, round(float(value), 1) if isinstance(value, int | float) else None)
    if "full_earliest_days" in out:
        out["interval_pct"] = FORECAST_INTERVAL_PCT
    if isinstance(f.get("full_at"), str):
        out["full_at"] = when(dt.datetime.fromisoformat(str(f["full_at"]).replace("Z", "+00:00")))


_LEADING_NUMBER = re.compile(r"^\s*(\d+(?:\.\d+)?)")


def _factor_amount(values: Mapping[str, Any], name: str) -> float | None:
    """A factor's amount: ``<name>_amount`` when the detector gives it, else the number its detail starts with
    (``3 thermal events``, ``8.4% chance a disk fails ...``, ``2 anomalies ...``), else None."""
    amount = values.get(f"{name}_amount")
    if isinstance(amount, int | float) and not isinstance(amount, bool):
        return round(float(amount), 1)
    found = _LEADING_NUMBER.match(str(values.get(f"{name}_detail") or ""))
    return round(float(found.group(1)), 1) if found else None


def node_facts(finding: Finding, out: Facts) -> None:
    f = fact_values(finding, "node.risk")
    if isinstance(f.get("score"), int | float):
        out["risk_score"], out["risk_scale"] = round(float(f["score"])), 100
    points = sorted(((k[: -len("_points")], round(float(v))) for k, v in f.items()
                     if k.endswith("_points") and isinstance(v, int | float) and v > 0),
                    key=lambda x: (-x[1], x[0]))  # fmt: skip
    factors: list[dict[str, Any]] = []
    for name, value in points[:4]:
        factor: dict[str, Any] = {"name": name, "points": value}
        _set(factor, "amount", _factor_amount(f, name))
        factors.append(factor)
    if factors:
        out["factors"], out["top_factor"] = factors, factors[0]["name"]


def slo_facts(finding: Finding, out: Facts) -> None:
    f = fact_values(finding, "slo.burn_rates")
    _set(out, "sli", f.get("sli"))
    rule = str(f.get("rule", ""))
    windows, _, factor = rule.partition(" > ")
    long, _, short = windows.partition("/")
    if long and short and factor.endswith("x"):
        out.update(long_window=long, short_window=short, burn_factor=float(factor[:-1]))
        for name, window in (("burn_long", long), ("burn_short", short)):
            value = f.get(f"burn_{window}")
            _set(out, name, round(float(value), 1) if isinstance(value, int | float) else None)
    if isinstance(f.get("target"), int | float):
        out["target_pct"] = round(float(f["target"]) * 100.0, 3)
    if isinstance(f.get("error_budget"), int | float):
        out["error_budget_pct"] = round(float(f["error_budget"]) * 100.0, 3)
    if isinstance(f.get("budget_spent_in_long_window"), int | float):
        out["budget_spent_pct"] = round(float(f["budget_spent_in_long_window"]) * 100.0, 1)
    if isinstance(f.get("budget_lasts_days"), int | float):
        out["budget_lasts_days"] = round(float(f["budget_lasts_days"]), 1)
    if isinstance(f.get("threshold_seconds"), int | float):
        out["threshold_ms"] = round(float(f["threshold_seconds"]) * 1000.0, 1)


def variant_key(finding: Finding, facts: Mapping[str, Any]) -> str:
    """Which variant of the kind's templates fits: an alert name, a signal, a case, a resource, a move."""
    labels = finding.labels
    keys = {"log.rule": labels.get("alertname"), "metric.anomaly": labels.get("signal"),
            "capacity.exhaustion": labels.get("resource"), "hotspot.io": labels.get("case"),
            "slo.burn": labels.get("sli")}  # fmt: skip
    if finding.kind in keys:
        return keys[finding.kind] or "default"
    if finding.kind.startswith("hotspot."):
        return "move" if "move_to" in facts else "no_room"
    if finding.kind == "log.silence" and finding.severity == "info":
        return "errors_stopped"
    return "default"


def facts_for(finding: Finding, context: Context) -> Facts:
    """Every fact of the finding, for its kind's templates."""
    out = common(finding, context)
    out.update(metric_facts(finding))
    out.update(log_facts(finding))
    kind = finding.kind
    if kind == "metric.anomaly":
        anomaly_facts(finding, context, out)
    elif kind == "log.burst":
        burst_facts(finding, out)
    elif kind == "log.silence":
        silence_facts(finding, out)
    elif kind == "log.repeated":
        repeated_facts(finding, out)
    elif kind == "log.rule":
        rule_facts(finding, context, out)
    elif kind == "capacity.exhaustion":
        capacity_facts(finding, out)
    elif kind == "disk.failure":
        out.update(disk_facts(finding, context.measured.get("drive"), context.inventory))
    elif kind == "node.risk":
        node_facts(finding, out)
    elif kind == "slo.burn":
        slo_facts(finding, out)
    elif kind == "hotspot.io":
        out.update(io_facts(fact_values(finding, "io.tuning"), context.measured.get("lun"), context.inventory))
    elif kind.startswith("hotspot."):
        out.update(hotspot_facts(fact_values(finding, "hotspot.move")))
    return out
