"""The IPMI parsers on outputs recorded from ipmi_sim (tests/fixtures/ipmi, see tests/helpers/ipmi.py).

``nominal`` is the simulator as started; ``critical`` is after CPU Temp was moved to 88 C, past its
upper non-critical (75) and critical (85) thresholds, which also wrote two SEL entries.
"""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from inframind.exporters.ipmi import freeipmi, ipmitool
from inframind.exporters.ipmi.readings import (
    CRITICAL,
    NOMINAL,
    UNKNOWN,
    WARNING,
    BmcReading,
    ChassisReading,
    OutputError,
    SensorReading,
)
from tests.helpers.ipmi import SENSORS

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "ipmi"

# ipmi_sim has no DCMI, so these two are the tools' formats as their sources print them (not recordings).
FREEIPMI_DCMI_ACTIVE = """Current Power                        : 332 Watts
Minimum Power over sampling duration : 68 watts
Maximum Power over sampling duration : 504 watts
Average Power over sampling duration : 348 watts
Time Stamp                           : 11/03/2023 - 08:36:29
Statistics reporting time period     : 2685198000 milliseconds
Power Measurement                    : Active
"""
IPMITOOL_DCMI_ACTIVE = """
    Instantaneous power reading:                    50 Watts
    Minimum during sampling period:                  6 Watts
    Maximum during sampling period:                304 Watts
    Average power reading over sample period:       49 Watts
    IPMI timestamp:                           Thu Feb 15 08:36:01 2024
    Sampling period:                          00000001 Seconds.
    Power reading state is:                   activated
"""


def fixture(name: str) -> str:
    return (FIXTURES / name).read_text()


def by_name(readings: list[SensorReading]) -> dict[str, SensorReading]:
    return {r.name: r for r in readings}


# ---------------------------------------------------------------- FreeIPMI


def test_freeipmi_sensors_nominal() -> None:
    readings = freeipmi.parse_sensors(fixture("freeipmi-sensors-sensors.nominal.txt"))
    assert [r.name for r in readings] == [s.name for s in SENSORS]
    found = by_name(readings)
    assert found["CPU Temp"] == SensorReading(1, "CPU Temp", "Temperature", NOMINAL, 40.0, "C")
    assert found["Fan 1"] == SensorReading(3, "Fan 1", "Fan", NOMINAL, 5000.0, "RPM")
    assert found["Fan 2 Duty"].unit == "%"
    assert found["12V"].value == 12.0
    assert found["PSU1 Current"].value == 2.5
    assert (found["PSU1 Power"].type, found["PSU1 Power"].unit) == ("Power Supply", "W")
    assert (found["Airflow"].type, found["Airflow"].unit) == ("Other Units Based Sensor", "CFM")
    status = found["PS1 Status"]
    assert math.isnan(status.value) and status.unit == "N/A" and status.state == NOMINAL


def test_freeipmi_sensors_after_the_crossing() -> None:
    found = by_name(freeipmi.parse_sensors(fixture("freeipmi-sensors-sensors.critical.txt")))
    assert (found["CPU Temp"].state, found["CPU Temp"].value) == (CRITICAL, 88.0)
    assert found["Inlet Temp"].state == NOMINAL


def test_freeipmi_sel() -> None:
    empty = freeipmi.parse_sel(fixture("freeipmi-sel-info.nominal.txt"), fixture("freeipmi-sel-entries.nominal.txt"))
    assert (empty.entries, empty.free_bytes, empty.by_state) == (0.0, 16000.0, {})
    crossed = freeipmi.parse_sel(
        fixture("freeipmi-sel-info.critical.txt"), fixture("freeipmi-sel-entries.critical.txt")
    )
    assert (crossed.entries, crossed.free_bytes) == (2.0, 15968.0)
    assert crossed.by_state == {WARNING: 1, CRITICAL: 1}
    info_only = freeipmi.parse_sel(fixture("freeipmi-sel-info.critical.txt"), None)
    assert info_only.by_state is None


def test_freeipmi_chassis_bmc_and_dcmi() -> None:
    chassis = freeipmi.parse_chassis(fixture("freeipmi-chassis-status.nominal.txt"))
    assert chassis == ChassisReading(power_on=False, drive_fault=False, cooling_fault=False)
    bmc = freeipmi.parse_bmc(fixture("freeipmi-bmc-info.nominal.txt"))
    assert bmc == BmcReading("9.08", "MontaVista Software, Inc. (4753)", "N/A")
    assert freeipmi.parse_dcmi(FREEIPMI_DCMI_ACTIVE).watts == 332.0
    inactive = FREEIPMI_DCMI_ACTIVE.replace(": Active", ": Not Available")
    assert freeipmi.parse_dcmi(inactive).watts is None


