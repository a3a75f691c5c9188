"""The smart families: smartctl_exporter's names and labels, and an exposition promtool accepts."""

from __future__ import annotations

import dataclasses
import subprocess
from pathlib import Path

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import Metric
from prometheus_client.openmetrics.exposition import generate_latest as generate_openmetrics

from inframind.exporters.smart.families import FAMILIES, DeviceState, Snapshot, build_families
from inframind.exporters.smart.parse import FATAL_EXIT, TIMEOUT, decode, parse_device
from inframind.exporters.smart.readings import DeviceRef
from tests.helpers.exposition import value
from tests.helpers.procs import require_binary

REPO_ROOT = Path(__file__).resolve().parents[2]
FIXTURES = REPO_ROOT.parent / "shared" / "fixtures" / "smartctl"

# The label sets of prometheus-community/smartctl_exporter (metrics.go), which dashboards and alerts use.
UPSTREAM_LABELS = {
    "smartctl_version": ("json_format_version", "smartctl_version", "svn_revision", "build_info"),
    "smartctl_devices": (),
    "smartctl_device": (
        "device", "interface", "protocol", "model_family", "model_name", "serial_number",
        "ata_additional_product_id", "firmware_version", "ata_version", "sata_version", "form_factor",
        "scsi_vendor", "scsi_product", "scsi_revision", "scsi_version",
    ),
    "smartctl_device_attribute": (
        "device", "attribute_name", "attribute_flags_short", "attribute_flags_long", "attribute_value_type",
        "attribute_id",
    ),
    "smartctl_device_block_size": ("device", "blocks_type"),
    "smartctl_device_interface_speed": ("device", "speed_type"),
    "smartctl_device_temperature": ("device", "temperature_type"),
    "smartctl_device_error_log_count": ("device", "error_log_type"),
    "smartctl_device_smartctl_exit_status": ("device",),
    "smartctl_device_power_on_seconds": ("device",),
    "smartctl_device_percentage_used": ("device",),
    "smartctl_device_critical_warning": ("device",),
    "smartctl_scsi_grown_defect_list": ("device",),
}  # fmt: skip

# promtool's linter flags a "_count" suffix on a gauge. These two names are smartctl_exporter's and
# renaming them would break the dashboards and alerts this collector exists to serve.
JUSTIFIED_LINT = {
    'smartctl_device_power_cycle_count non-histogram and non-summary metrics should not have "_count" suffix',
    'smartctl_device_error_log_count non-histogram and non-summary metrics should not have "_count" suffix',
}


def state(fixture: str, name: str, dev_type: str) -> DeviceState:
    doc = decode((FIXTURES / fixture).read_text(encoding="utf-8"))
    assert doc is not None
    readings = parse_device(doc)
    return DeviceState(DeviceRef(name, dev_type), readings.exit_status, readings)


def every_fixture_snapshot() -> Snapshot:
    states = [state(path.name, f"/dev/disk{i}", "auto") for i, path in enumerate(sorted(FIXTURES.glob("*.json")))]
    states += [
        DeviceState(DeviceRef("/dev/sdx", "sat"), None, None, TIMEOUT, "smartctl did not finish within 30s"),
        DeviceState(DeviceRef("/dev/bus/0", "megaraid,4"), 2, None, FATAL_EXIT, "No such device"),
    ]
    errors = {("sdx", TIMEOUT): 3, ("bus_0_megaraid_4", FATAL_EXIT): 1}
    version = states[0].readings.version if states[0].readings else None
    return Snapshot(tuple(states), version, errors, 1_700_000_000.0)


def expose(families: list[Metric], openmetrics: bool = False) -> str:
    class Fixed:
        def collect(self) -> list[Metric]:
            return families

    registry = CollectorRegistry(auto_describe=False)
    registry.register(Fixed())
    return (generate_openmetrics if openmetrics else generate_latest)(registry).decode("utf-8")


def by_name(families: list[Metric]) -> dict[str, Metric]:
    return {family.name: family for family in families}


def test_label_sets_are_smartctl_exporters() -> None:
    for name, labels in UPSTREAM_LABELS.items():
        assert FAMILIES[name][1] == labels, name
    families = by_name(build_families(every_fixture_snapshot()))
    for name, labels in UPSTREAM_LABELS.items():
        for sample in families[name].samples:
            assert tuple(sample.labels) == labels, name


def test_promtool_accepts_the_exposition_of_every_fixture() -> None:
    promtool = require_binary("promtool")
    text = expose(build_families(every_fixture_snapshot()))
    assert "smartctl_scsi_grown_defect_list" in text and "smartctl_device_critical_warning" in text
    done = subprocess.run(
        [promtool, "check", "metrics"], input=text, capture_output=True, text=True, timeout=60, check=False
    )
    problems = {line.strip() for line in (done.stdout + done.stderr).splitlines() if line.strip()}
    assert problems <= JUSTIFIED_LINT, problems - JUSTIFIED_LINT
    assert done.returncode in (0, 3)  # 3: lint findings only, all of them the justified ones above


