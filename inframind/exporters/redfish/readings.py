"""Plain readings parsed from Redfish resources: what the families are built from, with no HTTP in sight.

Identity fields hold Redfish ``Id`` values (``MemberId`` inside classic arrays); descriptive fields hold
strings that do not change over a part's life (name, model, serial, location). ``None`` means the BMC
did not say, and produces no sample rather than a made-up zero.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Status:
    health: str | None = None
    """``OK``, ``Warning`` or ``Critical``; None when absent or not one of those."""
    rollup: str | None = None
    """HealthRollup: the worst health of this resource and everything under it."""
    state: str | None = None
    """One of the Redfish ``Status.State`` values, ``Unknown`` for anything else, None when absent."""


@dataclass(frozen=True)
class ServiceInfo:
    vendor: str
    product: str
    redfish_version: str


@dataclass(frozen=True)
class SystemReading:
    id: str
    manufacturer: str
    model: str
    serial: str
    bios_version: str
    power_on: bool | None
    status: Status


@dataclass(frozen=True)
class ProcessorReading:
    system: str
    id: str
    name: str
    model: str
    status: Status


@dataclass(frozen=True)
class MemoryReading:
    system: str
    id: str
    name: str
    locator: str
    capacity_bytes: float | None
    status: Status


@dataclass(frozen=True)
class ChassisReading:
    id: str
    chassis_type: str
    manufacturer: str
    model: str
    serial: str
    status: Status


@dataclass(frozen=True)
class ManagerReading:
    id: str
    model: str
    firmware_version: str
    status: Status


@dataclass(frozen=True)
class StorageReading:
    system: str
    id: str
    name: str
    status: Status


@dataclass(frozen=True)
class ControllerReading:
    system: str
    storage: str
    id: str
    name: str
    model: str
    status: Status


@dataclass(frozen=True)
class DriveReading:
    system: str
    storage: str
    id: str
    name: str
    model: str
    serial: str
    media_type: str
    protocol: str
    enclosure: str
    """The chassis (shelf, backplane) the drive sits in, or the box/enclosure number of its service label."""
    slot: str
    location: str
    """The BMC's own words for where the drive is (ServiceLabel), as printed on the server."""
    failure_predicted: bool | None
    life_left_percent: float | None
    capacity_bytes: float | None
    status: Status


@dataclass(frozen=True)
class VolumeReading:
    system: str
    storage: str
    id: str
    name: str
    raid_type: str
    capacity_bytes: float | None
    operations: tuple[tuple[str, float | None], ...]
    """Running operations (Rebuild, Initialize, ...) with their percent complete when known."""
    status: Status


@dataclass(frozen=True)
class TemperatureReading:
    chassis: str
    id: str
    name: str
    celsius: float | None
    upper_thresholds: tuple[tuple[str, float], ...]
    """(caution | critical | fatal, degrees): classic UpperThresholdNonCritical is ``caution``."""
    status: Status


@dataclass(frozen=True)
class FanReading:
    chassis: str
    id: str
    name: str
    rpm: float | None
    percent: float | None
    status: Status


@dataclass(frozen=True)
class PowerSupplyReading:
    chassis: str
    id: str
    name: str
    model: str
    serial: str
    input_watts: float | None
    output_watts: float | None
    input_voltage: float | None
    capacity_watts: float | None
    status: Status


@dataclass(frozen=True)
class PowerControlReading:
    chassis: str
    id: str
    name: str
    consumed_watts: float | None
    limit_watts: float | None
    capacity_watts: float | None


@dataclass(frozen=True)
class LogServiceReading:
    path: str
    """The log service's URI below /redfish/v1 (``Managers/iDRAC.Embedded.1/LogServices/Sel``): unique and readable."""
    reported: float | None
    """Members@odata.count: how many entries the BMC says the log holds."""
    counts: tuple[tuple[str, str, int], ...]
    """(severity, entry type, entries) over the entries examined (at most the module's entry limit)."""


@dataclass(frozen=True)
class FirmwareReading:
    id: str
    name: str
    version: str


@dataclass
class Readings:
    """Everything one probe read; each section fills its own lists."""

    service: ServiceInfo | None = None
    systems: list[SystemReading] = field(default_factory=list)
    processors: list[ProcessorReading] = field(default_factory=list)
    memory: list[MemoryReading] = field(default_factory=list)
    chassis: list[ChassisReading] = field(default_factory=list)
    managers: list[ManagerReading] = field(default_factory=list)
    storage: list[StorageReading] = field(default_factory=list)
    controllers: list[ControllerReading] = field(default_factory=list)
    drives: list[DriveReading] = field(default_factory=list)
    volumes: list[VolumeReading] = field(default_factory=list)
    temperatures: list[TemperatureReading] = field(default_factory=list)
    fans: list[FanReading] = field(default_factory=list)
    power_supplies: list[PowerSupplyReading] = field(default_factory=list)
    power_controls: list[PowerControlReading] = field(default_factory=list)
    logs: list[LogServiceReading] = field(default_factory=list)
    firmware: list[FirmwareReading] = field(default_factory=list)


@dataclass(frozen=True)
class SectionOutcome:
    """How one section went: a failed request marks it failed; resources the BMC links but answers 404
    for (dangling links, common in BMC firmware) are counted apart so they do not fail it forever."""

    name: str
    success: bool
    duration: float
    missing: int
