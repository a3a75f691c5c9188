"""Parsing real BMC payloads (../shared/fixtures/redfish, read directly) into readings, value for value.

HPE iLO 5 (XL675d, DL325), Intel S2600BPB, Gigabyte (AMI), Lenovo XClarity (lambdalabs sampleOut) and the
DMTF mockups: drive places in four vendor dialects, power in both Redfish models, thresholds in both.
"""

from __future__ import annotations

import copy

from inframind.exporters.redfish import parse, parse_env, parse_storage
from inframind.exporters.redfish.readings import Status
from tests.helpers.redfish import flat, resource

XL = "csm-emulator/XL675d_A100"
DL = "csm-emulator/DL325"
RACK = "dmtf/public-rackmount1"


def test_a_failed_drive_on_hpe_ilo_is_critical_and_offline_in_its_bay() -> None:
    d = parse_storage.drive("1", "DE07A000", resource(XL, "/redfish/v1/Systems/1/Storage/DE07A000/Drives/3"))
    assert d.status == Status(health="Critical", state="UnavailableOffline")
    assert (d.id, d.name, d.enclosure, d.slot) == ("3", "3", "", "1")
    assert d.location == "Slot=25:Port=Unknown:Box=Unknown:Bay=Unknown"
    assert (d.failure_predicted, d.capacity_bytes, d.serial) == (None, None, "")


def test_a_healthy_hpe_drive_says_box_and_bay() -> None:
    d = parse_storage.drive("1", "DE07A000", resource(XL, "/redfish/v1/Systems/1/Storage/DE07A000/Drives/0"))
    assert (d.enclosure, d.slot, d.location) == ("3", "4", "Slot=25:Port=1I:Box=3:Bay=4")
    assert (d.media_type, d.protocol, d.serial, d.model) == ("SSD", "SATA", "21122DE9C12C", "VK000960GXAWL")
    assert (d.failure_predicted, d.life_left_percent, d.capacity_bytes) == (False, 100.0, 960197124096.0)
    assert d.status == Status(health="OK", state="Enabled")


def test_lenovo_drive_links_its_chassis_as_an_object_and_has_an_old_location_list() -> None:
    d = parse_storage.drive("1", "RAID_Slot10", flat("lambdalabs/sampleOut/storage_raid_drive1.json"))
    assert (d.id, d.name, d.enclosure, d.slot, d.location) == ("Disk.0", "ST600MM0009", "1", "0", "Slot 0")
    assert (d.media_type, d.protocol, d.capacity_bytes) == ("HDD", "SAS", 600127266816.0)


def test_a_drive_under_a_chassis_uri_sits_in_that_enclosure() -> None:
    uri = "/redfish/v1/Chassis/1U/Drives/35D38F11ACEF7BD3"
    d = parse_storage.drive("437XR1138R2", "1", resource("dmtf/public-localstorage", uri))
    assert (d.enclosure, d.slot, d.serial, d.protocol, d.media_type) == ("1U", "", "1234567", "SAS", "HDD")


def test_storage_rollup_shows_the_failed_drive_while_the_controller_is_ok() -> None:
    body = resource(XL, "/redfish/v1/Systems/1/Storage/DE07A000")
    st = parse_storage.storage("1", body)
    assert st.status == Status(health="OK", rollup="Critical", state="Enabled")
    ctrl = parse_storage.controller(
        "1", "DE07A000", resource(XL, "/redfish/v1/Systems/1/Storage/DE07A000/Controllers/0")
    )
    assert (ctrl.id, ctrl.model, ctrl.status.health) == ("0", "HPE Smart Array P408i-a SR Gen10", "OK")
    inline = resource("dmtf/public-localstorage", "/redfish/v1/Systems/437XR1138R2/Storage/1")["StorageControllers"][0]
    assert parse_storage.controller("437XR1138R2", "1", inline).id == "0"  # classic inline member: MemberId


