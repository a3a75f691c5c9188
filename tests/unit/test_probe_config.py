"""modules: and auths: for /probe: shipped modules, user overrides, located errors, auth/module matching."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from inframind.config import load_config
from inframind.exporters.probe import base
from inframind.exporters.probe.base import ProberSpec
from inframind.exporters.probe.config import load_probe_config, shipped_modules
from inframind.schema import ConfigError


@pytest.fixture(autouse=True)
def fake_prober(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    probers = dict(base.PROBERS)
    probers["fake"] = ProberSpec("fake", "tests.helpers.fakeprober", "tests.helpers.fakeprober")
    monkeypatch.setattr(base, "PROBERS", probers)
    import inframind.exporters.probe.config as cfg

    monkeypatch.setattr(cfg, "PROBERS", probers)
    yield


def load(tmp_path: Path, text: str) -> object:
    path = tmp_path / "c.yml"
    path.write_text(text)
    config = load_config(path, env={})
    return load_probe_config(config.exporter, config.origin)


def errors(tmp_path: Path, text: str) -> list[str]:
    with pytest.raises(ConfigError) as err:
        load(tmp_path, text)
    return [str(i) for i in err.value.issues]


def test_shipped_modules_are_valid_and_present() -> None:
    from inframind.config import ExporterConfig

    config = load_probe_config(ExporterConfig())
    assert {"tcp_connect", "https_cert"} <= set(config.modules)
    assert all(name for name, _, _ in shipped_modules())


def test_user_module_and_auth(tmp_path: Path) -> None:
    config = load(
        tmp_path,
        "exporter:\n"
        "  auths:\n"
        "    bmc: {type: fake, username: mon, password: env:BMC_PASSWORD}\n"
        "  modules:\n"
        "    slow:\n"
        "      prober: fake\n"
        "      timeout: 45s\n"
        "      auth: bmc\n"
        "      cache: {interval: 2m}\n"
        "      fake: {sleep: 0.5}\n"
        "    tcp_connect: {prober: tcp, timeout: 1s}\n",
    )
    slow = config.modules["slow"]  # type: ignore[attr-defined]
    assert (slow.timeout, slow.auth, slow.cache.interval, slow.settings.sleep) == (45.0, "bmc", 120.0, 0.5)
    assert config.auths["bmc"].settings.password.reference == "env:BMC_PASSWORD"  # type: ignore[attr-defined]
    assert config.modules["tcp_connect"].timeout == 1.0  # type: ignore[attr-defined]  # the user's replaces shipped


def test_errors_are_located(tmp_path: Path) -> None:
    found = errors(
        tmp_path,
        "exporter:\n"
        "  auths:\n"
        "    a1: {type: nope}\n"
        "    a2: {type: fake, username: u, password: literal-secret}\n"
        "  modules:\n"
        "    m1: {prober: fax}\n"
        "    m2: {prober: fake, fake: {slep: 1}}\n"
        "    m3: {prober: fake, snmp: {}}\n"
        "    m4: {prober: fake, auth: missing}\n"
        "    m5: {prober: tcp, timeout: 0s, max_concurrency: 0}\n",
    )
    path = tmp_path / "c.yml"
    text = "\n".join(found)
    assert f"{path}:3: exporter.auths.a1.type: expected `type:` naming a prober with credentials:" in text
    assert f"{path}:4: exporter.auths.a2.password: expected a secret reference" in text
    assert "literal-secret" not in text
    assert f"{path}:6: exporter.modules.m1.prober: unknown prober 'fax'" in text
    assert f"{path}:7: exporter.modules.m2.fake.slep: unknown field" in text
    assert f"{path}:8: exporter.modules.m3.snmp: unknown field; the fake settings go under `fake:`" in text
    assert f"{path}:9: exporter.modules.m4.auth: no auth named 'missing'" in text
    assert f"{path}:10: exporter.modules.m5.timeout: must be positive" in text
    assert f"{path}:10: exporter.modules.m5.max_concurrency: must be at least 1" in text


def test_auth_type_must_match_module(tmp_path: Path) -> None:
    found = errors(
        tmp_path,
        "exporter:\n  auths:\n    bmc: {type: fake, username: u, password: env:X}\n"
        "  modules:\n    port: {prober: tcp, auth: bmc}\n",
    )
    assert any("exporter.modules.port.auth: auth 'bmc' is for fake, this module uses tcp" in e for e in found)
