"""ssh module settings and auths: defaults, validation with located messages, the shipped ssh_linux module."""

from __future__ import annotations

from pathlib import Path

import pytest

from inframind.config import ExporterConfig, load_config
from inframind.exporters.probe.config import load_probe_config
from inframind.exporters.ssh.settings import DEFAULT_COLLECTORS, Auth, Settings
from inframind.schema import ConfigError, build


def test_defaults() -> None:
    settings = build(Settings, {})
    assert (settings.port, settings.connect_timeout, settings.pool.enabled, settings.pool.idle_timeout) == (
        22,
        5.0,
        True,
        300.0,
    )
    assert "smart" not in settings.collectors and settings.collectors == DEFAULT_COLLECTORS
    assert settings.use_sudo_for_smartctl is False


def test_the_shipped_module_is_valid() -> None:
    module = load_probe_config(ExporterConfig()).modules["ssh_linux"]
    assert (module.prober, module.timeout, module.auth) == ("ssh", 20.0, None)
    assert module.settings.collectors == DEFAULT_COLLECTORS


def test_auths_and_modules_from_a_config_file(tmp_path: Path) -> None:
    path = tmp_path / "c.yml"
    path.write_text(
        "exporter:\n"
        "  auths:\n"
        "    linux: {type: ssh, username: monitor, private_key: file:/etc/inframind/id_ed25519,\n"
        "            known_hosts: /etc/inframind/known_hosts, trust_on_first_use: true}\n"
        "  modules:\n"
        "    ssh_disks:\n"
        "      prober: ssh\n"
        "      auth: linux\n"
        "      ssh: {collectors: [filesystem, smart], use_sudo_for_smartctl: true, pool: {idle_timeout: 30s}}\n"
    )
    config = load_config(path, env={})
    probe = load_probe_config(config.exporter, config.origin)
    auth = probe.auths["linux"].settings
    assert isinstance(auth, Auth) and auth.trust_on_first_use
    assert auth.private_key is not None and auth.private_key.reference == "file:/etc/inframind/id_ed25519"
    assert "id_ed25519" not in repr(auth.private_key)
    settings = probe.modules["ssh_disks"].settings
    assert (settings.collectors, settings.use_sudo_for_smartctl, settings.pool.idle_timeout) == (
        ("filesystem", "smart"),
        True,
        30.0,
    )


def test_errors_name_the_field(tmp_path: Path) -> None:
    path = tmp_path / "c.yml"
    path.write_text(
        "exporter:\n"
        "  auths:\n"
        "    nokey: {type: ssh, username: monitor}\n"
        "    literal: {type: ssh, username: monitor, password: hunter2-literal}\n"
        "    orphan: {type: ssh, username: monitor, password: env:PW, passphrase: env:PP}\n"
        "  modules:\n"
        "    bad: {prober: ssh, ssh: {collectors: [cpu, gpu]}}\n"
        "    twice: {prober: ssh, ssh: {collectors: [cpu, cpu]}}\n"
        "    idle: {prober: ssh, ssh: {pool: {idle_timeout: 0s}}}\n"
    )
    config = load_config(path, env={})
    with pytest.raises(ConfigError) as err:
        load_probe_config(config.exporter, config.origin)
    text = str(err.value)
    assert f"{path}:3: exporter.auths.nokey: give `private_key:`" in text
    assert f"{path}:4: exporter.auths.literal.password: expected a secret reference" in text
    assert "hunter2" not in text
    assert f"{path}:5: exporter.auths.orphan.passphrase: is only used with `private_key:`" in text
    assert f"{path}:7: exporter.modules.bad.ssh.collectors[1]: expected one of cpu, loadavg" in text
    assert "exporter.modules.twice.ssh.collectors: lists a collector twice" in text
    assert f"{path}:9: exporter.modules.idle.ssh.pool.idle_timeout: must be positive" in text
