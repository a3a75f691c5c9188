"""Filesystem size, free space and inodes for ``psutil.disk_partitions(all=True)``, as node_exporter names them.

Every mount is listed (``all=True``, like the procfs collector's mount table) and then filtered by
:class:`~inframind.config.FilesystemSettings`' mount point and type patterns; a mount listed twice with the
same device, mount point and type is reported once. Labels are psutil's device, mount point and type
(on Linux psutil shows a ``none`` device as ``""`` and resolves ``/dev/root``; on Windows the device and
mount point are the drive, ``C:\\``). ``readonly`` is 1 when the options hold ``ro``.

Unix: ``os.statvfs``, sizes in units of ``f_frsize``, the fragment size POSIX counts ``f_blocks`` in.
node_exporter's Linux code multiplies by ``f_bsize``, which Linux sets to the same value for every common
filesystem; FreeBSD puts the I/O size (128 KiB on ZFS) in ``f_bsize``, so it would inflate sizes there.
Windows has no statvfs: ``psutil.disk_usage`` gives the size and the free bytes (GetDiskFreeSpaceEx's
total and total free), so ``avail``, ``files`` and ``files_free`` are not emitted there.

A hung mount does not hang the scrape: each stat runs under :class:`~inframind.exporters.timed.TimedCalls` for at most
``stat_timeout``; a failed or hung one is ``node_filesystem_device_error 1`` with no other series.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from dataclasses import dataclass

import psutil
from prometheus_client.core import GaugeMetricFamily, Metric

from inframind.config import ExporterConfig, FilesystemSettings
from inframind.exporters.host.files import nonempty
from inframind.exporters.host.filesystem import LABELS
from inframind.exporters.portable.common import os_family, read, warn_ignored_paths
from inframind.exporters.timed import TimedCalls


@dataclass(frozen=True)
class Usage:
    """One filesystem's space; None where the OS does not say."""

    size: float
    free: float
    avail: float | None = None
    files: float | None = None
    files_free: float | None = None


UsageFn = Callable[[str], Usage]


def statvfs_usage(path: str) -> Usage:
    st = os.statvfs(path)
    unit = st.f_frsize or st.f_bsize  # a driver that leaves f_frsize 0 means f_bsize
    return Usage(
        size=float(st.f_blocks * unit),
        free=float(st.f_bfree * unit),
        avail=float(st.f_bavail * unit),
        files=float(st.f_files),
        files_free=float(st.f_ffree),
    )


def disk_usage(path: str) -> Usage:
    usage = psutil.disk_usage(path)
    return Usage(size=float(usage.total), free=float(usage.free))


_FAMILIES = (
    ("size", "node_filesystem_size_bytes", "Filesystem size in bytes."),
    ("free", "node_filesystem_free_bytes", "Free bytes, including reserved."),
    ("avail", "node_filesystem_avail_bytes", "Bytes available to unprivileged users."),
    ("files", "node_filesystem_files", "Inodes in the filesystem."),
    ("files_free", "node_filesystem_files_free", "Free inodes."),
)


class FilesystemCollector:
    name = "filesystem"

    def __init__(self, settings: FilesystemSettings, usage: UsageFn | None = None, system: str = sys.platform) -> None:
        self.settings = settings
        default = disk_usage if os_family(system) == "windows" else statvfs_usage
        self.stats = TimedCalls(usage or default, "filesystem: stat of")

    def _mounts(self) -> list[tuple[str, str, str, bool]]:
        """``(device, mountpoint, fstype, readonly)`` per selected mount."""
        partitions = read(self.name, "psutil.disk_partitions(all=True)", lambda: psutil.disk_partitions(all=True))
        seen: set[tuple[str, str, str]] = set()
        out = []
        for p in partitions:
            key = (p.device, p.mountpoint, p.fstype)
            excluded = self.settings.mount_points_exclude.search(p.mountpoint)
            if key in seen or excluded or self.settings.fs_types_exclude.search(p.fstype):
                continue
            seen.add(key)
            out.append((*key, "ro" in p.opts.split(",")))
        return out

    def collect(self) -> list[Metric]:
        mounts = self._mounts()
        usages = self.stats.run([mountpoint for _, mountpoint, _, _ in mounts], self.settings.stat_timeout)
        families = {field: GaugeMetricFamily(name, text, labels=LABELS) for field, name, text in _FAMILIES}
        readonly = GaugeMetricFamily("node_filesystem_readonly", "Whether it is mounted read-only.", labels=LABELS)
        error = GaugeMetricFamily(
            "node_filesystem_device_error", "Whether the filesystem could not be stat'ed.", labels=LABELS
        )
        for (device, mountpoint, fstype, ro), usage in zip(mounts, usages, strict=True):
            labels = [device, mountpoint, fstype]
            error.add_metric(labels, 1.0 if usage is None else 0.0)
            if usage is None:
                continue
            for field, family in families.items():
                value: float | None = getattr(usage, field)
                if value is not None:
                    family.add_metric(labels, value)
            readonly.add_metric(labels, 1.0 if ro else 0.0)
        return nonempty((error, *families.values(), readonly))


def create(config: ExporterConfig) -> FilesystemCollector:
    warn_ignored_paths(config)
    return FilesystemCollector(config.filesystem)
