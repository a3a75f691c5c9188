"""A real BMC for tests: OpenIPMI's ``ipmi_sim`` on 127.0.0.1 with sensors, thresholds and a SEL.

No configs ship with the simulator, so this module writes ``lan.conf`` and a ``.emu`` command file whose
SDRs (IPMI 2.0 full and compact sensor records) it encodes from :class:`SimSensor` rows. ``CPU Temp``
follows a file (``poll``): :meth:`IpmiSim.set_reading` moves it across thresholds, and the simulator logs
SEL entries as it crosses them. Also here: our exporter and Debian's ipmi_exporter, set up for it.
"""

from __future__ import annotations

import os
import pwd
import socket
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import yaml

from tests.helpers.procs import free_port, require_binary
from tests.helpers.servers import Running

USERNAME = "monitor"
PASSWORD = "s3cret-pw"  # ipmi_sim's lan.conf takes no '#' or spaces in passwords
MC = 0x20
PRESENCE_PING = bytes([0x06, 0x00, 0xFF, 0x06, 0x00, 0x00, 0x11, 0xBE, 0x80, 0x01, 0x00, 0x00])  # RMCP/ASF

# IPMI codes (spec tables 42-3 and 43-15)
TEMPERATURE, VOLTAGE, CURRENT, FAN, POWER_SUPPLY, OTHER_UNITS = 0x01, 0x02, 0x03, 0x04, 0x08, 0x0B
CELSIUS, VOLTS, AMPS, WATTS, CFM, RPM = 1, 4, 5, 6, 17, 18
# threshold bits in masks: 0 LNC, 1 LC, 2 LNR, 3 UNC, 4 UC, 5 UNR
UPPER_EVENTS = (1 << 7) | (1 << 9) | (1 << 11)  # UNC, UC, UNR going high
LOWER_EVENTS = (1 << 0) | (1 << 2) | (1 << 4)  # LNC, LC, LNR going low


@dataclass(frozen=True)
class SimSensor:
    """One simulated sensor; threshold values and ``raw`` are raw bytes (value = raw * m * 10**r_exp)."""

    number: int
    name: str
    sensor_type: int
    raw: int
    unit: int = 0
    m: int = 1
    r_exp: int = 0
    percentage: bool = False
    upper: tuple[int, int, int] | None = None  # (non-critical, critical, non-recoverable)
    lower: tuple[int, int, int] | None = None  # (non-critical, critical, non-recoverable)
    entity: tuple[int, int] = (7, 1)
    value_file: str | None = None
    """File name (in the simulator's directory) the reading follows, polled every second."""
    discrete: bool = False
    """A sensor-specific discrete sensor (compact record); ``raw`` is the asserted offset."""

    def value(self) -> float:
        return self.raw * self.m * 10.0**self.r_exp


SENSORS = (
    SimSensor(1, "CPU Temp", TEMPERATURE, 40, CELSIUS, upper=(75, 85, 95), value_file="cpu_temp.val"),
    SimSensor(2, "Inlet Temp", TEMPERATURE, 24, CELSIUS, upper=(40, 45, 50)),
    SimSensor(3, "Fan 1", FAN, 100, RPM, m=50, lower=(20, 10, 5), entity=(29, 1)),
    SimSensor(4, "Fan 2 Duty", FAN, 35, percentage=True, entity=(29, 2)),
    SimSensor(5, "12V", VOLTAGE, 120, VOLTS, r_exp=-1, upper=(132, 140, 150), lower=(108, 100, 90)),
    SimSensor(6, "PSU1 Current", CURRENT, 25, AMPS, r_exp=-1, upper=(80, 90, 100), entity=(10, 1)),
    SimSensor(7, "PSU1 Power", POWER_SUPPLY, 180, WATTS, upper=(220, 240, 250), entity=(10, 1)),
    SimSensor(8, "Airflow", OTHER_UNITS, 42, CFM),
    SimSensor(9, "PS1 Status", POWER_SUPPLY, 0, discrete=True, entity=(10, 1)),
)
"""Temperature, fan (RPM and duty %), voltage, current, power, a generic unit and a discrete sensor."""