def test_volume_raid_level_and_a_rebuild_in_progress() -> None:
    v = parse_storage.volume("1", "DE07A000", resource(XL, "/redfish/v1/Systems/1/Storage/DE07A000/Volumes/1"))
    assert (v.raid_type, v.capacity_bytes, v.operations, v.status.state) == ("RAID0", 960163569664.0, (), "Enabled")
    # No stored volume is rebuilding: the real DMTF RAID1 volume with Operations added in memory (only that).
    body = copy.deepcopy(resource("dmtf/public-localstorage", "/redfish/v1/Systems/437XR1138R2/Storage/1/Volumes/1"))
    body["Operations"] = [{"OperationName": "Rebuild", "PercentageComplete": 40}, {"Operation": "Initialize"}]
    v = parse_storage.volume("437XR1138R2", "1", body)
    assert (v.raid_type, v.operations) == ("RAID1", (("Rebuild", 40.0), ("Initialize", None)))


def test_dimm_health_locator_and_capacity_on_ilo() -> None:
    m = parse.memory("1", resource(DL, "/redfish/v1/Systems/1/Memory/proc1dimm1"))
    assert (m.id, m.locator, m.capacity_bytes) == ("proc1dimm1", "PROC 1 DIMM 1", 16384 * 2**20)
    assert m.status == Status(health="OK", state="Enabled")
    empty = parse.memory("1", resource(DL, "/redfish/v1/Systems/1/Memory/proc1dimm2"))
    assert (empty.status.health, empty.status.state, empty.capacity_bytes) == ("OK", "Absent", 0.0)  # iLO: empty slot


def test_system_processor_manager_and_service_root_of_ilo() -> None:
    s = parse.system(resource(XL, "/redfish/v1/Systems/1"))
    assert (s.id, s.model, s.bios_version, s.power_on) == (
        "1",
        "ProLiant XL675d Gen10 Plus",
        "A47 v2.58 (05/19/2022)",
        True,
    )
    assert s.status == Status(health="Warning", rollup="Warning", state="Enabled")
    p = parse.processor("1", resource(DL, "/redfish/v1/Systems/1/Processors/1"))
    assert p.model == "AMD EPYC 7302P 16-Core Processor"  # iLO pads it with spaces
    g = parse.manager(resource(XL, "/redfish/v1/Managers/1"))
    assert (g.model, g.firmware_version, g.status.health) == ("iLO 5", "iLO 5 v2.70", "Warning")
    root = parse.service_info(resource(XL, "/redfish/v1"))
    assert (root.vendor, root.product, root.redfish_version) == ("HPE", "ProLiant XL675d Gen10 Plus", "1.6.0")
    fw = parse.firmware(resource(XL, "/redfish/v1/UpdateService/FirmwareInventory/1"))
    assert (fw.id, fw.name, fw.version) == ("1", "iLO 5", "2.70 May 16 2022")


def test_classic_power_supplies_and_power_control_of_ilo() -> None:
    power = resource(DL, "/redfish/v1/Chassis/1/Power")
    first = parse_env.classic_power_supplies("1", power)[0]
    assert (first.id, first.output_watts, first.input_voltage, first.capacity_watts) == ("0", 51.0, 203.0, 500.0)
    assert (first.model, first.serial, first.input_watts, first.status.health) == (
        "865408-B21",
        "5WBXK0FLLDIKPU",
        None,
        "OK",
    )
    (control,) = parse_env.classic_power_controls("1", power)
    assert (control.consumed_watts, control.capacity_watts, control.limit_watts) == (97.0, 1000.0, None)
    (capped,) = parse_env.classic_power_controls(
        "Self", resource("csm-emulator/Gigabyte", "/redfish/v1/Chassis/Self/Power")
    )
    assert (capped.consumed_watts, capped.limit_watts) == (100.0, 500.0)


