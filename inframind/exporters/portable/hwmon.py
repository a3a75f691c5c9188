"""Temperatures from ``psutil.sensors_temperatures()`` as node_exporter's hwmon temperature families.

Per reading ``shwtemp(label, current, high, critical)``: current -> ``node_hwmon_temp_celsius``, high ->
``node_hwmon_temp_max_celsius``, critical -> ``node_hwmon_temp_crit_celsius`` (the last two when psutil
has them), a non-empty label -> ``node_hwmon_sensor_label{chip,sensor,label}``. ``chip`` is psutil's
chip name cleaned as node_exporter cleans names; ``sensor`` is ``temp<N>``, N counting the chip's
readings from 1 in psutil's order (psutil lists chips that share a name, two NVMe drives, as one).

Linux: psutil reads /sys/class/hwmon (or the thermal zones); its chip is the ``name`` file
(``coretemp``), where the procfs backend names chips by device (``platform_coretemp_0``), so the two
backends' hwmon series do not share label values. FreeBSD: ``coretemp`` per CPU core from
``dev.cpu.N.temperature``, with TjMax as both high and critical. macOS and Windows: psutil has no
``sensors_temperatures``, and the collector emits nothing and succeeds.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

import psutil
from prometheus_client.core import GaugeMetricFamily, Metric

from inframind.config import ExporterConfig
from inframind.exporters.host.files import nonempty
from inframind.exporters.host.hwmon import clean
from inframind.exporters.portable.common import read, warn_ignored_paths

LABELS = ["chip", "sensor"]


class Reading(Protocol):
    """psutil's ``shwtemp`` named tuple."""

    @property
    def label(self) -> str: ...
    @property
    def current(self) -> float: ...
    @property
    def high(self) -> float | None: ...
    @property
    def critical(self) -> float | None: ...


class HwmonCollector:
    name = "hwmon"

    def collect(self) -> list[Metric]:
        sensors: Callable[[], dict[str, list[Reading]]] | None = getattr(psutil, "sensors_temperatures", None)
        if sensors is None:
            return []
        chips = read(self.name, "psutil.sensors_temperatures()", sensors)
        temp, high, crit = (
            GaugeMetricFamily(f"node_hwmon_{kind}", f"Hardware monitor reading ({kind}).", labels=LABELS)
            for kind in ("temp_celsius", "temp_max_celsius", "temp_crit_celsius")
        )
        label = GaugeMetricFamily(
            "node_hwmon_sensor_label", "Label the driver gives a sensor; always 1.", labels=["chip", "sensor", "label"]
        )
        seen: set[str] = set()
        for name, readings in chips.items():
            chip = clean(name)
            if not chip or chip in seen:  # two names that clean alike would repeat series
                continue
            seen.add(chip)
            for number, reading in enumerate(readings, start=1):
                labels = [chip, f"temp{number}"]
                temp.add_metric(labels, float(reading.current))
                if reading.high is not None:
                    high.add_metric(labels, float(reading.high))
                if reading.critical is not None:
                    crit.add_metric(labels, float(reading.critical))
                if reading.label:
                    label.add_metric([*labels, reading.label], 1.0)
        return nonempty((temp, crit, high, label))


def create(config: ExporterConfig) -> HwmonCollector:
    warn_ignored_paths(config)
    return HwmonCollector()