def _mask_bits(mask: int, width: int = 15) -> str:
    return format(mask, f"0{width}b")


def _le16(value: int) -> list[int]:
    return [value & 0xFF, value >> 8]


def _thresholds(sensor: SimSensor) -> tuple[int, list[int]]:
    """Readable-threshold mask and the six values UNR, UC, UNC, LNR, LC, LNC."""
    unc, uc, unr = sensor.upper or (0, 0, 0)
    lnc, lc, lnr = sensor.lower or (0, 0, 0)
    mask = (0b111000 if sensor.upper else 0) | (0b000111 if sensor.lower else 0)
    return mask, [unr, uc, unc, lnr, lc, lnc]


def full_record(sensor: SimSensor) -> list[int]:
    """An SDR type 01h (full sensor record) for a threshold sensor; record id 0 lets the BMC assign one."""
    readable, values = _thresholds(sensor)
    events = (UPPER_EVENTS if sensor.upper else 0) | (LOWER_EVENTS if sensor.lower else 0)
    lower_read, upper_read = (0x7000 if sensor.lower else 0), (0x7000 if sensor.upper else 0)  # comparisons
    name = sensor.name.encode("ascii")
    body = [
        MC, 0x00, sensor.number, *sensor.entity,
        0x7F,  # initialisation: scanning and events on
        0x48,  # capabilities: auto re-arm, thresholds readable and settable, per-threshold events
        sensor.sensor_type, 0x01,  # threshold-based reading
        *_le16(events | lower_read), *_le16(events | upper_read), readable, readable,
        0x01 if sensor.percentage else 0x00, sensor.unit, 0x00,
        0x00, sensor.m & 0xFF, (sensor.m >> 8) << 6, 0x00, 0x00, 0x00,
        (sensor.r_exp & 0x0F) << 4,
        0x00, 0x00, 0x00, 0x00, 0xFF, 0x00,  # no nominal/normal values, full raw range
        *values, 0x00, 0x00, 0x00, 0x00, 0x00,
        0xC0 | len(name), *name,
    ]  # fmt: skip
    return [0x00, 0x00, 0x51, 0x01, len(body), *body]


def compact_record(sensor: SimSensor, offsets: int) -> list[int]:
    """An SDR type 02h (compact sensor record) for a sensor-specific discrete sensor."""
    name = sensor.name.encode("ascii")
    body = [
        MC, 0x00, sensor.number, *sensor.entity, 0x67, 0x40, sensor.sensor_type, 0x6F,
        *_le16(offsets), *_le16(offsets), *_le16(offsets), 0x00, 0x00, 0x00,
        0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0xC0 | len(name), *name,
    ]  # fmt: skip
    return [0x00, 0x00, 0x51, 0x02, len(body), *body]


def _hex(data: Sequence[int]) -> str:
    return " ".join(f"0x{b:02x}" for b in data)


def emu_commands(sensors: Sequence[SimSensor], directory: Path) -> str:
    """The simulator's command file: one BMC with a SEL, the sensors, their thresholds and SDRs."""
    lines = [
        f"mc_setbmc 0x{MC:02x}",
        f"mc_add 0x{MC:02x} 0 no-device-sdrs 0x23 9 8 0x9f 0x1291 0xf02",
        f"sel_enable 0x{MC:02x} 1000 0x0a",
    ]
    for s in sensors:
        where = f"0x{MC:02x} 0 {s.number}"
        if s.discrete:
            offsets = 0b1011  # presence, failure, AC lost
            lines += [
                f"sensor_add {where} 0x{s.sensor_type:02x} 0x6f",
                f"sensor_set_bit_clr_rest {where} {s.raw} 1 0",
                f"sensor_set_event_support {where} enable scanning per-state " + " ".join([_mask_bits(offsets)] * 4),
                f"main_sdr_add 0x{MC:02x} {_hex(compact_record(s, offsets))}",
            ]
            continue
        poll = f' poll 1000 file "{directory / s.value_file}"' if s.value_file else ""
        readable, values = _thresholds(s)
        events = (UPPER_EVENTS if s.upper else 0) | (LOWER_EVENTS if s.lower else 0)
        lines += [
            f"sensor_add {where} 0x{s.sensor_type:02x} 0x01{poll}",
            f"sensor_set_value {where} {s.raw} 0",
            f"sensor_set_threshold {where} settable {_mask_bits(readable, 6)} " + " ".join(str(v) for v in values),
            f"sensor_set_event_support {where} enable scanning per-state " + " ".join([_mask_bits(events)] * 4),
            f"main_sdr_add 0x{MC:02x} {_hex(full_record(s))}",
        ]
    lines.append(f"mc_enable 0x{MC:02x}")
    return "\n".join(lines) + "\n"


