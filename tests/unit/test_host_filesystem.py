import errno
import os
import threading
import time
from pathlib import Path

import pytest

from inframind.config import FilesystemSettings, HostPaths
from inframind.exporters.base import CollectorError
from inframind.exporters.host.filesystem import FilesystemCollector, Mount, create, parse_mounts
from inframind.schema import Regex
from tests.helpers.hosttree import FIXTURE, Labels, fixture_config, fixture_paths, one, samples, types
from tests.helpers.procs import wait_until

ROOTFS = str(FIXTURE / "rootfs")
INCLUDED = {
    ("/dev/md0", "/", "ext4"),
    ("tmpfs", "/run", "tmpfs"),
    ("/dev/sda1", "/boot", "ext4"),
    ("/dev/mapper/vg0-data", "/srv/data", "xfs"),
    ("/dev/sdb1", "/mnt/backup", "ext4"),
    ("/dev/nvme0n1p1", "/mnt/fast disk", "ext4"),
    ("nas.example.internal:/export/home", "/mnt/gone", "nfs4"),
}
FAKE = os.statvfs_result((4096, 1024, 1000, 600, 500, 2000, 1500, 1500, 0, 255))


def fake_statvfs(path: str) -> os.statvfs_result:
    if not os.path.isdir(path):
        raise FileNotFoundError(2, "No such file or directory", path)
    return FAKE


def _keys(series: dict[Labels, float]) -> set[tuple[str, str, str]]:
    return {(dict(k)["device"], dict(k)["mountpoint"], dict(k)["fstype"]) for k in series}


def test_mounts_exclusions_and_values() -> None:
    families = FilesystemCollector(fixture_paths(), FilesystemSettings(), fake_statvfs).collect()
    got = samples(families)
    errors = got["node_filesystem_device_error"]
    assert _keys(errors) == INCLUDED  # proc, sysfs, devtmpfs, cgroup2, overlay, /run/credentials/... excluded
    assert {dict(k)["mountpoint"] for k, v in errors.items() if v == 1.0} == {"/mnt/gone"}  # not in the rootfs
    size = got["node_filesystem_size_bytes"]
    assert _keys(size) == INCLUDED - {("nas.example.internal:/export/home", "/mnt/gone", "nfs4")}
    labels = {"device": "/dev/sdb1", "mountpoint": "/mnt/backup", "fstype": "ext4"}
    assert one(size, **labels) == 1000 * 4096  # f_blocks * f_bsize, as node_exporter (not f_frsize)
    assert one(got["node_filesystem_free_bytes"], **labels) == 600 * 4096
    assert one(got["node_filesystem_avail_bytes"], **labels) == 500 * 4096
    assert one(got["node_filesystem_files"], **labels) == 2000
    assert one(got["node_filesystem_files_free"], **labels) == 1500
    ro = got["node_filesystem_readonly"]
    assert {dict(k)["mountpoint"] for k, v in ro.items() if v == 1.0} == {"/mnt/backup"}
    assert set(types(families).values()) == {"gauge"}


def test_real_statvfs_of_the_rootfs() -> None:
    got = samples(create(fixture_config()).collect())
    st = os.statvfs(ROOTFS)
    assert one(got["node_filesystem_size_bytes"], device="/dev/md0", mountpoint="/", fstype="ext4") == (
        st.f_blocks * st.f_bsize
    )
    assert one(got["node_filesystem_files"], device="/dev/md0", mountpoint="/", fstype="ext4") == st.f_files


def test_custom_exclusions() -> None:
    settings = FilesystemSettings(mount_points_exclude=Regex("^/mnt/"), fs_types_exclude=Regex("^(tmpfs|xfs)$"))
    got = samples(FilesystemCollector(fixture_paths(), settings, fake_statvfs).collect())
    assert _keys(got["node_filesystem_device_error"]) == {
        ("/dev/md0", "/", "ext4"),
        ("/dev/sda1", "/boot", "ext4"),
        ("proc", "/proc", "proc"),
        ("sysfs", "/sys", "sysfs"),
        ("udev", "/dev", "devtmpfs"),
        ("devpts", "/dev/pts", "devpts"),
        ("cgroup2", "/sys/fs/cgroup", "cgroup2"),
        ("overlay", "/var/lib/docker/overlay2/4f1c2e/merged", "overlay"),
    }


