"""Real SNMP agents on 127.0.0.1 for the snmp prober's tests and benchmark: snmpsim, snmpd, snmp_exporter.

- snmpsim (Debian ``snmpsim`` 0.4.5) serves recorded devices; the community selects the recording (its file
  name), so the Cisco C3750 walk is copied in as ``public.snmprec`` and answers snmp_exporter's default
  community. As root it drops to nobody, so its data and cache live in world-readable temp dirs outside
  pytest's private tmp tree (which nobody cannot enter).
- snmpd (net-snmp 5.9) is a live agent for v2c and v3 (users created from its config, which needs a
  persistent directory it can write).
- Debian's snmp_exporter 0.21 is the peer; its module is written by hand in the 0.21 format (auth inside
  the module, numeric OIDs), apart from our module but for the IANA ifType names, read from it.

Every process is stopped by its own PID (:meth:`tests.helpers.procs.Server.stop`).
"""

from __future__ import annotations

import gzip
import os
import re
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import yaml
from prometheus_client import CollectorRegistry

from inframind.config import ExporterConfig
from inframind.exporters.probe.config import load_probe_config
from inframind.exporters.probe.handler import ProbeService
from inframind.exporters.server import ExporterHTTP, metrics_handler
from inframind.schema import HostPort
from tests.helpers.procs import free_port, require_binary, wait_until
from tests.helpers.servers import Running

RECORDINGS = Path("/usr/share/doc/snmpsim/examples/data")
CISCO = RECORDINGS / "cisco_16_switch.snmprec.gz"
"""A Cisco Catalyst 3750 stack with 59 interfaces (ifTable, ifXTable, ENTITY-MIB)."""
LINUX = RECORDINGS / "public.snmprec.gz"
"""A full walk of a Linux host running net-snmp (HOST-RESOURCES-MIB, UCD-SNMP-MIB)."""
MODULES = Path(__file__).resolve().parents[2] / "inframind" / "exporters" / "probe" / "modules"
SYS_DESCR = "1.3.6.1.2.1.1.1.0"


def shared_dir(prefix: str) -> Path:
    """A temp dir that an agent dropped to nobody can read and write (pytest's tmp tree is private)."""
    path = Path(tempfile.mkdtemp(prefix=prefix))
    path.chmod(0o755)
    return path


def give_to_nobody(path: Path) -> None:
    if os.geteuid() == 0:
        subprocess.run(["chown", "-R", "nobody:nogroup", str(path)], check=True)


def snmpget_answers(port: int, community: str, oid: str = SYS_DESCR) -> bool:
    """Whether an agent on 127.0.0.1:``port`` answers a v2c GET (net-snmp's snmpget, independent of pysnmp)."""
    result = subprocess.run(
        [require_binary("snmpget"), "-v2c", "-c", community, "-t", "0.5", "-r", "0", f"127.0.0.1:{port}", oid],
        capture_output=True,
        text=True,
        timeout=10,
        check=False,
    )
    return result.returncode == 0 and "No Such" not in result.stdout


# ---------------------------------------------------------------- recordings


def write_recording(path: Path, records: Iterable[tuple[str, int | str, object]]) -> Path:
    """An ``.snmprec`` file (``oid|tag|value``, sorted by OID as snmpsim requires)."""
    rows = sorted(records, key=lambda r: tuple(int(a) for a in r[0].split(".")))
    path.write_text("".join(f"{oid}|{tag}|{value}\n" for oid, tag, value in rows))
    return path


def unpack(source: Path, target: Path) -> Path:
    if not source.is_file():
        raise AssertionError(
            f"{source} is missing: the recordings ship in the Debian package `snmpsim` (its examples, under "
            "/usr/share/doc); reinstall it where dpkg does not exclude documentation"
        )
    target.write_bytes(gzip.decompress(source.read_bytes()) if source.suffix == ".gz" else source.read_bytes())
    return target


class Agent(Running):
    """An SNMP agent process listening on ``ports`` (``port`` is the first); ``stop()`` also removes its
    scratch directories."""

    def __init__(
        self, name: str, argv: list[str], log_dir: Path, ports: list[int], scratch: tuple[Path, ...] = (), **kwargs: Any
    ) -> None:
        super().__init__(name, argv, log_dir, f"udp://127.0.0.1:{ports[0]}", **kwargs)
        self.ports = ports
        self.port = ports[0]
        self.scratch = scratch

    def stop(self, timeout: float = 10.0) -> None:
        super().stop(timeout)
        cleanup(*self.scratch)


