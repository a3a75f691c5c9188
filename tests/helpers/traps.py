"""Send real traps with net-snmp's snmptrap/snmpinform and watch the agent's log store and /metrics for them."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Sequence
from pathlib import Path

import pytest

from inframind.config import AgentConfig, Config, LogStoreConfig, SQLiteStoreSettings, TrapSettings, TrapUser
from inframind.config.agent import SinkSettings
from inframind.events import LogEvent
from inframind.logstore import Query
from inframind.logstore.sqlite import SQLiteStore
from inframind.schema import HostPort
from inframind.secrets import SecretRef
from tests.helpers.exposition import Family, parse, scrape_text
from tests.helpers.procs import wait_until

ENGINE_ID = "8000000001020304"  # the sender's engine id (snmptrap -e), configured for user ops
SECRETS = {"TRAP_COMMUNITY": "tr4p-community", "TRAP_AUTH": "auth-pass-123", "TRAP_PRIV": "priv-pass-456"}
V2C = ["-v", "2c", "-c", SECRETS["TRAP_COMMUNITY"]]
V3 = ["-v", "3", "-u", "ops", "-l", "authPriv", "-a", "SHA", "-A", SECRETS["TRAP_AUTH"], "-x", "AES"]
V3_PRIV = ["-X", SECRETS["TRAP_PRIV"]]

IF_DESCR_3 = "1.3.6.1.2.1.2.2.1.2.3"
"""The varbind each test puts its marker into, so it finds its own event among the others."""


def free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def net_snmp(binary: str) -> str:
    path = shutil.which(binary)
    if path is None:
        pytest.fail(f"{binary} not found on PATH: install the Debian package `snmp` (net-snmp 5.9)")
    return path


class TrapSender:
    """Runs snmptrap/snmpinform against one receiver, isolated from any system net-snmp config and MIBs."""

    def __init__(self, port: int, state_dir: Path, host: str = "127.0.0.1") -> None:
        self.target = f"udp6:[{host}]:{port}" if ":" in host else f"{host}:{port}"
        state_dir.mkdir(parents=True, exist_ok=True)
        self.env = {
            **os.environ,
            "MIBS": "",
            "SNMP_PERSISTENT_DIR": str(state_dir),
            "SNMPCONFPATH": str(state_dir),
        }

    def run(self, binary: str, options: Sequence[str], *trap: str) -> subprocess.CompletedProcess[str]:
        argv = [net_snmp(binary), *options, self.target, *trap]
        return subprocess.run(argv, env=self.env, capture_output=True, text=True, timeout=30, check=False)

    def send(self, options: Sequence[str], *trap: str) -> None:
        """snmptrap (fire and forget): it exits 0 once the datagram is out."""
        result = self.run("snmptrap", options, *trap)
        assert result.returncode == 0, result.stderr

    def inform(self, options: Sequence[str], *trap: str) -> None:
        """snmpinform exits 0 only when the receiver acknowledged the inform."""
        result = self.run("snmpinform", ["-r", "1", "-t", "5", *options], *trap)
        assert result.returncode == 0, f"inform not acknowledged: {result.stderr}"


def link_down(marker: str, trap_oid: str = "1.3.6.1.6.3.1.1.5.3") -> list[str]:
    """snmptrap arguments after the v2 uptime: a linkDown of ifIndex 3 whose ifDescr is ``marker``."""
    return [
        trap_oid,
        "1.3.6.1.2.1.2.2.1.1.3",
        "i",
        "3",
        "1.3.6.1.2.1.2.2.1.7.3",
        "i",
        "1",
        "1.3.6.1.2.1.2.2.1.8.3",
        "i",
        "2",
        IF_DESCR_3,
        "s",
        marker,
    ]


STORE_FILE = "logs.db"


def read_events(db: Path) -> list[LogEvent]:
    """Every event in the agent's SQLite log store, in storage order (none before the agent made it)."""
    if not db.exists():
        return []
    store = SQLiteStore(SQLiteStoreSettings(path=str(db)))
    try:
        events: list[LogEvent] = []
        position = None
        while True:
            page, position = store.read_after(position, 1000)
            if not page:
                return events
            events.extend(page)
    finally:
        store.close()


def search_events(db: Path, text: str) -> list[LogEvent]:
    """The store's full-text search, as the analyzer would run it."""
    store = SQLiteStore(SQLiteStoreSettings(path=str(db)))
    try:
        return store.search(Query(text=text), limit=100).events
    finally:
        store.close()


def start_unprivileged(listen: HostPort) -> subprocess.CompletedProcess[str]:
    """``build_agent(...).start()`` with traps on ``listen`` in a process that runs as nobody when we are root
    (its state directory is made writable for it, and removed afterwards)."""
    state = Path(tempfile.mkdtemp(prefix="inframind-agent-"))  # pytest's tmp_path is root's alone
    state.chmod(0o777)
    code = (
        "from pathlib import Path\n"
        "from inframind.agent.app import build_agent\n"
        "from inframind.schema import HostPort\n"
        "from tests.helpers.traps import SECRETS, trap_config\n"
        f"config = trap_config(Path({str(state)!r}), HostPort({listen.host!r}, {listen.port}))\n"
        "build_agent(config, env=SECRETS).start()\n"
    )
    argv = [sys.executable, "-c", code]
    if os.geteuid() == 0:
        argv = ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", *argv]
    try:
        return subprocess.run(argv, capture_output=True, text=True, timeout=60, check=False, cwd=Path.cwd())
    finally:
        shutil.rmtree(state)


def wait_for_event(db: Path, marker: str, timeout: float = 10.0) -> LogEvent:
    found: list[LogEvent] = []

    def arrived() -> bool:
        found[:] = [e for e in read_events(db) if e.fields.get(IF_DESCR_3) == marker]
        return bool(found)

    assert wait_until(arrived, timeout, interval=0.02), f"no event with ifDescr={marker!r} in {db}"
    assert len(found) == 1, found
    return found[0]


def metrics(url: str) -> dict[str, Family]:
    return parse(scrape_text(url))


def wait_for_count(url: str, family: str, expected: float, timeout: float = 10.0, **labels: str) -> None:
    seen: list[float] = []

    def reached() -> bool:
        seen.append(metrics(url)[family].value(**labels))
        return seen[-1] >= expected

    assert wait_until(reached, timeout, interval=0.02), f"{family}{labels} stayed at {seen[-1:]}, want {expected}"
    assert seen[-1] == expected, f"{family}{labels} is {seen[-1]}, want exactly {expected}"


ANY_PORT = HostPort("127.0.0.1", 0)


def trap_config(state_dir: Path, listen: HostPort = ANY_PORT) -> Config:
    user = TrapUser("ops", "SHA", SecretRef("env", "TRAP_AUTH"), "AES", SecretRef("env", "TRAP_PRIV"), ENGINE_ID)
    traps = TrapSettings(enabled=True, listen=listen, communities=(SecretRef("env", "TRAP_COMMUNITY"),), users=(user,))
    agent = AgentConfig(
        listen=HostPort("127.0.0.1", 0), state_dir=str(state_dir), traps=traps, sink=SinkSettings(batch_max_wait=0.05)
    )
    return Config(agent=agent, logstore=LogStoreConfig(sqlite=SQLiteStoreSettings(path=str(state_dir / STORE_FILE))))


def marker() -> str:
    return f"port-{uuid.uuid4().hex[:12]}"
