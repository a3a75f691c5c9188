"""Hardware sensors from ``<sysfs>/class/hwmon``, named and scaled as node_exporter 1.5 does.

Chip label: from the ``device`` link when there is one (``<parent dir>_<device dir>``, e.g.
``platform_coretemp_0``, stable across reboots where ``hwmonN`` is not), else the ``name`` file, else
``hwmonN``; each part lower-cased with other characters than ``[a-z0-9:_]`` turned into ``_``. The
``name`` file is also published as ``node_hwmon_chip_names{chip,chip_name}``, a ``tempN_label`` as
``node_hwmon_sensor_label{chip,sensor,label}``. Values are milli-units (micro for power and energy);
the scale factors are node_exporter's, multiplied rather than divided so values match bit for bit.
A machine without ``class/hwmon`` fails the collector (success 0), as node_exporter's does.
psutil reads only the fixed ``/sys`` and loses this naming, so sysfs is read directly.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric

from inframind.config import ExporterConfig
from inframind.exporters.base import CollectorError
from inframind.exporters.host.files import cannot_read, join, read_attribute

# The sensor kinds node_exporter 1.5 reads; other files in a chip directory are ignored.
SENSOR_TYPES = frozenset(("vrm", "beep_enable", "update_interval", "in", "cpu", "fan", "pwm", "temp", "curr"))
SENSOR_TYPES |= {"power", "energy", "humidity", "intrusion"}
_DIGITS = frozenset("0123456789")
_VALID = frozenset("abcdefghijklmnopqrstuvwxyz:_") | _DIGITS
_POWER_INTERVALS = frozenset(("average_interval", "average_interval_min", "average_interval_max"))
_FAN_RPM = frozenset(("input", "min", "max", "target"))


def clean(name: str) -> str:
    """Lower-case, anything outside ``[a-z0-9:_]`` to ``_``, no leading or trailing ``_``."""
    return "".join(c if c in _VALID else "_" for c in name.lower()).strip("_")


def split_sensor_file(filename: str) -> tuple[str, str, str] | None:
    """``temp1_crit`` -> ``("temp", "1", "crit")``; ``beep_enable`` -> ``("beep_enable", "0", "")``."""
    i = 0
    while i < len(filename) and filename[i] not in _DIGITS:
        i += 1
    kind = filename[:i]
    j = i
    while j < len(filename) and filename[j] in _DIGITS:
        j += 1
    rest = filename[j:]
    if not kind or (rest and (not rest.startswith("_") or len(rest) == 1)):
        return None
    return kind, str(int(filename[i:j] or "0")), rest[1:]


def chip_label(directory: str) -> str:
    device = join(directory, "device")
    if os.path.exists(device):
        real = os.path.realpath(device)
        dev_name = clean(os.path.basename(real))
        dev_type = clean(os.path.basename(os.path.dirname(real)))
        if dev_name:
            return f"{dev_type}_{dev_name}" if dev_type else dev_name
    name = clean(read_attribute(join(directory, "name")) or "")
    return name or clean(os.path.basename(os.path.realpath(directory)))


Sensors = dict[str, tuple[str, dict[str, str]]]
"""``{"temp1": ("temp", {"input": "52000", "label": "Core 0"}), ...}``"""


def read_sensors(directory: str, sensors: Sensors) -> None:
    """Add the sensor files of one directory to ``sensors``."""
    try:
        names = os.listdir(directory)
    except OSError as exc:
        raise cannot_read("hwmon", directory, exc.strerror or str(exc)) from None
    for filename in names:
        parts = split_sensor_file(filename)
        if parts is None or parts[0] not in SENSOR_TYPES:
            continue
        value = read_attribute(join(directory, filename))
        if value is not None:
            kind, number, element = parts
            sensors.setdefault(kind + number, (kind, {}))[1][element] = value


def element_metric(kind: str, element: str, name: str, value: float) -> tuple[str, float, bool]:
    """(metric name, scaled value, counter?) for one sensor file, by node_exporter's rules."""
    if element in ("fault", "alarm"):
        return name, value, False
    if element == "beep":
        return name + "_enabled", value, False
    if kind in ("in", "cpu"):
        return name + "_volts", value * 0.001, False
    if kind == "temp" and element != "type":
        return name + "_celsius", value * 0.001, False
    if kind == "curr":
        return name + "_amps", value * 0.001, False
    if kind == "energy":
        return name + "_joule_total", value / 1000000.0, True
    if kind == "power" and element == "accuracy":
        return name, value / 1000000.0, False
    if kind == "power" and element in _POWER_INTERVALS:
        return name + "_seconds", value * 0.001, False
    if kind == "power":
        return name + "_watt", value / 1000000.0, False
    if kind == "humidity":
        return name, value / 1000000.0, False
    if kind == "fan" and element in _FAN_RPM:
        return name + "_rpm", value, False
    return name, value, False


