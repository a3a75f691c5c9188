"""The bare-metal units pass `systemd-analyze verify`, keep a low `systemd-analyze security` exposure, and hold only
the capabilities SMART and the privileged receiver ports need.

No systemd runs as PID 1 here: `verify` and `security --offline=true` read the unit files alone. `verify` also
checks that ExecStart's binary exists, so the copies checked here point it at /bin/true (the only change).
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.helpers.servers import REPO

SYSTEMD = REPO / "deploy" / "systemd"
UNITS = ("inframind-exporter.service", "inframind-agent.service")
BINARY = "/opt/inframind/bin/inframind"
# Exposure scores measured with systemd 252 (Debian 12): exporter 2.5, agent 1.8. A hardening line lost
# shows up here.
MAX_EXPOSURE = {"inframind-exporter.service": 2.6, "inframind-agent.service": 2.0}
CAPABILITIES = {
    "inframind-exporter.service": {"CAP_SYS_RAWIO", "CAP_SYS_ADMIN"},
    "inframind-agent.service": {"CAP_NET_BIND_SERVICE"},
}


def _systemd_analyze() -> str:
    found = shutil.which("systemd-analyze")
    if found is None:
        pytest.fail("systemd-analyze not found: install the Debian package `systemd`")
    return found


def _copy(unit: str, directory: Path) -> Path:
    text = (SYSTEMD / unit).read_text(encoding="utf-8")
    assert f"ExecStart={BINARY} " in text
    target = directory / unit
    target.write_text(text.replace(BINARY, "/bin/true"), encoding="utf-8")
    return target


def _directives(unit: str) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for line in (SYSTEMD / unit).read_text(encoding="utf-8").splitlines():
        if "=" in line and not line.startswith(("#", "[")):
            key, value = line.split("=", 1)
            found.setdefault(key, []).append(value)
    return found


@pytest.mark.parametrize("unit", UNITS)
def test_verify_is_clean(unit: str, tmp_path: Path) -> None:
    path = _copy(unit, tmp_path)
    run = subprocess.run(
        [_systemd_analyze(), "verify", str(path)], capture_output=True, text=True, timeout=30, check=False
    )
    assert run.returncode == 0, run.stderr
    assert run.stderr.strip() == ""


def test_verify_catches_a_mistake(tmp_path: Path) -> None:
    """The check is live: an unknown directive is reported."""
    path = _copy(UNITS[0], tmp_path)
    path.write_text(path.read_text(encoding="utf-8").replace("ProtectSystem=", "ProtectSytem="), encoding="utf-8")
    run = subprocess.run([_systemd_analyze(), "verify", str(path)], capture_output=True, text=True, check=False)
    assert "Unknown key 'ProtectSytem'" in run.stderr


@pytest.mark.parametrize("unit", UNITS)
def test_security_exposure_is_low(unit: str, tmp_path: Path) -> None:
    path = _copy(unit, tmp_path)
    run = subprocess.run(
        [_systemd_analyze(), "security", "--offline=true", "--no-pager", str(path)],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    match = re.search(r"Overall exposure level for \S+: (\d+\.\d+)", run.stdout + run.stderr)
    assert match, run.stdout + run.stderr
    exposure = float(match.group(1))
    print(f"{unit}: exposure {exposure}")
    assert exposure <= MAX_EXPOSURE[unit]


@pytest.mark.parametrize("unit", UNITS)
def test_hardening_and_capabilities(unit: str) -> None:
    d = _directives(unit)
    assert d["DynamicUser"] == ["yes"]
    assert d["ProtectSystem"] == ["strict"]
    assert d["NoNewPrivileges"] == ["yes"]
    assert d["PrivateTmp"] == ["yes"]
    assert d["DevicePolicy"] == ["closed"]
    assert set(" ".join(d["AmbientCapabilities"]).split()) == CAPABILITIES[unit]
    assert set(" ".join(d["CapabilityBoundingSet"]).split()) == CAPABILITIES[unit]


def test_exporter_sees_only_disks() -> None:
    allowed = _directives("inframind-exporter.service")["DeviceAllow"]
    assert allowed == ["block-sd r", "block-blkext r", "char-nvme r"]
    assert "disk" in _directives("inframind-exporter.service")["SupplementaryGroups"][0].split()
    rules = (SYSTEMD / "60-inframind-nvme.rules").read_text(encoding="utf-8")
    assert 'GROUP="disk"' in rules


def test_agent_state_survives_restarts() -> None:
    d = _directives("inframind-agent.service")
    assert d["StateDirectory"] == ["inframind-agent"]
    assert "INFRAMIND__AGENT__STATE_DIR=%S/inframind-agent" in d["Environment"]
    assert d["PrivateDevices"] == ["yes"]