def test_parse_mounts_unescapes_and_strips_the_rootfs() -> None:
    text = "/dev/sda1 /host ext4 rw 0 0\n/dev/sdb1 /host/mnt/a\\040b\\011c xfs ro 0 0\nshort line\n"
    assert parse_mounts(text, "/host") == [
        Mount("/dev/sda1", "/", "ext4", "rw"),
        Mount("/dev/sdb1", "/mnt/a b\tc", "xfs", "ro"),
    ]
    assert parse_mounts(text, "/")[0].mountpoint == "/host"


def test_a_mount_listed_twice_is_reported_once(tmp_path: Path) -> None:
    (tmp_path / "1").mkdir()
    (tmp_path / "1" / "mounts").write_text("/dev/sda1 / ext4 rw 0 0\n/dev/sda1 / ext4 ro 0 0\n")
    paths = HostPaths(procfs=str(tmp_path), rootfs=ROOTFS)
    got = samples(FilesystemCollector(paths, FilesystemSettings(), fake_statvfs).collect())
    assert len(got["node_filesystem_size_bytes"]) == 1


def test_falls_back_to_procfs_mounts_when_pid1_is_hidden(tmp_path: Path) -> None:
    (tmp_path / "mounts").write_text("/dev/sda1 / ext4 rw 0 0\n")
    paths = HostPaths(procfs=str(tmp_path), rootfs=ROOTFS)
    got = samples(FilesystemCollector(paths, FilesystemSettings(), fake_statvfs).collect())
    assert _keys(got["node_filesystem_size_bytes"]) == {("/dev/sda1", "/", "ext4")}


def test_missing_mount_table(tmp_path: Path) -> None:
    paths = HostPaths(procfs=str(tmp_path), rootfs=ROOTFS)
    with pytest.raises(CollectorError, match=rf"^filesystem: cannot read {tmp_path}/1/mounts: No such file"):
        FilesystemCollector(paths, FilesystemSettings(), fake_statvfs).collect()


class HangingStat:
    """statvfs that blocks on one path until released, like a mount of a dead NFS server."""

    def __init__(self, hung: str) -> None:
        self.hung = hung
        self.release = threading.Event()
        self.calls: list[str] = []

    def __call__(self, path: str) -> os.statvfs_result:
        self.calls.append(path)
        if path == self.hung:
            self.release.wait(30)
        return fake_statvfs(path)


def test_a_hung_mount_does_not_hang_the_scrape() -> None:
    hung = os.path.join(ROOTFS, "srv/data")
    stat = HangingStat(hung)
    collector = FilesystemCollector(fixture_paths(), FilesystemSettings(stat_timeout=0.3), stat)
    data = {"device": "/dev/mapper/vg0-data", "mountpoint": "/srv/data", "fstype": "xfs"}
    try:
        start = time.monotonic()
        got = samples(collector.collect())
        assert 0.3 <= time.monotonic() - start < 2.0
        assert one(got["node_filesystem_device_error"], **data) == 1.0
        assert frozenset(data.items()) not in got["node_filesystem_size_bytes"]
        assert one(got["node_filesystem_device_error"], device="/dev/md0", mountpoint="/", fstype="ext4") == 0.0

        start = time.monotonic()  # while stuck: skipped at once, not stat'ed again
        got = samples(collector.collect())
        assert time.monotonic() - start < 0.25
        assert one(got["node_filesystem_device_error"], **data) == 1.0
        assert stat.calls.count(hung) == 1
    finally:
        stat.release.set()

    def recovered() -> bool:
        got = samples(collector.collect())
        return one(got["node_filesystem_device_error"], **data) == 0.0

    assert wait_until(recovered, timeout=5)
    assert one(samples(collector.collect())["node_filesystem_size_bytes"], **data) == 1000 * 4096


def test_a_failing_stat_is_a_device_error_and_is_retried() -> None:
    calls: list[str] = []

    def stat(path: str) -> os.statvfs_result:
        calls.append(path)
        if path.endswith("/boot"):
            raise OSError(errno.ETIMEDOUT, "Connection timed out")  # a TimeoutError, but the stat returned
        if path.endswith("/run"):
            raise ValueError("embedded null byte")
        return fake_statvfs(path)

    collector = FilesystemCollector(fixture_paths(), FilesystemSettings(stat_timeout=5.0), stat)
    for _ in range(2):
        errors = samples(collector.collect())["node_filesystem_device_error"]
        assert {dict(k)["mountpoint"] for k, v in errors.items() if v == 1.0} == {"/boot", "/run", "/mnt/gone"}
    assert sum(path.endswith("/boot") for path in calls) == 2
