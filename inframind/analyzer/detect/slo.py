"""SLO burn rates: multi-window, multi-burn-rate alerts on the objectives the inventory declares.

How an SLO in the inventory maps to PromQL (kept deliberately small). An asset's ``slo:`` mapping holds numbers:

- ``availability_ratio: 0.999``: the share of successful probes of the asset must be at least 99.9 %. Error
  ratio over a window W: ``1 - avg_over_time(probe_success{asset="X"}[W])`` (blackbox_exporter's and our /probe
  series; several probes of one asset are averaged).
- ``latency_seconds: 0.3`` (with ``latency_ratio: 0.99``, default 0.99): 99 % of probes must finish within
  0.3 s. Error ratio: the share of ``probe_duration_seconds`` samples above 0.3 s over W
  (``1 - avg_over_time((probe_duration_seconds{asset="X"} <= bool 0.3)[W:1m])``).

The burn rate is the error ratio over the error budget (``1 - target``): 1 spends the budget exactly over the
SLO period (30 days). Alerting follows the Google SRE workbook's table: a rule fires when the burn rate
exceeds its factor over *both* its long window (enough budget is at stake) and its short window (it is still
happening, so the alert also stops soon after the problem does):

=========  ============  ============  ===========  =========================
severity   long window   short window  burn rate    budget spent at detection
=========  ============  ============  ===========  =========================
critical   1h            5m            14.4         2 %
critical   6h            30m           6            5 %
warning    1d            2h            3            10 %
warning    3d            6h            1            10 %
=========  ============  ============  ===========  =========================
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from inframind.analyzer.findings import JSON, FactEvidence, Finding, MetricEvidence, Severity, Window

KIND = "slo.burn"
PERIOD_DAYS = 30.0
Sli = Literal["availability", "latency"]
WINDOWS: Mapping[str, float] = {
    "5m": 300.0,
    "30m": 1800.0,
    "1h": 3600.0,
    "2h": 7200.0,
    "6h": 21600.0,
    "1d": 86400.0,
    "3d": 259200.0,
}


@dataclass(frozen=True)
class BurnRule:
    severity: Severity
    long: str
    short: str
    factor: float


POLICY: tuple[BurnRule, ...] = (
    BurnRule("critical", "1h", "5m", 14.4),
    BurnRule("critical", "6h", "30m", 6.0),
    BurnRule("warning", "1d", "2h", 3.0),
    BurnRule("warning", "3d", "6h", 1.0),
)


@dataclass(frozen=True)
class Objective:
    tenant: str
    asset: str
    sli: Sli
    target: float
    """The good share that must hold (0.999)."""
    threshold_s: float | None = None
    """For latency: the duration a good probe stays within."""

    @property
    def budget(self) -> float:
        return 1.0 - self.target

    @property
    def name(self) -> str:
        if self.sli == "latency":
            return f"latency {self.target:.4g} within {self.threshold_s:g}s"
        return f"availability {self.target:.4g}"


def objectives(tenant: str, asset: str, slo: Mapping[str, float]) -> tuple[list[Objective], list[str]]:
    """The objectives an inventory ``slo:`` mapping declares, and a problem per key it cannot use."""
    found: list[Objective] = []
    problems: list[str] = []
    for key in slo:
        if key not in ("availability_ratio", "latency_seconds", "latency_ratio"):
            problems.append(f"{asset}: unknown slo key {key!r} (availability_ratio, latency_seconds, latency_ratio)")
    availability = slo.get("availability_ratio")
    if availability is not None:
        if 0.0 < availability < 1.0:
            found.append(Objective(tenant, asset, "availability", float(availability)))
        else:
            problems.append(f"{asset}: availability_ratio must be between 0 and 1, got {availability}")
    latency = slo.get("latency_seconds")
    if latency is not None:
        ratio = float(slo.get("latency_ratio", 0.99))
        if latency > 0 and 0.0 < ratio < 1.0:
            found.append(Objective(tenant, asset, "latency", ratio, float(latency)))
        else:
            problems.append(f"{asset}: latency_seconds must be > 0 and latency_ratio between 0 and 1")
    return found, problems


def error_ratio_query(sli: Sli, window: str, selector: str, threshold_s: float | None = None) -> str:
    """PromQL of the error ratio over ``window`` per (tenant, asset); ``selector`` are extra label matchers."""
    if window not in WINDOWS:
        raise ValueError(f"unknown SLO window {window!r}; expected one of {', '.join(WINDOWS)}")
    if sli == "availability":
        good = f"avg_over_time(probe_success{{{selector}}}[{window}])"
    else:
        good = f"avg_over_time((probe_duration_seconds{{{selector}}} <= bool {threshold_s:g})[{window}:1m])"
    return f"1 - avg by (tenant, asset) ({good})"


def objective_query(objective: Objective, window: str) -> str:
    """The error-ratio PromQL of one objective's asset (evidence links to exactly what was judged)."""
    return error_ratio_query(
        objective.sli, window, f'tenant="{objective.tenant}",asset="{objective.asset}"', objective.threshold_s
    )


