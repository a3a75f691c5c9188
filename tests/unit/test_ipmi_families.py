"""Readings -> families: ipmi_exporter's names, labels, unit routing, state values and polarity."""

from __future__ import annotations

import math
import re
from pathlib import Path

from prometheus_client.core import Metric

from inframind.exporters.ipmi import families, freeipmi
from inframind.exporters.ipmi.readings import (
    CRITICAL,
    NOMINAL,
    UNKNOWN,
    WARNING,
    BmcReading,
    ChassisReading,
    DcmiReading,
    SelReading,
    SensorReading,
)
from tests.helpers.exposition import value

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "ipmi"


def sensor_families(name: str) -> list[Metric]:
    return families.sensor_families(freeipmi.parse_sensors((FIXTURES / name).read_text()))


def test_sensors_go_to_typed_families_by_unit() -> None:
    found = sensor_families("freeipmi-sensors-sensors.critical.txt")
    assert {f.name for f in found} == {
        "ipmi_temperature_celsius", "ipmi_temperature_state", "ipmi_fan_speed_rpm", "ipmi_fan_speed_ratio",
        "ipmi_fan_speed_state", "ipmi_voltage_volts", "ipmi_voltage_state", "ipmi_current_amperes",
        "ipmi_current_state", "ipmi_power_watts", "ipmi_power_state", "ipmi_sensor_value", "ipmi_sensor_state",
    }  # fmt: skip
    assert value(found, "ipmi_temperature_celsius", id="1", name="CPU Temp") == 88.0
    assert value(found, "ipmi_temperature_state", id="1", name="CPU Temp") == 2.0
    assert value(found, "ipmi_temperature_state", id="2", name="Inlet Temp") == 0.0
    assert value(found, "ipmi_fan_speed_rpm", id="3", name="Fan 1") == 5000.0
    assert value(found, "ipmi_fan_speed_ratio", id="4", name="Fan 2 Duty") == 0.35
    assert value(found, "ipmi_fan_speed_state", id="4", name="Fan 2 Duty") == 0.0
    assert value(found, "ipmi_voltage_volts", id="5", name="12V") == 12.0
    assert value(found, "ipmi_current_amperes", id="6", name="PSU1 Current") == 2.5
    assert value(found, "ipmi_power_watts", id="7", name="PSU1 Power") == 180.0
    assert value(found, "ipmi_sensor_value", id="8", name="Airflow", type="Other Units Based Sensor") == 42.0
    assert math.isnan(value(found, "ipmi_sensor_value", id="9", name="PS1 Status", type="Power Supply"))


def test_labels_are_the_family_tables() -> None:
    for family in sensor_families("freeipmi-sensors-sensors.nominal.txt"):
        _, labels = families.FAMILIES[family.name]
        assert all(tuple(s.labels) == labels for s in family.samples), family.name
    for name in families.FAMILIES:
        assert re.fullmatch(r"[a-z_][a-z0-9_]*", name)


def test_states_are_severity_numbers() -> None:
    assert [families.state_value(s) for s in (NOMINAL, WARNING, CRITICAL)] == [0.0, 1.0, 2.0]
    assert math.isnan(families.state_value(UNKNOWN))
    readings = [SensorReading(4, "Fan 2 Duty", "Fan", UNKNOWN, math.nan, "%")]
    (ratio, state) = families.sensor_families(readings)
    assert math.isnan(ratio.samples[0].value) and math.isnan(state.samples[0].value)


def test_a_percent_sensor_that_is_no_fan_is_generic() -> None:
    found = families.sensor_families([SensorReading(9, "CPU Usage", "Processor", NOMINAL, 12.0, "%")])
    assert value(found, "ipmi_sensor_value", id="9", name="CPU Usage", type="Processor") == 12.0


def test_sel_counts_every_severity() -> None:
    found = families.sel_families(SelReading(3.0, 15952.0, {WARNING: 2, CRITICAL: 1}))
    assert value(found, "ipmi_sel_logs_count") == 3.0
    assert value(found, "ipmi_sel_free_space_bytes") == 15952.0
    by = {s.labels["severity"]: s.value for f in found for s in f.samples if f.name == "inframind_ipmi_sel_entries"}
    assert by == {"nominal": 0.0, "warning": 2.0, "critical": 1.0, "unknown": 0.0}
    assert [f.name for f in families.sel_families(SelReading(0.0, 1.0))] == [
        "ipmi_sel_logs_count",
        "ipmi_sel_free_space_bytes",
    ]


def test_chassis_fault_polarity_is_ipmi_exporters() -> None:
    found = families.chassis_families(ChassisReading(power_on=True, drive_fault=True, cooling_fault=False))
    assert value(found, "ipmi_chassis_power_state") == 1.0
    assert value(found, "ipmi_chassis_drive_fault_state") == 0.0  # 0 means a fault
    assert value(found, "ipmi_chassis_cooling_fault_state") == 1.0


def test_dcmi_bmc_and_up() -> None:
    assert families.dcmi_families(DcmiReading(None)) == []
    assert value(families.dcmi_families(DcmiReading(212.0)), "ipmi_dcmi_power_consumption_watts") == 212.0
    info = families.bmc_families(BmcReading("9.08", "MontaVista Software, Inc. (4753)"))
    assert info[0].samples[0].labels == {
        "firmware_revision": "9.08",
        "manufacturer_id": "MontaVista Software, Inc. (4753)",
        "system_firmware_version": "N/A",
    }
    up = families.up_family({"sensors": True, "dcmi": False})
    assert {s.labels["collector"]: s.value for s in up.samples} == {"ipmi": 1.0, "dcmi": 0.0}
