"""Real BMC captures served by ``sushy-static`` on 127.0.0.1, probed end to end through our exporter's /probe.

HPE iLO 5 (DL325, XL675d), Intel, Gigabyte (AMI), OpenBMC, the DMTF mockups and a Delta power shelf, as
stored in ../shared/fixtures/redfish. The conditions the issue asks to see: a failed drive (XL675d
Drives/3), a power supply in warning (DMTF rackmount1, both models), temperatures above threshold (DMTF
bladed Blade3 classic, rackmount1 Sensors) and a degraded RAID volume (a copy of DMTF localstorage with
only two Status objects changed, as its test says: no stored capture has one).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from inframind.exporters.redfish.client import RedfishClient, ResourceError
from inframind.exporters.redfish.prober import RedfishProber
from inframind.exporters.redfish.settings import Auth, Settings
from inframind.secrets import SecretRef
from tests.helpers.exposition import promtool_check_metrics, value
from tests.helpers.probes import ProbeExporter, probe_exporter
from tests.helpers.procs import require_binary
from tests.helpers.redfish import copy_mockup, start_static, tree
from tests.helpers.redfish_sessions import SessionGateway
from tests.helpers.servers import Running

pytestmark = pytest.mark.integration
USER, PASSWORD = "Administrator", "ilo-test-pass"


class Statics:
    """sushy-static servers started on first use and stopped by PID at the end of the module."""

    def __init__(self, log_dir: Path) -> None:
        self.log_dir = log_dir
        self.running: dict[str, Running] = {}

    def url(self, mockup: str, root: Path | None = None) -> str:
        if mockup not in self.running:
            self.running[mockup] = start_static(root or tree(mockup), self.log_dir)
        return self.running[mockup].url

    def stop(self) -> None:
        for server in self.running.values():
            server.stop()


@pytest.fixture(scope="module")
def statics(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Statics]:
    servers = Statics(tmp_path_factory.mktemp("sushy-static"))
    yield servers
    servers.stop()


@pytest.fixture(scope="module")
def exporter(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ProbeExporter]:
    secret = tmp_path_factory.mktemp("secrets") / "ilo"
    secret.write_text(PASSWORD)
    modules = {"rf_subsystem": {"prober": "redfish", "redfish": {"sensor_source": "subsystem"}}}
    auths = {"ilo": {"type": "redfish", "username": USER, "password": f"file:{secret}"}}
    with probe_exporter(modules, auths) as running:  # plus the shipped redfish and redfish_health modules
        yield running


def probe(exporter: ProbeExporter, url: str, module: str = "redfish", auth: str | None = None) -> list[Any]:
    families = exporter.probe(url, module, auth)  # an http:// target: its scheme wins over the module's https
    assert value(families, "probe_success") == 1.0
    return families


def all_sections_succeeded(families: list[Any]) -> bool:
    return all(s.value == 1.0 for f in families for s in f.samples if s.name.endswith("_collector_success"))


def test_hpe_ilo_dl325_through_a_session(statics: Statics, exporter: ProbeExporter) -> None:
    gateway = SessionGateway(statics.url("csm-emulator/DL325"), USER, PASSWORD)
    try:
        families = probe(exporter, gateway.url, auth="ilo")
        assert (gateway.created, gateway.deleted, gateway.sessions, gateway.requests["basic"]) == (1, 1, {}, 0)
    finally:
        gateway.close()
    assert all_sections_succeeded(families)
    assert value(families, "inframind_redfish_service_info", auth="session", vendor="HPE") == 1.0
    assert value(families, "inframind_redfish_system_info", bios_version="A43 v2.52 (10/29/2021)") == 1.0
    psu = {"chassis": "1", "power_supply": "0", "serial": "5WBXK0FLLDIKPU"}
    assert value(families, "inframind_redfish_power_supply_output_watts", **psu) == 51.0
    assert value(families, "inframind_redfish_power_supply_input_voltage_volts", **psu) == 203.0
    assert value(families, "inframind_redfish_power_consumed_watts", chassis="1", power_control="0") == 97.0
    cpu = {"chassis": "1", "name": "02-CPU 1"}
    assert value(families, "inframind_redfish_temperature_celsius", **cpu) == 40.0
    assert value(families, "inframind_redfish_temperature_upper_threshold_celsius", level="critical", **cpu) == 75.0
    dimm = {"memory": "proc1dimm1", "locator": "PROC 1 DIMM 1"}
    assert value(families, "inframind_redfish_memory_health", **dimm) == 0.0
    assert value(families, "inframind_redfish_memory_capacity_bytes", **dimm) == 16 * 2**30
    # 143 IML and 218 IEL entries; the shipped module examines the first 100 of each.
    iml = "Systems/1/LogServices/IML"
    assert value(families, "inframind_redfish_log_service_entries", log_service=iml) == 143.0
    counts = {
        sev: value(families, "inframind_redfish_log_entries", log_service=iml, severity=sev)
        for sev in ("OK", "Warning", "Critical")
    }
    assert counts == {"OK": 93.0, "Warning": 4.0, "Critical": 3.0}
    iel = "Managers/1/LogServices/IEL"
    assert value(families, "inframind_redfish_log_service_entries", log_service=iel) == 218.0
    assert value(families, "inframind_redfish_log_entries", log_service=iel, severity="OK", entry_type="Oem") == 100.0


def test_a_session_login_without_a_token_falls_back_to_basic(statics: Statics, exporter: ProbeExporter) -> None:
    """sushy-static answers the login POST with 204 and no X-Auth-Token, as a BMC without sessions might."""
    families = probe(exporter, statics.url("csm-emulator/DL325"), "redfish_health", auth="ilo")
    assert value(families, "inframind_redfish_service_info", auth="basic", product="ProLiant DL325 Gen10 Plus") == 1.0


def test_a_failed_drive_on_an_ilo_xl675d(statics: Statics, exporter: ProbeExporter) -> None:
    families = probe(exporter, statics.url("csm-emulator/XL675d_A100"))
    failed = {"storage": "DE07A000", "drive": "3", "slot": "1"}
    assert value(families, "inframind_redfish_drive_health", **failed) == 2.0
    assert value(families, "inframind_redfish_drive_state", state="UnavailableOffline", **failed) == 1.0
    good = {"drive": "0", "enclosure": "3", "slot": "4", "location": "Slot=25:Port=1I:Box=3:Bay=4"}
    assert value(families, "inframind_redfish_drive_health", media_type="SSD", protocol="SATA", **good) == 0.0
    assert value(families, "inframind_redfish_storage_health_rollup", storage="DE07A000") == 2.0
    assert value(families, "inframind_redfish_volume_health", volume="1", raid_type="RAID0") == 0.0
    assert value(families, "inframind_redfish_system_health_rollup", system="1") == 1.0
    assert value(families, "inframind_redfish_power_supply_state", power_supply="4", state="Absent") == 1.0


def test_a_power_supply_in_warning_and_a_hot_cpu_on_rackmount1(statics: Statics, exporter: ProbeExporter) -> None:
    url = statics.url("dmtf/public-rackmount1")
    classic = probe(exporter, url)
    psu = {"chassis": "1U", "power_supply": "0", "serial": "1Z0000001"}
    assert value(classic, "inframind_redfish_power_supply_health", **psu) == 1.0
    assert value(classic, "inframind_redfish_power_supply_input_voltage_volts", **psu) == 120.0
    newer = probe(exporter, url, "rf_subsystem")
    assert value(newer, "inframind_redfish_power_supply_health", power_supply="Bay1") == 1.0
    assert value(newer, "inframind_redfish_power_supply_input_watts", power_supply="Bay1") == 937.4
    assert value(newer, "inframind_redfish_power_consumed_watts", power_control="EnvironmentMetrics") == 374.0
    cpu = {"chassis": "1U", "sensor": "CPU1Temp"}
    assert value(newer, "inframind_redfish_temperature_celsius", **cpu) == 44.0
    assert value(newer, "inframind_redfish_temperature_upper_threshold_celsius", level="caution", **cpu) == 42.0
    assert value(newer, "inframind_redfish_temperature_health", **cpu) == 1.0
    assert value(newer, "inframind_redfish_fan_speed_ratio", fan="Bay1") == 0.45
    assert value(newer, "inframind_redfish_fan_speed_rpm", fan="Bay1") == 2200.0


def test_a_blade_above_its_temperature_threshold(statics: Statics, exporter: ProbeExporter) -> None:
    families = probe(exporter, statics.url("dmtf/public-bladed"))
    cpu = {"chassis": "Blade3", "name": "CPU Temp"}
    assert value(families, "inframind_redfish_temperature_celsius", **cpu) == 77.0
    assert value(families, "inframind_redfish_temperature_upper_threshold_celsius", level="caution", **cpu) == 75.0
    assert value(families, "inframind_redfish_temperature_health", **cpu) == 1.0
    assert value(families, "inframind_redfish_fan_health", chassis="MultiBladeEncl", name="System Fan 2") == 2.0
    log = "Managers/Blade3BMC/LogServices/Log"
    assert value(families, "inframind_redfish_log_entries", log_service=log, severity="Warning") == 1.0


def test_a_degraded_raid_volume(statics: Statics, exporter: ProbeExporter, tmp_path: Path) -> None:
    """DMTF public-localstorage with two changes, nothing else: RAID1 volume 1 Status.Health Warning and
    State Degraded; its member drive 3F5A8C54207B7233 Status.Health Critical and State UnavailableOffline."""

    def degraded(body: dict[str, Any]) -> None:
        body["Status"].update(Health="Warning", State="Degraded")

    def failed(body: dict[str, Any]) -> None:
        body["Status"].update(Health="Critical", State="UnavailableOffline")

    root = copy_mockup(
        "dmtf/public-localstorage",
        tmp_path / "v1",
        {
            "/redfish/v1/Systems/437XR1138R2/Storage/1/Volumes/1": degraded,
            "/redfish/v1/Chassis/1U/Drives/3F5A8C54207B7233": failed,
        },
    )
    families = probe(exporter, statics.url("degraded-localstorage", root))
    volume = {"volume": "1", "raid_type": "RAID1", "name": "Virtual Disk 1"}
    assert value(families, "inframind_redfish_volume_health", **volume) == 1.0
    assert value(families, "inframind_redfish_volume_state", state="Degraded", **volume) == 1.0
    assert value(families, "inframind_redfish_volume_health", volume="2") == 0.0
    drive = {"drive": "3F5A8C54207B7233", "enclosure": "1U", "serial": "1234569"}
    assert value(families, "inframind_redfish_drive_state", state="UnavailableOffline", **drive) == 1.0


def test_intel_gigabyte_and_openbmc(statics: Statics, exporter: ProbeExporter) -> None:
    intel = probe(exporter, statics.url("csm-emulator/Intel"))
    assert value(intel, "inframind_redfish_power_consumed_watts", chassis="Baseboard") == 148.0
    assert value(intel, "inframind_redfish_fan_speed_rpm", name="Sys Fan 1A") == 17910.0
    assert value(intel, "inframind_redfish_firmware_info", firmware="BMC", version="1.93.870cf4f0") == 1.0
    assert value(intel, "inframind_redfish_missing_resources", collector="storage") == 32.0  # drives not captured
    assert value(intel, "inframind_redfish_scrape_collector_success", collector="storage") == 1.0
    gigabyte = probe(exporter, statics.url("csm-emulator/Gigabyte"))
    assert value(gigabyte, "inframind_redfish_power_limit_watts", chassis="Self", power_control="0") == 500.0
    cpu = {"chassis": "Self", "name": "CPU0_TEMP"}
    assert value(gigabyte, "inframind_redfish_temperature_upper_threshold_celsius", level="caution", **cpu) == 97.0
    audit = {"log_service": "Managers/Self/LogServices/AuditLog", "entry_type": "Event"}
    assert value(gigabyte, "inframind_redfish_log_entries", severity="Critical", **audit) == 5.0
    openbmc = probe(exporter, statics.url("csm-emulator/OpenBMC-stock"))
    assert value(openbmc, "inframind_redfish_manager_info", manager="bmc", model="OpenBmc") == 1.0
    journal = "Managers/bmc/LogServices/Journal"
    assert value(openbmc, "inframind_redfish_log_service_entries", log_service=journal) == 654.0
    assert value(openbmc, "inframind_redfish_log_entries", log_service=journal, severity="OK") == 100.0
    assert all_sections_succeeded(gigabyte) and all_sections_succeeded(openbmc)


def test_a_power_shelf_with_expanded_members(statics: Statics, exporter: ProbeExporter) -> None:
    families = probe(exporter, statics.url("lambdalabs/powershelf_delta"))
    psu = {"chassis": "PowerShelf_0", "power_supply": "1", "name": "PowerSupplyUnit 1"}
    assert value(families, "inframind_redfish_power_supply_capacity_watts", **psu) == 5504.0
    assert value(families, "inframind_redfish_power_supply_health", **psu) == 0.0
    assert value(families, "inframind_redfish_temperature_celsius", sensor="bmc_temp") == 58.0
    assert value(families, "inframind_redfish_missing_resources", collector="power") == 6.0  # Metrics not captured


def test_the_health_module_reads_no_sensors_logs_or_firmware(statics: Statics, exporter: ProbeExporter) -> None:
    gateway = SessionGateway(statics.url("csm-emulator/XL675d_A100"), USER, PASSWORD)
    try:
        light = probe(exporter, gateway.url, "redfish_health", auth="ilo")
        light_paths = list(gateway.paths)
        probe(exporter, gateway.url, "redfish", auth="ilo")
        full_paths = gateway.paths[len(light_paths) :]
    finally:
        gateway.close()
    sections = {s.labels["collector"] for f in light for s in f.samples if s.name.endswith("_collector_success")}
    assert sections == {"systems", "chassis", "managers", "storage"}
    assert value(light, "inframind_redfish_drive_health", drive="3") == 2.0
    assert not [f for f in light if f.name.startswith(("inframind_redfish_temperature", "inframind_redfish_log"))]
    heavy = ("/Thermal", "/Power", "/LogServices", "/UpdateService")
    assert [p for p in light_paths if any(h in p for h in heavy)] == []
    assert (
        len([p for p in full_paths if any(h in p for h in heavy)]) == 41
    )  # Thermal, Power; UpdateService, inventory, 27 items; 2 LogServices, 4 services, 4 Entries
    assert len(set(full_paths)) == len(full_paths)  # sections share reads: nothing is fetched twice


def test_requests_in_flight_are_bounded_and_a_late_probe_still_logs_out(statics: Statics) -> None:
    """Each GET takes 0.2 s at the gateway (a busy BMC): max_parallel caps the load, and a probe whose
    deadline strikes mid-way stops, keeps what it read and still deletes its session."""
    gateway = SessionGateway(statics.url("csm-emulator/XL675d_A100"), USER, PASSWORD, delay=0.2)
    try:
        auth = Auth(USER, SecretRef("env", "INFRAMIND_TEST_ILO_PASSWORD"))
        settings = Settings(max_parallel=3, sections=("systems", "storage", "logs", "firmware"))
        start = time.monotonic()
        with pytest.MonkeyPatch.context() as env:
            env.setenv("INFRAMIND_TEST_ILO_PASSWORD", PASSWORD)
            families = RedfishProber().probe(gateway.url, settings, auth, 1.5)
        took = time.monotonic() - start
        assert gateway.peak_in_flight == 3
        assert (gateway.created, gateway.deleted, gateway.sessions) == (1, 1, {})
    finally:
        gateway.close()
    assert took < 1.5 + 0.2 + 0.5  # the deadline, one request already under way, the logout
    assert value(families, "inframind_redfish_system_health", system="1") == 1.0  # read before the deadline
    assert value(families, "inframind_redfish_scrape_collector_success", collector="firmware") == 0.0


def test_hpe_lower_case_links_are_followed(statics: Statics) -> None:
    """DL325 links its BIOS as /redfish/v1/systems/1/bios; iLO does not care, a case-sensitive server does."""
    url, link = statics.url("csm-emulator/DL325"), "/redfish/v1/systems/1/bios"
    with RedfishClient(url, Settings(), None, deadline=float("inf")) as fresh, pytest.raises(ResourceError) as err:
        fresh.get(link)
    assert err.value.missing
    with RedfishClient(url, Settings(), None, deadline=float("inf")) as client:
        assert client.get("/redfish/v1/Systems/1")["Bios"]["@odata.id"] == link
        assert client.canonical(link + "/") == "/redfish/v1/Systems/1/bios/"
        assert client.get(link)["@odata.id"] == "/redfish/v1/systems/1/bios/"


def test_the_exposition_passes_promtool(statics: Statics, exporter: ProbeExporter) -> None:
    text = exporter.text(statics.url("csm-emulator/XL675d_A100"), "redfish")
    checked = promtool_check_metrics(require_binary("promtool"), text)
    assert checked.returncode == 0, checked.stdout + checked.stderr
