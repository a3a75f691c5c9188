"""The ipmi module and auth blocks: the shipped module, defaults, and located errors that name the fix."""

from __future__ import annotations

from pathlib import Path

import pytest

from inframind.config import ExporterConfig, load_config
from inframind.exporters.ipmi.settings import Auth, Settings
from inframind.exporters.probe.config import ProbeConfig, load_probe_config
from inframind.schema import ConfigError
from inframind.secrets import SecretRef


def load(tmp_path: Path, text: str) -> ProbeConfig:
    path = tmp_path / "c.yml"
    path.write_text(text)
    config = load_config(path, env={})
    return load_probe_config(config.exporter, config.origin)


def errors(tmp_path: Path, text: str) -> list[str]:
    with pytest.raises(ConfigError) as err:
        load(tmp_path, text)
    return [str(i) for i in err.value.issues]


def test_the_shipped_module_reads_sensors_sel_and_chassis() -> None:
    module = load_probe_config(ExporterConfig()).modules["ipmi"]
    assert (module.prober, module.timeout, module.auth) == ("ipmi", 20.0, None)
    assert module.settings == Settings(collectors=("sensors", "sel", "chassis"))
    assert module.settings.driver == "freeipmi" and module.settings.interface == "lanplus"
    assert module.settings.port == 623


def test_a_user_module_with_its_auth(tmp_path: Path) -> None:
    config = load(
        tmp_path,
        "exporter:\n"
        "  auths:\n"
        "    bmc: {type: ipmi, username: monitor, password: file:/etc/inframind/bmc.pw, privilege: operator}\n"
        "  modules:\n"
        "    ipmi_dcmi:\n"
        "      prober: ipmi\n"
        "      auth: bmc\n"
        "      ipmi: {collectors: [sensors, dcmi], workaround_flags: [opensesspriv], command_timeout: 5s}\n",
    )
    auth = config.auths["bmc"].settings
    assert auth == Auth("monitor", SecretRef("file", "/etc/inframind/bmc.pw"), "operator")
    settings = config.modules["ipmi_dcmi"].settings
    assert (settings.collectors, settings.workaround_flags, settings.command_timeout) == (
        ("sensors", "dcmi"),
        ("opensesspriv",),
        5.0,
    )


def test_errors_are_located_and_say_what_is_expected(tmp_path: Path) -> None:
    found = errors(
        tmp_path,
        "exporter:\n"
        "  auths:\n"
        "    a1: {type: ipmi, username: u, password: hunter2-literal}\n"
        "    a2: {type: ipmi, username: u, password: env:PW, privilege: root, cipher_suite: 4}\n"
        "  modules:\n"
        "    m1:\n"
        "      prober: ipmi\n"
        "      ipmi: {collectors: [sensors, fru]}\n"
        "    m3:\n"
        "      prober: ipmi\n"
        "      ipmi: {workaround_flags: [opensespriv]}\n"
        "    m2:\n"
        "      prober: ipmi\n"
        "      ipmi: {driver: ipmitool, workaround_flags: [opensesspriv], collectors: [], max_sessions: 0}\n",
    )
    text = "\n".join(found)
    path = tmp_path / "c.yml"
    assert f"{path}:3: exporter.auths.a1.password: expected a secret reference" in text
    assert "hunter2-literal" not in text
    assert f"{path}:4: exporter.auths.a2.privilege: expected one of user, operator, admin, got 'root'" in text
    assert "exporter.modules.m1.ipmi.collectors[1]: expected one of sensors, sel, chassis, dcmi, bmc" in text
    assert "exporter.modules.m3.ipmi.workaround_flags[0]: unknown FreeIPMI workaround 'opensespriv'" in text
    assert "exporter.modules.m2.ipmi.workaround_flags: are FreeIPMI's; the ipmitool driver takes none" in text
    assert "exporter.modules.m2.ipmi.collectors: name at least one of" in text
    assert "exporter.modules.m2.ipmi.max_sessions: must be at least 1" in text


def test_cipher_suite_is_checked() -> None:
    assert list(Auth("u", SecretRef("env", "PW"), cipher_suite=4).check()) == [
        (("cipher_suite",), "expected one of 0, 1, 2, 3, 6, 7, 8, 11, 12, 15, 16, 17")
    ]
    assert "PW" not in repr(Auth("u", SecretRef("env", "PW")))
