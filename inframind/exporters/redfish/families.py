"""Readings -> ``inframind_redfish_*`` families (no standard exporter names these, so our namespace).

Conventions, the same in every family:

- Health is a number: ``0`` OK, ``1`` Warning, ``2`` Critical, so ``max by (...)`` and ``> 0`` work in
  alerts; a part whose BMC reports no health (an empty DIMM slot) has no health sample.
- State is a state set with only the current state present: ``..._state{state="UnavailableOffline"} 1``;
  ``state`` holds a Redfish ``Status.State`` value (13 of them) or ``Unknown``.
- Labels: a parent is named by its kind (``system``, ``chassis``, ``storage``, ``manager``) and holds its
  Redfish Id; a part's own Id sits in a label named by its kind too (``processor``, ``memory``,
  ``controller``, ``drive``, ``volume``, ``sensor``, ``fan``, ``power_supply``, ``power_control``,
  ``firmware``), and ``name`` holds its human name. Health, state and value families of one part carry
  the same labels, among them descriptive ones that do not change over the part's life (model, serial,
  media type, enclosure, slot); versions change on updates, so they live only in ``*_info`` families.
  ``log_service`` holds the service's URI below /redfish/v1 (``Managers/1/LogServices/IEL``), since log
  services hang off systems, managers and chassis alike; ``collector`` names a section.
- Percentages become ratios (``_ratio``, 0-1), capacities bytes, as the Prometheus naming guide asks.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from prometheus_client.core import GaugeMetricFamily, Metric

from inframind.exporters.redfish.readings import Readings, SectionOutcome, Status

HEALTH_VALUE = {"OK": 0.0, "Warning": 1.0, "Critical": 2.0}
_H = "Health of the {}: 0 OK, 1 Warning, 2 Critical."
_R = "Health of the {} and everything under it (HealthRollup): 0 OK, 1 Warning, 2 Critical."
_S = "Status.State of the {}; 1 on the series of the current state."

SYS = ("system",)
PROC = ("system", "processor", "name", "model")
MEM = ("system", "memory", "name", "locator")
CH = ("chassis",)
MGR = ("manager",)
STOR = ("system", "storage", "name")
CTRL = ("system", "storage", "controller", "name", "model")
_PART = ("system", "storage", "drive", "name", "model", "serial", "media_type", "protocol")
DRIVE = (*_PART, "enclosure", "slot", "location")
VOL = ("system", "storage", "volume", "name", "raid_type")
TEMP = ("chassis", "sensor", "name")
FAN = ("chassis", "fan", "name")
PSU = ("chassis", "power_supply", "name", "model", "serial")
PCTL = ("chassis", "power_control", "name")
SECTION = ("collector",)

FAMILIES: Mapping[str, tuple[str, tuple[str, ...]]] = {
    "inframind_redfish_service_info": (
        "The Redfish service that answered, always 1; auth is how the probe logged in (session, basic, none).",
        ("vendor", "product", "redfish_version", "auth"),
    ),
    "inframind_redfish_scrape_collector_success": (
        "Whether every request of a section succeeded; probe_success stays 1 while the service root answers.",
        SECTION,
    ),
    "inframind_redfish_scrape_collector_duration_seconds": ("Seconds a section took.", SECTION),
    "inframind_redfish_missing_resources": (
        "Resources a section found linked that the BMC answered 404 for (dangling links in its firmware).",
        SECTION,
    ),
    "inframind_redfish_system_info": (
        "A computer system, always 1.",
        ("system", "manufacturer", "model", "serial", "bios_version"),
    ),
    "inframind_redfish_system_health": (_H.format("system"), SYS),
    "inframind_redfish_system_health_rollup": (_R.format("system"), SYS),
    "inframind_redfish_system_state": (_S.format("system"), (*SYS, "state")),
    "inframind_redfish_system_power_on": ("Whether the system is powered on (PowerState On).", SYS),
    "inframind_redfish_processor_health": (_H.format("processor"), PROC),
    "inframind_redfish_processor_state": (_S.format("processor"), (*PROC, "state")),
    "inframind_redfish_memory_health": (_H.format("memory module"), MEM),
    "inframind_redfish_memory_state": (_S.format("memory module or slot"), (*MEM, "state")),
    "inframind_redfish_memory_capacity_bytes": ("Capacity of the memory module in bytes.", MEM),
    "inframind_redfish_chassis_info": (
        "A chassis (enclosure, shelf, blade, card), always 1.",
        ("chassis", "chassis_type", "manufacturer", "model", "serial"),
    ),
    "inframind_redfish_chassis_health": (_H.format("chassis"), CH),
    "inframind_redfish_chassis_health_rollup": (_R.format("chassis"), CH),
    "inframind_redfish_chassis_state": (_S.format("chassis"), (*CH, "state")),
    "inframind_redfish_manager_info": (
        "A manager (the BMC itself) and its firmware, always 1.",
        ("manager", "model", "firmware_version"),
    ),
    "inframind_redfish_manager_health": (_H.format("manager (BMC)"), MGR),
    "inframind_redfish_manager_state": (_S.format("manager (BMC)"), (*MGR, "state")),
    "inframind_redfish_storage_health": (_H.format("storage subsystem"), STOR),
    "inframind_redfish_storage_health_rollup": (_R.format("storage subsystem"), STOR),
    "inframind_redfish_storage_controller_health": (_H.format("storage controller"), CTRL),
    "inframind_redfish_storage_controller_state": (_S.format("storage controller"), (*CTRL, "state")),
    "inframind_redfish_drive_health": (_H.format("drive"), DRIVE),
    "inframind_redfish_drive_state": (_S.format("drive"), (*DRIVE, "state")),
    "inframind_redfish_drive_failure_predicted": ("Whether the drive predicts its own failure (1).", DRIVE),
    "inframind_redfish_drive_life_left_ratio": ("Predicted media life left, 0-1 (SSD wear).", DRIVE),
    "inframind_redfish_drive_capacity_bytes": ("Capacity of the drive in bytes.", DRIVE),
    "inframind_redfish_volume_health": (_H.format("volume (RAID logical drive)"), VOL),
    "inframind_redfish_volume_state": (_S.format("volume; Degraded when it lost redundancy"), (*VOL, "state")),
    "inframind_redfish_volume_capacity_bytes": ("Capacity of the volume in bytes.", VOL),
    "inframind_redfish_volume_operation": (
        "An operation running on the volume (Rebuild, Initialize, ...), always 1.",
        (*VOL, "operation"),
    ),
    "inframind_redfish_volume_operation_progress_ratio": (
        "How far the running operation is, 0-1.",
        (*VOL, "operation"),
    ),
    "inframind_redfish_temperature_celsius": ("Temperature reading in degrees Celsius.", TEMP),
    "inframind_redfish_temperature_upper_threshold_celsius": (
        "Upper thresholds of the temperature sensor by level: caution (classic UpperThresholdNonCritical), "
        "critical, fatal.",
        (*TEMP, "level"),
    ),
    "inframind_redfish_temperature_health": (_H.format("temperature sensor"), TEMP),
    "inframind_redfish_fan_speed_rpm": ("Fan speed in revolutions per minute.", FAN),
    "inframind_redfish_fan_speed_ratio": ("Fan speed as a fraction of its maximum, 0-1.", FAN),
    "inframind_redfish_fan_health": (_H.format("fan"), FAN),
    "inframind_redfish_power_supply_health": (_H.format("power supply"), PSU),
    "inframind_redfish_power_supply_state": (_S.format("power supply"), (*PSU, "state")),
    "inframind_redfish_power_supply_input_watts": ("Input power of the power supply in watts.", PSU),
    "inframind_redfish_power_supply_output_watts": ("Output power of the power supply in watts.", PSU),
    "inframind_redfish_power_supply_input_voltage_volts": ("Line input voltage of the power supply.", PSU),
    "inframind_redfish_power_supply_capacity_watts": ("Rated output of the power supply in watts.", PSU),
    "inframind_redfish_power_consumed_watts": ("Power drawn by what the power control covers, in watts.", PCTL),
    "inframind_redfish_power_limit_watts": ("Power cap in force, in watts.", PCTL),
    "inframind_redfish_power_capacity_watts": ("Power available to what the power control covers, in watts.", PCTL),
    "inframind_redfish_log_entries": (
        "Log entries by severity and entry type among those examined (at most the module's log_entry_limit).",
        ("log_service", "severity", "entry_type"),
    ),
    "inframind_redfish_log_service_entries": (
        "Entries the log service says it holds (Members@odata.count).",
        ("log_service",),
    ),
    "inframind_redfish_firmware_info": (
        "A firmware inventory item and its version, always 1.",
        ("firmware", "name", "version"),
    ),
}


class _Builder:
    def __init__(self) -> None:
        self._families: dict[str, GaugeMetricFamily] = {}
        self._seen: set[tuple[str, tuple[str, ...]]] = set()

    def add(self, name: str, labels: Iterable[str], value: float | bool | None) -> None:
        """One sample; None is skipped, and a repeated label set keeps the first (BMCs do repeat Ids)."""
        if value is None:
            return
        row = tuple(labels)
        if (name, row) in self._seen:
            return
        self._seen.add((name, row))
        family = self._families.get(name)
        if family is None:
            help_text, label_names = FAMILIES[name]
            family = self._families[name] = GaugeMetricFamily(name, help_text, labels=list(label_names))
        family.add_metric(list(row), float(value))

    def status(self, prefix: str, labels: tuple[str, ...], status: Status, rollup: bool = False) -> None:
        self.add(f"{prefix}_health", labels, HEALTH_VALUE.get(status.health or ""))
        if rollup:
            self.add(f"{prefix}_health_rollup", labels, HEALTH_VALUE.get(status.rollup or ""))
        if status.state is not None and f"{prefix}_state" in FAMILIES:
            self.add(f"{prefix}_state", (*labels, status.state), 1.0)

    def families(self) -> list[Metric]:
        return [self._families[name] for name in FAMILIES if name in self._families]


def _ratio(percent: float | None) -> float | None:
    return None if percent is None else percent / 100.0


def build_families(readings: Readings, outcomes: Iterable[SectionOutcome], auth: str) -> list[Metric]:
    out = _Builder()
    if readings.service is not None:
        s = readings.service
        out.add("inframind_redfish_service_info", (s.vendor, s.product, s.redfish_version, auth), 1.0)
    for o in outcomes:
        out.add("inframind_redfish_scrape_collector_success", (o.name,), o.success)
        out.add("inframind_redfish_scrape_collector_duration_seconds", (o.name,), o.duration)
        out.add("inframind_redfish_missing_resources", (o.name,), o.missing)
    _inventory(out, readings)
    _storage(out, readings)
    _environment(out, readings)
    for lg in readings.logs:
        out.add("inframind_redfish_log_service_entries", (lg.path,), lg.reported)
        for severity, entry_type, count in lg.counts:
            out.add("inframind_redfish_log_entries", (lg.path, severity, entry_type), count)
    for f in readings.firmware:
        out.add("inframind_redfish_firmware_info", (f.id, f.name, f.version), 1.0)
    return out.families()


def _inventory(out: _Builder, r: Readings) -> None:
    for s in r.systems:
        out.add("inframind_redfish_system_info", (s.id, s.manufacturer, s.model, s.serial, s.bios_version), 1.0)
        out.status("inframind_redfish_system", (s.id,), s.status, rollup=True)
        out.add("inframind_redfish_system_power_on", (s.id,), s.power_on)
    for p in r.processors:
        out.status("inframind_redfish_processor", (p.system, p.id, p.name, p.model), p.status)
    for m in r.memory:
        labels = (m.system, m.id, m.name, m.locator)
        out.status("inframind_redfish_memory", labels, m.status)
        out.add("inframind_redfish_memory_capacity_bytes", labels, m.capacity_bytes)
    for c in r.chassis:
        out.add("inframind_redfish_chassis_info", (c.id, c.chassis_type, c.manufacturer, c.model, c.serial), 1.0)
        out.status("inframind_redfish_chassis", (c.id,), c.status, rollup=True)
    for g in r.managers:
        out.add("inframind_redfish_manager_info", (g.id, g.model, g.firmware_version), 1.0)
        out.status("inframind_redfish_manager", (g.id,), g.status)


def _storage(out: _Builder, r: Readings) -> None:
    for st in r.storage:
        out.status("inframind_redfish_storage", (st.system, st.id, st.name), st.status, rollup=True)
    for c in r.controllers:
        out.status("inframind_redfish_storage_controller", (c.system, c.storage, c.id, c.name, c.model), c.status)
    for d in r.drives:
        identity = (d.system, d.storage, d.id, d.name, d.model, d.serial, d.media_type, d.protocol)
        labels: tuple[str, ...] = (*identity, d.enclosure, d.slot, d.location)
        out.status("inframind_redfish_drive", labels, d.status)
        out.add("inframind_redfish_drive_failure_predicted", labels, d.failure_predicted)
        out.add("inframind_redfish_drive_life_left_ratio", labels, _ratio(d.life_left_percent))
        out.add("inframind_redfish_drive_capacity_bytes", labels, d.capacity_bytes)
    for v in r.volumes:
        labels = (v.system, v.storage, v.id, v.name, v.raid_type)
        out.status("inframind_redfish_volume", labels, v.status)
        out.add("inframind_redfish_volume_capacity_bytes", labels, v.capacity_bytes)
        for operation, percent in v.operations:
            out.add("inframind_redfish_volume_operation", (*labels, operation), 1.0)
            out.add("inframind_redfish_volume_operation_progress_ratio", (*labels, operation), _ratio(percent))


def _environment(out: _Builder, r: Readings) -> None:
    labels: tuple[str, ...]
    for t in r.temperatures:
        labels = (t.chassis, t.id, t.name)
        out.add("inframind_redfish_temperature_celsius", labels, t.celsius)
        if t.celsius is not None:
            for level, threshold in t.upper_thresholds:
                out.add("inframind_redfish_temperature_upper_threshold_celsius", (*labels, level), threshold)
        out.status("inframind_redfish_temperature", labels, t.status)
    for f in r.fans:
        labels = (f.chassis, f.id, f.name)
        out.add("inframind_redfish_fan_speed_rpm", labels, f.rpm)
        out.add("inframind_redfish_fan_speed_ratio", labels, _ratio(f.percent))
        out.status("inframind_redfish_fan", labels, f.status)
    for p in r.power_supplies:
        labels = (p.chassis, p.id, p.name, p.model, p.serial)
        out.status("inframind_redfish_power_supply", labels, p.status)
        out.add("inframind_redfish_power_supply_input_watts", labels, p.input_watts)
        out.add("inframind_redfish_power_supply_output_watts", labels, p.output_watts)
        out.add("inframind_redfish_power_supply_input_voltage_volts", labels, p.input_voltage)
        out.add("inframind_redfish_power_supply_capacity_watts", labels, p.capacity_watts)
    for c in r.power_controls:
        labels = (c.chassis, c.id, c.name)
        out.add("inframind_redfish_power_consumed_watts", labels, c.consumed_watts)
        out.add("inframind_redfish_power_limit_watts", labels, c.limit_watts)
        out.add("inframind_redfish_power_capacity_watts", labels, c.capacity_watts)