def test_series_keep_their_names_in_openmetrics() -> None:
    families = build_families(Snapshot((state("ST3500418AS_12.json", "/dev/sda", "sat"),), None, {}, 1.0))
    text = expose(families, openmetrics=True)
    assert 'smartctl_device_power_on_seconds{device="sda"} 1.608048e+08' in text
    assert 'smartctl_device_power_cycle_count{device="sda"} 26.0' in text
    assert "_total" not in text.replace("inframind_smart_device_refresh_errors_total", "")


def test_readings_become_series() -> None:
    snapshot = Snapshot(
        (
            state("ST3500418AS_12.json", "/dev/sda", "sat"),
            state("nvme-null-SAMSUNG_MZWLL3T2HAJQ-00005-nvme0.json", "/dev/nvme0", "nvme"),
            state("SEAGATE_ST373453LC_26.json", "/dev/bus/0", "megaraid,2"),
        ),
        None,
        {},
        1_700_000_000.0,
    )
    f = build_families(snapshot)
    raw = {"attribute_value_type": "raw"}
    assert value(f, "smartctl_device_attribute", device="sda", attribute_id="5", **raw) == 304
    assert value(f, "smartctl_device_attribute", device="sda", attribute_name="Current_Pending_Sector", **raw) == 0
    assert value(f, "smartctl_device_temperature", device="sda", temperature_type="current") == 33
    assert value(f, "smartctl_device_smart_status", device="nvme0") == 0  # the failing NVMe
    assert value(f, "smartctl_device_critical_warning", device="nvme0") == 16
    assert value(f, "smartctl_device_smartctl_exit_status", device="nvme0") == 8
    assert value(f, "smartctl_device_smart_status", device="sda") == 1
    assert value(f, "smartctl_scsi_grown_defect_list", device="bus_0_megaraid_2") == 260
    assert value(f, "smartctl_write_total_uncorrected_errors", device="bus_0_megaraid_2") == 535
    assert value(f, "smartctl_device", device="bus_0_megaraid_2", model_name="SEAGATE ST373453LC") == 1
    assert value(f, "smartctl_devices") == 3
    assert value(f, "inframind_smart_last_refresh_timestamp_seconds") == 1_700_000_000
    names = by_name(f)
    assert "smartctl_device_percentage_used" in names and "smartctl_device_capacity_bytes" in names
    assert all(s.labels["device"] != "bus_0_megaraid_2" for s in names["smartctl_device_attribute"].samples)


def test_a_device_without_readings_shows_why_and_nothing_stale() -> None:
    snapshot = every_fixture_snapshot()
    f = build_families(snapshot)
    assert value(f, "smartctl_device_smartctl_exit_status", device="bus_0_megaraid_4") == 2
    assert value(f, "inframind_smart_device_refresh_success", device="bus_0_megaraid_4") == 0
    assert value(f, "inframind_smart_device_refresh_success", device="sdx") == 0
    assert value(f, "inframind_smart_device_refresh_errors_total", device="sdx", reason="timeout") == 3
    assert value(f, "inframind_smart_device_refresh_success", device="disk0") == 1
    for family in f:
        if family.name.startswith("smartctl_device") and family.name != "smartctl_device_smartctl_exit_status":
            assert all(s.labels.get("device") not in ("sdx", "bus_0_megaraid_4") for s in family.samples)
    assert all(s.labels["device"] != "sdx" for s in by_name(f)["smartctl_device_smartctl_exit_status"].samples)


def test_duplicate_attribute_rows_and_device_paths_do_not_clash() -> None:
    base = state("ST3500418AS_12.json", "/dev/sda", "sat")
    assert base.readings is not None
    reallocated = next(a for a in base.readings.attributes if a.id == "5")
    twice = dataclasses.replace(base.readings, attributes=(*base.readings.attributes, reallocated))
    doubled = DeviceState(base.device, 0, twice)
    same_disk = DeviceState(DeviceRef("/dev/disk/by-id/sda", None), 0, base.readings)  # also labelled "sda"
    text = expose(build_families(Snapshot((doubled, same_disk), None, {}, None)))
    raw = 'attribute_id="5",attribute_name="Reallocated_Sector_Ct",attribute_value_type="raw",device="sda"} 304.0'
    assert text.count(raw) == 1
    assert text.count('smartctl_device_power_on_seconds{device="sda"}') == 1


def test_before_the_first_refresh_only_what_is_known_is_shown() -> None:
    assert build_families(Snapshot()) == []
