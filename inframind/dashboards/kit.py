"""What every InfraMind dashboard shares: datasource refs, uids, the scope variables and the panel factories.

Conventions the dashboards keep (and the tests check):

- Asset series are scoped by ``tenant=~"$tenant", asset=~"$asset"``. ``site`` and ``rack`` only narrow the list of
  assets: the asset variable has no custom "All" value, so "All" expands to exactly the assets of the chosen
  sites and racks, and the analyzer's outputs (which carry only ``tenant`` and ``asset``) follow the same filter.
  Process-wide series (the analyzer's own health, its findings count) and per-target ones (Windows EventLog
  counters, labelled by ``target``) take ``sel(scope=...)``.
- Variables read their values from ``up``, which the scraper writes for every target with the target labels.
- Raw PromQL with a fixed ``[5m]`` rate window, no recording rules: the tests run every expression as written.
- Panels fill whole rows of 24 columns; ids are assigned in order; every query names its datasource.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from grafana_foundation_sdk.builders import bargauge, prometheus, stat, table, timeseries
from grafana_foundation_sdk.builders import common as cb
from grafana_foundation_sdk.builders import dashboard as dash
from grafana_foundation_sdk.cog import builder as cogbuilder
from grafana_foundation_sdk.cog.encoder import JSONEncoder
from grafana_foundation_sdk.models import common
from grafana_foundation_sdk.models import dashboard as model
from grafana_foundation_sdk.models import prometheus as prommodel

from inframind.dashboards import uids

VM_UID = uids.VM_UID
OPENSEARCH_UID = "inframind-opensearch"
ALERTMANAGER_UID = "inframind-alertmanager"
VM = model.DataSourceRef(type_val="prometheus", uid=VM_UID)
OPENSEARCH = model.DataSourceRef(type_val="grafana-opensearch-datasource", uid=OPENSEARCH_UID)
TAG = "inframind"
SCOPE = 'tenant=~"$tenant", asset=~"$asset"'
TENANT_SCOPE = 'tenant=~"$tenant"'
"""For series that belong to a tenant but no asset (the analyzer's incident counts and outcomes)."""

FLEET, HOST, STORAGE, HARDWARE = "inframind-fleet", "inframind-host", "inframind-storage", "inframind-hardware"
NETWORK, WINDOWS, LOGS, FORECASTS = "inframind-network", "inframind-windows", "inframind-logs", "inframind-forecasts"
COLLECTION, ANALYZER = "inframind-collection", "inframind-analyzer"

Panel = timeseries.Panel | stat.Panel | table.Panel | bargauge.Panel
P = TypeVar("P", timeseries.Panel, stat.Panel, table.Panel, bargauge.Panel)


def sel(*matchers: str, scope: str = SCOPE) -> str:
    """A label selector: the dashboard scope plus ``matchers`` (``scope=""`` for process-wide series)."""
    return "{" + ", ".join(m for m in (scope, *matchers) if m) + "}"


@dataclass(frozen=True)
class Q:
    """One PromQL target."""

    expr: str
    legend: str = ""


# ---------------------------------------------------------------- variables


def variable(name: str, label: str, query: str, all_value: str | None = ".*") -> dash.QueryVariable:
    """A multi-value label_values variable that starts on All."""
    built = (
        dash.QueryVariable(name)
        .label(label)
        .datasource(VM)
        .query(query)
        .refresh(model.VariableRefresh.ON_TIME_RANGE_CHANGED)
        .sort(model.VariableSort.ALPHABETICAL_ASC)
        .multi(True)
        .include_all(True)
        .current(model.VariableOption(selected=True, text="All", value="$__all"))
    )
    return built if all_value is None else built.all_value(all_value)


def scope_variables() -> list[dash.QueryVariable]:
    """tenant, site, rack and asset, each filtered by those before it, read from ``up``."""

    def on(*matchers: str) -> str:
        return "up" + ("{" + ", ".join(matchers) + "}" if matchers else "")

    tenant, site, rack = 'tenant=~"$tenant"', 'site=~"$site"', 'rack=~"$rack"'
    return [
        variable("tenant", "Tenant", f"label_values({on()}, tenant)"),
        variable("site", "Site", f"label_values({on(tenant)}, site)"),
        variable("rack", "Rack", f"label_values({on(tenant, site)}, rack)"),
        variable("asset", "Asset", f"label_values({on(tenant, site, rack)}, asset)", all_value=None),
    ]


# ---------------------------------------------------------------- field options


def steps(*points: tuple[float | None, str]) -> dash.ThresholdsConfig:
    """Absolute color steps; the first value is None (the base color)."""
    return (
        dash.ThresholdsConfig()
        .mode(model.ThresholdsMode.ABSOLUTE)
        .steps([model.Threshold(value=v, color=c) for v, c in points])
    )


def value_map(**texts: tuple[str, str]) -> list[model.ValueMapping]:
    """``value_map(v0=("OK", "green"))``: exact values (``v`` + the number) shown as text in a color."""
    options = {
        k.removeprefix("v"): model.ValueMappingResult(text=t, color=c, index=i)
        for i, (k, (t, c)) in enumerate(texts.items())
    }
    return [model.ValueMap(options=options)]


LAST = cb.ReduceDataOptions().calcs(["lastNotNull"]).values(False)
"""Stat and bar gauge panels show each series' last value."""
HEALTH = value_map(v0=("OK", "green"), v1=("Warning", "orange"), v2=("Critical", "red"))
UP = value_map(v0=("down", "red"), v1=("up", "green"))
RISK = steps((None, "green"), (40, "yellow"), (70, "red"))


def link(title: str, uid: str, *params: str) -> dash.DashboardLink:
    """A data link to another dashboard, keeping the time range.

    ``params`` are URL parameters such as ``var-asset=${__field.labels.asset}``.
    """
    query = "&".join((*params, "${__url_time_range}"))
    return dash.DashboardLink(title).type(model.DashboardLinkType.LINK).url(f"/d/{uid}?{query}")


SERIES_LABELS = "__field.labels"
"""How a data link names a label of the clicked series (time series, bar gauge)."""
ROW_FIELDS = "__data.fields"
"""How a data link names a column of the clicked table row (instant queries in table format)."""


def asset_links(opens: Sequence[tuple[str, str]], ref: str) -> list[cogbuilder.Builder[model.DashboardLink]]:
    """Data links ``(title, dashboard uid)`` that open another dashboard on the clicked asset and its tenant."""
    return [link(title, uid, f"var-tenant=${{{ref}.tenant}}", f"var-asset=${{{ref}.asset}}") for title, uid in opens]


# ---------------------------------------------------------------- the board


class Board:
    """One dashboard: assigns panel ids and refIds, lays panels out in full rows, renders JSON."""

    def __init__(self, uid: str, title: str, description: str, variables: Sequence[dash.QueryVariable]) -> None:
        self.uid = uid
        self._dash = (
            dash.Dashboard(title)
            .uid(uid)
            .description(description)
            .tags([TAG])
            .time("now-6h", "now")
            .refresh("1m")
            .timezone("browser")
            .tooltip(model.DashboardCursorSync.CROSSHAIR)
            .readonly()
            .link(
                dash.DashboardLink("InfraMind dashboards")
                .type(model.DashboardLinkType.DASHBOARDS)
                .tags([TAG])
                .as_dropdown(True)
                .include_vars(True)
                .keep_time(True)
            )
        )
        for v in variables:
            self._dash.with_variable(v)
        self._next_id = 1
        self._x = 0

    def row(self, title: str) -> Board:
        """Start a row: the panels before it must have filled theirs."""
        if self._x:
            raise ValueError(f"{self.uid}: the row before {title!r} does not fill 24 columns")
        self._dash.with_row(dash.Row(title).id(self._take_id()))
        return self

    def add(self, panel: Panel, width: int, height: int = 8) -> Board:
        """Place ``panel`` after the last one; Grafana wraps a row at 24 columns."""
        if self._x + width > 24:
            raise ValueError(f"{self.uid}: panel {self._next_id} overflows its row")
        self._dash.with_panel(panel.id(self._take_id()).span(width).height(height))
        self._x = (self._x + width) % 24
        return self

    def _take_id(self) -> int:
        self._next_id += 1
        return self._next_id - 1

    def to_dict(self) -> dict[str, Any]:
        """The dashboard JSON model as plain data (what grafana/dashboards/<uid>.json holds)."""
        if self._x:
            raise ValueError(f"{self.uid}: the last row does not fill 24 columns")
        data: dict[str, Any] = json.loads(json.dumps(self._dash.build(), cls=JSONEncoder))
        return data


# ---------------------------------------------------------------- panels


def ref_id(index: int) -> str:
    """Grafana's refId of the index-th query of a panel: A, B, C ..."""
    return chr(ord("A") + index)


def _targets(panel: P, queries: Sequence[Q], mode: str) -> P:
    """Attach the queries: ``range`` (time series), ``instant`` (one value per series) or ``table``."""
    for i, q in enumerate(queries):
        target = prometheus.Dataquery().expr(q.expr).ref_id(ref_id(i)).datasource(VM)
        if q.legend:
            target = target.legend_format(q.legend)
        target = target.range() if mode == "range" else target.instant()
        if mode == "table":
            target = target.format(prommodel.PromQueryFormat.TABLE)
        panel = panel.with_target(target)
    return panel.datasource(VM)


def graph(title: str, unit: str, *queries: Q, description: str = "", stack: bool = False) -> timeseries.Panel:
    """A time series panel with its legend below."""
    legend = cb.VizLegendOptions().show_legend(True).display_mode(common.LegendDisplayMode.LIST)
    panel = timeseries.Panel().title(title).description(description).unit(unit).fill_opacity(10)
    panel = panel.legend(legend.placement(common.LegendPlacement.BOTTOM))
    if stack:
        panel = panel.stacking(cb.StackingConfig().mode(common.StackingMode.NORMAL))
    return _targets(panel, queries, "range")


def single(
    title: str,
    unit: str,
    query: Q,
    *,
    description: str = "",
    thresholds: dash.ThresholdsConfig | None = None,
    mappings: list[model.ValueMapping] | None = None,
) -> stat.Panel:
    """A stat panel over an instant query (one value per series)."""
    panel = stat.Panel().title(title).description(description).unit(unit).reduce_options(LAST)
    panel = panel.graph_mode(common.BigValueGraphMode.NONE).color_mode(common.BigValueColorMode.VALUE)
    if thresholds is not None:
        panel = panel.thresholds(thresholds)
    if mappings is not None:
        panel = panel.mappings(mappings)
    return _targets(panel, [query], "instant")


def grid(
    title: str,
    *queries: Q,
    description: str = "",
    unit: str = "",
    hide: Sequence[str] = (),
    opens: Sequence[tuple[str, str]] = (),
    mappings: list[model.ValueMapping] | None = None,
) -> table.Panel:
    """A table over instant queries: one row per series, its labels as columns (``hide`` drops some).

    Several queries are merged into one row per label set, their value columns named by the queries' legends;
    ``opens`` are ``(title, uid)`` links from a row to another dashboard on that row's asset.
    """
    panel = table.Panel().title(title).description(description).unit(unit).show_header(True).filterable(True)
    exclude = dict.fromkeys(("Time", "__name__", "job", *hide), True)
    rename: dict[str, str] = {}
    if len(queries) > 1:
        panel = panel.with_transformation(model.DataTransformerConfig(id_val="merge", options={}))
        rename = {f"Value #{ref_id(i)}": q.legend for i, q in enumerate(queries) if q.legend}
    options = {"excludeByName": exclude, "renameByName": rename}
    panel = panel.with_transformation(model.DataTransformerConfig(id_val="organize", options=options))
    if opens:
        panel = panel.data_links(asset_links(opens, ROW_FIELDS))
    if mappings is not None:
        panel = panel.mappings(mappings)
    return _targets(panel, queries, "table")


def bars(
    title: str,
    unit: str,
    query: Q,
    *,
    description: str = "",
    thresholds: dash.ThresholdsConfig | None = None,
    max_value: float | None = None,
    opens: Sequence[tuple[str, str]] = (),
) -> bargauge.Panel:
    """A horizontal bar gauge over an instant query (one bar per series)."""
    panel = bargauge.Panel().title(title).description(description).unit(unit).min(0).reduce_options(LAST)
    panel = panel.orientation(common.VizOrientation.HORIZONTAL).display_mode(common.BarGaugeDisplayMode.GRADIENT)
    if max_value is not None:
        panel = panel.max(max_value)
    if opens:
        panel = panel.data_links(asset_links(opens, SERIES_LABELS))
    if thresholds is not None:
        panel = panel.thresholds(thresholds)
    return _targets(panel, [query], "instant")
