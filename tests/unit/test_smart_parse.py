"""The smartctl JSON parser against real smartctl output (smartctl_exporter's recorded test data).

Expected values are read off the files by hand, so a wrong field choice or unit conversion fails here.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from inframind.exporters.smart.parse import (
    FATAL_EXIT,
    PERMISSION_DENIED,
    STANDBY,
    classify,
    decode,
    parse_device,
    parse_scan,
    parse_version,
)
from inframind.exporters.smart.readings import Attribute, DeviceReadings, DeviceRef, device_label, parse_device_spec

REPO_ROOT = Path(__file__).resolve().parents[2]
FIXTURES = REPO_ROOT.parent / "shared" / "fixtures" / "smartctl"
FIXTURE_FILES = sorted(FIXTURES.glob("*.json"))


def load(name: str) -> dict[str, Any]:
    path = FIXTURES / name
    if not path.is_file():
        pytest.fail(f"missing smartctl fixture {path} (CI checks ../shared out beside the repository)")
    doc = decode(path.read_text(encoding="utf-8"))
    assert doc is not None
    return dict(doc)


def attribute(readings: DeviceReadings, attribute_id: str) -> Attribute:
    return next(a for a in readings.attributes if a.id == attribute_id)


def test_the_fixture_set_is_there() -> None:
    assert len(FIXTURE_FILES) > 100, f"expected the recorded smartctl outputs in {FIXTURES}"


@pytest.mark.parametrize("path", FIXTURE_FILES, ids=lambda p: p.name)
def test_every_recorded_output_parses_into_a_device_with_a_model(path: Path) -> None:
    doc = decode(path.read_text(encoding="utf-8"))
    assert doc is not None
    readings = parse_device(doc)
    assert readings.model not in ("", "unknown")
    assert readings.smart_passed is not None
    status, reason, _ = classify(doc, 0)
    assert reason is None, f"exit status {status} has no fatal bit, so the readings must be used"
    kind = doc["device"]["type"]
    if kind == "sat":
        assert readings.attributes and readings.nvme is None and readings.scsi is None
    elif kind == "nvme":
        assert readings.nvme is not None and readings.nvme.percentage_used is not None and not readings.attributes
    else:
        assert kind == "scsi" and readings.scsi is not None and readings.scsi.grown_defect_list is not None


def test_ata_disk_with_reallocated_sectors() -> None:
    readings = parse_device(load("ST3500418AS_12.json"))
    reallocated = attribute(readings, "5")
    assert reallocated.name == "Reallocated_Sector_Ct"
    assert reallocated.values == {"value": 93.0, "worst": 93.0, "thresh": 36.0, "raw": 304.0}
    assert reallocated.flags_short == "PO--CK"
    assert reallocated.flags_long == "prefailure,updated_online,event_count,auto_keep"
    assert attribute(readings, "197").values["raw"] == 0.0  # Current_Pending_Sector
    assert attribute(readings, "198").flags_short == "----C-"  # Offline_Uncorrectable, not updated online
    assert readings.temperatures == {"current": 33.0}
    assert readings.power_on_seconds == 44668 * 3600
    assert readings.capacity_bytes == 500107862016
    assert readings.capacity_blocks == 976773168
    assert readings.power_cycle_count == 26
    assert readings.rotation_rate == 7200
    assert readings.interface_speeds == {"max": 3e9}
    assert readings.error_log_counts == {"summary": 0.0}
    assert readings.info["model_family"] == "Seagate Barracuda 7200.12"
    assert readings.info["model_name"] == "ST3500418AS"
    assert readings.info["interface"] == "sat"
    assert readings.info["ata_additional_product_id"] == "unknown"


def test_ata_disk_with_logged_errors_keeps_its_readings() -> None:
    doc = load("HGST_HUS724020ALE640_28.json")
    assert classify(doc, 64) == (64, None, "")  # bit 6: the error log has entries, not a failed read
    readings = parse_device(doc)
    assert readings.exit_status == 64
    assert readings.error_log_counts == {"summary": 12.0}
    assert readings.interface_speeds == {"max": 6e9, "current": 3e9}
    assert readings.block_sizes == {"logical": 512.0, "physical": 4096.0}


def test_nvme_wear_spare_and_capacity() -> None:
    readings = parse_device(load("KXG60ZNV512G_TOSHIBA_2.json"))
    nvme = readings.nvme
    assert nvme is not None
    assert nvme.percentage_used == 1
    assert nvme.media_errors == 0
    assert nvme.available_spare == 100
    assert nvme.available_spare_threshold == 10
    assert nvme.critical_warning == 0
    assert nvme.num_err_log_entries == 0
    assert nvme.bytes_read == 15794760 * 512_000
    assert nvme.bytes_written == 3861802 * 512_000
    assert readings.capacity_bytes == 512110190592
    assert readings.nvme_capacity_bytes == 512110190592
    assert readings.block_sizes == {"logical": 4096.0}
    assert readings.power_on_seconds == 12173 * 3600
    assert readings.rotation_rate is None  # no spindle: no series rather than 0 rpm
    assert readings.scsi is None


def test_nvme_worn_to_73_percent_and_without_user_capacity() -> None:
    readings = parse_device(load("nvme-null-INTEL_SSDPE2KX010T8-nvme1.json"))
    assert readings.nvme is not None and readings.nvme.percentage_used == 73
    assert readings.nvme.available_spare == 99
    assert readings.capacity_bytes is None  # several namespaces: smartctl prints no user_capacity
    assert readings.nvme_capacity_bytes == 1000204886016


def test_failing_nvme_is_reported_as_failing() -> None:
    doc = load("nvme-null-SAMSUNG_MZWLL3T2HAJQ-00005-nvme0.json")
    status, reason, _ = classify(doc, 8)
    assert (status, reason) == (8, None)  # bit 3 "DISK FAILING" is a finding: report it, do not drop it
    readings = parse_device(doc)
    assert readings.smart_passed is False
    assert readings.nvme is not None
    assert readings.nvme.critical_warning == 16  # volatile memory backup failed
    assert readings.nvme.available_spare == 100
    assert readings.version is not None and readings.version.svn_revision == ""


def test_scsi_disk_error_counters_and_grown_defects() -> None:
    readings = parse_device(load("SEAGATE_ST373453LC_26.json"))
    scsi = readings.scsi
    assert scsi is not None
    assert scsi.grown_defect_list == 260
    assert scsi.errors[("read", "total_uncorrected_errors")] == 1
    assert scsi.errors[("read", "errors_corrected_by_eccfast")] == 5330255
    assert scsi.errors[("read", "errors_corrected_by_eccdelayed")] == 1
    assert scsi.errors[("write", "errors_corrected_by_rereads_rewrites")] == 1973
    assert scsi.errors[("write", "total_uncorrected_errors")] == 535
    assert scsi.bytes_read == pytest.approx(11523.849e9)
    assert scsi.bytes_written == pytest.approx(11151.772e9)
    assert readings.power_on_seconds == 102880 * 3600 + 59 * 60
    assert readings.temperatures == {"current": 33.0, "drive_trip": 68.0}
    assert readings.info["model_name"] == "SEAGATE ST373453LC"  # scsi_model_name stands in
    assert readings.info["model_family"] == "unknown"
    assert readings.info["scsi_vendor"] == "SEAGATE" and readings.info["scsi_revision"] == "DX10"
    assert readings.nvme is None and not readings.attributes


def test_sas_disk_power_cycles_come_from_start_stop_cycles() -> None:
    readings = parse_device(load("HITACHI_H109060SESUN600G_9.json"))
    assert readings.power_cycle_count == 45
    assert readings.info["form_factor"] == "2.5 inches"
    assert readings.info["scsi_version"] == "SPC-4"
    assert readings.scsi is not None and readings.scsi.errors[("write", "total_uncorrected_errors")] == 0


def test_version_of_smartctl() -> None:
    version = parse_version(load("ST3500418AS_12.json"))
    assert version is not None
    assert (version.json_format_version, version.smartctl_version, version.svn_revision) == ("1.0", "7.3", "5338")


@pytest.mark.parametrize(
    ("name", "dev_type", "label"),
    [
        ("/dev/sda", "sat", "sda"),
        ("/dev/nvme0", "nvme", "nvme0"),
        ("/dev/sda", None, "sda"),
        ("/dev/bus/0", "megaraid,1", "bus_0_megaraid_1"),
        ("/dev/sg1", "cciss,1", "sg1_cciss_1"),
        ("/dev/disk/by-id/ata-CT500MX500SSD1_ABC", "auto", "ata-CT500MX500SSD1_ABC"),
    ],
)
def test_device_label_matches_smartctl_exporter(name: str, dev_type: str | None, label: str) -> None:
    assert device_label(name, dev_type) == label


def test_configured_device_specs() -> None:
    assert parse_device_spec("/dev/sda;sat") == DeviceRef("/dev/sda", "sat")
    assert parse_device_spec("/dev/nvme0") == DeviceRef("/dev/nvme0", None)
    assert parse_device_spec(" /dev/bus/0 ; megaraid,3 ").label == "bus_0_megaraid_3"


def _report(status: int, *said: str) -> dict[str, Any]:
    return {"smartctl": {"exit_status": status, "messages": [{"string": s, "severity": "error"} for s in said]}}


def test_fatal_exit_bits_are_classified_by_what_smartctl_said() -> None:
    denied = _report(2, "Smartctl open device: /dev/sda failed: Permission denied")
    assert classify(denied, 2)[1] == PERMISSION_DENIED
    asleep = {"smartctl": {"exit_status": 2, "messages": [{"string": "Device is in STANDBY mode, exit(2)"}]}}
    assert classify(asleep, 2)[1] == STANDBY
    gone = _report(2, "Smartctl open device: /dev/sdz failed: No such device")
    assert classify(gone, 2) == (2, FATAL_EXIT, "Smartctl open device: /dev/sdz failed: No such device")
    assert classify({"smartctl": {"exit_status": 1}}, 1) == (1, FATAL_EXIT, "the command line did not parse")
    for finding in (4, 8, 16, 32, 64, 128, 4 | 8 | 64):
        assert classify({"smartctl": {"exit_status": finding}}, finding)[1] is None


def test_decode_tolerates_the_pre_7_3_stray_line_and_rejects_non_json() -> None:
    assert decode('  Pending defect count:{"a": 1}') == {"a": 1}
    assert decode("smartctl 6.6 2016-05-31 r4324\n=======> UNRECOGNIZED OPTION: json") is None
    assert decode("[1, 2]") is None


def test_scan_entries_keep_open_errors() -> None:
    doc = {
        "devices": [
            {"name": "/dev/sda", "info_name": "/dev/sda [SAT]", "type": "sat", "protocol": "ATA"},
            {"name": "/dev/sdb", "type": "scsi", "open_error": "Permission denied"},
            {"type": "nvme"},
        ]
    }
    entries = parse_scan(doc)
    assert [(e.device, e.open_error) for e in entries] == [
        (DeviceRef("/dev/sda", "sat"), None),
        (DeviceRef("/dev/sdb", "scsi"), "Permission denied"),
    ]


def test_unexpected_shapes_do_not_raise() -> None:
    odd = {
        "device": {"type": "nvme", "protocol": ["NVMe"]},
        "temperature": {"current": "hot", "drive_trip": 60},
        "ata_smart_attributes": {"table": ["x", {"id": 5, "raw": "many"}]},
        "nvme_smart_health_information_log": {"percentage_used": True, "media_errors": "3"},
        "power_on_time": 12,
        "smart_status": {"passed": "yes"},
        "interface_speed": {"max": {"units_per_second": 60}},
    }
    readings = parse_device(json.loads(json.dumps(odd)))
    assert readings.model == "unknown"
    assert readings.temperatures == {"drive_trip": 60.0}
    assert [a.values for a in readings.attributes] == [{}]
    assert readings.nvme is not None and readings.nvme.percentage_used is None and readings.nvme.media_errors == 3
    assert readings.power_on_seconds is None and readings.smart_passed is None and not readings.interface_speeds
    assert parse_device({}).info["model_name"] == "unknown"