def lan_conf(port: int, bmc_key: str | None = None) -> str:
    """One LAN channel on 127.0.0.1:port (IPMI 1.5 and 2.0), one user allowed up to admin, maybe a K_g."""
    auths = "none md2 md5 straight"
    allowed = "\n".join(f"    allowed_auths_{level} {auths}" for level in ("callback", "user", "operator", "admin"))
    key = f'bmc_key "{bmc_key}"' if bmc_key else ""
    return f"""name "inframind-test-bmc"
set_working_mc 0x{MC:02x}
  startlan 1
    addr 127.0.0.1 {port}
    priv_limit admin
{allowed}
    guid a123456789abcdefa123456789abcdef
    {key}
  endlan
  user 2 true "{USERNAME}" "{PASSWORD}" admin 10 {auths}
"""


def free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class IpmiSim(Running):
    """A running ``ipmi_sim`` (its log shown when a test fails); ``target`` is what a probe names it by."""

    def __init__(self, directory: Path, sensors: Sequence[SimSensor] = SENSORS, bmc_key: str | None = None) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        self.directory = directory
        self.sensors = {s.name: s for s in sensors}
        self.port = free_udp_port()
        state = directory / "state"
        state.mkdir(exist_ok=True)
        for s in sensors:
            if s.value_file:
                (directory / s.value_file).write_text(f"{s.raw}\n")
        (directory / "lan.conf").write_text(lan_conf(self.port, bmc_key))
        (directory / "bmc.emu").write_text(emu_commands(sensors, directory))
        argv = [require_binary("ipmi_sim"), "-c", "lan.conf", "-f", "bmc.emu", "-s", str(state), "-n"]
        super().__init__("ipmi_sim", argv, directory, f"udp://{self.target}", cwd=directory)
        self._wait_ready()

    @property
    def target(self) -> str:
        return f"127.0.0.1:{self.port}"

    def _wait_ready(self, timeout: float = 10.0) -> None:
        deadline = time.monotonic() + timeout
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            sock.settimeout(0.2)
            while time.monotonic() < deadline:
                if self.proc.poll() is not None:
                    raise RuntimeError(f"ipmi_sim exited with {self.proc.returncode}:\n{self.log_tail()}")
                sock.sendto(PRESENCE_PING, ("127.0.0.1", self.port))
                try:
                    sock.recvfrom(512)
                except TimeoutError:
                    continue
                return
        self.stop()
        raise RuntimeError(f"ipmi_sim did not answer a presence ping on {self.target}:\n{self.log_tail()}")

    def stop(self, timeout: float = 10.0) -> None:
        """Stop it, and drop the SDR cache ipmi_exporter's tools left for it in ~/.freeipmi (FreeIPMI takes the
        home directory from the password database, not $HOME; the file names this simulator's own port)."""
        super().stop(timeout)
        freeipmi = Path(pwd.getpwuid(os.getuid()).pw_dir) / ".freeipmi"
        for stale in (freeipmi / "sdr-cache").glob(f"sdr-cache-*.{self.target}"):
            stale.unlink()
        for made in (freeipmi / "sdr-cache", freeipmi):  # left empty: the peer made them
            if made.is_dir() and not any(made.iterdir()):
                made.rmdir()

    def set_reading(self, name: str, raw: int) -> None:
        """Move a polled sensor; the simulator reads the file within a second (written whole, never half)."""
        sensor = self.sensors[name]
        assert sensor.value_file, f"{name} does not follow a file"
        path = self.directory / sensor.value_file
        tmp = path.with_suffix(".tmp")
        tmp.write_text(f"{raw}\n")
        os.replace(tmp, path)