_LABELS = {"node_hwmon_chip_names": ["chip", "chip_name"], "node_hwmon_sensor_label": ["chip", "sensor", "label"]}
_HELP = {
    "node_hwmon_chip_names": "Human-readable name of each chip (its name file); always 1.",
    "node_hwmon_sensor_label": "Label the driver gives a sensor; always 1.",
}


@dataclass
class _Families:
    """Families by name, filled across chips; a repeated (name, labels) pair is dropped, not duplicated."""

    by_name: dict[str, GaugeMetricFamily | CounterMetricFamily] = field(default_factory=dict)
    seen: set[tuple[str, tuple[str, ...]]] = field(default_factory=set)

    def add(self, name: str, labels: list[str], value: float, counter: bool = False) -> None:
        key = (name, tuple(labels))
        if key in self.seen:
            return
        self.seen.add(key)
        family = self.by_name.get(name)
        if family is None:
            cls = CounterMetricFamily if counter else GaugeMetricFamily
            help_text = _HELP.get(name, f"Hardware monitor reading ({name.removeprefix('node_hwmon_')}).")
            family = self.by_name[name] = cls(name, help_text, labels=_LABELS.get(name, ["chip", "sensor"]))
        family.add_metric(labels, value)


class HwmonCollector:
    name = "hwmon"

    def __init__(self, sysfs: str) -> None:
        self.path = join(sysfs, "class", "hwmon")

    def collect(self) -> list[Metric]:
        """All chips; an unreadable chip fails the collector after the others were tried, as node_exporter's."""
        try:
            entries = sorted(os.listdir(self.path))
        except OSError as exc:
            raise cannot_read(self.name, self.path, exc.strerror or str(exc)) from None
        out = _Families()
        error: CollectorError | None = None
        for entry in entries:
            directory = join(self.path, entry)
            if not os.path.isdir(directory):
                continue
            try:
                self._chip(directory, out)
            except CollectorError as exc:
                error = error or exc
        if error is not None:
            raise error
        return list(out.by_name.values())

    def _chip(self, directory: str, out: _Families) -> None:
        chip = chip_label(directory)
        if not chip:
            return
        sensors: Sensors = {}
        read_sensors(directory, sensors)
        if os.path.isdir(join(directory, "device")):
            read_sensors(join(directory, "device"), sensors)
        chip_name = clean(read_attribute(join(directory, "name")) or "")
        if chip_name:
            out.add("node_hwmon_chip_names", [chip, chip_name], 1.0)
        for sensor in sorted(sensors):
            kind, data = sensors[sensor]
            self._sensor(chip, sensor, kind, data, out)

    @staticmethod
    def _sensor(chip: str, sensor: str, kind: str, data: dict[str, str], out: _Families) -> None:
        labels = [chip, sensor]
        if data.get("label"):
            out.add("node_hwmon_sensor_label", [chip, sensor, data["label"]], 1.0)
        if kind == "beep_enable":
            out.add("node_hwmon_beep_enabled", labels, 1.0 if data.get("") == "1" else 0.0)
            return
        if kind in ("vrm", "update_interval"):
            try:
                raw = float(data.get("", "-"))
            except ValueError:
                return
            if kind == "vrm":
                out.add("node_hwmon_voltage_regulator_version", labels, raw)
            else:
                out.add("node_hwmon_update_interval_seconds", labels, raw * 0.001)
            return
        base = "node_hwmon_" + kind
        for element in sorted(data):
            if element == "label":
                continue
            if element == "input":
                name = base + "_input" if "" in data else base
            else:
                name = f"{base}_{clean(element)}" if element else base
            try:
                value = float(data[element])
            except ValueError:
                continue
            metric, scaled, counter = element_metric(kind, element, name, value)
            out.add(metric, labels, scaled, counter)


def create(config: ExporterConfig) -> HwmonCollector:
    return HwmonCollector(config.paths.sysfs)
