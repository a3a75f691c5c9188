"""One host in detail, its storage (SMART with failure probabilities, RAID) and the network (host NICs, SNMP)."""

from __future__ import annotations

from inframind.dashboards.kit import (
    FORECASTS,
    HEALTH,
    HOST,
    NETWORK,
    RISK,
    STORAGE,
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
DISK = 'device!~"loop.*|ram.*"'
IDLE = 'mode="idle"'
NOT_IDLE = 'mode!="idle"'
CURRENT = 'temperature_type="current"'
CPU = "node_cpu_seconds_total"
R = "[5m]"
RISKY = steps((None, "green"), (0.01, "yellow"), (0.1, "red"))


def host() -> Board:
    b = Board(
        HOST, "InfraMind / Host", "CPU, memory, disks, network and the analyzer's view of one host.", scope_variables()
    )
    b.row("Analyzer")
    b.add(single("Risk score", "short", Q(f"max(inframind_asset_risk_score{sel()})"), thresholds=RISK), 6, 4)
    b.add(
        single(
            "Strongest anomaly",
            "percentunit",
            Q(f"max(inframind_anomaly_score{sel()})"),
            thresholds=steps((None, "green"), (0.5, "orange"), (0.8, "red")),
        ),
        6,
        4,
    )
    b.add(single("CPU cores", "short", Q(f"count({CPU}{sel(IDLE)})")), 6, 4)
    b.add(single("Memory", "bytes", Q(f"sum(node_memory_MemTotal_bytes{sel()})")), 6, 4)
    b.row("CPU and memory")
    b.add(graph("CPU busy", "percentunit", Q(f"1 - avg by (asset) (rate({CPU}{sel(IDLE)}{R}))", "{{asset}}")), 8, 8)
    b.add(
        graph(
            "CPU by mode", "percentunit", Q(f"avg by (mode) (rate({CPU}{sel(NOT_IDLE)}{R}))", "{{mode}}"), stack=True
        ),
        8,
        8,
    )
    b.add(
        graph(
            "Memory used",
            "percentunit",
            Q(f"1 - node_memory_MemAvailable_bytes{sel()} / node_memory_MemTotal_bytes{sel()}", "{{asset}}"),
        ),
        8,
        8,
    )
    b.add(
        graph(
            "Load (1 m) per core",
            "short",
            Q(f"node_load1{sel()} / on (asset) group_left () count by (asset) ({CPU}{sel(IDLE)})", "{{asset}}"),
        ),
        12,
        8,
    )
    b.add(
        graph("Temperatures (BMC)", "celsius", Q(f"ipmi_temperature_celsius{sel()}", "{{asset}} {{name}}")),
        12,
        8,
    )
    b.row("Disks and filesystems")
    ops = f"rate(node_disk_reads_completed_total{sel(DISK)}{R}) + rate(node_disk_writes_completed_total{sel(DISK)}{R})"
    busy = (
        f"rate(node_disk_read_time_seconds_total{sel(DISK)}{R}) + "
        f"rate(node_disk_write_time_seconds_total{sel(DISK)}{R})"
    )
    b.add(graph("Disk IOPS", "iops", Q(ops, "{{asset}} {{device}}")), 8, 8)
    b.add(graph("Disk latency per IO", "s", Q(f"({busy}) / ({ops})", "{{asset}} {{device}}")), 8, 8)
    b.add(
        graph(
            "Disk busy",
            "percentunit",
            Q(f"rate(node_disk_io_time_seconds_total{sel(DISK)}{R})", "{{asset}} {{device}}"),
        ),
        8,
        8,
    )
    b.add(
        grid(
            "Filesystems used",
            Q(f"1 - node_filesystem_avail_bytes{sel(FS)} / node_filesystem_size_bytes{sel(FS)}"),
            unit="percentunit",
            hide=("instance", "fstype"),
            opens=[("Forecasts", FORECASTS)],
        ),
        24,
        7,
    )
    b.row("Network")
    b.add(
        graph(
            "Traffic",
            "bps",
            Q(f"rate(node_network_receive_bytes_total{sel()}{R}) * 8", "{{asset}} {{device}} in"),
            Q(f"rate(node_network_transmit_bytes_total{sel()}{R}) * 8", "{{asset}} {{device}} out"),
        ),
        12,
        8,
    )
    b.add(
        graph(
            "Errors and drops",
            "pps",
            Q(
                f"rate(node_network_receive_errs_total{sel()}{R}) + rate(node_network_transmit_errs_total{sel()}{R})",
                "{{asset}} {{device}} errors",
            ),
            Q(
                f"rate(node_network_receive_drop_total{sel()}{R}) + rate(node_network_transmit_drop_total{sel()}{R})",
                "{{asset}} {{device}} drops",
            ),
        ),
        12,
        8,
    )
    return b


def storage() -> Board:
    b = Board(
        STORAGE,
        "InfraMind / Storage and SMART",
        "Drive health from SMART and Redfish, the analyzer's failure probabilities, RAID volumes.",
        scope_variables(),
    )
    smart_raw = 'attribute_value_type="raw"'
    b.row("Failure probability")
    b.add(
        bars(
            "Failure probability within 14 days",
            "percentunit",
            Q(f"topk(15, inframind_disk_failure_probability{sel()})", "{{asset}} {{device}}"),
            thresholds=RISKY,
            max_value=1,
            opens=[("Host detail", HOST)],
            description="The analyzer's calibrated model over SMART/NVMe/Redfish counters.",
        ),
        12,
        9,
    )
    b.add(
        graph(
            "Failure probability over time",
            "percentunit",
            Q(f"inframind_disk_failure_probability{sel()}", "{{asset}} {{device}}"),
        ),
        12,
        9,
    )
    b.row("SMART (ATA)")
    attrs = 'attribute_name=~"Reallocated_Sector_Ct|Current_Pending_Sector|Offline_Uncorrectable"'
    b.add(
        grid(
            "Reallocated, pending, uncorrectable sectors",
            Q(f"max by (asset, device, attribute_name) (smartctl_device_attribute{sel(attrs, smart_raw)})"),
            description="Raw counts; any growth is worth a ticket.",
        ),
        12,
        9,
    )
    b.add(
        graph(
            "Sector counters",
            "short",
            Q(f"smartctl_device_attribute{sel(attrs, smart_raw)}", "{{asset}} {{device}} {{attribute_name}}"),
        ),
        12,
        9,
    )
    b.add(
        graph("Drive temperature", "celsius", Q(f"smartctl_device_temperature{sel(CURRENT)}", "{{asset}} {{device}}")),
        12,
        8,
    )
    b.add(
        grid("Power-on time", Q(f"smartctl_device_power_on_seconds{sel()}"), unit="dtdurations", hide=("instance",)),
        12,
        8,
    )
    b.row("NVMe")
    b.add(
        bars(
            "NVMe wear (percentage used)",
            "percent",
            Q(f"smartctl_device_percentage_used{sel()}", "{{asset}} {{device}}"),
            max_value=100,
            thresholds=steps((None, "green"), (80, "orange"), (95, "red")),
        ),
        8,
        8,
    )
    b.add(grid("NVMe media errors", Q(f"smartctl_device_media_errors{sel()}"), hide=("instance",)), 8, 8)
    b.add(grid("NVMe spare", Q(f"smartctl_device_available_spare{sel()}"), unit="percent", hide=("instance",)), 8, 8)
    b.row("Controllers and volumes (Redfish)")
    b.add(grid("Drive health", Q(f"inframind_redfish_drive_health{sel()}"), mappings=HEALTH, hide=("instance",)), 12, 8)
    b.add(grid("Volumes and RAID state", Q(f"inframind_redfish_volume_state{sel()} == 1"), hide=("instance",)), 12, 8)
    return b


def network() -> Board:
    b = Board(
        NETWORK, "InfraMind / Network", "Switch and router interfaces (SNMP IF-MIB) and host NICs.", scope_variables()
    )
    enabled = f"on (asset, ifIndex) ifAdminStatus{sel()} == 1"
    b.row("SNMP interfaces")
    down = grid(
        "Interfaces down (admin up)",
        Q(f"ifOperStatus{sel()} != 1 and {enabled}"),
        description="Operational status 2 (down) and others while the interface is enabled.",
        hide=("instance",),
    )
    b.add(down, 8, 8)
    busiest = Q(f"topk(10, (rate(ifHCInOctets{sel()}{R}) + rate(ifHCOutOctets{sel()}{R})) * 8)", "{{asset}} {{ifName}}")
    b.add(bars("Busiest interfaces (in + out)", "bps", busiest), 8, 8)
    speed = f"ifHighSpeed{sel()}"
    use = Q(
        f"rate(ifHCInOctets{sel()}{R}) * 8 / ({speed} * 1000000) and on (asset, ifIndex) {speed} > 0",
        "{{asset}} {{ifName}}",
    )
    b.add(graph("Utilization (in)", "percentunit", use, description="Inbound bits over ifHighSpeed (Mbit/s)."), 8, 8)
    traffic = (
        Q(f"rate(ifHCInOctets{sel()}{R}) * 8", "{{asset}} {{ifName}} in"),
        Q(f"rate(ifHCOutOctets{sel()}{R}) * 8", "{{asset}} {{ifName}} out"),
    )
    b.add(graph("Interface traffic", "bps", *traffic), 12, 8)
    errors = (
        Q(f"rate(ifInErrors{sel()}{R}) + rate(ifOutErrors{sel()}{R})", "{{asset}} {{ifName}} errors"),
        Q(f"rate(ifInDiscards{sel()}{R}) + rate(ifOutDiscards{sel()}{R})", "{{asset}} {{ifName}} discards"),
    )
    b.add(graph("Interface errors and discards", "pps", *errors), 12, 8)
    b.row("Host NICs")
    host_traffic = (
        Q(f"rate(node_network_receive_bytes_total{sel()}{R}) * 8", "{{asset}} {{device}} in"),
        Q(f"rate(node_network_transmit_bytes_total{sel()}{R}) * 8", "{{asset}} {{device}} out"),
    )
    b.add(graph("Host traffic", "bps", *host_traffic), 12, 8)
    host_errors = Q(
        f"rate(node_network_receive_errs_total{sel()}{R}) + rate(node_network_transmit_errs_total{sel()}{R})",
        "{{asset}} {{device}}",
    )
    b.add(graph("Host NIC errors", "pps", host_errors), 12, 8)
    return b
