"""Building the agent: config and secret errors before anything binds, health, metrics without the network."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from email.message import Message
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from inframind.agent.app import build_agent
from inframind.agent.trapauth import ResolvedUser
from inframind.agent.trapmap import Trap
from inframind.agent.traps import DROP_REASONS, TrapReceiver
from inframind.config import (
    AgentConfig,
    Config,
    LogStoreConfig,
    SQLiteStoreSettings,
    TrapSettings,
    TrapUser,
    load_config,
    parse_engine_id,
)
from inframind.config.agent import EventLogSource, EventLogTarget, FileSource, JournaldSource, SyslogSource
from inframind.events import LogEvent
from inframind.exporters.server import Request
from inframind.schema import ConfigError, HostPort
from inframind.secrets import SecretError, SecretRef

NOW = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)
TRAP_OID = "1.3.6.1.6.3.1.1.4.1.0"


def get(agent_http_handle: object, path: str) -> tuple[int, str]:
    response = agent_http_handle(Request("GET", path, {}, Message(), "127.0.0.1"))  # type: ignore[operator]
    return response.status, response.body.decode()


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def test_bad_engine_id_is_a_config_error_with_file_line_and_field(tmp_path: Path) -> None:
    path = tmp_path / "inframind.yml"
    path.write_text(
        "agent:\n  traps:\n    enabled: true\n    users:\n      - username: ops\n        engine_id: 80-00-zz\n",
        encoding="utf-8",
    )
    with pytest.raises(ConfigError) as caught:
        build_agent(load_config(path, env={}))
    assert f"{path}:6: agent.traps.users[0].engine_id: expected hex digits" in str(caught.value)


def test_unreadable_secret_names_the_reference_not_a_value() -> None:
    traps = TrapSettings(enabled=True, communities=(SecretRef("env", "TRAP_COMMUNITY"),))
    with pytest.raises(SecretError, match="env:TRAP_COMMUNITY"):
        build_agent(Config(agent=AgentConfig(traps=traps)), env={})


def test_resolved_user_keeps_secrets_out_of_repr() -> None:
    user = TrapUser("ops", "SHA", SecretRef("env", "A"), "AES", SecretRef("env", "P"), "0x80:00:00:00:01:02")
    resolved = ResolvedUser.resolve(user, {"A": "auth-secret-1", "P": "priv-secret-2"})
    assert resolved.engine_id == bytes.fromhex("800000000102")
    assert "secret" not in repr(resolved)


@pytest.mark.parametrize("text", ["8000", "zz00000000", "00" * 33])
def test_engine_ids_outside_rfc3411_are_refused(text: str) -> None:
    with pytest.raises(ValueError, match=r"engine id|hex digits"):
        parse_engine_id(text)


def test_disabled_traps_serve_build_info_and_pipeline_gauges(tmp_path: Path) -> None:
    agent = build_agent(Config(agent=AgentConfig(state_dir=str(tmp_path))))
    assert agent.traps is None
    status, body = get(agent.http.handle, "/metrics")
    assert status == 200
    values = samples(body)
    assert values[("inframind_agent_buffer_events", ())] == 0
    assert values[("inframind_agent_events_dropped_total", (("reason", "buffer_full"),))] == 0
    assert not any(name.startswith("inframind_snmp_traps") for name, _ in values)
    assert get(agent.http.handle, "/-/healthy")[0] == 503  # built, not started: the pipeline is not running
    agent.start()
    try:
        assert get(agent.http.handle, "/-/healthy") == (200, "Healthy\n")
    finally:
        agent.close()


def test_health_fails_while_the_trap_receiver_is_not_running(tmp_path: Path) -> None:
    agent = build_agent(Config(agent=AgentConfig(state_dir=str(tmp_path), traps=TrapSettings(enabled=True))))
    assert get(agent.http.handle, "/-/healthy")[0] == 503


def test_receiver_counts_what_it_delivers_drops_and_fails_to_sink() -> None:
    got: list[LogEvent] = []

    def sink(event: LogEvent) -> None:
        if event.fields.get("1.3.6.1.2.1.2.2.1.2.3") == "boom":
            raise OSError("disk full")
        got.append(event)

    receiver = TrapReceiver(TrapSettings(), sink, levels={"1.3.6.1.4.1.9": "error"})
    receiver.deliver(Trap("v2c", "10.0.0.5", NOW, ((TRAP_OID, "1.3.6.1.6.3.1.1.5.4"),)))
    receiver.deliver(Trap("v3", "10.0.0.5", NOW, ((TRAP_OID, "1.3.6.1.4.1.9.9.41.2.0.1"),)))
    receiver.deliver(Trap("v1", "10.0.0.5", NOW, (("1.3.6.1.2.1.1.3.0", "5"),)))  # no snmpTrapOID.0
    with pytest.raises(OSError, match="disk full"):
        receiver.deliver(
            Trap("v2c", "10.0.0.5", NOW, ((TRAP_OID, "1.3.6.1.6.3.1.1.5.4"), ("1.3.6.1.2.1.2.2.1.2.3", "boom")))
        )
    assert [e.level for e in got] == ["info", "error"]
    values = {
        (s.name, tuple(sorted(s.labels.items()))): s.value for family in receiver.collect() for s in family.samples
    }
    received = "inframind_snmp_traps_received_total"
    assert values[(received, (("trap", "linkUp"), ("version", "v2c")))] == 2
    assert values[(received, (("trap", "other"), ("version", "v3")))] == 1
    assert values[(received, (("trap", "coldStart"), ("version", "v1")))] == 0  # initialized, so rate() sees the first
    dropped = {
        dict(labels)["reason"]: v
        for (name, labels), v in values.items()
        if name.startswith("inframind_snmp_traps_dropped")
    }
    assert set(dropped) == set(DROP_REASONS)
    assert (dropped["malformed"], dropped["sink_error"], dropped["bad_community"]) == (1, 1, 0)


def test_agent_process_does_not_import_the_analyzer_stack(tmp_path: Path) -> None:
    code = (
        "import sys\n"
        "from inframind.agent.app import build_agent\n"
        "from inframind.config import AgentConfig, Config, TrapSettings\n"
        f"build_agent(Config(agent=AgentConfig(state_dir={str(tmp_path)!r}, traps=TrapSettings(enabled=True))))\n"
        "heavy = sorted(m for m in sys.modules if m.split('.')[0] in "
        "{'numpy','pandas','prophet','fastapi','uvicorn','starlette','pydantic'} "
        "or m.startswith('inframind.analyzer'))\n"
        "print(','.join(heavy))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60)
    assert out.stdout.strip() == ""


def test_every_configured_source_feeds_the_pipeline(tmp_path: Path) -> None:
    """Files, syslog, traps, journald and EventLog built from config, started and stopped with the agent."""
    loopback = HostPort("127.0.0.1", 0)
    target = EventLogTarget(host="127.0.0.1", username="u", password=SecretRef("env", "WINRM_PASSWORD"), scheme="http")
    agent_cfg = AgentConfig(
        listen=loopback,
        state_dir=str(tmp_path / "state"),
        files=(FileSource(paths=(str(tmp_path / "*.log"),)), FileSource(paths=(str(tmp_path / "*.log"),))),
        syslog=SyslogSource(udp=loopback, tcp=loopback),
        traps=TrapSettings(enabled=True, listen=loopback),
        journald=JournaldSource(enabled=True, directory=str(tmp_path / "journal")),
        eventlog=EventLogSource(targets=(target,), interval=3600),
    )
    config = Config(agent=agent_cfg, logstore=LogStoreConfig(sqlite=SQLiteStoreSettings(str(tmp_path / "logs.db"))))
    agent = build_agent(config, env={"WINRM_PASSWORD": "winrm-pw-7c1e"})
    pull = [source.name for source in agent.pipeline.pull]
    assert pull[:2] == [f"file:{tmp_path}/*.log", f"file:{tmp_path}/*.log#1"]  # names are unique cursor keys
    assert pull[2] == f"journald:{tmp_path}/journal"
    assert len(pull) == 4  # and one EventLog host
    assert [source.name for source in agent.pipeline.push] == ["snmp_traps", "syslog"]
    agent.start()
    try:
        assert get(agent.http.handle, "/-/healthy") == (200, "Healthy\n")
        body = get(agent.http.handle, "/metrics")[1]
        values = samples(body)
        sources = {dict(labels)["source"] for name, labels in values if name == "inframind_agent_events_read_total"}
        assert sources == {*pull, "snmp_traps", "syslog"}
        assert "# TYPE inframind_eventlog_events_total counter" in body
    finally:
        agent.close()
