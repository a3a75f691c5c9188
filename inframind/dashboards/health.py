"""Collection health (probes per target, collectors, the agent) and the analyzer's own health."""

from __future__ import annotations

from inframind.dashboards.kit import (
    ANALYZER,
    COLLECTION,
    HOST,
    TENANT_SCOPE,
    UP,
    Board,
    Q,
    graph,
    grid,
    scope_variables,
    sel,
    single,
    steps,
)

R = "[5m]"
OUTCOMES = ("detect", "acknowledge", "resolve")
"""The incident moments whose mean time the analyzer dashboard shows (``inframind_incident_time_to_*``)."""
STALE = steps((None, "green"), (300, "orange"), (900, "red"))


def collection() -> Board:
    b = Board(
        COLLECTION,
        "InfraMind / Collection health",
        "Is the data arriving? Scrapes and probes per target, collector failures, the agent's lag and buffer.",
        scope_variables(),
    )
    b.row("Targets")
    b.add(
        single(
            "Targets up",
            "percentunit",
            Q(f"avg(up{sel()})"),
            thresholds=steps((None, "red"), (0.9, "orange"), (0.99, "green")),
        ),
        6,
        4,
    )
    b.add(
        single(
            "Probes failing",
            "short",
            Q(f"count(probe_success{sel()} == 0) or vector(0)"),
            thresholds=steps((None, "green"), (1, "red")),
        ),
        6,
        4,
    )
    b.add(
        single("Oldest cached probe", "s", Q(f"max(inframind_probe_cache_age_seconds{sel()})"), thresholds=STALE), 6, 4
    )
    b.add(
        single(
            "Collectors failing",
            "short",
            Q(f"count(node_scrape_collector_success{sel()} == 0) or vector(0)"),
            thresholds=steps((None, "green"), (1, "red")),
        ),
        6,
        4,
    )
    b.add(grid("Scrape targets", Q(f"up{sel()}"), mappings=UP, opens=[("Host detail", HOST)]), 24, 8)
    b.row("Probes per target")
    b.add(
        grid(
            "Probe success, duration and cache age",
            Q(f"probe_success{sel()}", "success"),
            Q(f"probe_duration_seconds{sel()}", "duration"),
            Q(f"inframind_probe_cache_age_seconds{sel()}", "cache age"),
            description="One row per target (instance); the cache age is set for modules polled in the background.",
        ),
        12,
        9,
    )
    success = f"probe_success{sel()}"
    streak = Q(
        f"(time() - max_over_time(timestamp({success} == 1)[1h:1m])) / 60"
        f" or on (asset, instance) ({success} == 0) * 0 + 60",
        "failing for",
    )
    failed = Q(f"sum_over_time((1 - {success})[1h:1m])", "failed in the last hour")
    description = (
        "Minutes since the target's probe last succeeded (60: no success in the last hour; 0: fine now), "
        "and how many of the last 60 minutes it failed (flapping shows here)."
    )
    b.add(grid("Failure streaks (minutes)", streak, failed, unit="m", description=description), 12, 9)
    b.add(graph("Probe duration", "s", Q(f"probe_duration_seconds{sel()}", "{{asset}} {{instance}}")), 12, 8)
    b.add(
        graph(
            "Probe errors by module and reason",
            "ops",
            Q(f"sum by (module, reason) (rate(inframind_probe_errors_total{sel()}{R}))", "{{module}} {{reason}}"),
            Q(f"sum by (module) (rate(inframind_probe_requests_total{sel()}{R}))", "{{module}} requests"),
        ),
        12,
        8,
    )
    b.row("Collectors")
    b.add(
        grid("Collector success", Q(f"min by (asset, collector) (node_scrape_collector_success{sel()})"), mappings=UP),
        12,
        8,
    )
    b.add(
        graph(
            "Collector duration",
            "s",
            Q(f"max by (asset, collector) (node_scrape_collector_duration_seconds{sel()})", "{{asset}} {{collector}}"),
        ),
        12,
        8,
    )
    b.row("Agent")
    b.add(
        graph(
            "Source lag",
            "s",
            Q(f"inframind_agent_source_lag_seconds{sel()}", "{{asset}} {{source}}"),
            description="How long the oldest input not yet in the sink has waited.",
        ),
        8,
        8,
    )
    b.add(
        graph(
            "Disk buffer fill",
            "percentunit",
            Q(f"inframind_agent_buffer_bytes{sel()} / inframind_agent_buffer_max_bytes{sel()}", "{{asset}}"),
        ),
        8,
        8,
    )
    b.add(
        graph(
            "Events shipped",
            "ops",
            Q(f"sum by (asset) (rate(inframind_agent_events_shipped_total{sel()}{R}))", "{{asset}}"),
            Q(f"sum by (asset) (rate(inframind_agent_events_dropped_total{sel()}{R}))", "{{asset}} dropped"),
        ),
        8,
        8,
    )
    b.add(grid("Agent sinks", Q(f"inframind_agent_sink_up{sel()}"), mappings=UP), 24, 6)
    return b