def start_snmpsim(data: Path, log_dir: Path, endpoints: int = 1, ready_community: str = "public") -> Agent:
    """snmpsimd serving ``data`` (a dir from :func:`shared_dir` holding ``<community>.snmprec`` files)."""
    cache = shared_dir("inframind-snmpsim-cache-")
    give_to_nobody(data)
    give_to_nobody(cache)
    ports = [free_udp_port() for _ in range(endpoints)]
    argv = [require_binary("snmpsimd"), f"--data-dir={data}", f"--cache-dir={cache}"]
    argv += [f"--agent-udpv4-endpoint=127.0.0.1:{port}" for port in ports]
    if os.geteuid() == 0:
        argv += ["--process-user=nobody", "--process-group=nogroup"]
    server = Agent("snmpsim", argv, log_dir, ports, scratch=(cache,))
    _wait_agent(server, ports[0], ready_community)
    return server


def start_snmpd(directory: Path, log_dir: Path, community: str, users: Mapping[str, str]) -> Agent:
    """snmpd on a free port with ``community`` for v2c and ``users`` (name -> createUser arguments, e.g.
    ``SHA authpass AES privpass``); users with a privacy key get ``rouser NAME priv``, others ``auth``."""
    port = free_udp_port()
    persistent = directory / "persistent"
    persistent.mkdir(parents=True, exist_ok=True)
    lines = [f"agentAddress udp:127.0.0.1:{port}", f"rocommunity {community} 127.0.0.1", "disk / 1%"]
    for name, keys in users.items():
        lines.append(f"createUser {name} {keys}")
        lines.append(f"rouser {name} {'priv' if len(keys.split()) > 2 else 'auth'}")
    conf = directory / "snmpd.conf"
    conf.write_text("\n".join(lines) + "\n")
    give_to_nobody(directory)
    argv = [require_binary("snmpd"), "-f", "-Lo", "-C", "-c", str(conf)]
    if os.geteuid() == 0:
        argv += ["-u", "nobody", "-g", "nogroup"]
    env = {"MIBS": "", "SNMP_PERSISTENT_DIR": str(persistent)}
    server = Agent("snmpd", argv, log_dir, [port], env=env)
    _wait_agent(server, port, community)
    return server


def free_udp_port() -> int:
    """A UDP port free on 127.0.0.1 now (the kernel picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _wait_agent(server: Running, port: int, community: str, timeout: float = 60.0) -> None:
    def ready() -> bool:
        if server.proc.poll() is not None:
            raise RuntimeError(f"{server.name} exited with {server.proc.returncode}:\n{server.log_tail()}")
        return snmpget_answers(port, community)

    if not wait_until(ready, timeout, interval=0.2):
        server.stop()
        raise AssertionError(
            f"{server.name} did not answer on 127.0.0.1:{port} within {timeout}s:\n{server.log_tail()}"
        )


def cleanup(*paths: Path) -> None:
    for path in paths:
        shutil.rmtree(path, ignore_errors=True)


# ---------------------------------------------------------------- snmp_exporter 0.21, the peer


_IF = "1.3.6.1.2.1.2.2.1"
_IFX = "1.3.6.1.2.1.31.1.1.1"
_IF_COUNTERS = "ifInOctets ifInUcastPkts ifInNUcastPkts ifInDiscards ifInErrors ifInUnknownProtos ifOutOctets"
_IF_COUNTERS += " ifOutUcastPkts ifOutNUcastPkts ifOutDiscards ifOutErrors"
_IFX_COUNTERS = "ifInMulticastPkts ifInBroadcastPkts ifOutMulticastPkts ifOutBroadcastPkts ifHCInOctets"
_IFX_COUNTERS += " ifHCInUcastPkts ifHCInMulticastPkts ifHCInBroadcastPkts ifHCOutOctets ifHCOutUcastPkts"
_IFX_COUNTERS += " ifHCOutMulticastPkts ifHCOutBroadcastPkts"
PEER_IF_MIB: list[tuple[str, str, str]] = [
    # snmp_exporter 0.21's if_mib: name, OID, type (its generator's output for IF-MIB with the default overrides)
    ("ifIndex", f"{_IF}.1", "gauge"),
    ("ifType", f"{_IF}.3", "EnumAsInfo"),
    ("ifMtu", f"{_IF}.4", "gauge"),
    ("ifSpeed", f"{_IF}.5", "gauge"),
    ("ifPhysAddress", f"{_IF}.6", "PhysAddress48"),
    ("ifAdminStatus", f"{_IF}.7", "gauge"),
    ("ifOperStatus", f"{_IF}.8", "gauge"),
    ("ifLastChange", f"{_IF}.9", "gauge"),
    *((name, f"{_IF}.{n}", "counter") for n, name in enumerate(_IF_COUNTERS.split(), start=10)),
    ("ifOutQLen", f"{_IF}.21", "gauge"),
    *((name, f"{_IFX}.{n}", "counter") for n, name in enumerate(_IFX_COUNTERS.split(), start=2)),
    ("ifLinkUpDownTrapEnable", f"{_IFX}.14", "gauge"),
    ("ifHighSpeed", f"{_IFX}.15", "gauge"),
    ("ifPromiscuousMode", f"{_IFX}.16", "gauge"),
    ("ifConnectorPresent", f"{_IFX}.17", "gauge"),
    ("ifCounterDiscontinuityTime", f"{_IFX}.19", "gauge"),
]


def if_types() -> dict[int, str]:
    """IANAifType names (facts from the IANA registry) as our shipped module lists them."""
    shipped = yaml.safe_load((MODULES / "snmp_if_mib.yml").read_text())["if_mib"]["snmp"]["metrics"]
    return next(m["enum_values"] for m in shipped if m["name"] == "ifType")


def peer_if_mib_config(community: str, version: int = 2) -> dict[str, Any]:
    """snmp_exporter 0.21's ``snmp.yml`` with an ``if_mib`` module (auth inside the module, as 0.21 has it)."""
    lookups = [
        {"labels": ["ifIndex"], "labelname": name, "oid": oid, "type": "DisplayString"}
        for name, oid in (("ifAlias", f"{_IFX}.18"), ("ifDescr", f"{_IF}.2"), ("ifName", f"{_IFX}.1"))
    ]
    metrics: list[dict[str, Any]] = [
        {"name": "sysUpTime", "oid": "1.3.6.1.2.1.1.3", "type": "gauge", "help": "sysUpTime"},
        {"name": "ifNumber", "oid": "1.3.6.1.2.1.2.1", "type": "gauge", "help": "ifNumber"},
    ]
    for name, oid, kind in PEER_IF_MIB:
        metric: dict[str, Any] = {"name": name, "oid": oid, "type": kind, "help": name}
        metric["indexes"] = [{"labelname": "ifIndex", "type": "gauge"}]
        metric["lookups"] = lookups
        if kind == "EnumAsInfo":
            metric["enum_values"] = if_types()
        metrics.append(metric)
    module = {
        "walk": ["1.3.6.1.2.1.2", "1.3.6.1.2.1.31.1.1"],
        "get": ["1.3.6.1.2.1.1.3.0"],
        "metrics": metrics,
        "version": version,
        "auth": {"community": community},
    }
    return {"if_mib": module}


