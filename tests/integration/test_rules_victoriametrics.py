"""The alert expressions mean in VictoriaMetrics what their promtool tests say they mean in Prometheus.

vmalert runs our rules against VictoriaMetrics, whose MetricsQL differs from PromQL where these rules lean on it:
counters that appear with their first event (``increase`` cannot see a series' first sample in Prometheus; the
rules add an ``unless ... offset`` branch), ``delta`` over gauges younger than the window, ``timestamp()``
(the raw sample's time, or the query's?), regex flags like ``(?i)`` and ``or ignoring``. Each case imports a
history into a VictoriaMetrics of its own (so the session's vmalert never sees it), evaluates the alert's
expression at "now", with the recording rules it reads inlined, and checks which series would fire.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
import yaml

from tests.helpers.servers import REPO, Running, start_victoriametrics

pytestmark = pytest.mark.integration

NOW = int(time.time()) // 60 * 60
Points = list[tuple[float, float]]


def _rules(kind: str) -> dict[str, str]:
    key = "alert" if kind == "alerts" else "record"
    found: dict[str, str] = {}
    for path in (REPO / "rules" / kind).glob("*.yml"):
        for group in yaml.safe_load(path.read_text())["groups"]:
            found.update({rule[key]: rule["expr"] for rule in group["rules"]})
    return found


ALERTS, RECORDS = _rules("alerts"), _rules("recording")


def _inline(expr: str) -> str:
    """The expression with each recording rule it reads replaced by the rule's own expression."""
    for name, body in RECORDS.items():
        expr = re.sub(rf"(?<![\w:]){re.escape(name)}(?![\w:])", f"({body.strip()})", expr)
    return expr


def minutes(ago: int, values: list[float]) -> Points:
    """One sample a minute, the last one ``ago`` minutes before now."""
    start = NOW - (ago + len(values) - 1) * 60
    return [(start + i * 60, v) for i, v in enumerate(values)]


HISTORY: list[tuple[str, dict[str, str], Points]] = [
    # A crash counter that appeared 10 minutes ago with its first crash and reached 5; an old flat one.
    (
        "inframind_eventlog_events_total",
        {"target": "win-1", "channel": "System", "level": "error", "event_id": "7031"},
        minutes(0, [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]),
    ),
    (
        "inframind_eventlog_events_total",
        {"target": "win-2", "channel": "System", "level": "error", "event_id": "7034"},
        minutes(0, [9.0] * 120),
    ),
    # The Security log cleared 5 minutes ago: the first 1102 the agent ever counted.
    (
        "inframind_eventlog_events_total",
        {"target": "win-3", "channel": "Security", "level": "info", "event_id": "1102"},
        minutes(0, [1.0] * 5),
    ),
    # Reallocated sectors growing an hour ago on sda, old and flat on sdb.
    (
        "smartctl_device_attribute",
        {"device": "sda", "attribute_name": "Reallocated_Sector_Ct", "attribute_value_type": "raw"},
        minutes(0, [8.0] * 60 + [12.0] * 60),
    ),
    (
        "smartctl_device_attribute",
        {"device": "sdb", "attribute_name": "Reallocated_Sector_Ct", "attribute_value_type": "raw"},
        minutes(0, [100.0] * 120),
    ),
    # A SAS disk whose uncorrected read errors grew.
    ("smartctl_read_total_uncorrected_errors", {"device": "sdc"}, minutes(0, [0.0] * 60 + [3.0] * 60)),
    # A switch port that was up and went down; one never up; one shut by an operator.
    ("ifOperStatus", {"ifIndex": "1", "ifName": "Gi1/0/1"}, minutes(0, [1.0] * 60 + [2.0] * 10)),
    ("ifAdminStatus", {"ifIndex": "1", "ifName": "Gi1/0/1"}, minutes(0, [1.0] * 70)),
    ("ifOperStatus", {"ifIndex": "2", "ifName": "Gi1/0/2"}, minutes(0, [2.0] * 70)),
    ("ifAdminStatus", {"ifIndex": "2", "ifName": "Gi1/0/2"}, minutes(0, [1.0] * 70)),
    ("ifOperStatus", {"ifIndex": "3", "ifName": "Gi1/0/3"}, minutes(0, [1.0] * 60 + [2.0] * 10)),
    ("ifAdminStatus", {"ifIndex": "3", "ifName": "Gi1/0/3"}, minutes(0, [1.0] * 60 + [2.0] * 10)),
    # Host clocks, scraped a minute apart, the last scrape a minute ago: h-ahead runs 3 s ahead, h-sync 0.2 s.
    ("node_time_seconds", {"instance": "h-ahead"}, [(t, t + 3.0) for t, _ in minutes(1, [0.0] * 10)]),
    ("node_time_seconds", {"instance": "h-sync"}, [(t, t + 0.2) for t, _ in minutes(1, [0.0] * 10)]),
    # md0 short of a member; md1 whole; md2 whole with a failed member still listed.
    ("node_md_disks_required", {"device": "md0"}, minutes(0, [2.0] * 5)),
    ("node_md_disks", {"device": "md0", "state": "active"}, minutes(0, [1.0] * 5)),
    ("node_md_disks", {"device": "md0", "state": "failed"}, minutes(0, [1.0] * 5)),
    ("node_md_disks_required", {"device": "md1"}, minutes(0, [2.0] * 5)),
    ("node_md_disks", {"device": "md1", "state": "active"}, minutes(0, [2.0] * 5)),
    ("node_md_disks", {"device": "md1", "state": "failed"}, minutes(0, [0.0] * 5)),
    ("node_md_disks_required", {"device": "md2"}, minutes(0, [2.0] * 5)),
    ("node_md_disks", {"device": "md2", "state": "active"}, minutes(0, [2.0] * 5)),
    ("node_md_disks", {"device": "md2", "state": "failed"}, minutes(0, [1.0] * 5)),
    # Redfish volume operations (the operation name as the BMC spells it) and IPMI power supply sensors.
    (
        "inframind_redfish_volume_operation_progress_ratio",
        {"volume": "0", "operation": "rebuilding"},
        minutes(0, [0.4] * 5),
    ),
    (
        "inframind_redfish_volume_operation_progress_ratio",
        {"volume": "1", "operation": "Initialize"},
        minutes(0, [0.5] * 5),
    ),
    ("ipmi_sensor_state", {"id": "61", "name": "PS2 Status", "type": "Power Supply"}, minutes(0, [2.0] * 5)),
    ("ipmi_sensor_state", {"id": "70", "name": "DIMM A1", "type": "Memory"}, minutes(0, [2.0] * 5)),
]


