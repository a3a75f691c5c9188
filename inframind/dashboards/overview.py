"""The fleet overview (risk, active findings, top risks) and capacity forecasts: where an operator starts."""

from __future__ import annotations

from inframind.dashboards.kit import (
    FLEET,
    FORECASTS,
    HOST,
    RISK,
    STORAGE,
    TENANT_SCOPE,
    Board,
    Q,
    bars,
    graph,
    grid,
    scope_variables,
    sel,
    single,
    steps,
)

FS = 'fstype!~"tmpfs|overlay|squashfs|ramfs"'
INCIDENTS = f"inframind_incidents_active{sel(scope=TENANT_SCOPE)}"
"""Open incidents per tenant and severity (the analyzer's outcome collector; no asset label)."""


def fleet() -> Board:
    b = Board(
        FLEET, "InfraMind / Fleet", "Risk, active findings and the riskiest assets of the fleet.", scope_variables()
    )
    b.row("Now")
    b.add(
        single(
            "Assets reporting",
            "short",
            Q(f"count(count by (asset) (up{sel()} == 1))"),
            description="Assets with at least one target scraped successfully.",
        ),
        4,
        4,
    )
    b.add(
        single(
            "Targets down",
            "short",
            Q(f"count(up{sel()} == 0) or vector(0)"),
            thresholds=steps((None, "green"), (1, "red")),
        ),
        4,
        4,
    )
    b.add(single("Mean risk", "short", Q(f"avg(inframind_asset_risk_score{sel()})"), thresholds=RISK), 4, 4)
    b.add(single("Highest risk", "short", Q(f"max(inframind_asset_risk_score{sel()})"), thresholds=RISK), 4, 4)
    b.add(
        single(
            "Active findings",
            "short",
            Q("sum(inframind_findings_active)"),
            description="Findings the analyzer holds active (all tenants: the count has no tenant label).",
        ),
        4,
        4,
    )
    b.add(
        single(
            "Critical findings",
            "short",
            Q('sum(inframind_findings_active{severity="critical"}) or vector(0)'),
            thresholds=steps((None, "green"), (1, "red")),
        ),
        4,
        4,
    )
    b.row("Incidents")
    b.add(
        single(
            "Active incidents",
            "short",
            Q(f"sum({INCIDENTS}) or vector(0)"),
            thresholds=steps((None, "green"), (1, "red")),
            description="Open incidents of the chosen tenants: correlated findings, one per trouble.",
        ),
        6,
        8,
    )
    b.add(
        bars(
            "Active incidents by severity",
            "short",
            Q(f"sum by (severity) ({INCIDENTS})", "{{severity}}"),
            description="Open incidents now, per severity.",
        ),
        6,
        8,
    )
    b.add(
        graph(
            "Open incidents over time",
            "short",
            Q(f"sum by (severity) ({INCIDENTS})", "{{severity}}"),
            stack=True,
            description="Open incidents per severity; the analyzer API lists them with their root-cause chain.",
        ),
        12,
        8,
    )
    b.row("Risk")
    b.add(
        bars(
            "Top risks",
            "short",
            Q(f"topk(10, inframind_asset_risk_score{sel()})", "{{asset}}"),
            thresholds=RISK,
            max_value=100,
            opens=[("Host detail", HOST)],
            description="The ten riskiest assets (0-100); click a bar for the host.",
        ),
        12,
        10,
    )
    b.add(
        graph("Risk over time (top 5)", "short", Q(f"topk(5, inframind_asset_risk_score{sel()})", "{{asset}}")), 12, 10
    )
    b.row("Findings")
    b.add(
        grid(
            "Active findings by kind",
            Q("sum by (kind, severity) (inframind_findings_active)"),
            description="From the analyzer's /metrics; open the analyzer API for evidence.",
        ),
        8,
        9,
    )
    b.add(
        grid(
            "Drives most likely to fail",
            Q(f"topk(10, inframind_disk_failure_probability{sel()})"),
            unit="percentunit",
            hide=("instance",),
            opens=[("Storage", STORAGE)],
        ),
        8,
        9,
    )
    b.add(
        grid(
            "Filling up",
            Q(f"inframind_capacity_time_to_full_seconds{sel()}"),
            unit="dtdurations",
            hide=("instance",),
            opens=[("Forecasts", FORECASTS)],
        ),
        8,
        9,
    )
    return b


def forecasts() -> Board:
    b = Board(
        FORECASTS,
        "InfraMind / Forecasts",
        "Capacity: usage, its trend interval and the analyzer's time to full.",
        scope_variables(),
    )
    b.row("Time to full")
    b.add(
        grid(
            "Analyzer forecast: time to full (80% interval)",
            Q(f"inframind_capacity_time_to_full_earliest_seconds{sel()}", "earliest"),
            Q(f"inframind_capacity_time_to_full_seconds{sel()}", "expected"),
            Q(f"inframind_capacity_time_to_full_latest_seconds{sel()}", "latest"),
            unit="dtdurations",
            hide=("instance",),
            description="Only resources the analyzer expects to fill within its horizon; the interval's late edge "
            "is empty when the slow end of the forecast never fills.",
        ),
        12,
        8,
    )
    b.add(
        bars(
            "Linear trend: days to full (7 d lookback)",
            "d",
            Q(
                f"bottomk(10, node_filesystem_avail_bytes{sel(FS)} / -deriv(node_filesystem_avail_bytes{sel(FS)}[7d])"
                " / 86400 > 0)",
                "{{asset}} {{mountpoint}}",
            ),
            description="Days until free space reaches zero if the last week's trend holds.",
        ),
        12,
        8,
    )
    b.row("Filesystems")
    used = f"1 - node_filesystem_avail_bytes{sel(FS)} / node_filesystem_size_bytes{sel(FS)}"
    b.add(graph("Used ratio", "percentunit", Q(used, "{{asset}} {{mountpoint}}")), 12, 9)
    b.add(
        graph(
            "Free space in 7 days: trend interval",
            "bytes",
            Q(
                f"min by (asset, mountpoint) (predict_linear(node_filesystem_avail_bytes{sel(FS)}[6h], 7 * 86400))",
                "{{asset}} {{mountpoint}} low (6 h trend)",
            ),
            Q(
                f"min by (asset, mountpoint) (predict_linear(node_filesystem_avail_bytes{sel(FS)}[3d], 7 * 86400))",
                "{{asset}} {{mountpoint}} high (3 d trend)",
            ),
            description="Free space a week ahead, extrapolated from the last 6 hours and the last 3 days: "
            "the two trends bound the likely value.",
        ),
        12,
        9,
    )
    b.row("Memory and hot spots")
    mem = f"1 - node_memory_MemAvailable_bytes{sel()} / node_memory_MemTotal_bytes{sel()}"
    b.add(
        graph(
            "Memory used with 1 d trend",
            "percentunit",
            Q(mem, "{{asset}}"),
            Q(f"predict_linear(({mem})[1d:5m], 7 * 86400)", "{{asset}} in 7 d"),
        ),
        12,
        9,
    )
    b.add(grid("Hot spots (utilization over group mean)", Q(f"inframind_hotspot_ratio{sel()} > 0")), 12, 9)
    return b