def start_snmp_exporter(directory: Path, config: Mapping[str, Any]) -> Running:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "snmp.yml"
    path.write_text(yaml.safe_dump(dict(config), sort_keys=False))
    port = free_port()
    argv = [
        require_binary("prometheus-snmp-exporter"),
        f"--config.file={path}",
        f"--web.listen-address=127.0.0.1:{port}",
    ]
    server = Running("snmp_exporter", argv, directory, f"http://127.0.0.1:{port}")
    server.wait_http(server.url + "/metrics")
    return server


# ---------------------------------------------------------------- reading expositions as they are written


_SAMPLE = re.compile(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{.*\})?\s+(\S+)(\s+\d+)?$")
_LABEL = re.compile(r'\s*([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"\s*,?')
Series = dict[frozenset[tuple[str, str]], float]


def raw_samples(text: str) -> dict[str, Series]:
    """Samples by their name exactly as exposed (no client-library renaming of counters), labels unescaped."""
    found: dict[str, Series] = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        match = _SAMPLE.match(line)
        assert match, f"not an exposition line: {line!r}"
        name, labels_text, value = match.group(1), match.group(2) or "{}", match.group(3)
        labels = {
            k: v.replace('\\"', '"').replace("\\n", "\n").replace("\\\\", "\\")
            for k, v in _LABEL.findall(labels_text[1:-1])
        }
        series = found.setdefault(name, {})
        key = frozenset(labels.items())
        assert key not in series, f"duplicate series {name}{labels}"
        series[key] = float(value)
    return found


# ---------------------------------------------------------------- our exporter's /probe, in process


class ProbeEndpoint:
    """Our /probe (the real HTTP server and ProbeService) on a free 127.0.0.1 port, for a given config."""

    def __init__(self, config: ExporterConfig) -> None:
        registry = CollectorRegistry(auto_describe=False, support_collectors_without_names=True)
        self.service = ProbeService(config, load_probe_config(config), registry)
        self.http = ExporterHTTP(
            HostPort("127.0.0.1", 0), {"/probe": self.service.handle, "/metrics": metrics_handler(registry)}
        )
        self.http.start_background()
        host, port = self.http.address
        self.url = f"http://{host}:{port}"

    def probe_url(self, target: str, module: str, auth: str | None = None) -> str:
        return f"{self.url}/probe?target={target}&module={module}" + (f"&auth={auth}" if auth else "")

    def close(self) -> None:
        self.http.shutdown()
        self.service.close()
