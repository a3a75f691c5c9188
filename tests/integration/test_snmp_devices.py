"""The shipped device modules on snmpsim: host_resources and ucd on a recorded Linux host, entity_sensor and
ups on two small synthetic devices for MIBs none of the recordings has (ENTITY-SENSOR-MIB, UPS-MIB).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from inframind.config import ExporterConfig
from inframind.exporters.probe.config import ProbeConfig, load_probe_config
from inframind.exporters.snmp.prober import SnmpProber
from inframind.exporters.snmp.settings import Auth, Settings
from inframind.schema import build
from tests.helpers.exposition import value
from tests.helpers.snmp import LINUX, SYS_DESCR, Agent, cleanup, shared_dir, start_snmpsim, unpack, write_recording

pytestmark = pytest.mark.integration

SENSORS: list[tuple[int, str, int, int, int, int, int]] = [
    # entPhysicalIndex, entPhysicalName, type, scale, precision, value, status
    (1001, "CPU temperature", 8, 9, 1, 235, 1),  # celsius, units, 1 digit: 23.5
    (1002, "PSU 1 12V rail", 4, 8, 0, 12050, 1),  # voltsDC, milli: 12.05
    (1003, "Fan 1", 10, 9, 0, 5400, 1),  # rpm
    (1004, "PSU 1 output", 6, 10, 2, 125, 1),  # watts, kilo, 2 digits: 1250
    (1005, "Inlet humidity", 9, 9, 0, 0, 2),  # percentRH, unavailable
]


def sensor_recording(path: Path) -> Path:
    """A device with ENTITY-SENSOR-MIB sensors in several scales and precisions (none of the shipped
    recordings has that MIB)."""
    records: list[tuple[str, int | str, object]] = [(SYS_DESCR, 4, "sensor test device")]
    for index, name, kind, scale, precision, reading, status in SENSORS:
        records.append((f"1.3.6.1.2.1.47.1.1.1.1.7.{index}", 4, name))
        for column, number in ((1, kind), (2, scale), (3, precision), (4, reading), (5, status)):
            records.append((f"1.3.6.1.2.1.99.1.1.1.{column}.{index}", 2, number))
    return write_recording(path, records)


UPS_ON_BATTERY: dict[str, tuple[int, int]] = {
    # UPS-MIB object -> (SNMP tag, value): a UPS that has run on battery for two minutes
    "1.3.6.1.2.1.33.1.2.1.0": (2, 2),  # upsBatteryStatus batteryNormal
    "1.3.6.1.2.1.33.1.2.2.0": (2, 120),  # upsSecondsOnBattery
    "1.3.6.1.2.1.33.1.2.3.0": (2, 42),  # upsEstimatedMinutesRemaining
    "1.3.6.1.2.1.33.1.2.4.0": (2, 87),  # upsEstimatedChargeRemaining
    "1.3.6.1.2.1.33.1.2.5.0": (2, 546),  # upsBatteryVoltage, tenths
    "1.3.6.1.2.1.33.1.2.6.0": (2, 35),  # upsBatteryCurrent, tenths
    "1.3.6.1.2.1.33.1.2.7.0": (2, 27),  # upsBatteryTemperature
    "1.3.6.1.2.1.33.1.3.1.0": (65, 3),  # upsInputLineBads
    "1.3.6.1.2.1.33.1.3.2.0": (2, 1),  # upsInputNumLines
    "1.3.6.1.2.1.33.1.3.3.1.1.1": (2, 1),  # upsInputLineIndex
    "1.3.6.1.2.1.33.1.3.3.1.2.1": (2, 0),  # upsInputFrequency
    "1.3.6.1.2.1.33.1.3.3.1.3.1": (2, 0),  # upsInputVoltage
    "1.3.6.1.2.1.33.1.3.3.1.4.1": (2, 0),  # upsInputCurrent
    "1.3.6.1.2.1.33.1.3.3.1.5.1": (2, 0),  # upsInputTruePower
    "1.3.6.1.2.1.33.1.4.1.0": (2, 5),  # upsOutputSource battery
    "1.3.6.1.2.1.33.1.4.2.0": (2, 499),  # upsOutputFrequency, tenths
    "1.3.6.1.2.1.33.1.4.3.0": (2, 1),  # upsOutputNumLines
    "1.3.6.1.2.1.33.1.4.4.1.2.1": (2, 230),  # upsOutputVoltage
    "1.3.6.1.2.1.33.1.4.4.1.3.1": (2, 35),  # upsOutputCurrent, tenths
    "1.3.6.1.2.1.33.1.4.4.1.4.1": (2, 805),  # upsOutputPower
    "1.3.6.1.2.1.33.1.4.4.1.5.1": (2, 41),  # upsOutputPercentLoad
    "1.3.6.1.2.1.33.1.6.1.0": (66, 1),  # upsAlarmsPresent
}


def ups_recording(path: Path) -> Path:
    records = [(oid, tag, value) for oid, (tag, value) in UPS_ON_BATTERY.items()]
    return write_recording(path, [(SYS_DESCR, 4, "UPS test device"), *records])


# ---------------------------------------------------------------- agents


@pytest.fixture(scope="module")
def agent(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Agent]:
    data = shared_dir("inframind-snmpsim-")
    unpack(LINUX, data / "linux.snmprec")
    sensor_recording(data / "sensors.snmprec")
    ups_recording(data / "ups.snmprec")
    server = start_snmpsim(data, tmp_path_factory.mktemp("snmpsim"), ready_community="linux")
    yield server
    server.stop()
    cleanup(data)


@pytest.fixture(scope="module")
def secrets_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("secrets")
    for community in ("linux", "sensors", "ups"):
        (directory / community).write_text(community + "\n")
    return directory


@pytest.fixture(scope="module")
def modules() -> ProbeConfig:
    return load_probe_config(ExporterConfig())


@pytest.fixture(scope="module")
def prober() -> Iterator[SnmpProber]:
    instance = SnmpProber()
    yield instance
    instance.close()


def auth(secrets_dir: Path, community: str) -> Auth:
    return build(Auth, {"community": f"file:{secrets_dir / community}"})


def settings_of(modules: ProbeConfig, name: str) -> Settings:
    settings = modules.modules[name].settings
    assert isinstance(settings, Settings)
    return settings


def test_host_resources_and_ucd_on_a_linux_walk(
    agent: Agent, prober: SnmpProber, modules: ProbeConfig, secrets_dir: Path
) -> None:
    target, linux = f"127.0.0.1:{agent.port}", auth(secrets_dir, "linux")
    host = prober.probe(target, settings_of(modules, "host_resources"), linux, 10.0)
    assert value(host, "hrStorageSize", hrStorageDescr="Physical memory") == 1021976.0
    assert value(host, "hrStorageAllocationUnits", hrStorageDescr="Physical memory") == 1024.0
    assert {s.labels["hrDeviceIndex"] for f in host if f.name == "hrProcessorLoad" for s in f.samples} == {
        "768",
        "769",
    }
    assert value(host, "hrMemorySize") == 1021976.0
    ucd = prober.probe(target, settings_of(modules, "ucd"), linux, 10.0)
    assert value(ucd, "laLoadFloat", laNames="Load-1") == pytest.approx(0.46)  # an Opaque-wrapped float
    assert value(ucd, "memTotalReal") == 1021976.0
    assert value(ucd, "memTotalSwap") == 987988.0
    assert [f.type for f in ucd if f.name == "ssCpuRawUser"] == ["counter"]


def test_entity_sensor_values_in_base_units(
    agent: Agent, prober: SnmpProber, modules: ProbeConfig, secrets_dir: Path
) -> None:
    families = prober.probe(
        f"127.0.0.1:{agent.port}", settings_of(modules, "entity_sensor"), auth(secrets_dir, "sensors"), 10.0
    )
    readings = {
        (s.labels["entPhysicalName"], s.labels["entPhySensorType"]): s.value
        for f in families
        if f.name == "entPhySensorValue"
        for s in f.samples
    }
    assert readings == {
        ("CPU temperature", "celsius"): 23.5,
        ("PSU 1 12V rail", "voltsDC"): 12.05,
        ("Fan 1", "rpm"): 5400.0,
        ("PSU 1 output", "watts"): 1250.0,
        ("Inlet humidity", "percentRH"): 0.0,
    }
    assert value(families, "entPhySensorOperStatus", entPhysicalName="Inlet humidity") == 2.0


def test_ups_on_battery(agent: Agent, prober: SnmpProber, modules: ProbeConfig, secrets_dir: Path) -> None:
    families = prober.probe(f"127.0.0.1:{agent.port}", settings_of(modules, "ups"), auth(secrets_dir, "ups"), 10.0)
    assert value(families, "upsOutputSource", upsOutputSource="battery") == 1.0
    assert value(families, "upsOutputSource", upsOutputSource="normal") == 0.0
    assert value(families, "upsBatteryStatus", upsBatteryStatus="batteryNormal") == 1.0
    assert value(families, "upsSecondsOnBattery") == 120.0
    assert value(families, "upsEstimatedMinutesRemaining") == 42.0
    assert value(families, "upsEstimatedChargeRemaining") == 87.0
    assert value(families, "upsBatteryVoltage") == pytest.approx(54.6)
    assert value(families, "upsOutputFrequency") == pytest.approx(49.9)
    assert value(families, "upsOutputPercentLoad", upsOutputLineIndex="1") == 41.0
    assert value(families, "upsInputVoltage", upsInputLineIndex="1") == 0.0
    assert [f.type for f in families if f.name == "upsInputLineBads"] == ["counter"]
