"""The loop's PromQL templates: placeholders, selectors and the query that names one series."""

from __future__ import annotations

import dataclasses

from inframind.analyzer.metricloop_settings import MetricAnalysisSettings
from inframind.analyzer.metricloop_signals import ANOMALY_SIGNALS, UTILIZATION, quote, render, selector, series_query

AWAIT = next(s for s in ANOMALY_SIGNALS if s.signal == "disk_await")


def test_every_anomaly_signal_is_a_known_kind() -> None:
    from inframind.analyzer.detect.anomaly import SIGNALS

    assert {s.signal for s in ANOMALY_SIGNALS} <= set(SIGNALS)
    assert all("$SEL" in s.expr and "by (tenant, asset" in s.expr for s in ANOMALY_SIGNALS)


def test_render_fills_placeholders_and_tidies_empty_matchers() -> None:
    assert render(UTILIZATION["cpu"], rate_window=120) == (
        '1 - avg by (tenant, asset) (rate(node_cpu_seconds_total{mode="idle"}[120s]))'
    )
    assert render(UTILIZATION["memory"], groups=("cluster", "rack")).startswith(
        "1 - sum by (tenant, asset, cluster, rack) (node_memory_MemAvailable_bytes)"
    )
    assert "$" not in render(AWAIT.expr) and "{}" not in render(AWAIT.expr)


def test_selectors_quote_and_escape() -> None:
    assert selector({"asset": 'we"ird\\'}) == 'asset="we\\"ird\\\\",'
    assert selector(asset=["b.1", "a|2", "b.1"]) == 'asset=~"a\\\\|2|b\\\\.1",'
    assert quote("x") == '"x"'


def test_one_series_is_pinned_by_tenant_asset_and_component() -> None:
    query = series_query(AWAIT, {"tenant": "acme", "asset": "db-1", "device": "sdb", "job": "node"}, 300)
    assert query.count('{tenant="acme",asset="db-1",device="sdb"}') == 4
    assert "job" not in query


def test_settings_check_names_each_problem() -> None:
    assert list(MetricAnalysisSettings().check()) == []
    bad = dataclasses.replace(MetricAnalysisSettings(), interval=0, max_series=0, rate_window=60.0, cold_ratio=0.9,
                              forecast_model="arima")  # fmt: skip
    problems = dict(bad.check())
    assert set(problems) == {("interval",), ("max_series",), ("rate_window",), ("cold_ratio",), ("forecast_model",)}
