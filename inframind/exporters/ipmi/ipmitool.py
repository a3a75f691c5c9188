"""The ipmitool driver, for BMCs FreeIPMI trips on: the same collectors from ipmitool's reports.

What ipmitool cannot say, these families cannot either: ``id`` is the sensor number (it prints no SDR
record ids), a sensor's type is known only through its unit (others are ``unknown``), and an SEL entry's
severity is known only for threshold events (its description names the threshold). Its error messages do
not tell a wrong password from a silent BMC, so a session that failed within the first retransmission
interval counts as refused credentials and a later one as a timeout.
"""

from __future__ import annotations

import csv
import io
import math
from collections import Counter
from collections.abc import Mapping

from prometheus_client.core import Metric

from inframind.exporters.ipmi import families
from inframind.exporters.ipmi.readings import (
    CRITICAL,
    NOMINAL,
    UNKNOWN,
    WARNING,
    BmcReading,
    ChassisReading,
    DcmiReading,
    Failure,
    OutputError,
    SelReading,
    SensorReading,
    colon_fields,
    field_of,
    number,
    true_false,
)
from inframind.exporters.ipmi.runner import Call, Command, Completed
from inframind.exporters.ipmi.settings import Settings

RETRANSMIT_SECONDS = 1
PRIVILEGE = {"user": "USER", "operator": "OPERATOR", "admin": "ADMINISTRATOR"}
STATUS = {"ok": NOMINAL, "nc": WARNING, "lnc": WARNING, "unc": WARNING}
STATUS |= dict.fromkeys(("cr", "lcr", "ucr", "nr", "lnr", "unr"), CRITICAL)
UNITS = {"degrees C": "C", "Volts": "V", "Amps": "A", "Watts": "W", "RPM": "RPM", "percent": "%"}
TYPE_BY_UNIT = {"C": "Temperature", "V": "Voltage", "A": "Current", "W": "Power", "RPM": "Fan"}


def common_args(call: Call) -> tuple[list[str], str, dict[str, str]]:
    """Global options, stdin for the password prompt (``-a``) and the environment carrying K_g (``-K``)."""
    retries = max(1, int(call.timeout) - RETRANSMIT_SECONDS)
    argv = ["ipmitool", "-I", call.interface, "-H", call.host, "-p", str(call.port), "-L"]
    argv += [PRIVILEGE[call.privilege], "-N", str(RETRANSMIT_SECONDS), "-R", str(retries)]
    if call.interface == "lanplus":
        argv += ["-C", str(call.cipher_suite)]
    if call.username:
        argv += ["-U", call.username]
    stdin, env = "", {}
    if call.password:
        argv.append("-a")
        stdin = call.password + "\n"
    if call.k_g:
        argv.append("-K")
        env["IPMI_KGKEY"] = call.k_g
    return argv, stdin, env


def commands(collector: str, call: Call, settings: Settings) -> list[Command]:
    def command(key: str, *args: str, exclusive: str | None = None) -> Command:
        argv, stdin, env = common_args(call)
        return Command(collector, key, (*argv, *args), stdin, env, exclusive)

    if collector == "sensors":
        return [command("sensors", "sdr", "elist", "all")]
    if collector == "sel":
        found = [command("info", "sel", "info")]
        if settings.sel_severity:
            found.append(command("entries", "-c", "sel", "list", exclusive=f"sel:{call.address}"))
        return found
    if collector == "chassis":
        return [command("status", "chassis", "status")]
    if collector == "dcmi":
        return [command("power", "dcmi", "power", "reading")]
    if collector == "bmc":
        return [command("info", "mc", "info")]
    raise ValueError(f"unknown collector {collector!r}")


def classify(done: Completed) -> Failure:
    text = done.stderr.replace("Password:", "").strip()
    if done.timed_out:  # the tool too slow, or a lock or session slot not free in time (then stderr says so)
        return Failure("timeout", text or f"ipmitool ran out of time ({done.seconds:.1f}s)", session=True)
    if "Address lookup for" in text:
        return Failure("unreachable", text, session=True)
    if "Unable to establish" in text:
        reason = "timeout" if done.seconds >= RETRANSMIT_SECONDS else "auth"
        return Failure(reason, text, session=True)
    if "Insufficient privilege" in text:  # the session opened at a level this command needs more than
        return Failure("auth", text)
    return Failure("protocol", text or f"ipmitool exited with {done.returncode}")


