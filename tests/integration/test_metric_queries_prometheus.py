"""Every query of the metric loop, evaluated by Prometheus's own engine (``promtool test rules``) on series named as
node_exporter, ipmi_exporter, smartctl_exporter, snmp_exporter (if_mib) and our Redfish families name them.

VictoriaMetrics runs them in the loop's integration test; this pins down that they mean the same on Prometheus
(label matching of ``or``, regex metric names, subqueries), so a fleet on plain Prometheus is analyzed too.
"""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from inframind.analyzer.detect.slo import error_ratio_query
from inframind.analyzer.metricloop_disks import SMART_QUERIES
from inframind.analyzer.metricloop_signals import (
    ANOMALY_SIGNALS,
    CAPACITY,
    DISK_IO,
    FILESYSTEM_SIZE,
    FILESYSTEM_USED,
    MEMORY_TOTAL,
    MEMORY_USED,
    UTILIZATION,
    render,
)
from tests.helpers.procs import require_binary

pytestmark = pytest.mark.integration
HOST = 'tenant="acme",asset="db-1",rack="R1",instance="db-1:9100",job="node"'
BMC = 'tenant="acme",asset="db-1",rack="R1",instance="bmc-db-1",job="probe_ipmi"'
SWITCH = 'tenant="acme",asset="sw-1",instance="10.0.0.2",job="probe_snmp"'
SERIES = {
    # counters at one sample a minute: '0+6x40' grows 6 a minute, 0.1 a second
    f'node_cpu_seconds_total{{{HOST},cpu="0",mode="iowait"}}': "0+6x40",
    f'node_cpu_seconds_total{{{HOST},cpu="1",mode="iowait"}}': "0+12x40",
    f'node_cpu_seconds_total{{{HOST},cpu="0",mode="idle"}}': "0+30x40",
    f'node_cpu_seconds_total{{{HOST},cpu="1",mode="idle"}}': "0+42x40",
    f"node_memory_MemAvailable_bytes{{{HOST}}}": "25x40",
    f"node_memory_MemTotal_bytes{{{HOST}}}": "100x40",
    f'node_disk_read_time_seconds_total{{{HOST},device="sda"}}': "0+0.6x40",
    f'node_disk_write_time_seconds_total{{{HOST},device="sda"}}': "0+0.6x40",
    f'node_disk_reads_completed_total{{{HOST},device="sda"}}': "0+60x40",
    f'node_disk_writes_completed_total{{{HOST},device="sda"}}': "0+60x40",
    f'node_disk_io_time_seconds_total{{{HOST},device="sda"}}': "0+30x40",
    f'node_disk_io_time_weighted_seconds_total{{{HOST},device="sda"}}': "0+120x40",
    f'node_network_receive_errs_total{{{HOST},device="eth0"}}': "0+6x40",
    f'node_network_transmit_errs_total{{{HOST},device="eth0"}}': "0+60x40",
    f'node_network_receive_drop_total{{{HOST},device="eth0"}}': "0+12x40",
    f'node_network_transmit_drop_total{{{HOST},device="eth0"}}': "0+0x40",
    f'node_network_receive_bytes_total{{{HOST},device="eth0"}}': "0+60000000x40",
    f'node_network_transmit_bytes_total{{{HOST},device="eth0"}}': "0+60000000x40",
    f'node_network_speed_bytes{{{HOST},device="eth0"}}': "10000000x40",
    f'node_hwmon_temp_celsius{{{HOST},chip="coretemp",sensor="temp1"}}': "55x40",
    f'ipmi_temperature_celsius{{{BMC},id="1",name="Inlet Temp"}}': "22x40",
    f'inframind_redfish_temperature_celsius{{{BMC},chassis="1",sensor="2",name="CPU1"}}': "60x40",
    f'ipmi_fan_speed_rpm{{{BMC},id="10",name="FAN1"}}': "6000x40",
    f'ipmi_fan_speed_rpm{{{BMC},id="11",name="FAN2"}}': "5000x40",
    f'ipmi_power_watts{{{BMC},id="20",name="PSU1 Input"}}': "200x40",
    f'ipmi_power_watts{{{BMC},id="21",name="PSU2 Input"}}': "210x40",
    f'ifInErrors{{{SWITCH},ifIndex="1"}}': "0+120x40",
    f'ifOutErrors{{{SWITCH},ifIndex="1"}}': "0+0x40",
    f'ifInDiscards{{{SWITCH},ifIndex="1"}}': "0+6x40",
    f'ifOutDiscards{{{SWITCH},ifIndex="1"}}': "0+6x40",
    f'node_filesystem_size_bytes{{{HOST},mountpoint="/data",fstype="ext4",device="/dev/sdb1"}}': "1000x40",
    f'node_filesystem_avail_bytes{{{HOST},mountpoint="/data",fstype="ext4",device="/dev/sdb1"}}': "250x40",
    f'node_filesystem_size_bytes{{{HOST},mountpoint="/run",fstype="tmpfs",device="tmpfs"}}': "10x40",
    f'node_filesystem_avail_bytes{{{HOST},mountpoint="/run",fstype="tmpfs",device="tmpfs"}}': "1x40",
    'probe_success{tenant="acme",asset="svc-1",job="probe_http"}': "0.9x40",
    'probe_duration_seconds{tenant="acme",asset="svc-1",job="probe_http"}': "0.5x40",
    'smartctl_device_attribute{tenant="acme",asset="db-1",device="sda",attribute_id="5",'
    'attribute_name="Reallocated_Sector_Ct",attribute_value_type="raw"}': "8x40",
    'smartctl_device_power_on_seconds{tenant="acme",asset="db-1",device="sda"}': "3600x40",
}
DB = '{tenant="acme",asset="db-1"}'
EXPECTED: dict[str, list[tuple[str, float]]] = {
    "iowait": [(DB, 0.15)],
    "cpu": [(DB, 0.4)],
    "memory_pressure": [(DB, 0.75)],
    "disk_await": [('{tenant="acme",asset="db-1",device="sda"}', 0.01)],
    "disk_queue": [('{tenant="acme",asset="db-1",device="sda"}', 2.0)],
    "network_errors": [(DB, 1.1), ('{tenant="acme",asset="sw-1"}', 2.0)],
    "network_drops": [(DB, 0.2), ('{tenant="acme",asset="sw-1"}', 0.2)],
    "temperature": [(DB, 60.0)],
    "fan_speed": [(DB, 5000.0)],
    "psu_power": [(DB, 410.0)],
}
GROUPED = '{tenant="acme",asset="db-1",rack="R1"}'
UTILIZATION_EXPECTED = {"cpu": 0.4, "memory": 0.75, "disk_io": 0.5, "network": 0.1}