# ---------------------------------------------------------------- exporters configured for the simulator

ALL_COLLECTORS = ["sensors", "sel", "chassis", "dcmi", "bmc"]
OUR_MODULES = {
    "ipmi_sim": {"prober": "ipmi", "auth": "sim", "ipmi": {"workaround_flags": ["opensesspriv"]}},
    "ipmi_sim_all": {
        "prober": "ipmi",
        "auth": "sim",
        "ipmi": {"workaround_flags": ["opensesspriv"], "collectors": ALL_COLLECTORS},
    },
    "ipmi_sim_ipmitool": {"prober": "ipmi", "auth": "sim", "ipmi": {"driver": "ipmitool"}},
    "ipmi_sim_3s": {"prober": "ipmi", "auth": "sim", "timeout": "3s", "ipmi": {"workaround_flags": ["opensesspriv"]}},
}
"""``ipmi_sim``: the shipped module's collectors; ``_all``: every collector (DCMI fails on the simulator)."""
PEER_COLLECTORS = {"ipmi_sim": ["ipmi", "sel", "chassis"], "ipmi_sim_all": ["ipmi", "sel", "chassis", "dcmi", "bmc"]}
"""The peer's modules reading what ours of the same name read (its sensor collector is called ``ipmi``)."""


def start_our_exporter(directory: Path) -> Running:
    """``inframind exporter`` with the simulator's modules, its password in a ``file:`` secret (mode 0600)."""
    directory.mkdir(parents=True, exist_ok=True)
    secrets = {"sim": PASSWORD, "wrong": "wrong-pw"}
    for name, value in secrets.items():
        (directory / f"{name}.pw").write_text(value)
        (directory / f"{name}.pw").chmod(0o600)
    auths = {
        name: {"type": "ipmi", "username": USERNAME, "password": f"file:{directory / f'{name}.pw'}"} for name in secrets
    }
    config = directory / "inframind.yml"
    config.write_text(yaml.safe_dump({"exporter": {"auths": auths, "modules": OUR_MODULES}}))
    port = free_port()
    argv = [sys.executable, "-m", "inframind.cli", "exporter", "--config", str(config)]
    argv += ["--listen", f"127.0.0.1:{port}", "--no-collector.smart"]
    server = Running("inframind-exporter", argv, directory, f"http://127.0.0.1:{port}", cwd=directory)
    server.wait_http(server.url + "/-/healthy")
    return server


def start_peer_exporter(directory: Path) -> Running:
    """Debian's prometheus-ipmi-exporter (FreeIPMI-based), reading the simulator as ours does."""
    directory.mkdir(parents=True, exist_ok=True)
    module = {"user": USERNAME, "pass": PASSWORD, "privilege": "user", "driver": "LAN_2_0", "timeout": 10000}
    modules = {n: {**module, "collectors": c, "workaround_flags": ["opensesspriv"]} for n, c in PEER_COLLECTORS.items()}
    config = directory / "ipmi_exporter.yml"
    config.write_text(yaml.safe_dump({"modules": modules}))
    config.chmod(0o600)
    port = free_port()
    argv = [require_binary("prometheus-ipmi-exporter"), f"--config.file={config}"]
    argv += [f"--web.listen-address=127.0.0.1:{port}"]
    server = Running("prometheus-ipmi-exporter", argv, directory, f"http://127.0.0.1:{port}")
    server.wait_http(server.url + "/metrics")
    return server