def test_a_power_supply_in_warning_in_both_models() -> None:
    (classic,) = parse_env.classic_power_supplies("1U", resource(RACK, "/redfish/v1/Chassis/1U/Power"))
    assert (classic.status.health, classic.input_voltage, classic.output_watts) == ("Warning", 120.0, 325.0)
    bay = "/redfish/v1/Chassis/1U/PowerSubsystem/PowerSupplies/Bay1"
    newer = parse_env.subsystem_power_supply("1U", resource(RACK, bay), resource(RACK, bay + "/Metrics"))
    assert (newer.id, newer.status.health, newer.input_watts, newer.output_watts) == ("Bay1", "Warning", 937.4, 937.4)
    assert (newer.input_voltage, newer.capacity_watts, newer.serial) == (230.2, 400.0, "3488247")
    env = parse_env.environment_power("1U", resource(RACK, "/redfish/v1/Chassis/1U/EnvironmentMetrics"))
    assert env is not None
    assert (env.id, env.consumed_watts, env.limit_watts) == ("EnvironmentMetrics", 374.0, 500.0)


def test_a_temperature_above_its_threshold_in_both_models() -> None:
    (blade,) = parse_env.classic_temperatures(
        "Blade3", resource("dmtf/public-bladed", "/redfish/v1/Chassis/Blade3/Thermal")
    )
    assert (blade.name, blade.celsius, blade.status.health) == ("CPU Temp", 77.0, "Warning")
    assert blade.upper_thresholds == (("caution", 75.0), ("critical", 90.0), ("fatal", 95.0))
    sensor = resource(RACK, "/redfish/v1/Chassis/1U/Sensors/CPU1Temp")
    assert parse_env.is_temperature(sensor)  # no ReadingType here: the unit says it
    t = parse_env.sensor_temperature("1U", sensor)
    assert (t.id, t.name, t.celsius, t.status.health) == ("CPU1Temp", "CPU #1 Temperature", 44.0, "Warning")
    assert t.upper_thresholds == (("caution", 42.0), ("critical", 45.0), ("fatal", 50.0))
    assert not parse_env.is_temperature(resource(RACK, "/redfish/v1/Chassis/1U/Sensors/CPUFan1"))


def test_fans_in_rpm_and_percent() -> None:
    fans = parse_env.classic_fans("1U", resource(RACK, "/redfish/v1/Chassis/1U/Thermal"))
    assert [(f.name, f.rpm, f.percent) for f in fans] == [
        ("BaseBoard System Fan", 2100.0, None),
        ("BaseBoard System Fan Backup", 2050.0, None),
    ]
    bay = parse_env.subsystem_fan("1U", resource(RACK, "/redfish/v1/Chassis/1U/ThermalSubsystem/Fans/Bay1"))
    assert (bay.id, bay.rpm, bay.percent, bay.status.health) == ("Bay1", 2200.0, 45.0, "OK")
    hpe = parse_env.classic_fans("1", resource(XL, "/redfish/v1/Chassis/1/Thermal"))[0]
    assert (hpe.name, hpe.rpm, hpe.percent) == ("Fan 1", None, 26.0)


def test_log_entries_are_counted_by_severity_and_type() -> None:
    entries = resource(DL, "/redfish/v1/Systems/1/LogServices/IML/Entries")
    lg = parse.log_service("/redfish/v1/Systems/1/LogServices/IML/", 143.0, entries["Members"])
    assert lg.path == "Systems/1/LogServices/IML"
    assert lg.counts == (("Critical", "Oem", 17), ("OK", "Oem", 122), ("Warning", "Oem", 4))
    intel = resource("csm-emulator/Intel", "/redfish/v1/Managers/BMC/LogServices/RedfishLog/Entries")
    assert parse.log_service("x", None, intel["Members"]).counts == (("Unknown", "Oem", 10),)


def test_error_bodies_stored_for_missing_resources_are_recognised() -> None:
    body = resource("csm-emulator/Intel", "/redfish/v1/Chassis/RackMount")
    assert parse.is_error(body)
    assert parse.missing_error(body)
    assert not parse.is_error(resource(XL, "/redfish/v1/Chassis/1"))


def test_status_tolerates_vendor_spellings_and_unknown_values() -> None:
    assert parse.status({"Status": {"Health": "ok", "HealthRollUp": "CRITICAL", "State": "enabled"}}) == Status(
        "OK", "Critical", "Enabled"
    )
    assert parse.status({"Status": {"Health": "Bad", "State": "Exploded"}}) == Status(None, None, "Unknown")
    assert parse.status({"Status": None}) == Status()
