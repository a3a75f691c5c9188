"""Block device I/O from ``<procfs>/diskstats`` and disk identity from udev, as node_exporter 1.5 emits them.

A line carries 14, 18 (kernel 4.18+: discards) or 20 (5.5+: flushes) fields; families beyond a line's
columns are left out for that device, and lines of any other length are skipped, as node_exporter does.
Sectors are the kernel's fixed 512-byte units (Documentation/block/stat.rst), times are milliseconds.
Identity comes from ``<udev_data>/b<major>:<minor>`` (``E:KEY=value`` lines); node_exporter 1.5 takes
the serial from ``ID_SERIAL_SHORT`` only. psutil lacks the in-flight, weighted, discard and flush
columns and reads no udev data, so the files are read directly (see :mod:`.files`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric

from inframind.config import DiskstatsSettings, ExporterConfig
from inframind.exporters.host.files import cannot_read, join, nonempty, read_text

SECTOR_BYTES = 512.0
MS = 0.001  # node_exporter multiplies by 0.001 (not / 1000), which keeps values bit-identical

# One row per diskstats column after major, minor and name: (metric, help, scale, counter?).
COLUMNS: tuple[tuple[str, str, float, bool], ...] = (
    ("reads_completed_total", "Reads completed successfully.", 1.0, True),
    ("reads_merged_total", "Adjacent reads merged into one.", 1.0, True),
    ("read_bytes_total", "Bytes read successfully.", SECTOR_BYTES, True),
    ("read_time_seconds_total", "Seconds spent by all reads.", MS, True),
    ("writes_completed_total", "Writes completed successfully.", 1.0, True),
    ("writes_merged_total", "Adjacent writes merged into one.", 1.0, True),
    ("written_bytes_total", "Bytes written successfully.", SECTOR_BYTES, True),
    ("write_time_seconds_total", "Seconds spent by all writes.", MS, True),
    ("io_now", "I/Os currently in progress.", 1.0, False),
    ("io_time_seconds_total", "Seconds the device had I/O in progress.", MS, True),
    ("io_time_weighted_seconds_total", "Seconds spent on I/O weighted by the number in progress.", MS, True),
    ("discards_completed_total", "Discards completed successfully.", 1.0, True),
    ("discards_merged_total", "Adjacent discards merged into one.", 1.0, True),
    ("discarded_sectors_total", "Sectors discarded successfully.", 1.0, True),
    ("discard_time_seconds_total", "Seconds spent by all discards.", MS, True),
    ("flush_requests_total", "Flush requests completed successfully.", 1.0, True),
    ("flush_requests_time_seconds_total", "Seconds spent by all flush requests.", MS, True),
)
_LINE_LENGTHS = (14, 18, 20)
_INFO_KEYS = ("ID_PATH", "ID_WWN", "ID_MODEL", "ID_SERIAL_SHORT", "ID_REVISION")  # path wwn model serial revision
_DM_KEYS = ("DM_UUID", "DM_VG_NAME", "DM_LV_NAME", "DM_LV_LAYER")
_ATA = (
    ("ID_ATA_WRITE_CACHE", "node_disk_ata_write_cache", "Whether the ATA disk has a write cache."),
    ("ID_ATA_WRITE_CACHE_ENABLED", "node_disk_ata_write_cache_enabled", "Whether the ATA write cache is on."),
    ("ID_ATA_ROTATION_RATE_RPM", "node_disk_ata_rotation_rate_rpm", "ATA disk rotation rate (0 for SSDs)."),
)


def parse_diskstats(text: str, path: str) -> list[tuple[str, str, str, list[int]]]:
    """``(name, major, minor, columns)`` per usable line."""
    disks = []
    for line in text.splitlines():
        parts = line.split()[:20]
        if len(parts) not in _LINE_LENGTHS:
            continue
        try:
            values = [int(v) for v in parts[3:]]
            major, minor = str(int(parts[0])), str(int(parts[1]))
        except ValueError:
            raise cannot_read("diskstats", path, f"malformed line {line!r}") from None
        disks.append((parts[2], major, minor, values))
    return disks


def read_udev(udev_data: str, major: str, minor: str) -> dict[str, str]:
    """The device's udev properties; a device udev never saw has none (not an error)."""
    try:
        with open(join(udev_data, f"b{major}:{minor}"), encoding="utf-8", errors="replace") as f:
            text = f.read()
    except OSError:
        return {}
    return parse_udev(text)