@pytest.fixture(scope="module")
def loaded_vm(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    directory = tmp_path_factory.mktemp("rules-vm")
    server = start_victoriametrics(directory, directory / "data")
    lines = [
        json.dumps(
            {
                "metric": {"__name__": name, "job": "rules-vm-test", **labels},
                "values": [v for _, v in points],
                "timestamps": [int(t * 1000) for t, _ in points],
            }
        )
        for name, labels, points in HISTORY
    ]
    answer = requests.post(server.url + "/api/v1/import", data="\n".join(lines), timeout=10)
    assert answer.status_code == 204, answer.text
    requests.get(server.url + "/internal/force_flush", timeout=5)
    yield server
    server.stop()


def firing(vm: Running, alert: str, label: str) -> dict[str, float]:
    """``label`` -> value of every series the alert's expression returns at NOW."""
    params: dict[str, str | int] = {"query": _inline(ALERTS[alert]), "time": NOW}
    answer = requests.get(vm.url + "/api/v1/query", params=params, timeout=10)
    answer.raise_for_status()
    result: list[dict[str, Any]] = answer.json()["data"]["result"]
    return {r["metric"].get(label, ""): float(r["value"][1]) for r in result}


def test_new_counters_count_from_their_first_event(loaded_vm: Running) -> None:
    assert firing(loaded_vm, "WindowsServiceCrashes", "target") == {"win-1": 5.0}
    assert firing(loaded_vm, "WindowsEventLogCleared", "target") == {"win-3": 1.0}


def test_smart_growth_fires_on_growth_only(loaded_vm: Running) -> None:
    grown = firing(loaded_vm, "DiskReallocatedSectorsGrowing", "device")
    assert set(grown) == {"sda"}
    assert grown["sda"] >= 4
    assert set(firing(loaded_vm, "DiskUncorrectableErrorsGrowing", "device")) == {"sdc"}


def test_interface_down_only_for_ports_that_were_up_and_are_configured_up(loaded_vm: Running) -> None:
    assert firing(loaded_vm, "SnmpInterfaceDown", "ifName") == {"Gi1/0/1": 2.0}


def test_clock_offset_uses_the_samples_own_timestamp(loaded_vm: Running) -> None:
    """The last sample is a minute old at NOW: were ``timestamp()`` the query time, h-sync would look 60 s off."""
    assert firing(loaded_vm, "HostClockDrift", "instance") == {"h-ahead": pytest.approx(3.0)}


def test_raid_alerts_match_members_ignoring_state(loaded_vm: Running) -> None:
    assert firing(loaded_vm, "MdRaidDegraded", "device") == {"md0": 1.0, "md2": 1.0}


def test_case_insensitive_operation_and_sensor_type_matchers(loaded_vm: Running) -> None:
    assert firing(loaded_vm, "RedfishVolumeRebuilding", "volume") == {"0": 0.4}
    assert firing(loaded_vm, "BmcPowerSupplyFailure", "name") == {"PS2 Status": 2.0}
    assert firing(loaded_vm, "IpmiSensorNotNominal", "name") == {"DIMM A1": 2.0}


def test_inlining_reaches_every_recording_rule_an_alert_reads() -> None:
    """Guards the cases above: after inlining, no recording rule name is left in the expressions queried."""
    for alert in ("HostClockDrift", "MdRaidDegraded"):
        assert not re.search(r"[a-z_]+:[a-zA-Z0-9_]+:[a-z0-9_]+", _inline(ALERTS[alert]))
    assert Path(REPO / "rules" / "recording" / "host.yml").is_file()
