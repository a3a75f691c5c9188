"""SLO objectives from the inventory mapping, their PromQL, and the multi-window multi-burn-rate rules."""

from __future__ import annotations

import datetime as dt
import math

import pytest

from inframind.analyzer.detect.slo import (
    Objective,
    burn_finding,
    burn_findings,
    error_ratio_query,
    objectives,
)
from inframind.analyzer.findings import FactEvidence, MetricEvidence

END = dt.datetime(2026, 11, 26, 12, tzinfo=dt.UTC)
API = Objective("acme", "svc-api", "availability", 0.999)


def quiet(**burning: float) -> dict[str, float]:
    """Error ratios per window: the budget's own rate (burn 1x) except where given."""
    errors = dict.fromkeys(("5m", "30m", "1h", "2h", "6h", "1d", "3d"), 0.0)
    errors.update({w.replace("w", ""): v for w, v in burning.items()})
    return errors


def test_objectives_from_the_inventory_mapping() -> None:
    found, problems = objectives("acme", "svc", {"availability_ratio": 0.999, "latency_seconds": 0.3})
    assert found == [Objective("acme", "svc", "availability", 0.999), Objective("acme", "svc", "latency", 0.99, 0.3)]
    assert problems == []
    found, problems = objectives("acme", "svc", {"availability_ratio": 99.9, "p99": 1.0})
    assert found == []
    assert any("unknown slo key 'p99'" in p for p in problems) and any("between 0 and 1" in p for p in problems)


def test_error_ratio_queries() -> None:
    assert error_ratio_query("availability", "1h", 'asset=~"a|b",') == (
        '1 - avg by (tenant, asset) (avg_over_time(probe_success{asset=~"a|b",}[1h]))'
    )
    assert error_ratio_query("latency", "5m", "", 0.25) == (
        "1 - avg by (tenant, asset) (avg_over_time((probe_duration_seconds{} <= bool 0.25)[5m:1m]))"
    )
    with pytest.raises(ValueError, match="unknown SLO window"):
        error_ratio_query("availability", "2d", "")


def test_a_fast_burn_pages_on_both_windows_only() -> None:
    # 2% errors on a 0.1% budget: 20x over the last hour and five minutes
    finding = burn_finding(API, quiet(w1h=0.02, w5m=0.02), END)
    assert finding is not None
    assert (finding.kind, finding.severity, finding.asset_id, finding.key) == (
        "slo.burn",
        "critical",
        "svc-api",
        "availability",
    )
    assert "burning 20.0x its error budget over 1h (20.0x over 5m)" in finding.title
    assert "budget lasts 1.5 days" in finding.title
    metric, facts = finding.evidence
    assert isinstance(metric, MetricEvidence) and 'asset="svc-api"' in metric.query and "[1h]" in metric.query
    assert isinstance(facts, FactEvidence) and facts.values["rule"] == "1h/5m > 14.4x"
    # over already: the hour still burnt, the last five minutes are clean -> no page
    assert burn_finding(API, quiet(w1h=0.02, w5m=0.0), END) is None


def test_slow_burns_open_tickets_and_missing_data_judges_nothing() -> None:
    slow = burn_finding(API, quiet(w3d=0.0015, w6h=0.0012), END)
    assert slow is not None and slow.severity == "warning" and "3d" in slow.title
    medium = burn_finding(API, quiet(w1d=0.004, w2h=0.0035, w3d=0.004, w6h=0.004), END)
    assert medium is not None and medium.severity == "warning" and "over 1d" in medium.title
    assert burn_finding(API, {"1h": math.nan, "5m": 0.5}, END) is None
    assert burn_finding(API, {}, END) is None


def test_burn_findings_match_errors_by_tenant_asset_and_sli() -> None:
    latency = Objective("acme", "svc-api", "latency", 0.99, 0.3)
    errors = {("acme", "svc-api", "latency"): quiet(w1h=0.2, w5m=0.3), ("acme", "svc-api", "availability"): quiet()}
    (finding,) = burn_findings([API, latency], errors, END)
    assert finding.key == "latency" and finding.severity == "critical"
