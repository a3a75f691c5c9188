"""Temperatures, fans, power supplies and power draw -> readings, from both Redfish models. Pure.

Classic: one ``Thermal`` and one ``Power`` resource per chassis with arrays inside (MemberId, Reading*,
UpperThreshold*). Newer (2020.4+): ``Sensors`` (one resource per sensor, ``Thresholds.Upper*``),
``ThermalSubsystem/Fans``, ``PowerSubsystem/PowerSupplies`` with a ``Metrics`` resource each, and
``EnvironmentMetrics``. Both map onto the same readings, so the families do not care which one a BMC has.
"""

from __future__ import annotations

from inframind.exporters.redfish.parse import Json, ident, items, number, obj, status, text
from inframind.exporters.redfish.readings import (
    FanReading,
    PowerControlReading,
    PowerSupplyReading,
    TemperatureReading,
)

CLASSIC_UPPER = (
    ("caution", "UpperThresholdNonCritical"),
    ("critical", "UpperThresholdCritical"),
    ("fatal", "UpperThresholdFatal"),
)
SENSOR_UPPER = (("caution", "UpperCaution"), ("critical", "UpperCritical"), ("fatal", "UpperFatal"))


def _reading(resource: Json, key: str) -> float | None:
    """``{"Reading": 12.3}`` excerpts of the newer model (SensorExcerpt)."""
    return number(obj(resource, key), "Reading")


def _member(resource: Json, index: int) -> tuple[str, str]:
    sid = text(resource, "MemberId") or text(resource, "Id") or str(index)
    return sid, text(resource, "Name") or text(resource, "FanName") or sid


# ---------------------------------------------------------------- classic Thermal and Power


def classic_temperatures(chassis_id: str, thermal: Json) -> list[TemperatureReading]:
    found = []
    for i, t in enumerate(items(thermal, "Temperatures")):
        sid, name = _member(t, i)
        uppers = tuple((level, v) for level, key in CLASSIC_UPPER if (v := number(t, key)) is not None)
        found.append(TemperatureReading(chassis_id, sid, name, number(t, "ReadingCelsius"), uppers, status(t)))
    return found


def classic_fans(chassis_id: str, thermal: Json) -> list[FanReading]:
    found = []
    for i, f in enumerate(items(thermal, "Fans")):
        sid, name = _member(f, i)
        units = text(f, "ReadingUnits").lower()
        reading = number(f, "Reading")
        rpm = number(f, "ReadingRPM") if reading is None else (reading if units == "rpm" else None)
        percent = reading if units == "percent" else None
        found.append(FanReading(chassis_id, sid, name, rpm, percent, status(f)))
    return found


def classic_power_supplies(chassis_id: str, power: Json) -> list[PowerSupplyReading]:
    found = []
    for i, p in enumerate(items(power, "PowerSupplies")):
        sid, name = _member(p, i)
        output = number(p, "PowerOutputWatts")
        found.append(
            PowerSupplyReading(
                chassis=chassis_id,
                id=sid,
                name=name,
                model=text(p, "Model"),
                serial=text(p, "SerialNumber"),
                input_watts=number(p, "PowerInputWatts"),
                output_watts=number(p, "LastPowerOutputWatts") if output is None else output,
                input_voltage=number(p, "LineInputVoltage"),
                capacity_watts=number(p, "PowerCapacityWatts"),
                status=status(p),
            )
        )
    return found


def classic_power_controls(chassis_id: str, power: Json) -> list[PowerControlReading]:
    found = []
    for i, c in enumerate(items(power, "PowerControl")):
        sid, name = _member(c, i)
        found.append(
            PowerControlReading(
                chassis_id,
                sid,
                name,
                consumed_watts=number(c, "PowerConsumedWatts"),
                limit_watts=number(obj(c, "PowerLimit"), "LimitInWatts"),
                capacity_watts=number(c, "PowerCapacityWatts"),
            )
        )
    return found


# ---------------------------------------------------------------- Sensors, ThermalSubsystem, PowerSubsystem


def is_temperature(sensor: Json) -> bool:
    return text(sensor, "ReadingType") == "Temperature" or text(sensor, "ReadingUnits") == "Cel"


def sensor_temperature(chassis_id: str, sensor: Json) -> TemperatureReading:
    sid = ident(sensor)
    thresholds = obj(sensor, "Thresholds")
    uppers = tuple((level, v) for level, key in SENSOR_UPPER if (v := _reading(thresholds, key)) is not None)
    return TemperatureReading(
        chassis_id, sid, text(sensor, "Name") or sid, number(sensor, "Reading"), uppers, status(sensor)
    )


def subsystem_fan(chassis_id: str, fan: Json) -> FanReading:
    sid = ident(fan)
    speed = obj(fan, "SpeedPercent")
    return FanReading(
        chassis_id, sid, text(fan, "Name") or sid, number(speed, "SpeedRPM"), number(speed, "Reading"), status(fan)
    )


def subsystem_power_supply(chassis_id: str, supply: Json, metrics: Json) -> PowerSupplyReading:
    """A PowerSupply resource and its PowerSupplyMetrics ({} when the BMC links none or it failed)."""
    sid = ident(supply)
    return PowerSupplyReading(
        chassis=chassis_id,
        id=sid,
        name=text(supply, "Name") or sid,
        model=text(supply, "Model"),
        serial=text(supply, "SerialNumber"),
        input_watts=_reading(metrics, "InputPowerWatts"),
        output_watts=_reading(metrics, "OutputPowerWatts"),
        input_voltage=_reading(metrics, "InputVoltage"),
        capacity_watts=number(supply, "PowerCapacityWatts"),
        status=status(supply),
    )


def environment_power(chassis_id: str, metrics: Json) -> PowerControlReading | None:
    consumed = _reading(metrics, "PowerWatts")
    limit = number(obj(metrics, "PowerLimitWatts"), "SetPoint")
    if consumed is None and limit is None:
        return None
    return PowerControlReading(
        chassis_id, ident(metrics, "EnvironmentMetrics"), text(metrics, "Name"), consumed, limit, None
    )
