"""Filesystem size, free space and inodes for the mounts in ``<procfs>/1/mounts``, as node_exporter 1.5.

Mounts come from PID 1's table (the host's, when the exporter runs in a container), falling back to
``<procfs>/mounts`` when ``hidepid`` hides PID 1. Mount points and filesystem types matching
:class:`~inframind.config.FilesystemSettings`' patterns are skipped. Each mount is stat'ed at
``<rootfs>/<mount point>``; sizes are ``f_blocks``/``f_bfree``/``f_bavail`` times ``f_bsize``, as
node_exporter computes them (psutil's ``disk_usage`` uses other fields and reads another mount table).

A hung mount (a dead NFS server) must not hang the scrape: statvfs runs on daemon worker threads and the
scrape waits at most ``stat_timeout``. A mount whose stat has not returned is reported with
``node_filesystem_device_error 1`` and no other series, and is not stat'ed again until that call returns,
so one dead server costs one blocked thread, not one per scrape. A stat that fails is also
``device_error 1``.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from dataclasses import dataclass

from prometheus_client.core import GaugeMetricFamily, Metric

from inframind.config import ExporterConfig, FilesystemSettings, HostPaths
from inframind.exporters.host.files import cannot_read, join, nonempty
from inframind.exporters.timed import TimedCalls

log = logging.getLogger(__name__)
StatFn = Callable[[str], os.statvfs_result]
LABELS = ["device", "mountpoint", "fstype"]


@dataclass(frozen=True)
class Mount:
    device: str
    mountpoint: str
    fstype: str
    options: str


def parse_mounts(text: str, rootfs: str) -> list[Mount]:
    """Mount table lines; ``\\040`` and ``\\011`` in mount points are a space and a tab (fstab(5))."""
    mounts = []
    for line in text.splitlines():
        parts = line.split()
        if len(parts) < 4:
            continue
        mountpoint = unescape(parts[1])
        if rootfs != "/":  # a mount under --path.rootfs is reported by its path inside the rootfs
            mountpoint = mountpoint.removeprefix(rootfs) or "/"
        mounts.append(Mount(parts[0], mountpoint, parts[2], parts[3]))
    return mounts


def unescape(field: str) -> str:
    """A mount table field with ``\\040`` and ``\\011`` turned back into a space and a tab."""
    return field.replace("\\040", " ").replace("\\011", "\t")


def select_mounts(text: str, rootfs: str, settings: FilesystemSettings) -> list[Mount]:
    """The mounts to report: not excluded by mount point or type, each label set once."""
    seen: set[tuple[str, str, str]] = set()
    out = []
    for m in parse_mounts(text, rootfs):
        key = (m.device, m.mountpoint, m.fstype)
        if key in seen:  # one series per label set even if the table lists a mount twice
            continue
        excluded = settings.mount_points_exclude.search(m.mountpoint)
        if excluded or settings.fs_types_exclude.search(m.fstype):
            continue
        seen.add(key)
        out.append(m)
    return out


def filesystem_families(mounts: list[Mount], stats: list[os.statvfs_result | None]) -> list[Metric]:
    """The families for ``mounts`` and their statvfs results (None: the stat failed or hangs)."""
    families = {
        "size": GaugeMetricFamily("node_filesystem_size_bytes", "Filesystem size in bytes.", labels=LABELS),
        "free": GaugeMetricFamily("node_filesystem_free_bytes", "Free bytes, including reserved.", labels=LABELS),
        "avail": GaugeMetricFamily(
            "node_filesystem_avail_bytes", "Bytes available to unprivileged users.", labels=LABELS
        ),
        "files": GaugeMetricFamily("node_filesystem_files", "Inodes in the filesystem.", labels=LABELS),
        "files_free": GaugeMetricFamily("node_filesystem_files_free", "Free inodes.", labels=LABELS),
        "ro": GaugeMetricFamily("node_filesystem_readonly", "Whether it is mounted read-only.", labels=LABELS),
    }
    error = GaugeMetricFamily(
        "node_filesystem_device_error", "Whether the filesystem could not be stat'ed.", labels=LABELS
    )
    for m, st in zip(mounts, stats, strict=True):
        labels = [m.device, m.mountpoint, m.fstype]
        error.add_metric(labels, 1.0 if st is None else 0.0)
        if st is None:
            continue
        families["size"].add_metric(labels, float(st.f_blocks) * st.f_bsize)
        families["free"].add_metric(labels, float(st.f_bfree) * st.f_bsize)
        families["avail"].add_metric(labels, float(st.f_bavail) * st.f_bsize)
        families["files"].add_metric(labels, float(st.f_files))
        families["files_free"].add_metric(labels, float(st.f_ffree))
        families["ro"].add_metric(labels, 1.0 if "ro" in m.options.split(",") else 0.0)
    return nonempty((error, *families.values()))


class FilesystemCollector:
    name = "filesystem"

    def __init__(self, paths: HostPaths, settings: FilesystemSettings, statvfs: StatFn = os.statvfs) -> None:
        self.mounts_path = join(paths.procfs, "1", "mounts")
        self.fallback_path = join(paths.procfs, "mounts")
        self.rootfs = paths.rootfs
        self.settings = settings
        self.stats = TimedCalls(statvfs, "filesystem: stat of")

    def _read_mounts(self) -> str:
        for path in (self.mounts_path, self.fallback_path):
            try:
                with open(path, encoding="utf-8", errors="replace") as f:
                    return f.read()
            except FileNotFoundError:
                continue
            except OSError as exc:
                raise cannot_read(self.name, path, exc.strerror or str(exc)) from None
        raise cannot_read(self.name, self.mounts_path, f"No such file or directory (nor {self.fallback_path})")

    def _selected(self) -> list[Mount]:
        return select_mounts(self._read_mounts(), self.rootfs, self.settings)

    def _stat_all(self, mounts: list[Mount]) -> list[os.statvfs_result | None]:
        """statvfs per mount, None for a failed or hung one; waits at most ``stat_timeout`` in all."""
        return self.stats.run([join(self.rootfs, m.mountpoint) for m in mounts], self.settings.stat_timeout)

    def collect(self) -> list[Metric]:
        mounts = self._selected()
        return filesystem_families(mounts, self._stat_all(mounts))


def create(config: ExporterConfig) -> FilesystemCollector:
    return FilesystemCollector(config.paths, config.filesystem)