@pytest.mark.parametrize(
    ("parse", "text"),
    [
        (freeipmi.parse_sensors, "1,CPU Temp,Temperature\n"),
        (freeipmi.parse_sensors, "x,CPU Temp,Temperature,Nominal,40.00,C,'OK'\n"),
        (freeipmi.parse_sensors, "1,CPU Temp,Temperature,Nominal,hot,C,'OK'\n"),
        (freeipmi.parse_chassis, "System Power : maybe\nDrive Fault : false\nCooling/fan fault : false\n"),
        (freeipmi.parse_chassis, "ipmi-chassis: something else entirely\n"),
        (freeipmi.parse_bmc, "Device ID : 0\n"),
    ],
)
def test_freeipmi_nonsense_is_an_output_error(parse: object, text: str) -> None:
    with pytest.raises(OutputError):
        parse(text)  # type: ignore[operator]


def test_unknown_states_are_unknown() -> None:
    (reading,) = freeipmi.parse_sensors("7,Odd,OEM Reserved,Bogus,N/A,N/A,'x'\n")
    assert reading.state == UNKNOWN


# ---------------------------------------------------------------- ipmitool


def test_ipmitool_sensors() -> None:
    nominal = by_name(ipmitool.parse_sdr(fixture("ipmitool-sensors-sensors.nominal.txt")))
    assert nominal["CPU Temp"] == SensorReading(1, "CPU Temp", "Temperature", NOMINAL, 40.0, "C")
    assert nominal["Fan 2 Duty"].unit == "%" and nominal["Fan 2 Duty"].type == "unknown"
    assert math.isnan(nominal["PS1 Status"].value)
    crossed = by_name(ipmitool.parse_sdr(fixture("ipmitool-sensors-sensors.critical.txt")))
    assert (crossed["CPU Temp"].state, crossed["CPU Temp"].value) == (CRITICAL, 88.0)


@pytest.mark.parametrize("moment", ["nominal", "critical"])
def test_both_drivers_read_the_same_values(moment: str) -> None:
    ours = by_name(freeipmi.parse_sensors(fixture(f"freeipmi-sensors-sensors.{moment}.txt")))
    theirs = by_name(ipmitool.parse_sdr(fixture(f"ipmitool-sensors-sensors.{moment}.txt")))
    assert ours.keys() == theirs.keys()
    for name, reading in ours.items():
        other = theirs[name]
        assert (reading.id, reading.unit) == (other.id, other.unit)  # record ids follow sensor numbers here
        assert reading.value == other.value or (math.isnan(reading.value) and math.isnan(other.value))
        assert reading.state == other.state


def test_ipmitool_sel_chassis_mc_info_and_dcmi() -> None:
    crossed = ipmitool.parse_sel(
        fixture("ipmitool-sel-info.critical.txt"), fixture("ipmitool-sel-entries.critical.txt")
    )
    assert (crossed.entries, crossed.free_bytes, crossed.by_state) == (2.0, 15968.0, {WARNING: 1, CRITICAL: 1})
    empty = ipmitool.parse_sel(fixture("ipmitool-sel-info.nominal.txt"), fixture("ipmitool-sel-entries.nominal.txt"))
    assert (empty.entries, empty.by_state) == (0.0, {})
    assert ipmitool.parse_chassis(fixture("ipmitool-chassis-status.nominal.txt")) == ChassisReading(False, False, False)
    assert ipmitool.parse_mc_info(fixture("ipmitool-bmc-info.nominal.txt")) == freeipmi.parse_bmc(
        fixture("freeipmi-bmc-info.nominal.txt")
    )
    assert ipmitool.parse_dcmi(IPMITOOL_DCMI_ACTIVE).watts == 50.0
    assert ipmitool.parse_dcmi(IPMITOOL_DCMI_ACTIVE.replace(" activated", " deactivated")).watts is None


@pytest.mark.parametrize(
    ("description", "direction", "state"),
    [
        ("Upper Non-critical going high", "Asserted", WARNING),
        ("Lower Critical going low", "Asserted", CRITICAL),
        ("Upper Non-recoverable going high", "Asserted", CRITICAL),
        ("Upper Critical going high", "Deasserted", NOMINAL),
        ("Presence detected", "Asserted", UNKNOWN),
    ],
)
def test_ipmitool_event_severity(description: str, direction: str, state: str) -> None:
    assert ipmitool.event_state(description, direction) == state


def test_ipmitool_nonsense_is_an_output_error() -> None:
    with pytest.raises(OutputError):
        ipmitool.parse_sdr("CPU Temp,40,degrees C,ok\n")
    with pytest.raises(OutputError):
        ipmitool.parse_sel("SEL Information\n", None)
