"""Filesystem, hwmon and uname of the psutil backend, and the warning about ignored ``--path.*`` flags.

This VM is Linux and has no temperature sensors: psutil's real Linux implementation is used where the
machine has the data, and psutil's answer is monkeypatched for sensors and for the other platforms'
mount tables and statvfs results.
"""

from __future__ import annotations

import ctypes
import logging
import os

import psutil
import pytest

from inframind.config import ExporterConfig, FilesystemSettings, HostPaths
from inframind.exporters.base import CollectorError
from inframind.exporters.host.uname import UnameCollector as ProcfsUname
from inframind.exporters.portable import common
from inframind.exporters.portable.filesystem import FilesystemCollector, statvfs_usage
from inframind.exporters.portable.hwmon import HwmonCollector
from inframind.exporters.portable.uname import UnameCollector, libc_getdomainname
from inframind.exporters.registry import BY_NAME, build_collectors
from inframind.schema import Regex
from tests.helpers.hosttree import Labels, by_label, one, samples
from tests.unit.test_portable_platforms import DiskUsage, Partition, Temperature

part = Partition
PARTITIONS = [
    part("/dev/ada0p2", "/", "ufs", "rw,local"),
    part("devfs", "/dev", "devfs", "rw,multilabel"),
    part("/dev/ada0p2", "/", "ufs", "rw,local"),  # listed twice
    part("tank/data", "/mnt/tank/data", "zfs", "ro,nfsv4acls"),
    part("tmpfs", "/tmp", "tmpfs", "rw"),
]


def mountpoints(series: dict[Labels, float]) -> dict[str, float]:
    return by_label(series, "mountpoint")


