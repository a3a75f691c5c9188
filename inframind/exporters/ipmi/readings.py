"""What one probe read from a BMC, whichever tool read it: the parsers' output and the families' input."""

from __future__ import annotations

import math
from dataclasses import dataclass

NOMINAL, WARNING, CRITICAL, UNKNOWN = "Nominal", "Warning", "Critical", "N/A"
STATES = (NOMINAL, WARNING, CRITICAL, UNKNOWN)
"""FreeIPMI's severity vocabulary for sensor and event states; ipmitool's codes are mapped onto it."""


class OutputError(ValueError):
    """A tool exited 0 but printed something the parser does not understand."""


@dataclass(frozen=True)
class SensorReading:
    id: int
    """SDR record id (FreeIPMI) or sensor number (ipmitool, which prints no record ids)."""
    name: str
    type: str
    state: str
    value: float
    """NaN when the sensor has no reading (discrete sensors, sensors not present)."""
    unit: str
    """FreeIPMI's abbreviations: C, V, A, W, RPM, %; other units as the tool prints them."""


@dataclass(frozen=True)
class SelReading:
    entries: float
    free_bytes: float
    by_state: dict[str, int] | None = None
    """Entries counted by event state, when the module reads the entries themselves."""


@dataclass(frozen=True)
class ChassisReading:
    power_on: bool
    drive_fault: bool
    cooling_fault: bool


@dataclass(frozen=True)
class DcmiReading:
    watts: float | None
    """None while the BMC's power measurement is not active (nothing to report, not a failure)."""


@dataclass(frozen=True)
class BmcReading:
    firmware_revision: str
    manufacturer_id: str
    system_firmware_version: str = "N/A"


@dataclass(frozen=True)
class Failure:
    """Why one tool run gave nothing; ``session`` when the BMC was never reached or never let us in."""

    reason: str
    message: str
    session: bool = False


def number(text: str) -> float:
    """A reading as printed; ``N/A`` and friends are NaN, anything else unparsable is an OutputError."""
    text = text.strip()
    if text in ("N/A", "na", ""):
        return math.nan
    try:
        return float(text)
    except ValueError:
        raise OutputError(f"expected a number, got {text!r}") from None


def colon_fields(text: str) -> dict[str, str]:
    """``Key : value`` lines (both tools' report format) as a dict; the first occurrence of a key wins."""
    fields: dict[str, str] = {}
    for line in text.splitlines():
        key, sep, value = line.partition(":")
        if sep and key.strip():
            fields.setdefault(key.strip(), value.strip())
    return fields


def field_of(fields: dict[str, str], *keys: str) -> str:
    for key in keys:
        if key in fields:
            return fields[key]
    raise OutputError(f"no {keys[0]!r} line in the output")


def true_false(value: str) -> bool:
    if value.lower() in ("true", "yes", "on"):
        return True
    if value.lower() in ("false", "no", "off"):
        return False
    raise OutputError(f"expected true or false, got {value!r}")
