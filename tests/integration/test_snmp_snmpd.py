"""The snmp prober against a live net-snmp agent: v2c, v3 authPriv (SHA, AES) and authNoPriv, and how real
SNMP fails: a wrong v2c community is silently dropped (timeout), a wrong v3 password is reported (auth).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from inframind.config import ExporterConfig
from inframind.exporters.probe.base import ProbeError
from inframind.exporters.probe.config import ProbeConfig, load_probe_config
from inframind.exporters.snmp.prober import SnmpProber
from inframind.exporters.snmp.settings import Auth, Settings
from inframind.schema import build
from tests.helpers.exposition import value
from tests.helpers.snmp import Agent, cleanup, shared_dir, start_snmpd

pytestmark = pytest.mark.integration
COMMUNITY = "inframind-ro"
PRIV_USER, AUTH_PASS, PRIV_PASS = "monitor", "auth-secret-1", "priv-secret-1"
AUTH_ONLY_USER, AUTH_ONLY_PASS = "reader", "auth-secret-2"


@pytest.fixture(scope="module")
def snmpd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Agent]:
    directory = shared_dir("inframind-snmpd-")
    users = {PRIV_USER: f"SHA {AUTH_PASS} AES {PRIV_PASS}", AUTH_ONLY_USER: f"SHA {AUTH_ONLY_PASS}"}
    agent = start_snmpd(directory, tmp_path_factory.mktemp("snmpd"), COMMUNITY, users)
    yield agent
    agent.stop()
    cleanup(directory)


@pytest.fixture(scope="module")
def secrets(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("secrets")
    for name, text in {
        "community": COMMUNITY,
        "wrong": "not-the-community",
        "auth": AUTH_PASS,
        "priv": PRIV_PASS,
        "auth2": AUTH_ONLY_PASS,
        "bad": "wrong-password-1",
    }.items():
        (directory / name).write_text(text + "\n")
    return directory


@pytest.fixture(scope="module")
def modules() -> ProbeConfig:
    return load_probe_config(ExporterConfig())


@pytest.fixture(scope="module")
def prober() -> Iterator[SnmpProber]:
    instance = SnmpProber()
    yield instance
    instance.close()


def module(modules: ProbeConfig, name: str) -> Settings:
    settings = modules.modules[name].settings
    assert isinstance(settings, Settings)
    return settings


def v3(secrets: Path, user: str = PRIV_USER, auth: str = "auth", priv: str | None = "priv") -> Auth:
    options: dict[str, object] = {
        "version": 3,
        "username": user,
        "security_level": "authPriv" if priv else "authNoPriv",
        "auth_protocol": "SHA",
        "auth_password": f"file:{secrets / auth}",
    }
    if priv:
        options.update(priv_protocol="AES", priv_password=f"file:{secrets / priv}")
    return build(Auth, options)


def failure(prober: SnmpProber, snmpd: Agent, settings: Settings, auth: Auth, timeout: float = 1.5) -> ProbeError:
    with pytest.raises(ProbeError) as err:
        prober.probe(f"127.0.0.1:{snmpd.port}", settings, auth, timeout)
    return err.value


def test_v2c_reads_interfaces_storage_and_ucd(
    snmpd: Agent, prober: SnmpProber, modules: ProbeConfig, secrets: Path
) -> None:
    auth = build(Auth, {"community": f"file:{secrets / 'community'}"})
    target = f"127.0.0.1:{snmpd.port}"
    interfaces = prober.probe(target, module(modules, "if_mib"), auth, 10.0)
    assert value(interfaces, "ifType_info", ifDescr="lo", ifType="softwareLoopback") == 1.0
    assert value(interfaces, "ifOperStatus", ifName="lo") == 1.0
    host = prober.probe(target, module(modules, "host_resources"), auth, 10.0)
    assert value(host, "hrStorageSize", hrStorageDescr="Physical memory") > 0
    assert value(host, "hrSystemUptime") > 0
    ucd = prober.probe(target, module(modules, "ucd"), auth, 10.0)
    assert 0 < value(ucd, "dskPercent", dskPath="/") <= 100
    assert value(ucd, "memTotalReal") > 0
    assert value(ucd, "laLoadFloat", laNames="Load-1") >= 0


def test_v3_auth_priv_and_auth_no_priv(snmpd: Agent, prober: SnmpProber, modules: ProbeConfig, secrets: Path) -> None:
    target, settings = f"127.0.0.1:{snmpd.port}", module(modules, "if_mib")
    v2c = prober.probe(target, settings, build(Auth, {"community": f"file:{secrets / 'community'}"}), 10.0)
    for auth in (v3(secrets), v3(secrets, AUTH_ONLY_USER, "auth2", None)):
        families = prober.probe(target, settings, auth, 10.0)
        assert {f.name for f in families} == {f.name for f in v2c}
        assert value(families, "ifMtu", ifName="lo") == value(v2c, "ifMtu", ifName="lo")


def test_wrong_v2c_community_times_out_within_the_deadline(
    snmpd: Agent, prober: SnmpProber, modules: ProbeConfig, secrets: Path
) -> None:
    start = time.monotonic()
    error = failure(prober, snmpd, module(modules, "if_mib"), build(Auth, {"community": f"file:{secrets / 'wrong'}"}))
    assert error.reason == "timeout"
    assert time.monotonic() - start < 2.5


@pytest.mark.parametrize(
    ("user", "auth", "priv", "reason"),
    [
        (PRIV_USER, "bad", "priv", "auth"),  # wrong authentication password: a usmStatsWrongDigests report
        ("nobody-here", "auth", "priv", "auth"),  # unknown user: a usmStatsUnknownUserNames report
        (PRIV_USER, "auth", "bad", "timeout"),  # wrong privacy password: net-snmp drops what it cannot decrypt
    ],
)
def test_wrong_v3_credentials_fail_as_snmp_reports_them(
    snmpd: Agent, prober: SnmpProber, modules: ProbeConfig, secrets: Path, user: str, auth: str, priv: str, reason: str
) -> None:
    error = failure(prober, snmpd, module(modules, "if_mib"), v3(secrets, user, auth, priv))
    assert error.reason == reason, error.message
    assert "wrong-password-1" not in error.message


def test_right_password_after_a_wrong_one_for_the_same_user(
    snmpd: Agent, prober: SnmpProber, modules: ProbeConfig, secrets: Path
) -> None:
    settings = module(modules, "if_mib")
    assert failure(prober, snmpd, settings, v3(secrets, auth="bad")).reason == "auth"
    families = prober.probe(f"127.0.0.1:{snmpd.port}", settings, v3(secrets), 10.0)
    assert value(families, "ifOperStatus", ifName="lo") == 1.0


def test_secrets_are_read_at_each_probe(snmpd: Agent, prober: SnmpProber, modules: ProbeConfig, tmp_path: Path) -> None:
    password = tmp_path / "password"
    password.write_text("rotated-away-1\n")
    auth = build(
        Auth,
        {
            "version": "3",
            "username": AUTH_ONLY_USER,
            "security_level": "authNoPriv",
            "auth_protocol": "SHA",
            "auth_password": f"file:{password}",
        },
    )
    assert failure(prober, snmpd, module(modules, "if_mib"), auth).reason == "auth"
    password.write_text(AUTH_ONLY_PASS + "\n")
    assert value(prober.probe(f"127.0.0.1:{snmpd.port}", module(modules, "if_mib"), auth, 10.0), "ifNumber") > 0
    password.unlink()
    error = failure(prober, snmpd, module(modules, "if_mib"), auth)
    assert error.reason == "auth"
    assert f"file:{password}" in error.message