def test_filesystem_exclusions_duplicates_readonly_and_fragment_size(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(psutil, "disk_partitions", lambda all: PARTITIONS)
    # FreeBSD's statvfs: f_bsize is the I/O size (128 KiB on ZFS), f_blocks counts f_frsize fragments.
    stat = os.statvfs_result((131072, 4096, 1000, 600, 500, 2000, 1500, 1500, 0, 255))
    monkeypatch.setattr(os, "statvfs", lambda path: stat)
    settings = FilesystemSettings(fs_types_exclude=Regex("^tmpfs$"))  # /dev goes by the mount point pattern
    got = samples(FilesystemCollector(settings).collect())
    assert mountpoints(got["node_filesystem_device_error"]) == {"/": 0.0, "/mnt/tank/data": 0.0}
    assert one(got["node_filesystem_size_bytes"], device="/dev/ada0p2", mountpoint="/", fstype="ufs") == 1000 * 4096
    assert mountpoints(got["node_filesystem_free_bytes"])["/"] == 600 * 4096
    assert mountpoints(got["node_filesystem_avail_bytes"])["/"] == 500 * 4096
    assert mountpoints(got["node_filesystem_files"])["/"] == 2000
    assert mountpoints(got["node_filesystem_files_free"])["/"] == 1500
    assert mountpoints(got["node_filesystem_readonly"]) == {"/": 0.0, "/mnt/tank/data": 1.0}


def test_statvfs_usage_of_the_real_root() -> None:
    st = os.statvfs("/")
    usage = statvfs_usage("/")
    assert usage.size == st.f_blocks * st.f_frsize
    assert usage.files == st.f_files


def test_windows_filesystems_from_disk_usage(monkeypatch: pytest.MonkeyPatch) -> None:
    drives = [part("C:\\", "C:\\", "NTFS", "rw,fixed"), part("D:\\", "D:\\", "", "cdrom")]

    def disk_usage(path: str) -> DiskUsage:
        if path == "D:\\":
            raise OSError(21, "The device is not ready")
        return DiskUsage(500, 200, 300, 40.0)

    monkeypatch.setattr(psutil, "disk_partitions", lambda all: drives)
    monkeypatch.setattr(psutil, "disk_usage", disk_usage)
    got = samples(FilesystemCollector(FilesystemSettings(), system="win32").collect())
    assert mountpoints(got["node_filesystem_device_error"]) == {"C:\\": 0.0, "D:\\": 1.0}
    assert one(got["node_filesystem_size_bytes"], device="C:\\", mountpoint="C:\\", fstype="NTFS") == 500.0
    assert mountpoints(got["node_filesystem_free_bytes"]) == {"C:\\": 300.0}
    assert set(got) == {f"node_filesystem_{n}" for n in ("device_error", "size_bytes", "free_bytes", "readonly")}


def test_temperatures_from_psutil(monkeypatch: pytest.MonkeyPatch) -> None:
    shwtemp = Temperature
    chips = {
        "coretemp": [shwtemp("Core 0", 52.0, 82.0, 100.0), shwtemp("Core 1", 49.0, 82.0, 100.0)],
        "NVMe Drive": [shwtemp("", 38.85, None, None)],
        "!!!": [shwtemp("", 1.0, None, None)],  # cleans to nothing: no chip label to give it
    }
    monkeypatch.setattr(psutil, "sensors_temperatures", lambda: chips)
    got = samples(HwmonCollector().collect())
    temp = got["node_hwmon_temp_celsius"]
    assert {(dict(k)["chip"], dict(k)["sensor"]): v for k, v in temp.items()} == {
        ("coretemp", "temp1"): 52.0,
        ("coretemp", "temp2"): 49.0,
        ("nvme_drive", "temp1"): 38.85,
    }
    assert one(got["node_hwmon_temp_crit_celsius"], chip="coretemp", sensor="temp2") == 100.0
    assert one(got["node_hwmon_temp_max_celsius"], chip="coretemp", sensor="temp1") == 82.0
    assert len(got["node_hwmon_temp_crit_celsius"]) == 2  # none for the NVMe reading without thresholds
    labels = got["node_hwmon_sensor_label"]
    assert one(labels, chip="coretemp", sensor="temp2", label="Core 1") == 1.0
    assert len(labels) == 2


def test_uname_matches_the_procfs_collector_on_linux() -> None:
    (ours,) = samples(UnameCollector(libc_getdomainname()).collect())["node_uname_info"]
    (theirs,) = samples(ProcfsUname().collect())["node_uname_info"]
    assert ours == theirs  # including the domain name: getdomainname(3) and /proc/sys/kernel/domainname agree


def test_uname_domain_name_without_libc_or_unset() -> None:
    def domain(name: bytes, status: int = 0) -> str:
        def getdomainname(buffer: ctypes.Array[ctypes.c_char], size: int) -> int:
            buffer.value = name
            return status

        collector = UnameCollector(getdomainname)
        (labels,) = samples(collector.collect())["node_uname_info"]
        return dict(labels)["domainname"]

    assert domain(b"corp.example") == "corp.example"
    assert domain(b"") == "(none)"  # FreeBSD and macOS leave an unset domain empty
    (labels,) = samples(UnameCollector(None).collect())["node_uname_info"]
    assert dict(labels)["domainname"] == "(none)"  # Windows: no NIS domain at all
    with pytest.raises(CollectorError, match=r"^uname: getdomainname failed"):
        domain(b"x", status=-1)


PSUTIL_COLLECTORS = [name for name, spec in BY_NAME.items() if spec.portable and spec.portable != spec.module]


def test_ignored_path_flags_are_reported_once(caplog: pytest.LogCaptureFixture) -> None:
    common._warn_once.cache_clear()
    moved = ExporterConfig(host_backend="psutil", paths=HostPaths(procfs="/host/proc", rootfs="/host"))
    with caplog.at_level(logging.WARNING, logger="inframind.exporters.portable"):
        build_collectors(ExporterConfig(host_backend="psutil"), PSUTIL_COLLECTORS)
        assert caplog.records == []
        build_collectors(moved, PSUTIL_COLLECTORS)
        build_collectors(moved, PSUTIL_COLLECTORS)
    (record,) = caplog.records
    assert record.getMessage().startswith(
        "--path.procfs=/host/proc and --path.rootfs=/host do not apply to the psutil host backend"
    )
