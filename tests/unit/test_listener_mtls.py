"""TLS with required client certificates on the agent's and the exporter's listeners (real openssl PKI)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from inframind.agent.app import build_agent
from inframind.config import Config, load_config
from inframind.exporters.server import ExporterHTTP
from inframind.schema import HostPort
from tests.helpers.syslog import make_certs


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    certs = make_certs(tmp_path_factory.mktemp("pki"))
    web = certs["ca"].parent / "web.yml"
    web.write_text(
        "tls_server_config:\n"
        f"  cert_file: {certs['server']}\n  key_file: {certs['server_key']}\n"
        f"  client_ca_file: {certs['ca']}\n  client_auth_type: RequireAndVerifyClientCert\n"
    )
    return {**certs, "web": web}


def _serving(http: ExporterHTTP) -> Iterator[str]:
    http.bind()
    thread = threading.Thread(target=http.serve, daemon=True)
    thread.start()
    yield f"https://127.0.0.1:{http.address[1]}"
    http.shutdown()


def _assert_mtls(url: str, pki: dict[str, Path]) -> None:
    ca = str(pki["ca"])
    with pytest.raises(requests.exceptions.SSLError):
        requests.get(url + "/metrics", verify=ca, timeout=5)
    with pytest.raises(requests.exceptions.SSLError):
        requests.get(url + "/metrics", verify=ca, cert=(str(pki["rogue"]), str(pki["rogue_key"])), timeout=5)
    ok = requests.get(url + "/metrics", verify=ca, cert=(str(pki["client"]), str(pki["client_key"])), timeout=5)
    assert ok.status_code == 200 and "# TYPE" in ok.text


def test_the_agent_requires_a_client_certificate(pki: dict[str, Path], tmp_path: Path) -> None:
    conf = tmp_path / "inframind.yml"
    conf.write_text(f"agent:\n  state_dir: {tmp_path / 'agent'}\n  web_config_file: {pki['web']}\n")
    config: Config = load_config(conf)
    agent = build_agent(config, HostPort("127.0.0.1", 0))
    try:
        for url in _serving(agent.http):
            _assert_mtls(url, pki)
    finally:
        agent.close()


def test_the_exporter_requires_a_client_certificate(pki: dict[str, Path]) -> None:
    from inframind.exporters.app import build_exporter

    exporter = build_exporter(load_config(None), None, HostPort("127.0.0.1", 0), str(pki["web"]))
    try:
        for url in _serving(exporter.http):
            _assert_mtls(url, pki)
    finally:
        exporter.close()
