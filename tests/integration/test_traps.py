"""The agent's trap receiver in-process on 127.0.0.1, fed by net-snmp's real snmptrap and snmpinform.

One agent serves the module: every test marks its trap with a unique ifDescr and waits for that event in
the agent's SQLite log store (its real output path) or for a drop counter to move on /metrics.
"""

from __future__ import annotations

import signal
import socket
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

from inframind.agent.app import Agent, build_agent
from inframind.agent.trapmap import SNMP_TRAP_COMMUNITY, TRAP_LABELS
from inframind.agent.traps import DROP_REASONS, TrapReceiver
from inframind.events import LogEvent
from inframind.inventory import inventory_from_data
from inframind.schema import HostPort
from tests.helpers.exposition import promtool_check_metrics, scrape_text
from tests.helpers.procs import Server, free_port, require_binary, wait_until
from tests.helpers.traps import (
    ENGINE_ID,
    IF_DESCR_3,
    SECRETS,
    STORE_FILE,
    V2C,
    V3,
    V3_PRIV,
    TrapSender,
    free_udp_port,
    link_down,
    marker,
    metrics,
    read_events,
    search_events,
    start_unprivileged,
    trap_config,
    wait_for_count,
    wait_for_event,
)

pytestmark = pytest.mark.integration


@dataclass
class Running:
    agent: Agent
    sender: TrapSender
    store: Path
    metrics_url: str

    def dropped(self, reason: str) -> float:
        return metrics(self.metrics_url)["inframind_snmp_traps_dropped_total"].value(reason=reason)


