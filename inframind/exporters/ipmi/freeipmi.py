"""The FreeIPMI driver: which commands a collector runs, and what their output and errors mean.

Cost: on every run FreeIPMI parses freeipmi.conf and, to name severities, its 60 KB interpret files, one
``read()`` per byte; against a BMC on a LAN that parsing is most of an ``ipmi-sensors`` run. Debian's
copies are all comments, so every run here gets one empty file for all three: the same built-in rules, and
a probe costs what the BMC costs. The SDR is cached per target (``--sdr-cache-recreate`` notices when the
BMC's changes), and ``ipmi-sel`` skips it: event states need no sensor names.
"""

from __future__ import annotations

import csv
import io
import math
import re
from collections import Counter
from collections.abc import Mapping
from pathlib import Path

from prometheus_client.core import Metric

from inframind.exporters.ipmi import families
from inframind.exporters.ipmi.readings import (
    STATES,
    UNKNOWN,
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

EMPTY_CONFIG = "empty.conf"
VERSION = re.compile(r"[0-9.]*")
DRIVER_TYPE = {"lanplus": "LAN_2_0", "lan": "LAN"}
SENSOR_ARGS = ("--comma-separated-output", "--no-header-output", "--output-sensor-state", "--quiet-cache")
SEL_ENTRY_ARGS = ("--comma-separated-output", "--no-header-output", "--output-event-state", "--ignore-sdr-cache")

ERRORS = {
    "password invalid": "auth",
    "username invalid": "auth",
    "k_g invalid": "auth",
    "privilege level": "auth",  # insufficient, or cannot be obtained for this user
    "authentication type unavailable": "auth",
    "cipher suite id unavailable": "auth",
    "password verification timeout": "auth",
    "connection timeout": "timeout",
    "session timeout": "timeout",
    "invalid hostname": "unreachable",
    "hostname invalid": "unreachable",
    "ipmi 2.0 unavailable": "protocol",
    "ipmi 1.5 unavailable": "protocol",
    "bmc busy": "protocol",
}
"""libfreeipmi's messages (matched lower-cased, in order). Printed as ``tool: message`` they mean the session
never opened; as ``ipmi_cmd_<command>: message`` that one command was refused (DCMI needs operator, say)."""


def common_args(tool: str, call: Call) -> tuple[list[str], str]:
    """Arguments every tool takes, and the stdin answering its prompts; no secret is an argument."""
    empty = str(Path(call.workdir) / EMPTY_CONFIG)
    session_ms = max(int(call.timeout * 1000) - 250, 200)
    retransmit_ms = session_ms // math.ceil(session_ms / 1000)  # FreeIPMI gives up on a retransmission tick
    argv = [
        tool,
        "-h",
        call.address,
        f"--config-file={empty}",
        "-D",
        DRIVER_TYPE[call.interface],
        "-l",
        call.privilege.upper(),
        f"--session-timeout={session_ms}",
        f"--retransmission-timeout={retransmit_ms}",
    ]
    if call.username:
        argv += ["-u", call.username]
    if call.interface == "lanplus":
        argv += ["-I", str(call.cipher_suite)]
    if call.workaround_flags:
        argv += ["-W", ",".join(call.workaround_flags)]
    stdin = ""
    if call.password:
        argv.append("-P")
        stdin += call.password + "\n"
    if call.k_g:
        argv.append("-K")
        stdin += call.k_g + "\n"
    return argv, stdin


def commands(collector: str, call: Call, settings: Settings) -> list[Command]:
    empty = str(Path(call.workdir) / EMPTY_CONFIG)

    def command(key: str, tool: str, *args: str, exclusive: str | None = None) -> Command:
        argv, stdin = common_args(tool, call)
        return Command(collector, key, (*argv, *args), stdin, exclusive=exclusive)

    if collector == "sensors":
        cache = (f"--sdr-cache-directory={call.sdr_cache}", "--sdr-cache-recreate")
        state_config = f"--sensor-state-config-file={empty}"
        return [command("sensors", "ipmi-sensors", *SENSOR_ARGS, state_config, *cache, exclusive=call.sdr_cache)]
    if collector == "sel":
        found = [command("info", "ipmi-sel", "--info", "--ignore-sdr-cache")]
        if settings.sel_severity:
            state_config = f"--event-state-config-file={empty}"
            found.append(command("entries", "ipmi-sel", *SEL_ENTRY_ARGS, state_config, exclusive=f"sel:{call.address}"))
        return found
    if collector == "chassis":
        return [command("status", "ipmi-chassis", "--get-chassis-status")]
    if collector == "dcmi":
        return [command("power", "ipmi-dcmi", "--get-system-power-statistics")]
    if collector == "bmc":
        return [command("info", "bmc-info", "--get-device-id", "--get-system-info")]
    raise ValueError(f"unknown collector {collector!r}")


def classify(done: Completed) -> Failure:
    """Why a run failed; ``session`` failures mean the BMC was never read (the whole probe may fail)."""
    text = done.stderr.replace("Password:", "").replace("K_g:", "").strip()
    if done.timed_out:  # the tool too slow, or a lock or session slot not free in time (then stderr says so)
        return Failure("timeout", text or f"{done.command.argv[0]} ran out of time ({done.seconds:.1f}s)", session=True)
    lowered = text.lower()
    command_level = "ipmi_cmd_" in lowered  # the session opened; one command was refused
    for needle, reason in ERRORS.items():
        if needle in lowered:
            return Failure(reason, text, session=not command_level)
    return Failure("protocol", text or f"{done.command.argv[0]} exited with {done.returncode}")


def collect(collector: str, outputs: Mapping[str, str], settings: Settings) -> list[Metric]:
    """Parse one collector's outputs into families; OutputError when they make no sense."""
    if collector == "sensors":
        readings = parse_sensors(outputs["sensors"])
        excluded = set(settings.exclude_sensor_ids)
        return families.sensor_families(r for r in readings if r.id not in excluded)
    if collector == "sel":
        return families.sel_families(parse_sel(outputs["info"], outputs.get("entries")))
    if collector == "chassis":
        return families.chassis_families(parse_chassis(outputs["status"]))
    if collector == "dcmi":
        return families.dcmi_families(parse_dcmi(outputs["power"]))
    if collector == "bmc":
        return families.bmc_families(parse_bmc(outputs["info"]))
    raise ValueError(f"unknown collector {collector!r}")


# ---------------------------------------------------------------- parsers (pure)


def _rows(text: str, columns: int) -> list[list[str]]:
    rows = [row for row in csv.reader(io.StringIO(text)) if row]
    for row in rows:
        if len(row) < columns:
            raise OutputError(f"expected {columns} comma-separated fields, got {row!r}")
    return rows


def parse_sensors(text: str) -> list[SensorReading]:
    """``ipmi-sensors --comma-separated-output --output-sensor-state``: id,name,type,state,reading,units,event."""
    readings = []
    for row in _rows(text, 6):
        try:
            record_id = int(row[0])
        except ValueError:
            raise OutputError(f"expected a record id, got {row[0]!r}") from None
        state = row[3] if row[3] in STATES else UNKNOWN
        readings.append(SensorReading(record_id, row[1], row[2], state, number(row[4]), row[5]))
    return readings


def parse_sel(info: str, entries: str | None) -> SelReading:
    """``ipmi-sel --info`` (fill), and ``--output-event-state`` rows (id,date,time,name,type,state,event)."""
    fields = colon_fields(info)
    count = number(field_of(fields, "Number of log entries"))
    free = number(field_of(fields, "Free space remaining").removesuffix("bytes"))
    by_state = None
    if entries is not None:
        by_state = dict(Counter(row[5] if row[5] in STATES else UNKNOWN for row in _rows(entries, 6)))
    return SelReading(count, free, by_state)


def parse_chassis(text: str) -> ChassisReading:
    fields = colon_fields(text)
    return ChassisReading(
        power_on=true_false(field_of(fields, "System Power")),
        drive_fault=true_false(field_of(fields, "Drive Fault")),
        cooling_fault=true_false(field_of(fields, "Cooling/fan fault")),
    )


def parse_dcmi(text: str) -> DcmiReading:
    """``--get-system-power-statistics``: the current power counts only while measurement is Active."""
    fields = colon_fields(text)
    if field_of(fields, "Power Measurement") != "Active":
        return DcmiReading(None)
    return DcmiReading(number(field_of(fields, "Current Power").split()[0]))


def parse_bmc(text: str) -> BmcReading:
    """``bmc-info --get-device-id --get-system-info``; versions keep their leading digits and dots only,
    as ipmi_exporter reads them, so the label values match."""
    fields = colon_fields(text)
    system = fields.get("System Firmware Version")
    return BmcReading(
        firmware_revision=_version(field_of(fields, "Firmware Revision")),
        manufacturer_id=field_of(fields, "Manufacturer ID"),
        system_firmware_version="N/A" if system is None else _version(system),
    )


def _version(text: str) -> str:
    match = VERSION.match(text)
    return match.group(0) if match else ""
