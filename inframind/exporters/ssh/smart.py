"""smartctl on the target: read the scan, build the per-device script, and say clearly why not.

The scan runs inside the main script; the devices it finds are read by one more command that runs
smartctl once per device, with the smart collector's own arguments, and its JSON goes through the smart
collector's own parser and family builder. Device names come from the target, so each must look like a
device path before it is quoted into the script. When smartctl cannot run (``sudo -n`` wants a
password, smartctl is missing), the probe still succeeds: ``inframind_ssh_smartctl_error{reason}`` says
why and ``node_scrape_collector_success{collector="smart"}`` is 0.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from prometheus_client.core import GaugeMetricFamily, Metric

from inframind.exporters.smart.families import DeviceState, Snapshot, build_families
from inframind.exporters.smart.parse import (
    PERMISSION_DENIED,
    TIMEOUT,
    classify,
    decode,
    exit_status,
    is_permission_error,
    parse_device,
    parse_scan,
    parse_version,
)
from inframind.exporters.smart.readings import DeviceRef, SmartctlVersion
from inframind.exporters.smart.runner import DEVICE_ARGS
from inframind.exporters.ssh.script import Section

REASONS = ("sudo_refused", "sudo_missing", "smartctl_missing", "timeout", "permission_denied", "scan_failed")
"""The bounded ``reason`` label of ``inframind_ssh_smartctl_error``."""
TIMED_OUT = 124
"""Exit status of coreutils ``timeout`` when it had to stop the command."""
_SUDO_REFUSED = re.compile(
    r"sudo: (a password is required|a terminal is required|sorry, you must have a tty)"
    r"|is not in the sudoers file|is not allowed to execute|may not run sudo"
)
_SUDO_MISSING = re.compile(r"\bsudo: (command )?not found|'sudo': No such file")
_NOT_FOUND = re.compile(r"not found|No such file or directory")
_DEVICE_NAME = re.compile(r"/dev/[A-Za-z0-9._/:+-]+")
_DEVICE_TYPE = re.compile(r"[A-Za-z0-9_,+-]+")


class SmartProblem(Exception):
    """smartctl gave no readings at all; ``reason`` is one of :data:`REASONS`."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"smart: {reason}: {detail}")
        self.reason = reason
        self.detail = detail


@dataclass(frozen=True)
class Scan:
    devices: tuple[DeviceRef, ...]
    version: SmartctlVersion | None


def _json(text: str) -> Mapping[str, object] | None:
    """The JSON document in a section that may also hold sudo's or the shell's messages."""
    start = text.find("{")
    return decode(text[start:]) if start >= 0 else None


def read_scan(found: Section | None) -> Scan:
    """Devices from ``smartctl --scan-open --json`` on the target; raises SmartProblem with a reason."""
    if found is None:
        raise SmartProblem("timeout", "the scan was cut off by the probe's deadline")
    doc = _json(found.text)
    said = " ".join(found.text.split())[:200]
    if doc is None:
        if _SUDO_REFUSED.search(found.text):
            raise SmartProblem("sudo_refused", f"sudo -n refused to run smartctl without a password ({said})")
        if found.status == TIMED_OUT:
            raise SmartProblem("timeout", "smartctl --scan-open did not finish in time")
        if _SUDO_MISSING.search(found.text):
            raise SmartProblem("sudo_missing", f"sudo is not installed on the target ({said})")
        if found.status == 127 or _NOT_FOUND.search(found.text):
            raise SmartProblem("smartctl_missing", f"smartctl (smartmontools >= 7.0) is not installed ({said})")
        raise SmartProblem("scan_failed", f"smartctl --scan-open printed no JSON ({found.failure()})")
    status = exit_status(doc)
    if status is not None and status & 1:
        raise SmartProblem("scan_failed", f"smartctl --scan-open failed with exit status {status}")
    usable, denied = [], []
    for entry in parse_scan(doc):
        device = entry.device
        if not _DEVICE_NAME.fullmatch(device.name) or (device.type and not _DEVICE_TYPE.fullmatch(device.type)):
            continue  # not a device path we are willing to put into a command line
        if entry.open_error is None:
            usable.append(device)
        elif is_permission_error(entry.open_error):
            denied.append(f"{device.name} ({entry.open_error})")
    if denied and not usable:
        raise SmartProblem("permission_denied", f"smartctl cannot open {denied[0]}: use sudo or run as root")
    return Scan(tuple(usable), parse_version(doc))


def device_script(devices: Sequence[DeviceRef], nonce: str, timeout: float, sudo: bool, powermode: str) -> str:
    """One ``sh -s`` script running smartctl per device, framed like the main script's sections."""
    if not re.fullmatch(r"[0-9a-f]+", nonce) or not re.fullmatch(r"[a-z]+", powermode):
        raise ValueError("nonce must be hex and powermode a smartctl --nocheck word")
    lines = [
        "main() {",
        "LC_ALL=C; export LC_ALL",
        'PATH="$PATH:/usr/sbin:/sbin:/usr/local/sbin"; export PATH',
        "exec 2>/dev/null",
        f"m='@@inframind-{nonce}'",
        'im_run() { n=$1; shift; echo "$m begin $n"; "$@"; rc=$?; echo; echo "$m end $n $rc"; }',
    ]
    for index, device in enumerate(devices):
        if not _DEVICE_NAME.fullmatch(device.name) or (device.type and not _DEVICE_TYPE.fullmatch(device.type)):
            raise ValueError(f"refusing device {device.name!r} of type {device.type!r}")
        argv = ["timeout", f"{timeout:g}", *(["sudo", "-n"] if sudo else []), "smartctl", *DEVICE_ARGS]
        argv += [f"--nocheck={powermode}", *([f"--device={device.type}"] if device.type else []), device.name]
        lines.append(f"im_run dev{index} {shlex.join(argv)}")
    return "\n".join([*lines, "}", "main </dev/null", ""])


def device_states(devices: Sequence[DeviceRef], sections: Mapping[str, Section]) -> list[DeviceState]:
    """Each device's readings, or the smart collector's reason why there are none."""
    states = []
    for index, device in enumerate(devices):
        found = sections.get(f"dev{index}")
        if found is None or found.status == TIMED_OUT:
            states.append(DeviceState(device, reason=TIMEOUT, detail="smartctl did not finish in time"))
            continue
        doc = decode(found.text)
        if doc is None:
            detail = f"smartctl printed no JSON ({found.failure()})"
            states.append(DeviceState(device, found.status, reason="invalid_json", detail=detail))
            continue
        status, reason, detail = classify(doc, found.status)
        readings = parse_device(doc) if reason is None else None
        states.append(DeviceState(device, status, readings, reason, detail))
    if states and all(s.reason == PERMISSION_DENIED for s in states):
        raise SmartProblem("permission_denied", f"smartctl cannot open {states[0].device.name}: {states[0].detail}")
    return states


def smart_families(scan: Scan, states: Sequence[DeviceState]) -> list[Metric]:
    """smartctl_exporter's families for the target (no refresh counters: a probe keeps no history)."""
    return build_families(Snapshot(tuple(states), scan.version))


def error_family(reason: str) -> Metric:
    family = GaugeMetricFamily(
        "inframind_ssh_smartctl_error",
        "Why smartctl gave no readings on the target (sudo_refused: sudo -n wants a password); always 1.",
        labels=["reason"],
    )
    family.add_metric([reason], 1.0)
    return family