@pytest.fixture(scope="module")
def running(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    base = tmp_path_factory.mktemp("agent")
    inventory = inventory_from_data(
        {"defaults": {"tenant": "lab"}, "assets": [{"id": "lab-switch", "kind": "switch", "addresses": ["127.0.0.1"]}]}
    )
    agent = build_agent(trap_config(base / "state"), inventory=inventory, env=SECRETS)
    agent.start()
    assert agent.traps is not None
    host, port = agent.http.address
    yield Running(agent, TrapSender(agent.traps.address[1], base / "net-snmp"), base / "state" / STORE_FILE,
                  f"http://{host}:{port}/metrics")  # fmt: skip
    agent.close()


def test_v2c_link_down_arrives_mapped_and_counted(running: Running) -> None:
    before = metrics(running.metrics_url)["inframind_snmp_traps_received_total"].value(version="v2c", trap="linkDown")
    mark = marker()
    running.sender.send(V2C, "", *link_down(mark))
    event = wait_for_event(running.store, mark)
    assert event.message == f"linkDown from 127.0.0.1: ifIndex=3 ifAdminStatus=1 ifOperStatus=2 ifDescr={mark}"
    assert (event.source, event.level, event.channel) == ("snmp_trap", "warning", "v2c")
    assert (event.host, event.asset_id, event.tenant) == ("127.0.0.1", "lab-switch", "lab")
    assert (event.event_id, event.provider) == ("1.3.6.1.6.3.1.1.5.3", "SNMPv2-MIB")
    assert event.fields["1.3.6.1.2.1.2.2.1.8.3"] == "2"
    assert int(str(event.fields["1.3.6.1.2.1.1.3.0"])) > 0  # sysUpTime from snmptrap's own uptime
    wait_for_count(
        running.metrics_url, "inframind_snmp_traps_received_total", before + 1, version="v2c", trap="linkDown"
    )


def test_cyrillic_text_survives_the_wire_and_the_store(running: Running) -> None:
    mark = marker()
    alias = "Аплинк к ядру — стойка R3"
    running.sender.send(V2C, "", *link_down(mark, "1.3.6.1.6.3.1.1.5.4"), "1.3.6.1.2.1.31.1.1.1.18.3", "s", alias)
    event = wait_for_event(running.store, mark)
    assert event.fields["1.3.6.1.2.1.31.1.1.1.18.3"] == alias
    assert event.message.endswith(f'ifAlias="{alias}"')
    assert event.level == "info"
    found = search_events(running.store, "Аплинк")  # stored as text the full-text index understands
    assert [e.fingerprint for e in found] == [event.fingerprint]


def test_wrong_community_is_dropped_and_counted(running: Running) -> None:
    before = running.dropped("bad_community")
    lost, barrier = marker(), marker()
    running.sender.send(["-v", "2c", "-c", "not-the-community"], "", *link_down(lost))
    wait_for_count(running.metrics_url, "inframind_snmp_traps_dropped_total", before + 1, reason="bad_community")
    running.sender.send(V2C, "", *link_down(barrier))
    wait_for_event(running.store, barrier)  # a later trap got through, so the dropped one had its chance
    assert not [e for e in read_events(running.store) if e.fields.get(IF_DESCR_3) == lost]


def test_v1_trap_is_converted_with_its_enterprise(running: Running) -> None:
    mark = marker()
    enterprise = "1.3.6.1.4.1.8072.2.3"
    running.sender.send(
        ["-v", "1", "-c", SECRETS["TRAP_COMMUNITY"]],
        *[enterprise, "127.0.0.1", "2", "0", "", "1.3.6.1.2.1.2.2.1.1.3", "i", "3", IF_DESCR_3, "s", mark],
    )
    event = wait_for_event(running.store, mark)
    assert event.channel == "v1"
    assert (event.event_id, event.provider, event.level) == ("1.3.6.1.6.3.1.1.5.3", enterprise, "warning")
    assert event.message == f"linkDown from 127.0.0.1: ifIndex=3 ifDescr={mark}"
    assert event.fields["1.3.6.1.6.3.18.1.3.0"] == "127.0.0.1"  # the agent-addr of the v1 PDU
    assert event.fields[SNMP_TRAP_COMMUNITY] == "<redacted>"
    assert not [e for e in read_events(running.store) if SECRETS["TRAP_COMMUNITY"] in e.to_json()]


def test_v1_enterprise_specific_trap(running: Running) -> None:
    mark = marker()
    running.sender.send(
        ["-v", "1", "-c", SECRETS["TRAP_COMMUNITY"]],
        *["1.3.6.1.4.1.8072.2.3", "127.0.0.1", "6", "17", "", IF_DESCR_3, "s", mark],
    )
    event = wait_for_event(running.store, mark)
    assert (event.event_id, event.provider, event.level) == (
        "1.3.6.1.4.1.8072.2.3.0.17",
        "1.3.6.1.4.1.8072.2.3",
        "warning",
    )


def test_v3_auth_priv_trap_with_the_senders_engine_id(running: Running) -> None:
    before = metrics(running.metrics_url)["inframind_snmp_traps_received_total"].value(version="v3", trap="linkDown")
    mark = marker()
    running.sender.send([*V3, *V3_PRIV, "-e", ENGINE_ID], "", *link_down(mark))
    event = wait_for_event(running.store, mark)
    assert event.channel == "v3"
    assert event.message == f"linkDown from 127.0.0.1: ifIndex=3 ifAdminStatus=1 ifOperStatus=2 ifDescr={mark}"
    wait_for_count(
        running.metrics_url, "inframind_snmp_traps_received_total", before + 1, version="v3", trap="linkDown"
    )


def test_v3_inform_is_acknowledged_after_engine_discovery(running: Running) -> None:
    mark = marker()
    running.sender.inform([*V3, *V3_PRIV], "", *link_down(mark, "1.3.6.1.6.3.1.1.5.1"))
    event = wait_for_event(running.store, mark)
    assert (event.channel, event.level) == ("v3", "notice")
    assert event.message.startswith("coldStart from 127.0.0.1: ")


def test_v2c_inform_is_acknowledged(running: Running) -> None:
    mark = marker()
    running.sender.inform(V2C, "", *link_down(mark, "1.3.6.1.6.3.1.1.5.2"))
    assert wait_for_event(running.store, mark).level == "notice"


@pytest.mark.parametrize(
    ("options", "reason"),
    [
        ([*V3, "-X", SECRETS["TRAP_PRIV"], "-e", ENGINE_ID, "-A", "wrong-pass-123"], "wrong_digest"),
        ([*V3, "-X", "wrong-priv-789", "-e", ENGINE_ID], "decryption_error"),
        ([*V3, *V3_PRIV, "-e", ENGINE_ID, "-u", "mallory"], "unknown_user"),
        ([*V3, *V3_PRIV, "-e", "8000000001999999"], "unknown_user"),  # right user, unknown sender engine
    ],
)
def test_v3_bad_credentials_are_dropped_and_counted(running: Running, options: list[str], reason: str) -> None:
    before = running.dropped(reason)
    lost, barrier = marker(), marker()
    running.sender.send(options, "", *link_down(lost))
    wait_for_count(running.metrics_url, "inframind_snmp_traps_dropped_total", before + 1, reason=reason)
    running.sender.send([*V3, *V3_PRIV, "-e", ENGINE_ID], "", *link_down(barrier))
    wait_for_event(running.store, barrier)
    assert not [e for e in read_events(running.store) if e.fields.get(IF_DESCR_3) == lost]


def test_metrics_are_bounded_and_lint_clean(running: Running) -> None:
    mark = marker()
    running.sender.send(V2C, "", *link_down(mark, "1.3.6.1.4.1.8072.9999.0.1"))  # an enterprise trap
    wait_for_event(running.store, mark)
    families = metrics(running.metrics_url)
    received = families["inframind_snmp_traps_received_total"]
    assert received.value(version="v2c", trap="other") >= 1
    assert {dict(labels)["trap"] for labels in received.series} == set(TRAP_LABELS)
    assert set(families["inframind_snmp_traps_dropped_total"].by("reason")) == set(DROP_REASONS)
    assert families["inframind_agent_events_read_total"].value(source="snmp_traps") >= 1
    assert families["inframind_agent_events_shipped_total"].value(source="snmp_traps") >= 1
    assert families["inframind_agent_events_dropped_total"].by("reason") == {"buffer_full": 0, "refused": 0}
    lint = promtool_check_metrics(require_binary("promtool"), scrape_text(running.metrics_url))
    assert lint.returncode == 0, lint.stdout + lint.stderr
    health = requests.get(running.metrics_url.replace("/metrics", "/-/healthy"), timeout=5)
    assert (health.status_code, health.text) == (200, "Healthy\n")


def test_ipv6_listener_receives_traps(tmp_path: Path) -> None:
    agent = build_agent(trap_config(tmp_path / "state", HostPort("::1", 0)), env=SECRETS)
    agent.start()
    try:
        assert agent.traps is not None
        mark = marker()
        TrapSender(agent.traps.address[1], tmp_path / "net-snmp", host="::1").send(V2C, "", *link_down(mark))
        event = wait_for_event(tmp_path / "state" / STORE_FILE, mark)
        assert event.host == "::1"
    finally:
        agent.close()


def test_port_in_use_names_the_setting_and_cleans_up(tmp_path: Path) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as taken:
        taken.bind(("127.0.0.1", 0))
        agent = build_agent(trap_config(tmp_path, HostPort("127.0.0.1", taken.getsockname()[1])), env=SECRETS)
        with pytest.raises(OSError, match=r"agent\.traps\.listen.*in use"):
            agent.start()
    assert agent.pipeline.buffer.usage() == (0, 0)
    assert not agent.pipeline.alive()
    assert not (agent.traps and agent.traps.alive())


def test_privileged_port_without_capability_says_what_to_do() -> None:
    """A real bind to port 162 by an unprivileged user (the test drops root with setpriv when it has it)."""
    result = start_unprivileged(HostPort("127.0.0.1", 162))
    assert result.returncode != 0
    assert "PermissionError" in result.stderr, result.stderr
    assert "127.0.0.1:162 (agent.traps.listen)" in result.stderr
    assert "CAP_NET_BIND_SERVICE" in result.stderr


def test_configured_receiver_engine_id_takes_informs_without_discovery(tmp_path: Path) -> None:
    """Devices such as Cisco IOS want the receiver's engine id configured for v3 informs (snmpinform -e)."""
    ours = "80001f8880aabbccdd"
    got: list[LogEvent] = []
    settings = trap_config(tmp_path).agent.traps
    receiver = TrapReceiver(settings, got.append, env=SECRETS, engine_id=bytes.fromhex(ours))
    receiver.start()
    try:
        mark = marker()
        TrapSender(receiver.address[1], tmp_path / "net-snmp").inform([*V3, *V3_PRIV, "-e", ours], "", *link_down(mark))
        assert wait_until(lambda: any(e.fields.get(IF_DESCR_3) == mark for e in got), 10, 0.02)
    finally:
        receiver.close()
    assert not receiver.alive()


def test_run_agent_serves_until_sigterm_with_the_trap_stored(tmp_path: Path) -> None:
    """The real process path: YAML config, env secrets, run_agent, signal, exit 0 with the event on disk."""
    trap_port, http_port = free_udp_port(), free_port()
    (tmp_path / "inframind.yml").write_text(
        "agent:\n"
        f"  listen: 127.0.0.1:{http_port}\n"
        f"  state_dir: {tmp_path / 'state'}\n"
        "  traps:\n"
        "    enabled: true\n"
        f"    listen: 127.0.0.1:{trap_port}\n"
        "    communities: [env:TRAP_COMMUNITY]\n"
        "logstore:\n"
        "  sqlite:\n"
        f"    path: {tmp_path / 'logs.db'}\n",
        encoding="utf-8",
    )
    code = (
        "from inframind.agent.app import run_agent\n"
        "from inframind.config import load_config\n"
        "from inframind.logsetup import setup_logging\n"
        "setup_logging('info', 'logfmt')\n"
        "run_agent(load_config())\n"
    )
    server = Server("agent", [sys.executable, "-c", code], tmp_path / "logs", env=SECRETS, cwd=tmp_path)
    try:
        server.wait_http(f"http://127.0.0.1:{http_port}/-/healthy", timeout=30)
        mark = marker()
        TrapSender(trap_port, tmp_path / "net-snmp").send(V2C, "", *link_down(mark))
        wait_for_event(tmp_path / "logs.db", mark)
        server.proc.send_signal(signal.SIGTERM)
        assert server.proc.wait(10) == 0, server.log_tail()
    finally:
        server.stop()
    assert "shutting down" in server.log_tail()
