"""What smartctl tells about one device, as plain frozen dataclasses, and how devices are named.

Kept apart from the parser so the runner, the collector and the families share these types without
depending on how the JSON is read.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

INFO_LABELS = (
    "interface",
    "protocol",
    "model_family",
    "model_name",
    "serial_number",
    "ata_additional_product_id",
    "firmware_version",
    "ata_version",
    "sata_version",
    "form_factor",
    "scsi_vendor",
    "scsi_product",
    "scsi_revision",
    "scsi_version",
)
"""The labels of ``smartctl_device`` after ``device``, in smartctl_exporter's order."""

ATTRIBUTE_FLAGS = ("prefailure", "updated_online", "performance", "error_rate", "event_count", "auto_keep")
SCSI_ERROR_FIELDS = (
    "errors_corrected_by_rereads_rewrites",
    "errors_corrected_by_eccfast",
    "errors_corrected_by_eccdelayed",
    "total_uncorrected_errors",
)
NVME_DATA_UNIT_BYTES = 512 * 1000
"""NVMe reports data units of 1000 blocks of 512 bytes, whatever the LBA size."""

_DEV_PREFIX = re.compile(r"^/dev/(?:disk/by-id/|disk/by-path/)?")


@dataclass(frozen=True)
class DeviceRef:
    """A device as smartctl addresses it: a path and an optional ``-d`` type (``sat``, ``megaraid,1``)."""

    name: str
    type: str | None = None

    @property
    def label(self) -> str:
        return device_label(self.name, self.type)


@dataclass(frozen=True)
class ScanEntry:
    device: DeviceRef
    open_error: str | None = None


@dataclass(frozen=True)
class SmartctlVersion:
    json_format_version: str
    smartctl_version: str
    svn_revision: str
    build_info: str


@dataclass(frozen=True)
class Attribute:
    """One row of the ATA SMART attribute table (5, 197, 198: reallocated, pending, uncorrectable)."""

    id: str
    name: str
    flags_short: str
    flags_long: str
    values: Mapping[str, float]
    """``value``, ``worst``, ``thresh`` and ``raw``: the ``attribute_value_type`` label."""


@dataclass(frozen=True)
class NvmeHealth:
    percentage_used: float | None = None
    available_spare: float | None = None
    available_spare_threshold: float | None = None
    critical_warning: float | None = None
    media_errors: float | None = None
    num_err_log_entries: float | None = None
    bytes_read: float | None = None
    bytes_written: float | None = None


@dataclass(frozen=True)
class ScsiHealth:
    grown_defect_list: float | None = None
    errors: Mapping[tuple[str, str], float] = field(default_factory=dict)
    """(``read`` or ``write``, one of SCSI_ERROR_FIELDS) -> count."""
    bytes_read: float | None = None
    bytes_written: float | None = None


@dataclass(frozen=True)
class DeviceReadings:
    info: Mapping[str, str]
    exit_status: int
    smart_passed: bool | None = None
    capacity_blocks: float | None = None
    capacity_bytes: float | None = None
    nvme_capacity_bytes: float | None = None
    block_sizes: Mapping[str, float] = field(default_factory=dict)
    interface_speeds: Mapping[str, float] = field(default_factory=dict)
    attributes: tuple[Attribute, ...] = ()
    power_on_seconds: float | None = None
    rotation_rate: float | None = None
    temperatures: Mapping[str, float] = field(default_factory=dict)
    power_cycle_count: float | None = None
    error_log_counts: Mapping[str, float] = field(default_factory=dict)
    nvme: NvmeHealth | None = None
    scsi: ScsiHealth | None = None
    version: SmartctlVersion | None = None

    @property
    def model(self) -> str:
        return self.info["model_name"]


def device_label(name: str, dev_type: str | None) -> str:
    """smartctl_exporter's ``device`` label: ``/dev/sda`` -> ``sda``, ``/dev/bus/0`` + ``megaraid,1`` ->
    ``bus_0_megaraid_1`` (the type is kept only when it addresses one disk behind a controller)."""
    label = _DEV_PREFIX.sub("", name.strip()).replace("/", "_")
    if dev_type and "," in dev_type:
        label += "_" + dev_type.replace(",", "_")
    return label


def parse_device_spec(spec: str) -> DeviceRef:
    """``/dev/sda`` or ``/dev/sda;sat`` (SmartSettings.devices) -> DeviceRef."""
    name, _, dev_type = spec.partition(";")
    return DeviceRef(name.strip(), dev_type.strip() or None)