def burn_finding(objective: Objective, errors: Mapping[str, float], end: dt.datetime) -> Finding | None:
    """The finding of the most severe rule that fires on ``errors`` (window -> error ratio), or None.

    A window without data does not fire: an SLO is not judged on silence (absence has its own alerts).
    """
    burns = {w: max(0.0, ratio) / objective.budget for w, ratio in errors.items() if math.isfinite(ratio)}
    for rule in POLICY:
        long_burn, short_burn = burns.get(rule.long), burns.get(rule.short)
        if long_burn is None or short_burn is None or long_burn < rule.factor or short_burn < rule.factor:
            continue
        spent = long_burn * WINDOWS[rule.long] / (PERIOD_DAYS * 86400.0)
        lasts_days = PERIOD_DAYS / long_burn if long_burn > 0 else None
        window = Window(end - dt.timedelta(seconds=WINDOWS[rule.long]), end)
        facts: dict[str, JSON] = {
            "sli": objective.sli,
            "target": objective.target,
            "error_budget": round(objective.budget, 6),
            "rule": f"{rule.long}/{rule.short} > {rule.factor:g}x",
            "budget_spent_in_long_window": round(spent, 4),
            "budget_lasts_days": None if lasts_days is None else round(lasts_days, 2),
            **{f"burn_{w}": round(b, 3) for w, b in sorted(burns.items(), key=lambda item: WINDOWS[item[0]])},
        }
        if objective.threshold_s is not None:
            facts["threshold_seconds"] = objective.threshold_s
        lasts = f"; at this rate the {PERIOD_DAYS:.0f}-day budget lasts {lasts_days:.1f} days" if lasts_days else ""
        return Finding(
            kind=KIND,
            asset_id=objective.asset,
            tenant=objective.tenant,
            severity=rule.severity,
            title=(
                f"SLO {objective.name} of {objective.asset} burning {long_burn:.1f}x its error budget over "
                f"{rule.long} ({short_burn:.1f}x over {rule.short}){lasts}"
            ),
            window=window,
            evidence=(
                MetricEvidence(
                    query=objective_query(objective, rule.long),
                    window=window,
                    observed=errors[rule.long],
                    expected=objective.budget,
                    upper=objective.budget * rule.factor,
                    unit="ratio",
                ),
                FactEvidence("slo.burn_rates", facts),
            ),
            key=objective.sli,
            score=min(1.0, long_burn / (2 * POLICY[0].factor)),
            labels={"sli": objective.sli},
        )
    return None


def burn_findings(
    objectives: Sequence[Objective], errors: Mapping[tuple[str, str, str], Mapping[str, float]], end: dt.datetime
) -> list[Finding]:
    """``errors`` maps (tenant, asset, sli) to window -> error ratio."""
    out = []
    for o in objectives:
        found = burn_finding(o, errors.get((o.tenant, o.asset, o.sli), {}), end)
        if found is not None:
            out.append(found)
    return out
