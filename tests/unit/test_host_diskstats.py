from pathlib import Path

import pytest

from inframind.config import DiskstatsSettings
from inframind.exporters.base import CollectorError
from inframind.exporters.host.diskstats import DiskstatsCollector, create
from inframind.schema import Regex
from tests.helpers.hosttree import FIXTURE, by_label, fixture_config, one, samples, types

PROCFS, UDEV = str(FIXTURE / "proc"), str(FIXTURE / "udev")
DISKS = {"sda", "sdb", "nvme0n1", "md0", "md1", "md2", "dm-0", "vda"}


def test_partitions_loop_and_ram_are_excluded_by_default() -> None:
    got = samples(create(fixture_config()).collect())
    assert set(by_label(got["node_disk_reads_completed_total"], "device")) == DISKS
    assert set(by_label(got["node_disk_info"], "device")) == DISKS


def test_values_scaled_like_node_exporter() -> None:
    families = create(fixture_config()).collect()
    got = samples(families)
    sda = {name.removeprefix("node_disk_"): one(s, device="sda") for name, s in got.items() if "info" not in name}
    assert sda == {
        "reads_completed_total": 2841093,
        "reads_merged_total": 120451,
        "read_bytes_total": 301223904 * 512,
        "read_time_seconds_total": 1422.31,
        "writes_completed_total": 5012331,
        "writes_merged_total": 1630221,
        "written_bytes_total": 612004528 * 512,
        "write_time_seconds_total": 8123.004,
        "io_now": 3,
        "io_time_seconds_total": 3120.077,
        "io_time_weighted_seconds_total": 9712.214,
        "discards_completed_total": 22411,
        "discards_merged_total": 0,
        "discarded_sectors_total": 94371840,
        "discard_time_seconds_total": 3.122,
        "flush_requests_total": 412003,
        "flush_requests_time_seconds_total": 210331 * 0.001,
        "ata_write_cache": 1,
        "ata_write_cache_enabled": 1,
        "ata_rotation_rate_rpm": 0,
    }
    assert types(families)["node_disk_io_now"] == "gauge"
    assert types(families)["node_disk_reads_completed"] == "counter"


def test_short_lines_emit_only_their_columns() -> None:
    got = samples(create(fixture_config()).collect())
    # sdb has the 14-field layout (no discards, no flushes); nvme0n1 has 18 (discards, no flushes)
    assert "sdb" not in by_label(got["node_disk_discards_completed_total"], "device")
    assert one(got["node_disk_io_time_weighted_seconds_total"], device="sdb") == 352.431
    assert one(got["node_disk_discards_completed_total"], device="nvme0n1") == 441203
    assert "nvme0n1" not in by_label(got["node_disk_flush_requests_total"], "device")
    assert one(got["node_disk_flush_requests_total"], device="vda") == 11203


def test_disk_info_from_udev() -> None:
    info = samples(create(fixture_config()).collect())["node_disk_info"]
    sda = {
        "device": "sda",
        "major": "8",
        "minor": "0",
        "path": "pci-0000:00:17.0-ata-1",
        "wwn": "0x5001b448b9c4e0f1",
        "model": "EXAMPLE_SSD_2TB",
        "serial": "XS2TB0A41170",  # ID_SERIAL_SHORT, not SCSI_IDENT_SERIAL: node_exporter 1.5's choice
        "revision": "X41130RL",
    }
    assert frozenset(sda.items()) in info
    by_device = {dict(k)["device"]: dict(k) for k in info}
    assert by_device["nvme0n1"]["wwn"] == "eui.0025388b91b2c3d4"
    assert by_device["nvme0n1"]["model"] == "EXAMPLE NVME 1TB"
    assert by_device["nvme0n1"]["serial"] == "N1T0X00217"
    assert by_device["vda"] == {
        "device": "vda",
        "major": "252",
        "minor": "0",
        "path": "pci-0000:00:05.0",
        "wwn": "",
        "model": "",
        "serial": "",
        "revision": "",
    }
    assert by_device["sdb"]["path"] == by_device["sdb"]["serial"] == ""  # no udev file at all


def test_filesystem_device_mapper_and_ata_families() -> None:
    got = samples(create(fixture_config()).collect())
    fs = {dict(k)["device"]: dict(k) for k in got["node_disk_filesystem_info"]}
    assert fs["md0"] == {
        "device": "md0",
        "type": "ext4",
        "usage": "filesystem",
        "uuid": "5b1e6f0c-3a51-4b3e-9f3c-0c8b6a1d2e77",
        "version": "1.0",
    }
    assert set(fs) == {"md0", "dm-0"}
    (dm,) = got["node_disk_device_mapper_info"]
    assert dict(dm)["name"] == "vg0-data"
    assert dict(dm)["vg_name"] == "vg0"
    assert dict(dm)["lv_name"] == "data"
    assert dict(dm)["lv_layer"] == ""
    assert set(by_label(got["node_disk_ata_write_cache_enabled"], "device")) == {"sda"}


def test_custom_exclude_and_missing_udev_dir(tmp_path: Path) -> None:
    collector = DiskstatsCollector(PROCFS, str(tmp_path / "nope"), DiskstatsSettings(device_exclude=Regex("^(md|sd)")))
    got = samples(collector.collect())
    info = {dict(k)["device"]: dict(k) for k in got["node_disk_info"]}
    # the pattern replaces the default one, so partitions, loop and ram devices are back
    assert set(info) == {"nvme0n1", "nvme0n1p1", "dm-0", "vda", "loop0", "ram0"}
    assert info["nvme0n1"]["serial"] == ""
    assert "node_disk_filesystem_info" not in got


def test_lines_of_unknown_length_are_skipped(tmp_path: Path) -> None:
    (tmp_path / "diskstats").write_text("   8 0 sda 1 2 3 4 5 6 7 8 9 10 11 12\n   8 16 sdb 1 2 3 4 5 6 7 8 9 10 11\n")
    got = samples(DiskstatsCollector(str(tmp_path), UDEV, DiskstatsSettings()).collect())
    assert set(by_label(got["node_disk_io_now"], "device")) == {"sdb"}


def test_malformed_line(tmp_path: Path) -> None:
    (tmp_path / "diskstats").write_text("   8 0 sda 1 2 3 4 5 6 7 8 9 x 11\n")
    with pytest.raises(CollectorError, match=r"^diskstats: cannot read .*/diskstats: malformed line"):
        DiskstatsCollector(str(tmp_path), UDEV, DiskstatsSettings()).collect()


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(CollectorError, match=rf"^diskstats: cannot read {tmp_path}/diskstats: No such file"):
        DiskstatsCollector(str(tmp_path), UDEV, DiskstatsSettings()).collect()
