"""The exporter's HTTP layer: routes, content negotiation, gzip, basic auth and TLS from a web config."""

from __future__ import annotations

import gzip
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import bcrypt
import pytest
import requests
from prometheus_client import CollectorRegistry
from prometheus_client.core import GaugeMetricFamily, Metric

from inframind.exporters.base import CollectorError, CollectorSet
from inframind.exporters.server import ExporterHTTP, metrics_handler
from inframind.exporters.webconfig import WebConfig, load_web_config
from inframind.schema import ConfigError, HostPort


class Good:
    name = "good"

    def collect(self) -> Iterator[Metric]:
        fam = GaugeMetricFamily("node_test_value", "A test value.", labels=["k"])
        fam.add_metric(["v"], 42.0)
        yield fam


class Broken:
    name = "broken"

    def __init__(self) -> None:
        self.calls = 0

    def collect(self) -> Iterator[Metric]:
        self.calls += 1
        raise CollectorError("broken: cannot read /proc/nothing: No such file or directory")


def serve(web: WebConfig | None = None) -> tuple[ExporterHTTP, str]:
    registry = CollectorRegistry(auto_describe=False, support_collectors_without_names=True)
    registry.register(CollectorSet([Good(), Broken()]))
    app = ExporterHTTP(HostPort("127.0.0.1", 0), {"/metrics": metrics_handler(registry)}, web)
    app.start_background()
    host, port = app.address
    scheme = "https" if web and web.tls_server_config else "http"
    return app, f"{scheme}://{host}:{port}"


@pytest.fixture
def plain() -> Iterator[str]:
    app, url = serve()
    yield url
    app.shutdown()


def test_metrics_and_collector_isolation(plain: str, caplog: pytest.LogCaptureFixture) -> None:
    for _ in range(3):
        body = requests.get(f"{plain}/metrics", timeout=5).text
    assert 'node_test_value{k="v"} 42.0' in body
    assert 'node_scrape_collector_success{collector="good"} 1.0' in body
    assert 'node_scrape_collector_success{collector="broken"} 0.0' in body
    assert 'node_scrape_collector_duration_seconds{collector="broken"}' in body
    failures = [r for r in caplog.records if "collector broken failed" in r.getMessage()]
    assert len(failures) == 1  # logged once, not per scrape


def test_openmetrics_and_gzip(plain: str) -> None:
    r = requests.get(f"{plain}/metrics", headers={"Accept": "application/openmetrics-text; version=1.0.0"}, timeout=5)
    assert r.headers["Content-Type"].startswith("application/openmetrics-text")
    assert r.text.rstrip().endswith("# EOF")
    raw = requests.get(f"{plain}/metrics", headers={"Accept-Encoding": "gzip"}, timeout=5, stream=True)
    assert raw.headers["Content-Encoding"] == "gzip"
    assert b"node_test_value" in gzip.decompress(raw.raw.read())


def test_name_filter_healthy_landing_and_404(plain: str) -> None:
    body = requests.get(f"{plain}/metrics", params={"name[]": "node_test_value"}, timeout=5).text
    assert "node_test_value" in body and "node_scrape_collector_success" not in body
    assert requests.get(f"{plain}/-/healthy", timeout=5).text == "Healthy\n"
    assert 'href="metrics"' in requests.get(plain, timeout=5).text
    missing = requests.get(f"{plain}/nope", timeout=5)
    assert missing.status_code == 404 and "/metrics" in missing.text


def test_parallel_scrapes(plain: str) -> None:
    results: list[int] = []

    def scrape() -> None:
        results.append(requests.get(f"{plain}/metrics", timeout=10).status_code)

    threads = [threading.Thread(target=scrape) for _ in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == [200] * 16


@pytest.fixture(scope="module")
def tls_files(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("tls")
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
            "-keyout",
            str(d / "server.key"),
            "-out",
            str(d / "server.crt"),
        ],
        check=True,
        capture_output=True,
    )
    return d


def test_basic_auth_and_tls_from_web_config(tls_files: Path) -> None:
    hashed = bcrypt.hashpw(b"scrape-pass", bcrypt.gensalt(rounds=4)).decode().replace("$2b$", "$2y$")
    web_file = tls_files / "web.yml"
    web_file.write_text(
        "tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n"
        f"basic_auth_users:\n  prom: '{hashed}'\n"
        "http_server_config:\n  headers: {X-Frame-Options: deny}\n"
    )
    app, url = serve(load_web_config(web_file))
    ca = str(tls_files / "server.crt")
    try:
        denied = requests.get(f"{url}/metrics", verify=ca, timeout=5)
        assert denied.status_code == 401 and denied.headers["WWW-Authenticate"].startswith("Basic")
        assert requests.get(f"{url}/metrics", verify=ca, auth=("prom", "wrong"), timeout=5).status_code == 401
        assert requests.get(f"{url}/metrics", verify=ca, auth=("eve", "scrape-pass"), timeout=5).status_code == 401
        for _ in range(2):  # the second call is served from the verified cache
            ok = requests.get(f"{url}/metrics", verify=ca, auth=("prom", "scrape-pass"), timeout=5)
            assert ok.status_code == 200 and "node_test_value" in ok.text
        assert ok.headers["X-Frame-Options"] == "deny"
        with pytest.raises(requests.exceptions.ConnectionError):
            requests.get(url.replace("https", "http") + "/metrics", timeout=5)
        # A client that never finishes the handshake does not block others.
        import socket

        with socket.create_connection(app.address):
            assert requests.get(f"{url}/-/healthy", verify=ca, auth=("prom", "scrape-pass"), timeout=5).ok
    finally:
        app.shutdown()


def test_web_config_errors_are_located(tmp_path: Path) -> None:
    web_file = tmp_path / "web.yml"
    web_file.write_text(
        "tls_server_config:\n  cert_file: nope.crt\n  key_file: nope.key\n  cipher_suites: [TLS_AES_128_GCM_SHA256]\n"
        "  min_version: TLS9\n"
    )
    with pytest.raises(ConfigError) as err:
        load_web_config(web_file)
    text = str(err.value)
    assert f"{web_file}:4: tls_server_config.cipher_suites: unknown field" in text
    assert f"{web_file}:5: tls_server_config.min_version: expected one of TLS10, TLS11, TLS12, TLS13" in text
    web_file.write_text("basic_auth_users:\n  prom: plaintext\n")
    with pytest.raises(ConfigError, match=r"web.yml:2: basic_auth_users.prom: expected a bcrypt hash"):
        load_web_config(web_file)


def test_web_config_file_checks(tmp_path: Path) -> None:
    web_file = tmp_path / "web.yml"
    web_file.write_text(
        "tls_server_config:\n  cert_file: nope.crt\n  key_file: nope.key\n"
        "  client_auth_type: RequireAndVerifyClientCert\n"
    )
    with pytest.raises(ConfigError) as err:
        load_web_config(web_file)
    text = str(err.value)
    assert "tls_server_config.client_ca_file: required when client_auth_type is RequireAndVerifyClientCert" in text
    assert f"tls_server_config.cert_file: file not found: {tmp_path / 'nope.crt'}" in text