def mean_time_to(moment: str) -> str:
    """Mean seconds from first signal to ``moment`` per tenant, from the analyzer's incident summaries."""
    name = f"inframind_incident_time_to_{moment}_seconds"
    scope = sel(scope=TENANT_SCOPE)
    return f"sum by (tenant) ({name}_sum{scope}) / sum by (tenant) ({name}_count{scope})"


def analyzer() -> Board:
    b = Board(
        ANALYZER,
        "InfraMind / Analyzer health",
        "The analyzer's loops: cycle times, lag, series analyzed, errors, API traffic.",
        scope_variables(),
    )
    loop = "inframind_metric_analyzer"
    b.row("Loops")
    b.add(single("Metric loop lag", "s", Q(f"max({loop}_lag_seconds)"), thresholds=STALE), 6, 4)
    b.add(single("Log loop lag", "s", Q("max(inframind_log_analyzer_lag_seconds)"), thresholds=STALE), 6, 4)
    b.add(single("Series under detectors", "short", Q(f"sum({loop}_detector_series)")), 6, 4)
    b.add(single("Uptime", "s", Q("time() - max(inframind_analyzer_start_time_seconds)")), 6, 4)
    b.add(graph("Cycle time by task", "s", Q(f"max by (task) ({loop}_cycle_seconds)", "{{task}}")), 12, 8)
    b.add(graph("Series analyzed by task", "short", Q(f"sum by (task) ({loop}_series_analyzed)", "{{task}}")), 12, 8)
    b.add(
        graph(
            "Errors",
            "short",
            Q(f"sum by (reason) (increase({loop}_errors_total[1h])) or vector(0)", "{{reason}}"),
            Q(f"sum({loop}_series_skipped)", "series skipped (max_series)"),
        ),
        12,
        8,
    )
    b.add(graph("Log events analyzed", "ops", Q(f"sum(rate(inframind_log_analyzer_events_total{R}))", "events")), 12, 8)
    b.row("Incident outcomes")
    means = [Q(mean_time_to(moment), moment) for moment in OUTCOMES]
    b.add(
        grid(
            "Mean time to detect, acknowledge, resolve",
            *means,
            unit="s",
            hide=("instance",),
            description="Per tenant, from each incident's first signal, over the incidents the analyzer keeps. "
            "Resolve includes detect: an earlier warning shortens both.",
        ),
        12,
        8,
    )
    b.add(
        graph(
            "Mean time to detect, acknowledge, resolve over time",
            "s",
            *(Q(mean_time_to(moment), f"{{{{tenant}}}} {moment}") for moment in OUTCOMES),
        ),
        12,
        8,
    )
    b.row("Outputs and API")
    b.add(grid("Active findings", Q("sum by (kind, severity) (inframind_findings_active)")), 12, 8)
    b.add(
        graph(
            "API requests",
            "reqps",
            Q(f"sum by (route, code) (rate(inframind_analyzer_http_requests_total{R}))", "{{route}} {{code}}"),
        ),
        12,
        8,
    )
    return b
