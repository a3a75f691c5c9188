"""What the drivers run and how failures read: secrets only on stdin, minimal configs, per-target SDR cache,
deadlines the tools honour themselves, and which failures fail the whole probe."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from inframind.exporters.ipmi import freeipmi, ipmitool
from inframind.exporters.ipmi.prober import DRIVERS, collect_results, probe_error
from inframind.exporters.ipmi.readings import Failure
from inframind.exporters.ipmi.runner import Call, Command, Completed
from inframind.exporters.ipmi.settings import Settings

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "ipmi"
SECRET = "pa ss#w\\rd"  # what no config file syntax carries
CALL = Call(
    host="10.0.0.7",
    port=623,
    interface="lanplus",
    username="monitor",
    privilege="user",
    cipher_suite=3,
    timeout=9.5,
    workdir="/run/private",
    sdr_cache="/run/private/sdr-abc",
    workaround_flags=("opensesspriv",),
    password=SECRET,
    k_g="bmc-key",
)
ALL = ("sensors", "sel", "chassis", "dcmi", "bmc")


def option(argv: tuple[str, ...], name: str) -> str:
    return argv[argv.index(name) + 1]


@pytest.mark.parametrize("driver", [freeipmi, ipmitool])
def test_secrets_go_to_stdin_never_to_argv(driver: object) -> None:
    for collector in ALL:
        for command in driver.commands(collector, CALL, Settings()):  # type: ignore[attr-defined]
            assert not any(SECRET in a or "bmc-key" in a for a in command.argv)
            assert command.stdin.startswith(SECRET + "\n")
            assert SECRET not in repr(command) and SECRET not in repr(CALL)


def test_freeipmi_commands() -> None:
    (sensors,) = freeipmi.commands("sensors", CALL, Settings())
    argv = sensors.argv
    assert argv[0] == "ipmi-sensors" and option(argv, "-h") == "10.0.0.7:623"
    assert "--config-file=/run/private/empty.conf" in argv
    assert "--sensor-state-config-file=/run/private/empty.conf" in argv  # the 60 KB interpret file, skipped
    assert "--sdr-cache-directory=/run/private/sdr-abc" in argv and "--sdr-cache-recreate" in argv
    assert sensors.exclusive == "/run/private/sdr-abc"
    assert (option(argv, "-D"), option(argv, "-l"), option(argv, "-I"), option(argv, "-W")) == (
        "LAN_2_0",
        "USER",
        "3",
        "opensesspriv",
    )
    assert "-P" in argv and "-K" in argv and sensors.stdin == f"{SECRET}\nbmc-key\n"
    info, entries = freeipmi.commands("sel", CALL, Settings())
    assert "--info" in info.argv and "--ignore-sdr-cache" in entries.argv
    assert entries.exclusive == "sel:10.0.0.7:623"  # concurrent listings cancel each other's SEL reservation
    assert "--event-state-config-file=/run/private/empty.conf" in entries.argv
    assert [c.key for c in freeipmi.commands("sel", CALL, Settings(sel_severity=False))] == ["info"]
    lan = freeipmi.commands("chassis", replace(CALL, interface="lan", host="fe80::1"), Settings())[0].argv
    assert option(lan, "-D") == "LAN" and "-I" not in lan and option(lan, "-h") == "[fe80::1]:623"


@pytest.mark.parametrize("seconds", [0.3, 2.95, 9.5, 30.0])
def test_freeipmi_gives_up_before_the_deadline(seconds: float) -> None:
    """FreeIPMI checks its session timeout on retransmission ticks: the timeout must fall on one."""
    argv = freeipmi.commands("chassis", replace(CALL, timeout=seconds), Settings())[0].argv
    session = int(next(a for a in argv if a.startswith("--session-timeout=")).split("=")[1])
    retransmit = int(next(a for a in argv if a.startswith("--retransmission-timeout=")).split("=")[1])
    assert session < seconds * 1000 or session == 200
    ticks = session // retransmit
    assert retransmit <= 1000 and session % retransmit < ticks  # the last tick is the timeout, give or take ms


def test_ipmitool_commands() -> None:
    (sensors,) = ipmitool.commands("sensors", CALL, Settings())
    argv = sensors.argv
    assert argv[-3:] == ("sdr", "elist", "all")
    assert (option(argv, "-I"), option(argv, "-H"), option(argv, "-p"), option(argv, "-L")) == (
        "lanplus",
        "10.0.0.7",
        "623",
        "USER",
    )
    assert "-a" in argv and "-K" in argv and sensors.env == {"IPMI_KGKEY": "bmc-key"}
    assert ipmitool.commands("sel", CALL, Settings())[1].argv[-3:] == ("-c", "sel", "list")


def completed(
    collector: str, key: str, stdout: str = "", stderr: str = "", rc: int | None = 0, **kw: object
) -> Completed:
    return Completed(Command(collector, key, ("tool",)), rc, stdout, stderr, 0.05, **kw)  # type: ignore[arg-type]


def test_freeipmi_failures() -> None:
    wrong = (FIXTURES / "freeipmi-wrong-password.stderr.txt").read_text()
    assert freeipmi.classify(completed("chassis", "status", stderr=wrong, rc=1)) == Failure(
        "auth", "/usr/sbin/ipmi-chassis: password invalid", session=True
    )
    dcmi = (FIXTURES / "freeipmi-dcmi-power.stderr.txt").read_text()
    refused = freeipmi.classify(completed("dcmi", "power", stderr=dcmi, rc=1))
    assert (refused.reason, refused.session) == ("auth", False)  # the session opened; DCMI wants more privilege
    assert freeipmi.classify(completed("sel", "info", stderr="ipmi-sel: connection timeout", rc=1)).reason == "timeout"
    assert freeipmi.classify(completed("sel", "info", stderr="ipmi-sel: invalid hostname", rc=1)).reason == (
        "unreachable"
    )
    killed = freeipmi.classify(completed("sensors", "sensors", rc=None, timed_out=True))
    assert (killed.reason, killed.session) == ("timeout", True)
    odd = freeipmi.classify(completed("sel", "info", stderr="ipmi_cmd_get_sel_info: bad completion code", rc=1))
    assert (odd.reason, odd.session) == ("protocol", False)


def test_ipmitool_failures() -> None:
    wrong = (FIXTURES / "ipmitool-wrong-password.stderr.txt").read_text()
    assert ipmitool.classify(completed("chassis", "status", stderr=wrong, rc=1)).reason == "auth"
    silent = replace(completed("chassis", "status", stderr=wrong, rc=1), seconds=3.0)
    assert ipmitool.classify(silent).reason == "timeout"
    dcmi = ipmitool.classify(
        completed("dcmi", "power", stderr=(FIXTURES / "ipmitool-dcmi-power.stderr.txt").read_text())
    )
    assert (dcmi.reason, dcmi.session) == ("auth", False)


def test_a_failing_collector_is_down_while_the_others_report() -> None:
    settings = Settings(collectors=("sensors", "sel", "chassis", "dcmi"))
    dcmi_refused = (FIXTURES / "freeipmi-dcmi-power.stderr.txt").read_text()
    results = [
        completed("sensors", "sensors", (FIXTURES / "freeipmi-sensors-sensors.nominal.txt").read_text()),
        completed("sel", "info", (FIXTURES / "freeipmi-sel-info.nominal.txt").read_text()),
        completed("sel", "entries", "1,x,y\n"),  # too few fields: an output error, not a crash
        completed("chassis", "status", (FIXTURES / "freeipmi-chassis-status.nominal.txt").read_text()),
        completed("dcmi", "power", stderr=dcmi_refused, rc=1),
    ]
    found, up, failures = collect_results(DRIVERS["freeipmi"], settings, results)
    assert up == {"sensors": True, "sel": False, "chassis": True, "dcmi": False}
    assert failures["sel"].reason == "protocol" and failures["dcmi"].reason == "auth"
    assert {f.name for f in found} >= {"ipmi_temperature_celsius", "ipmi_chassis_power_state"}
    assert not any(f.name.startswith("ipmi_sel") for f in found)
    assert probe_error("bmc", up, failures) is None


def test_the_probe_fails_only_when_no_session_opened() -> None:
    down = {"sensors": False, "sel": False}
    auth = Failure("auth", "password invalid", session=True)
    timeout = Failure("timeout", "connection timeout", session=True)
    error = probe_error("bmc-1", down, {"sensors": timeout, "sel": auth})
    assert error is not None and error.reason == "auth" and "bmc-1" in error.message
    assert probe_error("bmc-1", down, {"sensors": timeout, "sel": Failure("protocol", "odd")}) is None
    assert probe_error("bmc-1", {"sensors": True, "sel": False}, {"sel": auth}) is None
