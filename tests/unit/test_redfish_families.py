"""Readings from real payloads -> families: health numbers, state sets, label sets, ratios, skipped absences."""

from __future__ import annotations

from prometheus_client.core import Metric

from inframind.exporters.redfish import parse, parse_env, parse_storage
from inframind.exporters.redfish.families import FAMILIES, build_families
from inframind.exporters.redfish.readings import Readings, SectionOutcome
from tests.helpers.exposition import value
from tests.helpers.redfish import resource

XL = "csm-emulator/XL675d_A100"
RACK = "dmtf/public-rackmount1"
STORAGE = "/redfish/v1/Systems/1/Storage/DE07A000"


def xl675d() -> Readings:
    r = Readings(service=parse.service_info(resource(XL, "/redfish/v1")))
    r.systems.append(parse.system(resource(XL, "/redfish/v1/Systems/1")))
    r.drives += [parse_storage.drive("1", "DE07A000", resource(XL, f"{STORAGE}/Drives/{n}")) for n in (0, 3)]
    r.volumes.append(parse_storage.volume("1", "DE07A000", resource(XL, f"{STORAGE}/Volumes/1")))
    r.temperatures += parse_env.classic_temperatures("1U", resource(RACK, "/redfish/v1/Chassis/1U/Thermal"))
    r.fans += parse_env.classic_fans("1", resource(XL, "/redfish/v1/Chassis/1/Thermal"))
    r.power_supplies += parse_env.classic_power_supplies("1", resource(XL, "/redfish/v1/Chassis/1/Power"))
    return r


def names(families: list[Metric]) -> set[str]:
    return {f.name for f in families}


def test_health_is_numeric_and_state_is_a_state_set() -> None:
    families = build_families(xl675d(), [], "session")
    failed = {"drive": "3", "slot": "1", "location": "Slot=25:Port=Unknown:Box=Unknown:Bay=Unknown"}
    assert value(families, "inframind_redfish_drive_health", **failed) == 2.0
    assert value(families, "inframind_redfish_drive_state", state="UnavailableOffline", **failed) == 1.0
    good = {"drive": "0", "enclosure": "3", "slot": "4", "media_type": "SSD", "protocol": "SATA"}
    assert value(families, "inframind_redfish_drive_health", serial="21122DE9C12C", **good) == 0.0
    assert value(families, "inframind_redfish_drive_life_left_ratio", **good) == 1.0
    assert value(families, "inframind_redfish_drive_failure_predicted", **good) == 0.0
    assert value(families, "inframind_redfish_system_health", system="1") == 1.0
    assert value(families, "inframind_redfish_volume_state", raid_type="RAID0", state="Enabled") == 1.0
    assert value(families, "inframind_redfish_power_supply_health", power_supply="4") == 1.0  # iLO: absent bay, Warning
    assert value(families, "inframind_redfish_fan_speed_ratio", name="Fan 3") == 0.36
    assert value(families, "inframind_redfish_service_info", vendor="HPE", auth="session") == 1.0


def test_what_the_bmc_does_not_say_has_no_sample() -> None:
    families = build_families(xl675d(), [], "basic")
    failed_drive = [s for f in families for s in f.samples if s.labels.get("drive") == "3"]
    assert {s.name for s in failed_drive} == {"inframind_redfish_drive_health", "inframind_redfish_drive_state"}
    cpu2 = [s for f in families for s in f.samples if s.labels.get("name") == "CPU2 Temp"]
    assert cpu2 == []  # disabled sensor: no reading, no health, and so no thresholds either
    assert (
        value(families, "inframind_redfish_temperature_upper_threshold_celsius", name="CPU1 Temp", level="fatal") == 48
    )
    assert "inframind_redfish_fan_speed_rpm" not in names(families)  # iLO reports percent only


def test_every_family_of_a_part_has_the_same_labels() -> None:
    families = build_families(xl675d(), [], "none")
    drive_labels = {
        frozenset(s.labels) - {"state"}
        for f in families
        if f.name.startswith("inframind_redfish_drive_")
        for s in f.samples
    }
    assert drive_labels == {
        frozenset(
            {
                "system",
                "storage",
                "drive",
                "name",
                "model",
                "serial",
                "media_type",
                "protocol",
                "enclosure",
                "slot",
                "location",
            }
        )
    }
    for family in families:
        assert family.name in FAMILIES
        declared = set(FAMILIES[family.name][1])
        assert all(set(s.labels) == declared for s in family.samples), family.name


def test_sections_report_success_duration_and_dangling_links() -> None:
    outcomes = [SectionOutcome("storage", False, 0.25, 0), SectionOutcome("firmware", True, 0.5, 3)]
    families = build_families(Readings(), outcomes, "none")
    assert value(families, "inframind_redfish_scrape_collector_success", collector="storage") == 0.0
    assert value(families, "inframind_redfish_scrape_collector_success", collector="firmware") == 1.0
    assert value(families, "inframind_redfish_scrape_collector_duration_seconds", collector="storage") == 0.25
    assert value(families, "inframind_redfish_missing_resources", collector="firmware") == 3.0


def test_a_bmc_repeating_an_id_costs_a_series_not_the_scrape() -> None:
    r = Readings()
    power = resource("csm-emulator/DL325", "/redfish/v1/Chassis/1/Power")
    r.power_supplies += parse_env.classic_power_supplies("1", power) * 2
    families = build_families(r, [], "none")
    assert value(families, "inframind_redfish_power_supply_output_watts", power_supply="0") == 51.0
    assert len([s for f in families for s in f.samples if s.name == "inframind_redfish_power_supply_health"]) == 2