def case(expr: str, samples: list[tuple[str, float]], *, rounded: bool = True) -> dict[str, Any]:
    """promtool compares floats exactly: aggregated results are compared in millionths, rounded to integers."""
    checked, scale = (f"round(({expr}) * 1e6)", 1e6) if rounded else (expr, 1.0)
    expected = [{"labels": lab, "value": round(v * scale)} for lab, v in samples]
    return {"expr": checked, "eval_time": "30m", "exp_samples": expected}


def cases() -> list[dict[str, Any]]:
    out = [case(render(s.expr), EXPECTED[s.signal]) for s in ANOMALY_SIGNALS]
    for resource, template in UTILIZATION.items():
        inner = render(template, groups=("rack",))
        out.append(case(f"quantile_over_time(0.95, ({inner})[10m:1m])", [(GROUPED, UTILIZATION_EXPECTED[resource])]))
    out += [
        case(render(CAPACITY["cpu"]), [(DB, 2.0)]),
        case(render(CAPACITY["memory"]), [(DB, 100.0)]),
        case(render(CAPACITY["network"]), [(DB, 1e7)]),
        case(
            f"avg_over_time(({render(DISK_IO['await'])})[10m:1m])",
            [('{tenant="acme",asset="db-1",device="sda"}', 0.01)],
        ),
        case(render(FILESYSTEM_USED), [('{tenant="acme",asset="db-1",mountpoint="/data"}', 750.0)]),
        case(render(FILESYSTEM_SIZE), [('{tenant="acme",asset="db-1",mountpoint="/data"}', 1000.0)]),
        case(render(MEMORY_USED), [(DB, 75.0)]),
        case(render(MEMORY_TOTAL), [(DB, 100.0)]),
        case(error_ratio_query("availability", "1h", 'asset=~"svc-1",'), [('{tenant="acme",asset="svc-1"}', 0.1)]),
        case(error_ratio_query("latency", "5m", 'asset=~"svc-1",', 0.3), [('{tenant="acme",asset="svc-1"}', 1.0)]),
    ]
    smart = {
        "__name__": "smartctl_device_attribute", "tenant": "acme", "asset": "db-1", "device": "sda",
        "attribute_id": "5", "attribute_name": "Reallocated_Sector_Ct", "attribute_value_type": "raw",
    }  # fmt: skip
    labels = "{" + ",".join(f'{k}="{v}"' for k, v in smart.items()) + "}"
    out.append(case(SMART_QUERIES[0], [(labels, 8.0)], rounded=False))
    power = '{__name__="smartctl_device_power_on_seconds",tenant="acme",asset="db-1",device="sda"}'
    out.append(case(SMART_QUERIES[1], [(power, 3600.0)], rounded=False))
    return out


def test_prometheus_evaluates_every_query_as_victoriametrics_does(tmp_path: Path) -> None:
    (tmp_path / "none.yml").write_text("groups: []\n")
    test = {
        "rule_files": ["none.yml"],
        "evaluation_interval": "1m",
        "tests": [{"interval": "1m", "input_series": [{"series": k, "values": v} for k, v in SERIES.items()],
                   "promql_expr_test": cases()}],
    }  # fmt: skip
    (tmp_path / "queries_test.yml").write_text(yaml.safe_dump(test, sort_keys=False))
    done = subprocess.run(
        [require_binary("promtool"), "test", "rules", "queries_test.yml"],
        cwd=tmp_path, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert "SUCCESS" in done.stdout