def parse_udev(text: str) -> dict[str, str]:
    """The ``E:KEY=value`` properties of one udev database file."""
    props = {}
    for line in text.splitlines():
        if line.startswith("E:"):
            key, sep, value = line[2:].partition("=")
            if sep:
                props[key] = value
    return props


class DiskstatsCollector:
    name = "diskstats"

    def __init__(self, procfs: str, udev_data: str, settings: DiskstatsSettings) -> None:
        self.path = join(procfs, "diskstats")
        self.udev_data = udev_data
        self.exclude = settings.device_exclude

    def collect(self) -> list[Metric]:
        return self.families(read_text(self.name, self.path), self._local_udev)

    def _local_udev(self, major: str, minor: str) -> Mapping[str, str]:
        return read_udev(self.udev_data, major, minor)

    def families(self, text: str, udev: Callable[[str, str], Mapping[str, str]]) -> list[Metric]:
        """The families from the file's text and a ``(major, minor) -> udev properties`` lookup
        (local files here; the text a remote host sent for the ssh prober)."""
        disks = parse_diskstats(text, self.path)
        columns = [
            (CounterMetricFamily if counter else GaugeMetricFamily)(f"node_disk_{name}", help_text, labels=["device"])
            for name, help_text, _scale, counter in COLUMNS
        ]
        info = GaugeMetricFamily(
            "node_disk_info",
            "Identity of a block device from udev; always 1.",
            labels=["device", "major", "minor", "path", "wwn", "model", "serial", "revision"],
        )
        fs_info = GaugeMetricFamily(
            "node_disk_filesystem_info",
            "Filesystem udev found on the device; always 1.",
            labels=["device", "type", "usage", "uuid", "version"],
        )
        dm_info = GaugeMetricFamily(
            "node_disk_device_mapper_info",
            "Device-mapper identity of the device; always 1.",
            labels=["device", "name", "uuid", "vg_name", "lv_name", "lv_layer"],
        )
        ata = {key: GaugeMetricFamily(metric, help_text, labels=["device"]) for key, metric, help_text in _ATA}
        for device, major, minor, values in disks:
            if self.exclude.search(device):
                continue
            props = udev(major, minor)
            get = props.get
            info.add_metric([device, major, minor, *(get(key, "") for key in _INFO_KEYS)], 1.0)
            for family, (_name, _help, scale, _counter), value in zip(columns, COLUMNS, values, strict=False):
                family.add_metric([device], value * scale)
            self._udev_families(device, props, fs_info, dm_info, ata)
        return nonempty((info, *columns, fs_info, dm_info, *ata.values()))

    @staticmethod
    def _udev_families(
        device: str,
        udev: Mapping[str, str],
        fs_info: GaugeMetricFamily,
        dm_info: GaugeMetricFamily,
        ata: dict[str, GaugeMetricFamily],
    ) -> None:
        get = udev.get
        if get("ID_FS_TYPE"):
            fs_info.add_metric(
                [device, udev["ID_FS_TYPE"], get("ID_FS_USAGE", ""), get("ID_FS_UUID", ""), get("ID_FS_VERSION", "")],
                1.0,
            )
        if get("DM_NAME"):
            dm_info.add_metric(
                [device, udev["DM_NAME"], *(get(key, "") for key in _DM_KEYS)],
                1.0,
            )
        if get("ID_ATA"):
            for key, family in ata.items():
                try:
                    family.add_metric([device], float(udev[key]))
                except (KeyError, ValueError):
                    continue  # absent or not a number: node_exporter skips it too


def create(config: ExporterConfig) -> DiskstatsCollector:
    return DiskstatsCollector(config.paths.procfs, config.paths.udev_data, config.diskstats)
