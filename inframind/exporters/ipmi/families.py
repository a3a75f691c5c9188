"""Readings -> metric families named and labelled as prometheus-community/ipmi_exporter names them.

So its dashboards and alerts read ours: sensors go to a typed family by unit (temperature, fan, voltage,
current, power) with ``{id, name}``, or to ``ipmi_sensor_value``/``ipmi_sensor_state`` with the type as a
label; states are 0 nominal, 1 warning, 2 critical, NaN unknown; ``ipmi_up{collector}`` says which part
of a probe worked. The one addition, SEL entries by severity, uses the ``inframind_`` namespace.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence

from prometheus_client.core import GaugeMetricFamily, Metric

from inframind.exporters.ipmi.readings import (
    CRITICAL,
    NOMINAL,
    STATES,
    UNKNOWN,
    WARNING,
    BmcReading,
    ChassisReading,
    DcmiReading,
    SelReading,
    SensorReading,
)

SENSOR = ("id", "name")
TYPED = ("id", "name", "type")
FAMILIES: Mapping[str, tuple[str, tuple[str, ...]]] = {
    "ipmi_up": ("Whether this collector read the BMC (1) or not (0).", ("collector",)),
    "ipmi_scrape_duration_seconds": ("Seconds the IPMI probe took.", ()),
    "ipmi_temperature_celsius": ("Temperature sensor reading in degrees Celsius.", SENSOR),
    "ipmi_temperature_state": ("Temperature sensor state: 0 nominal, 1 warning, 2 critical.", SENSOR),
    "ipmi_fan_speed_rpm": ("Fan speed in revolutions per minute.", SENSOR),
    "ipmi_fan_speed_ratio": ("Fan speed as a fraction of its maximum.", SENSOR),
    "ipmi_fan_speed_state": ("Fan sensor state: 0 nominal, 1 warning, 2 critical.", SENSOR),
    "ipmi_voltage_volts": ("Voltage sensor reading in volts.", SENSOR),
    "ipmi_voltage_state": ("Voltage sensor state: 0 nominal, 1 warning, 2 critical.", SENSOR),
    "ipmi_current_amperes": ("Current sensor reading in amperes.", SENSOR),
    "ipmi_current_state": ("Current sensor state: 0 nominal, 1 warning, 2 critical.", SENSOR),
    "ipmi_power_watts": ("Power sensor reading in watts.", SENSOR),
    "ipmi_power_state": ("Power sensor state: 0 nominal, 1 warning, 2 critical.", SENSOR),
    "ipmi_sensor_value": ("Reading of a sensor with no typed family; its type is a label.", TYPED),
    "ipmi_sensor_state": ("State of a sensor with no typed family: 0 nominal, 1 warning, 2 critical.", TYPED),
    "ipmi_sel_logs_count": ("Entries in the system event log.", ()),
    "ipmi_sel_free_space_bytes": ("Bytes left in the system event log for new entries.", ()),
    "inframind_ipmi_sel_entries": (
        "System event log entries by severity (FreeIPMI's event state; unknown when it has none).",
        ("severity",),
    ),
    "ipmi_chassis_power_state": ("Chassis power: 1 on, 0 off.", ()),
    "ipmi_chassis_drive_fault_state": ("Chassis drive fault: 1 none, 0 fault (ipmi_exporter's polarity).", ()),
    "ipmi_chassis_cooling_fault_state": ("Chassis cooling fault: 1 none, 0 fault (ipmi_exporter's polarity).", ()),
    "ipmi_dcmi_power_consumption_watts": ("Power drawn now, in watts, from DCMI power statistics.", ()),
    "ipmi_bmc_info": (
        "BMC firmware identity; always 1.",
        ("firmware_revision", "manufacturer_id", "system_firmware_version"),
    ),
}
COLLECTOR_LABEL = {"sensors": "ipmi"}
"""``ipmi_up{collector}`` values are ipmi_exporter's: its sensor collector is called ``ipmi``."""
BY_UNIT = {
    "C": ("ipmi_temperature_celsius", "ipmi_temperature_state"),
    "RPM": ("ipmi_fan_speed_rpm", "ipmi_fan_speed_state"),
    "V": ("ipmi_voltage_volts", "ipmi_voltage_state"),
    "A": ("ipmi_current_amperes", "ipmi_current_state"),
    "W": ("ipmi_power_watts", "ipmi_power_state"),
}
STATE_VALUES = {NOMINAL: 0.0, WARNING: 1.0, CRITICAL: 2.0}
SEVERITIES = {NOMINAL: "nominal", WARNING: "warning", CRITICAL: "critical", UNKNOWN: "unknown"}


def family(name: str) -> GaugeMetricFamily:
    help_text, labels = FAMILIES[name]
    return GaugeMetricFamily(name, help_text, labels=list(labels))


def gauge(name: str, value: float) -> GaugeMetricFamily:
    help_text, _ = FAMILIES[name]
    return GaugeMetricFamily(name, help_text, value=value)


def state_value(state: str) -> float:
    return STATE_VALUES.get(state, math.nan)


def sensor_families(readings: Iterable[SensorReading]) -> list[Metric]:
    """Typed families by unit (a ``%`` fan is a ratio), the generic pair for everything else."""
    built: dict[str, GaugeMetricFamily] = {}

    def add(name: str, labels: Sequence[str], value: float) -> None:
        if name not in built:
            built[name] = family(name)
        built[name].add_metric(list(labels), value)

    for r in readings:
        labels = [str(r.id), r.name]
        typed = BY_UNIT.get(r.unit)
        if r.unit == "%" and r.type == "Fan":
            add("ipmi_fan_speed_ratio", labels, r.value / 100)
            add("ipmi_fan_speed_state", labels, state_value(r.state))
        elif typed is not None:
            add(typed[0], labels, r.value)
            add(typed[1], labels, state_value(r.state))
        else:
            add("ipmi_sensor_value", [*labels, r.type], r.value)
            add("ipmi_sensor_state", [*labels, r.type], state_value(r.state))
    return list(built.values())


def sel_families(reading: SelReading) -> list[Metric]:
    families: list[Metric] = [
        gauge("ipmi_sel_logs_count", reading.entries),
        gauge("ipmi_sel_free_space_bytes", reading.free_bytes),
    ]
    if reading.by_state is not None:
        by_severity = family("inframind_ipmi_sel_entries")
        for state in STATES:
            by_severity.add_metric([SEVERITIES[state]], float(reading.by_state.get(state, 0)))
        families.append(by_severity)
    return families


def chassis_families(reading: ChassisReading) -> list[Metric]:
    return [
        gauge("ipmi_chassis_power_state", float(reading.power_on)),
        gauge("ipmi_chassis_drive_fault_state", float(not reading.drive_fault)),
        gauge("ipmi_chassis_cooling_fault_state", float(not reading.cooling_fault)),
    ]


def dcmi_families(reading: DcmiReading) -> list[Metric]:
    return [] if reading.watts is None else [gauge("ipmi_dcmi_power_consumption_watts", reading.watts)]


def bmc_families(reading: BmcReading) -> list[Metric]:
    info = family("ipmi_bmc_info")
    info.add_metric([reading.firmware_revision, reading.manufacturer_id, reading.system_firmware_version], 1.0)
    return [info]


def up_family(results: Mapping[str, bool]) -> Metric:
    up = family("ipmi_up")
    for collector, ok in results.items():
        up.add_metric([COLLECTOR_LABEL.get(collector, collector)], float(ok))
    return up
