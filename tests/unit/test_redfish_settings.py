"""redfish modules and auths through the real config loader: shipped modules, defaults, located errors, targets."""

from __future__ import annotations

from pathlib import Path

import pytest

from inframind.config import ExporterConfig, load_config
from inframind.exporters.probe.base import ProbeError
from inframind.exporters.probe.config import ProbeConfig, load_probe_config
from inframind.exporters.redfish.prober import base_url
from inframind.exporters.redfish.settings import SECTIONS, Settings
from inframind.schema import ConfigError


def load(tmp_path: Path, text: str) -> ProbeConfig:
    path = tmp_path / "c.yml"
    path.write_text(text)
    config = load_config(path, env={})
    return load_probe_config(config.exporter, config.origin)


def test_shipped_modules_read_everything_or_health_only() -> None:
    config = load_probe_config(ExporterConfig())
    full, light = config.modules["redfish"], config.modules["redfish_health"]
    assert (full.prober, full.timeout, full.cache, full.settings) == ("redfish", 55.0, None, Settings())
    assert full.settings.sections == SECTIONS
    assert light.settings.sections == ("systems", "chassis", "managers", "storage")
    assert (light.timeout, light.settings.insecure_skip_verify, light.settings.session_auth) == (25.0, False, True)


def test_a_user_module_and_auth(tmp_path: Path) -> None:
    config = load(
        tmp_path,
        "exporter:\n"
        "  auths:\n"
        "    idrac: {type: redfish, username: monitor, password: env:IDRAC_PASSWORD}\n"
        "  modules:\n"
        "    redfish_idrac:\n"
        "      prober: redfish\n"
        "      auth: idrac\n"
        "      cache: {interval: 2m}\n"
        "      redfish:\n"
        "        port: 8443\n"
        "        ca_file: /etc/inframind/bmc-ca.pem\n"
        "        max_parallel: 2\n"
        "        request_timeout: 20s\n"
        "        sections: [storage, power]\n"
        "        log_entry_limit: 0\n"
        "        sensor_source: subsystem\n",
    )
    module = config.modules["redfish_idrac"]
    assert module.settings == Settings(
        port=8443,
        ca_file="/etc/inframind/bmc-ca.pem",
        max_parallel=2,
        request_timeout=20.0,
        sections=("storage", "power"),
        log_entry_limit=0,
        sensor_source="subsystem",
    )
    auth = config.auths["idrac"]
    assert (auth.type, auth.settings.username, auth.settings.password.reference) == (
        "redfish",
        "monitor",
        "env:IDRAC_PASSWORD",
    )
    assert "IDRAC" not in repr(auth.settings.password)


def test_mistakes_are_located(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as err:
        load(
            tmp_path,
            "exporter:\n"
            "  auths:\n"
            "    ilo: {type: redfish, username: admin, password: hunter2}\n"
            "  modules:\n"
            "    a: {prober: redfish, redfish: {insecure_skip_verify: true, ca_file: /ca.pem}}\n"
            "    b: {prober: redfish, redfish: {sections: [systems, sel]}}\n"
            "    c: {prober: redfish, redfish: {max_parallel: 0, scheme: ftp}}\n",
        )
    text = "\n".join(map(str, err.value.issues))
    path = tmp_path / "c.yml"
    assert f"{path}:3: exporter.auths.ilo.password: expected a secret reference" in text
    assert "hunter2" not in text
    assert f"{path}:5: exporter.modules.a.redfish.ca_file: ca_file has no effect with insecure_skip_verify" in text
    assert "exporter.modules.b.redfish.sections[1]: expected one of systems, chassis" in text
    assert "exporter.modules.c.redfish.scheme: expected one of https, http, got 'ftp'" in text


@pytest.mark.parametrize(
    ("target", "settings", "url"),
    [
        ("10.0.0.5", Settings(), "https://10.0.0.5"),
        ("bmc-7.lan:8443", Settings(), "https://bmc-7.lan:8443"),
        ("bmc-7.lan", Settings(port=8443, scheme="http"), "http://bmc-7.lan:8443"),
        ("[fd00::5]:443", Settings(), "https://[fd00::5]:443"),
        ("http://127.0.0.1:8000/ignored", Settings(), "http://127.0.0.1:8000"),
    ],
)
def test_targets(target: str, settings: Settings, url: str) -> None:
    assert base_url(target, settings) == url


@pytest.mark.parametrize("target", ["bmc:https", "ftp://bmc", "https://"])
def test_bad_targets_fail_the_probe(target: str) -> None:
    with pytest.raises(ProbeError) as err:
        base_url(target, Settings())
    assert err.value.reason == "protocol"
