"""BMC hardware (thermal, PSU, fans, SEL), Windows events and logs: what the devices and their logs say."""

from __future__ import annotations

from inframind.dashboards.kit import (
    HARDWARE,
    HEALTH,
    HOST,
    LOGS,
    WINDOWS,
    Board,
    Q,
    bars,
    graph,
    grid,
    scope_variables,
    sel,
    single,
    value_map,
)

R = "[5m]"
SEVERITY = value_map(v0=("nominal", "green"), v1=("warning", "orange"), v2=("critical", "red"))
FAULT = value_map(v0=("fault", "red"), v1=("ok", "green"))
TENANT = 'tenant=~"$tenant"'
SERIOUS = 'level=~"error|critical"'
KEY_IDS = 'event_id!="other"'


def hardware() -> Board:
    b = Board(
        HARDWARE,
        "InfraMind / Hardware and BMC",
        "IPMI and Redfish: temperatures, fans, power supplies, sensor states and the system event log.",
        scope_variables(),
    )
    b.row("Thermal")
    b.add(graph("IPMI temperatures", "celsius", Q(f"ipmi_temperature_celsius{sel()}", "{{asset}} {{name}}")), 12, 8)
    b.add(
        graph(
            "Redfish temperatures", "celsius", Q(f"inframind_redfish_temperature_celsius{sel()}", "{{asset}} {{name}}")
        ),
        12,
        8,
    )
    b.add(
        grid(
            "Sensor states",
            Q(
                f"max by (asset, name) (ipmi_temperature_state{sel()} or ipmi_fan_speed_state{sel()}"
                f" or ipmi_voltage_state{sel()} or ipmi_power_state{sel()} or ipmi_current_state{sel()})"
            ),
            mappings=SEVERITY,
            opens=[("Host detail", HOST)],
            description="Threshold state of every typed IPMI sensor.",
        ),
        12,
        8,
    )
    b.add(
        grid(
            "Other sensors (discrete)", Q(f"max by (asset, name, type) (ipmi_sensor_state{sel()})"), mappings=SEVERITY
        ),
        12,
        8,
    )
    b.row("Fans and power")
    b.add(graph("IPMI fan speed", "rotrpm", Q(f"ipmi_fan_speed_rpm{sel()}", "{{asset}} {{name}}")), 8, 8)
    b.add(
        graph("Redfish fan speed", "rotrpm", Q(f"inframind_redfish_fan_speed_rpm{sel()}", "{{asset}} {{name}}")),
        8,
        8,
    )
    b.add(
        graph(
            "Power draw",
            "watt",
            Q(f"ipmi_power_watts{sel()}", "{{asset}} {{name}}"),
            Q(f"inframind_redfish_power_consumed_watts{sel()}", "{{asset}} Redfish"),
        ),
        8,
        8,
    )
    b.add(
        grid(
            "Power supplies (Redfish)",
            Q(f"inframind_redfish_power_supply_health{sel()}"),
            mappings=HEALTH,
            hide=("instance", "serial"),
        ),
        12,
        8,
    )
    b.add(
        grid(
            "Chassis faults (IPMI)",
            Q(f"ipmi_chassis_cooling_fault_state{sel()}", "cooling"),
            Q(f"ipmi_chassis_drive_fault_state{sel()}", "drive"),
            mappings=FAULT,
            hide=("instance",),
        ),
        12,
        8,
    )
    b.row("System event log")
    b.add(
        bars(
            "SEL entries by severity",
            "short",
            Q(f"sum by (asset, severity) (inframind_ipmi_sel_entries{sel()})", "{{asset}} {{severity}}"),
        ),
        12,
        8,
    )
    b.add(
        grid(
            "SEL fill",
            Q(f"ipmi_sel_logs_count{sel()}", "entries"),
            Q(f"ipmi_sel_free_space_bytes{sel()}", "free"),
            hide=("instance",),
            description="A full SEL stops recording: clear it after reading.",
        ),
        12,
        8,
    )
    return b


def windows() -> Board:
    b = Board(
        WINDOWS,
        "InfraMind / Windows events",
        "EventLog counters the agent keeps per Windows target (read over WinRM): bursts, key event ids, gaps.",
        scope_variables(),
    )
    events = "inframind_eventlog_events_total"
    b.row("Events")
    b.add(
        graph(
            "Events per second by level",
            "ops",
            Q(f"sum by (target, level) (rate({events}{sel(scope=TENANT)}{R}))", "{{target}} {{level}}"),
        ),
        12,
        9,
    )
    b.add(
        graph(
            "Errors and criticals per channel",
            "ops",
            Q(
                f"sum by (target, channel) (rate({events}{sel(SERIOUS, scope=TENANT)}{R}))",
                "{{target}} {{channel}}",
            ),
        ),
        12,
        9,
    )
    b.add(
        bars(
            "Key event ids (last hour)",
            "short",
            Q(
                f"topk(10, sum by (target, event_id) (increase({events}{sel(KEY_IDS, scope=TENANT)}[1h])))",
                "{{target}} {{event_id}}",
            ),
            description="Reboots, crashes, service failures, disk errors, logon attacks, cleared logs.",
        ),
        12,
        9,
    )
    b.add(
        grid(
            "Reading gaps (cleared or overwritten logs)",
            Q(f"sum by (target, channel, reason) (inframind_eventlog_cursor_gaps_total{sel(scope=TENANT)})"),
        ),
        12,
        9,
    )
    return b


def logs() -> Board:
    b = Board(
        LOGS,
        "InfraMind / Logs",
        "Log template rates and new templates from the analyzer's streaming miner.",
        scope_variables(),
    )
    rate = "inframind_log_template_rate"
    b.row("Templates")
    b.add(single("Templates active", "short", Q(f"count({rate}{sel()})")), 6, 4)
    b.add(
        single(
            "New templates (last hour)",
            "short",
            Q(f"count({rate}{sel()} unless {rate}{sel()} offset 1h)"),
            description="Templates with a rate now and none an hour ago.",
        ),
        6,
        4,
    )
    b.add(single("Events analyzed per second", "ops", Q(f"sum(rate(inframind_log_analyzer_events_total{R}))")), 6, 4)
    b.add(single("Analyzer lag", "s", Q("max(inframind_log_analyzer_lag_seconds)")), 6, 4)
    b.add(bars("Busiest templates", "ops", Q(f"topk(10, {rate}{sel()})", "{{asset}} {{template_id}}")), 12, 9)
    b.add(graph("Template rate per asset", "ops", Q(f"sum by (asset) ({rate}{sel()})", "{{asset}}")), 12, 9)
    b.add(
        grid(
            "New templates",
            Q(f"{rate}{sel()} unless {rate}{sel()} offset 1h"),
            unit="ops",
            opens=[("Host detail", HOST)],
            description="Look the template up with `inframind logs templates` or the analyzer API.",
        ),
        24,
        8,
    )
    return b
