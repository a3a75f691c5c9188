"""snmp module and auth config: what is accepted, and errors that name the file, line and field."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from inframind.config import load_config
from inframind.exporters.probe.config import load_probe_config
from inframind.exporters.snmp.oids import Oid, parse_oid, subtree_end
from inframind.exporters.snmp.settings import Auth, Settings
from inframind.schema import ConfigError, build

IF_MTU = {"name": "ifMtu", "oid": "1.3.6.1.2.1.2.2.1.4", "indexes": [{"labelname": "ifIndex"}]}


def problems(cls: type[Any], data: dict[str, Any]) -> list[str]:
    with pytest.raises(ConfigError) as err:
        build(cls, data)
    return [f"{i.field}: {i.message}" for i in err.value.issues]


def test_oids_are_numeric() -> None:
    assert parse_oid(".1.3.6.1.2.1.2") == (1, 3, 6, 1, 2, 1, 2)
    assert str(Oid.from_config("1.3.6.1.2.1.31.1.1.1.6")) == "1.3.6.1.2.1.31.1.1.1.6"
    assert subtree_end((1, 3, 6, 1, 2, 1, 2)) == (1, 3, 6, 1, 2, 1, 3)
    for bad in ("IF-MIB::ifHCInOctets", "1", "1.3.x", ""):
        with pytest.raises(ValueError, match="numeric OID"):
            parse_oid(bad)
    with pytest.raises(ValueError, match="numeric OID string"):
        Oid.from_config(1.3)


def test_versions_and_defaults() -> None:
    v2 = build(Auth, {"version": 2, "community": "env:C"})
    assert (v2.snmp_version, v2.port, v2.retries, v2.max_repetitions) == ("2c", 161, 1, 25)
    assert build(Auth, {"version": 1, "community": "env:C"}).snmp_version == "1"
    v3 = build(
        Auth,
        {
            "version": 3,
            "username": "mon",
            "security_level": "authPriv",
            "auth_protocol": "SHA256",
            "auth_password": "file:/run/a",
            "priv_protocol": "AES256",
            "priv_password": "env:P",
            "context_name": "vlan-10",
        },
    )
    assert v3.snmp_version == "3"
    assert v3.auth_password is not None and v3.auth_password.reference == "file:/run/a"
    assert "env:P" not in repr(v3) and "/run/a" not in repr(v3)


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ({"version": "4"}, "version: expected 1, 2c or 3, got '4'"),
        ({}, "community: SNMP v2c needs a community"),
        ({"community": "public"}, "community: expected a secret reference"),
        ({"community": "env:C", "username": "x"}, "username: only used with version 3"),
        ({"version": 3}, "username: SNMP v3 needs a username"),
        ({"version": 3, "username": "u", "community": "env:C"}, "community: SNMP v3 uses username and passwords"),
        ({"version": 3, "username": "u", "security_level": "authPriv"}, "priv_password: required with"),
        ({"version": 3, "username": "u", "auth_protocol": "SHA"}, "auth_protocol: not used with security_level"),
        ({"version": 3, "username": "u", "security_level": "authNoPriv", "auth_protocol": "SHA1"}, "expected one of"),
        ({"community": "env:C", "port": 0}, "port: expected a port between 1 and 65535"),
        ({"community": "env:C", "retries": 11}, "retries: must be between 0 and 10"),
        ({"community": "env:C", "max_repetitions": 0}, "max_repetitions: must be between 1 and 1000"),
    ],
)
def test_auth_problems(data: dict[str, Any], expected: str) -> None:
    found = problems(Auth, data)
    assert any(expected in p for p in found), found


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ({"walk": ["1.3.6.1.2.1.2"]}, "metrics: a module needs at least one metric"),
        ({"walk": ["1.3.6.1.2.1.31"], "metrics": [IF_MTU]}, "metrics[0].oid: 1.3.6.1.2.1.2.2.1.4 is under no"),
        ({"walk": ["1.3.6.1.2.1.2", "1.3.6.1.2.1.2.2"], "metrics": [IF_MTU]}, "walk[1]: 1.3.6.1.2.1.2.2 is already"),
        ({"walk": ["1.3.6.1.2.1.2"], "get": ["1.3.6.1.2.1.2.1.0"], "metrics": [IF_MTU]}, "get[0]: 1.3.6.1.2.1.2.1.0"),
        ({"walk": ["1.3.6.1.2.1.2"], "metrics": [IF_MTU, IF_MTU]}, "metrics[1].name: also defined as metrics[0]"),
        ({"walk": ["1.3.6.1.2.1.2"], "metrics": [{**IF_MTU, "name": "if-mtu"}]}, "not a valid Prometheus metric"),
        ({"walk": ["1.3.6.1.2.1.2"], "metrics": [{**IF_MTU, "type": "EnumAsInfo"}]}, "EnumAsInfo needs enum_values"),
        ({"walk": ["1.3.6.1.2.1.2"], "metrics": [{**IF_MTU, "enum_values": {"up": "1"}}]}, "enum keys are the integer"),
        ({"walk": ["1.3.6.1.2.1.2"], "metrics": [{**IF_MTU, "type": "DisplayString", "scale": 2}]}, "scale, offset"),
        ({"walk": ["1.3.6.1.2.1.2"], "metrics": [IF_MTU], "parallel": 0}, "parallel: must be at least 1"),
        (
            {
                "walk": ["1.3.6.1.2.1.2"],
                "metrics": [{**IF_MTU, "lookups": [{"labels": ["x"], "labelname": "n", "oid": "1.3.6.1.2.1.2.2.1.2"}]}],
            },
            "metrics[0].lookups[0].labels: not an index label of this metric: x",
        ),
        (
            {
                "walk": ["1.3.6.1.2.1.2"],
                "metrics": [
                    {**IF_MTU, "lookups": [{"labels": ["ifIndex"], "labelname": "n", "oid": "1.3.6.1.2.1.31.1.1.1.1"}]}
                ],
            },
            "metrics[0].lookups[0].oid: 1.3.6.1.2.1.31.1.1.1.1 is under no `walk:` entry",
        ),
        (
            {
                "walk": ["1.3.6.1.2.1.2"],
                "metrics": [
                    {
                        **IF_MTU,
                        "lookups": [{"labels": ["ifIndex"], "labelname": "ifIndex", "oid": "1.3.6.1.2.1.2.2.1.2"}],
                    }
                ],
            },
            "label names used twice: ifIndex",
        ),
    ],
)
def test_module_problems(data: dict[str, Any], expected: str) -> None:
    found = problems(Settings, data)
    assert any(expected in p for p in found), found


def test_scalar_metric_may_come_from_get() -> None:
    settings = build(
        Settings, {"get": ["1.3.6.1.2.1.1.3.0"], "metrics": [{"name": "sysUpTime", "oid": "1.3.6.1.2.1.1.3"}]}
    )
    assert settings.metrics[0].type == "gauge"
    assert problems(Settings, {"get": ["1.3.6.1.2.1.1.3.0"], "metrics": [IF_MTU]})  # a column needs a walk


def test_errors_are_located_in_the_config_file(tmp_path: Path) -> None:
    path = tmp_path / "c.yml"
    path.write_text(
        "exporter:\n"
        "  auths:\n"
        "    switch_v3: {type: snmp, version: 3, username: mon, security_level: authPriv}\n"
        "    leaked: {type: snmp, community: s3cr3t-community}\n"
        "  modules:\n"
        "    cisco_cpu:\n"
        "      prober: snmp\n"
        "      snmp:\n"
        "        walk: [1.3.6.1.4.1.9.9.109.1.1.1.1]\n"
        "        metrics:\n"
        "          - name: cpmCPUTotal5minRev\n"
        "            oid: CISCO-PROCESS-MIB::cpmCPUTotal5minRev\n"
        "            indexes: [{labelname: cpmCPUTotalIndex}]\n"
    )
    config = load_config(path, env={})
    with pytest.raises(ConfigError) as err:
        load_probe_config(config.exporter, config.origin)
    text = "\n".join(str(i) for i in err.value.issues)
    assert f"{path}:3: exporter.auths.switch_v3.auth_protocol: required with security_level authPriv" in text
    assert f"{path}:4: exporter.auths.leaked.community: expected a secret reference" in text
    assert "s3cr3t-community" not in text
    assert f"{path}:12: exporter.modules.cisco_cpu.snmp.metrics[0].oid: expected a numeric OID" in text