def collect(collector: str, outputs: Mapping[str, str], settings: Settings) -> list[Metric]:
    if collector == "sensors":
        excluded = set(settings.exclude_sensor_ids)
        return families.sensor_families(r for r in parse_sdr(outputs["sensors"]) if r.id not in excluded)
    if collector == "sel":
        return families.sel_families(parse_sel(outputs["info"], outputs.get("entries")))
    if collector == "chassis":
        return families.chassis_families(parse_chassis(outputs["status"]))
    if collector == "dcmi":
        return families.dcmi_families(parse_dcmi(outputs["power"]))
    if collector == "bmc":
        return families.bmc_families(parse_mc_info(outputs["info"]))
    raise ValueError(f"unknown collector {collector!r}")


# ---------------------------------------------------------------- parsers (pure)


def parse_sdr(text: str) -> list[SensorReading]:
    """``sdr elist all``: ``name | 01h | ok | 7.1 | 40 degrees C`` (discrete sensors print text)."""
    readings = []
    for line in text.splitlines():
        if not line.strip():
            continue
        fields = [f.strip() for f in line.split("|")]
        if len(fields) != 5 or not fields[1].endswith("h"):
            raise OutputError(f"expected `name | NNh | status | entity | reading`, got {line!r}")
        value, unit = _reading(fields[4])
        kind, state = TYPE_BY_UNIT.get(unit, "unknown"), STATUS.get(fields[2], UNKNOWN)
        readings.append(SensorReading(int(fields[1][:-1], 16), fields[0], kind, state, value, unit))
    return readings


def _reading(text: str) -> tuple[float, str]:
    first, _, rest = text.partition(" ")
    try:
        value = float(first)
    except ValueError:
        return math.nan, "N/A"
    return value, UNITS.get(rest, rest)


def parse_sel(info: str, entries: str | None) -> SelReading:
    """``sel info`` (fill), and ``-c sel list`` rows: id,date,time,sensor,event,direction."""
    fields = colon_fields(info)
    count = number(field_of(fields, "Entries"))
    free = number(field_of(fields, "Free Space").split()[0])
    by_state = None
    if entries is not None:
        rows = [row for row in csv.reader(io.StringIO(entries)) if row]
        if any(len(row) < 6 for row in rows):
            raise OutputError("expected id,date,time,sensor,event,direction rows from `sel list`")
        by_state = dict(Counter(event_state(row[4], row[5]) for row in rows))
    return SelReading(count, free, by_state)


def event_state(description: str, direction: str) -> str:
    """Severity of a threshold event from its description; other events are UNKNOWN to ipmitool."""
    text = description.lower()
    if direction.strip().lower() == "deasserted":
        return NOMINAL
    if "non-critical" in text:
        return WARNING
    if "critical" in text or "non-recoverable" in text:
        return CRITICAL
    return UNKNOWN


def parse_chassis(text: str) -> ChassisReading:
    fields = colon_fields(text)
    return ChassisReading(
        power_on=true_false(field_of(fields, "System Power")),
        drive_fault=true_false(field_of(fields, "Drive Fault")),
        cooling_fault=true_false(field_of(fields, "Cooling/Fan Fault")),
    )


def parse_dcmi(text: str) -> DcmiReading:
    """``dcmi power reading``: the instantaneous power counts only while the reading state is activated."""
    fields = colon_fields(text)
    if field_of(fields, "Power reading state is") != "activated":
        return DcmiReading(None)
    return DcmiReading(number(field_of(fields, "Instantaneous power reading").split()[0]))


def parse_mc_info(text: str) -> BmcReading:
    """``mc info``; the manufacturer as FreeIPMI's bmc-info prints it (``name (id)``) so labels agree."""
    fields = colon_fields(text)
    manufacturer = f"{field_of(fields, 'Manufacturer Name')} ({field_of(fields, 'Manufacturer ID')})"
    return BmcReading(field_of(fields, "Firmware Revision"), manufacturer)
