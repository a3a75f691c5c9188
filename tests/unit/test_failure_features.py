"""Disk features from what our exporters expose: real smartctl JSON (ATA, NVMe, SCSI) and real Redfish Drive
payloads go through the exporters' own families, so the names the failure detector reads are the names scraped."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import pytest
from prometheus_client.core import Metric

from inframind.analyzer.detect.failure.features import (
    DiskFeatures,
    DiskReading,
    features_from_history,
    timeout_count,
)
from inframind.analyzer.detect.failure.readings import DiskKey, Sample, readings_from_samples
from inframind.exporters.redfish import parse_storage
from inframind.exporters.redfish.families import build_families as redfish_families
from inframind.exporters.redfish.readings import Readings
from inframind.exporters.smart.families import DeviceState, Snapshot
from inframind.exporters.smart.families import build_families as smart_families
from inframind.exporters.smart.parse import decode, parse_device
from inframind.exporters.smart.readings import DeviceRef

SHARED = Path(__file__).resolve().parents[3] / "shared" / "fixtures"
DAY = 86400.0


def fixture(path: Path) -> Path:
    if not path.exists():
        pytest.fail(f"missing fixture {path} (CI checks ../shared out beside the repository)")
    return path


def samples(families: Sequence[Metric], **extra: str) -> list[Sample]:
    return [(s.name, {**s.labels, **extra}, s.value) for f in families for s in f.samples]


def smartctl_samples(name: str, device: str, instance: str = "host-1:9633") -> list[Sample]:
    doc = decode(fixture(SHARED / "smartctl" / name).read_text(encoding="utf-8"))
    assert doc is not None
    readings = parse_device(doc)
    state = DeviceState(DeviceRef(device, "auto"), readings.exit_status, readings)
    return samples(smart_families(Snapshot((state,), None, {}, 1.0)), instance=instance)


def redfish_samples(relative: str, instance: str = "bmc-1") -> list[Sample]:
    resource = json.loads(fixture(SHARED / "redfish" / relative).read_text(encoding="utf-8"))
    readings = Readings(drives=[parse_storage.drive("1", "RAID", resource)])
    return samples(redfish_families(readings, (), "session"), instance=instance)


def only(drives: dict[DiskKey, object]) -> object:
    assert len(drives) == 1
    return next(iter(drives.values()))


def test_ata_drive_with_reallocated_sectors_and_a_timeout() -> None:
    drives = readings_from_samples(smartctl_samples("ST3500418AS_12.json", "/dev/sda"))
    (key, drive), *_ = drives.items()
    assert key == DiskKey("host-1:9633", "REDACTED")  # keyed by serial number, not by /dev name
    assert drive.labels["device"] == "sda"
    r = drive.reading
    assert r.counts == {
        "reallocated": 304.0,
        "reported_uncorrectable": 0.0,
        "command_timeouts": 0.0,
        "pending": 0.0,
        "offline_uncorrectable": 0.0,
        "crc_errors": 0.0,
    }
    assert r.power_on_hours == 44668.0  # smartctl_device_power_on_seconds / 3600
    assert r.temperature_celsius == 33.0  # the current temperature, not 194's packed raw value
    assert r.failure_predicted is False  # SMART overall health passed


def test_nvme_drive_maps_media_errors_and_wear() -> None:
    drive = readings_from_samples(smartctl_samples("nvme-null-INTEL_SSDPE2KX020T7-nvme6.json", "/dev/nvme6"))
    reading = next(iter(drive.values())).reading
    assert reading.counts == {"media_errors": 0.0}
    assert reading.percentage_used == 75.0
    assert reading.temperature_celsius == 19.0
    features = features_from_history([(0.0, reading)])
    assert features.wear == 0.75


def test_nvme_with_a_critical_warning_predicts_its_failure() -> None:
    drives = readings_from_samples(smartctl_samples("nvme-null-SAMSUNG_MZWLL3T2HAJQ-00005-nvme0.json", "/dev/nvme0"))
    assert next(iter(drives.values())).reading.failure_predicted is True  # smart_status 0 (critical warning 16)


def test_scsi_grown_defects_count_as_reallocated() -> None:
    drives = readings_from_samples(smartctl_samples("SEAGATE_ST373453LC_26.json", "/dev/sdb"))
    reading = next(iter(drives.values())).reading
    assert "reallocated" in reading.counts
    assert "reported_uncorrectable" in reading.counts


def test_redfish_ssd_life_left_and_verdict() -> None:
    drives = readings_from_samples(
        redfish_samples("csm-emulator/XL675d_A100/redfish/v1/Systems/1/Storage/DE07A000/Drives/0/index.json")
    )
    (key, drive), *_ = drives.items()
    assert key == DiskKey("bmc-1", "21122DE9C12C")
    assert drive.reading.life_left_ratio == 1.0
    assert drive.reading.failure_predicted is False
    assert drive.labels["media_type"] == "SSD"


def test_redfish_hdd_life_left_is_ignored() -> None:
    synthetic = [
        ("inframind_redfish_drive_life_left_ratio", {"serial": "S1", "media_type": "HDD"}, 0.0),
        ("inframind_redfish_drive_failure_predicted", {"serial": "S1", "media_type": "HDD"}, 1.0),
    ]
    reading = readings_from_samples(synthetic)[DiskKey("", "S1")].reading
    assert reading.life_left_ratio is None  # a BMC's 0 for a disk with no wear estimate is not "worn out"
    assert reading.failure_predicted is True


def test_smart_and_redfish_views_of_one_drive_merge_by_serial() -> None:
    both = [
        ("smartctl_device",
         {"asset_id": "srv-1", "device": "sda", "serial_number": "Z1", "model_name": "ST8000DM002"}, 1.0),
        ("smartctl_device_attribute",
         {"asset_id": "srv-1", "device": "sda", "attribute_id": "197", "attribute_value_type": "raw"}, 16.0),
        ("smartctl_device_attribute",
         {"asset_id": "srv-1", "device": "sda", "attribute_id": "197", "attribute_value_type": "value"}, 100.0),
        ("inframind_redfish_drive_failure_predicted", {"asset_id": "srv-1", "serial": "Z1", "drive": "0"}, 1.0),
    ]  # fmt: skip
    drives = readings_from_samples(both, group_label="asset_id")
    assert list(drives) == [DiskKey("srv-1", "Z1")]
    reading = drives[DiskKey("srv-1", "Z1")].reading
    assert reading.counts == {"pending": 16.0}  # the normalized value is not a count
    assert reading.failure_predicted is True
    assert drives[DiskKey("srv-1", "Z1")].labels["model"] == "ST8000DM002"


def test_seagate_packed_command_timeouts_are_summed() -> None:
    assert timeout_count(4295032833.0) == 3.0  # 0x0001_0001_0001: three 16-bit counters of 1
    assert timeout_count(65536.0) == 1.0
    assert timeout_count(7.0) == 7.0


def test_growth_is_the_increase_since_the_window_opened() -> None:
    def at(day: float, realloc: float, pending: float) -> tuple[float, DiskReading]:
        return day * DAY, DiskReading(
            counts={"reallocated": realloc, "pending": pending}, power_on_hours=100 + day * 24
        )

    history = [at(0, 5, 0), at(3, 8, 24), at(8, 40, 16), at(13, 90, 8)]
    features = features_from_history(history, window_hours=240)
    assert features.counts == {"reallocated": 90, "pending": 8}
    # the window opened at day 3 (13 - 10): growth is measured from the reading in force then
    assert features.growth == {"reallocated": 82, "pending": 0}  # pending fell: floored at 0, not "healing"
    assert features.window_hours == 240
    assert features.power_on_hours == 100 + 13 * 24


def test_short_history_gives_growth_over_what_there_is() -> None:
    history = [(0.0, DiskReading(counts={"pending": 0})), (2 * DAY, DiskReading(counts={"pending": 8}))]
    features = features_from_history(history)
    assert features.growth == {"pending": 8}
    assert features.window_hours == 48


def test_one_reading_has_no_growth_and_empty_history_no_features() -> None:
    assert features_from_history([(0.0, DiskReading(counts={"pending": 8}))]).growth == {}
    assert features_from_history([]) == DiskFeatures()


def test_feature_values_by_name() -> None:
    f = DiskFeatures(counts={"pending": 3}, percentage_used=50, life_left_ratio=0.2, failure_predicted=False)
    assert f.value("pending") == 3
    assert f.value("reallocated") is None
    assert f.wear == 0.8  # the worse of NVMe's 50% used and Redfish's 20% left
    assert f.value("failure_predicted") == 0.0
    with pytest.raises(KeyError):
        f.value("smart_231")
