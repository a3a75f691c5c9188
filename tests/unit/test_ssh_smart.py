"""smartctl over SSH: why it could not run, device names kept out of the shell, readings via the smart
collector's parser (real smartctl JSON recorded by smartctl_exporter and on this VM)."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from inframind.exporters.smart.readings import DeviceRef
from inframind.exporters.ssh.script import Section, new_nonce, split_sections
from inframind.exporters.ssh.smart import (
    Scan,
    SmartProblem,
    device_script,
    device_states,
    error_family,
    read_scan,
    smart_families,
)
from tests.helpers.exposition import value
from tests.helpers.hosttree import samples

REPO = Path(__file__).resolve().parents[2]
RECORDED = REPO.parent / "shared" / "fixtures" / "smartctl"
DENIED = REPO / "tests" / "fixtures" / "smart" / "sat-permission-denied.json"
SCAN = {
    "json_format_version": [1, 0],
    "smartctl": {"version": [7, 3], "svn_revision": "5338", "build_info": "(local build)", "exit_status": 0},
    "devices": [
        {"name": "/dev/sda", "type": "sat"},
        {"name": "/dev/bus/0", "type": "megaraid,1"},
        {"name": "/dev/sdb; reboot", "type": "sat"},
        {"name": "/dev/sdc", "type": "sat$(reboot)"},
        {"name": "/dev/sdd", "type": "sat", "open_error": "No medium found"},
    ],
}


@pytest.mark.parametrize(
    ("text", "status", "reason"),
    [
        ("sudo: a password is required\n", 1, "sudo_refused"),
        ("monitor is not in the sudoers file.  This incident will be reported.\n", 1, "sudo_refused"),
        ("sh: 1: sudo: not found\n", 127, "sudo_missing"),
        ("timeout: failed to run command 'sudo': No such file or directory\n", 127, "sudo_missing"),
        ("sudo: smartctl: command not found\n", 1, "smartctl_missing"),
        ("timeout: failed to run command 'smartctl': No such file or directory\n", 127, "smartctl_missing"),
        ("", 124, "timeout"),
        ("Segmentation fault\n", 139, "scan_failed"),
    ],
)
def test_why_the_scan_gave_nothing(text: str, status: int, reason: str) -> None:
    with pytest.raises(SmartProblem) as err:
        read_scan(Section(text, status))
    assert err.value.reason == reason
    assert value([error_family(reason)], "inframind_ssh_smartctl_error", reason=reason) == 1.0


def test_a_cut_off_scan_is_a_timeout() -> None:
    with pytest.raises(SmartProblem, match="timeout"):
        read_scan(None)


def test_the_scan_keeps_only_device_names_safe_for_a_command_line() -> None:
    scan = read_scan(Section("sudo: unable to resolve host db-7\n" + json.dumps(SCAN), 0))
    assert scan.devices == (DeviceRef("/dev/sda", "sat"), DeviceRef("/dev/bus/0", "megaraid,1"))
    assert scan.version is not None and scan.version.smartctl_version == "7.3"


def test_every_device_denied_is_a_permission_problem() -> None:
    denied = {**SCAN, "devices": [{"name": "/dev/sda", "type": "sat", "open_error": "Permission denied"}]}
    with pytest.raises(SmartProblem) as err:
        read_scan(Section(json.dumps(denied), 0))
    assert err.value.reason == "permission_denied"
    devices = (DeviceRef("/dev/vda", "sat"),)
    with pytest.raises(SmartProblem, match="permission_denied"):
        device_states(devices, {"dev0": Section(DENIED.read_text(), 2)})


def test_device_script_quotes_and_refuses() -> None:
    script = device_script([DeviceRef("/dev/bus/0", "megaraid,1")], "abc123", 20, sudo=True, powermode="standby")
    line = next(line for line in script.splitlines() if line.startswith("im_run dev0"))
    assert line.startswith("im_run dev0 timeout 20 sudo -n smartctl --json --info --health --attributes")
    assert line.endswith("--nocheck=standby --device=megaraid,1 /dev/bus/0")
    with pytest.raises(ValueError, match="refusing"):
        device_script([DeviceRef("/dev/sda;reboot", None)], "abc123", 20, sudo=False, powermode="standby")


def test_device_reports_become_smartctl_exporter_families(tmp_path: Path) -> None:
    """The device script run by a real shell, with a stand-in smartctl that prints recorded reports."""
    fake = tmp_path / "bin" / "smartctl"
    fake.parent.mkdir()
    fake.write_text(
        '#!/bin/sh\nprintf "%s\\n" "$*" >> "$ARGV_LOG"\nfor last; do :; done\ncat "$REPORT_DIR${last#/dev}"\n'
    )
    fake.chmod(0o755)
    (tmp_path / "reports").mkdir()
    (tmp_path / "reports" / "sda").write_text((RECORDED / "ST3500418AS_12.json").read_text())
    devices = (DeviceRef("/dev/sda", "sat"), DeviceRef("/dev/sdb", None))  # sdb: no report, no JSON
    nonce = new_nonce()
    env = {**os.environ, "PATH": f"{fake.parent}:{os.environ['PATH']}", "ARGV_LOG": str(tmp_path / "argv")}
    env["REPORT_DIR"] = str(tmp_path / "reports")
    script = device_script(devices, nonce, 20, sudo=False, powermode="standby")
    done = subprocess.run(["/bin/sh", "-s"], input=script, env=env, capture_output=True, text=True, check=True)
    states = device_states(devices, split_sections(done.stdout, nonce))
    assert (tmp_path / "argv").read_text().splitlines()[0].endswith("--nocheck=standby --device=sat /dev/sda")
    assert states[1].reason == "invalid_json"
    found = samples(smart_families(Scan(devices, None), states))
    assert found["smartctl_devices"] == {frozenset(): 2.0}
    reallocated = {
        ("device", "sda"),
        ("attribute_id", "5"),
        ("attribute_name", "Reallocated_Sector_Ct"),
        ("attribute_value_type", "raw"),
    }
    assert [v for k, v in found["smartctl_device_attribute"].items() if reallocated <= k] == [304.0]
    assert found["inframind_smart_device_refresh_success"] == {
        frozenset({("device", "sda")}): 1.0,
        frozenset({("device", "sdb")}): 0.0,
    }
    assert "inframind_smart_device_refresh_errors_total" not in found  # a probe keeps no history


def test_a_device_cut_off_by_the_deadline_is_a_timeout() -> None:
    states = device_states((DeviceRef("/dev/sda", "sat"),), {})
    assert states[0].reason == "timeout" and states[0].readings is None
