"""The /probe mechanism over real HTTP: 400s, success, failure reasons, deadlines, limits and caching.

The protocol side is tests/helpers/fakeprober.py (a controllable stand-in for a prober, not for a
device); real probers are tested against real servers in their own tests.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from prometheus_client import CollectorRegistry
from prometheus_client.parser import text_string_to_metric_families

import tests.helpers.fakeprober as fake
from inframind.config import ExporterConfig
from inframind.exporters.probe import base
from inframind.exporters.probe.base import ProberSpec
from inframind.exporters.probe.config import load_probe_config
from inframind.exporters.probe.handler import ProbeService
from inframind.exporters.server import ExporterHTTP, metrics_handler
from inframind.schema import HostPort


@pytest.fixture
def exporter(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[str, ProbeService, CollectorRegistry]]:
    probers = dict(base.PROBERS)
    probers["fake"] = ProberSpec("fake", "tests.helpers.fakeprober", "tests.helpers.fakeprober")
    monkeypatch.setattr(base, "PROBERS", probers)
    import inframind.exporters.probe.config as cfg
    import inframind.exporters.probe.handler as handler

    monkeypatch.setattr(cfg, "PROBERS", probers)
    monkeypatch.setattr(handler, "PROBERS", probers)
    fake.INSTANCES.clear()
    config = ExporterConfig(
        auths={"bmc": {"type": "fake", "username": "mon", "password": "env:FAKE_PW"}},
        modules={
            "ok": {"prober": "fake", "timeout": "5s"},
            "withauth": {"prober": "fake", "auth": "bmc"},
            "down": {"prober": "fake", "fake": {"fail": "refused"}},
            "buggy": {"prober": "fake", "fake": {"fail": "bug"}},
            "slow": {"prober": "fake", "timeout": "10s", "fake": {"sleep": 3}},
            "narrow": {"prober": "fake", "timeout": "1s", "max_concurrency": 1, "fake": {"sleep": 0.8}},
            "cached": {"prober": "fake", "cache": {"interval": "1s", "idle_stop": "3s"}, "fake": {"sleep": 0.2}},
        },
    )
    registry = CollectorRegistry(auto_describe=False, support_collectors_without_names=True)
    service = ProbeService(config, load_probe_config(config), registry)
    app = ExporterHTTP(HostPort("127.0.0.1", 0), {"/probe": service.handle, "/metrics": metrics_handler(registry)})
    app.start_background()
    host, port = app.address
    yield f"http://{host}:{port}", service, registry
    app.shutdown()
    service.close()


def probe(url: str, scraper_timeout: str | None = None, **params: str) -> requests.Response:
    headers = {"X-Prometheus-Scrape-Timeout-Seconds": scraper_timeout} if scraper_timeout else {}
    return requests.get(f"{url}/probe", params=params, headers=headers, timeout=30)


def samples(response: requests.Response) -> dict[str, Any]:
    return {s.name: s for f in text_string_to_metric_families(response.text) for s in f.samples}


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"module": "ok"}, "missing parameter `target`"),
        ({"target": "x", "module": "nope"}, "unknown module 'nope'; modules: buggy, cached, down"),
        ({"target": "x"}, "unknown module ''"),
        ({"target": "x", "module": "ok", "auth": "nope"}, "unknown auth 'nope'; auths: bmc"),
        ({"target": "x", "module": "tcp_connect", "auth": "bmc"}, "auth 'bmc' is for fake, module 'tcp_connect'"),
    ],
)
def test_bad_requests_are_400_with_a_message(exporter: Any, params: dict[str, str], message: str) -> None:
    response = probe(exporter[0], **params)
    assert response.status_code == 400
    assert message in response.text


def test_success_carries_families_and_probe_metrics(exporter: Any) -> None:
    url, _, _ = exporter
    found = samples(probe(url, target="10.0.0.1", module="withauth"))
    assert found["probe_success"].value == 1.0
    assert found["fake_value"].labels == {"user": "mon"}
    assert 0 <= found["probe_duration_seconds"].value < 1


def test_failure_is_probe_success_zero_and_counted(exporter: Any) -> None:
    url, _, registry = exporter
    for module, reason in (("down", "refused"), ("buggy", "internal")):
        response = probe(url, target="10.0.0.2", module=module)
        assert response.status_code == 200
        found = samples(response)
        assert found["probe_success"].value == 0.0 and "fake_value" not in found
        assert registry.get_sample_value("inframind_probe_errors_total", {"module": module, "reason": reason}) == 1
    assert registry.get_sample_value("inframind_probe_requests_total", {"module": "down"}) == 1
    assert registry.get_sample_value("inframind_probe_duration_seconds_count", {"module": "down"}) == 1
    assert "inframind_probe_errors_total" in requests.get(f"{url}/metrics", timeout=5).text


def test_scraper_timeout_bounds_the_probe(exporter: Any) -> None:
    url, _, registry = exporter
    start = time.monotonic()
    response = probe(url, "1.5", target="10.0.0.3", module="slow")
    elapsed = time.monotonic() - start
    assert samples(response)["probe_success"].value == 0.0
    assert 0.9 <= elapsed < 2.0  # module timeout 10s, scraper 1.5s minus the 0.5s offset
    assert fake.INSTANCES[0].calls[0][1] <= 1.0  # the prober was told its remaining time
    assert registry.get_sample_value("inframind_probe_errors_total", {"module": "slow", "reason": "timeout"}) == 1


def test_concurrency_limit_per_module(exporter: Any) -> None:
    url, _, registry = exporter
    results: list[float] = []

    def run() -> None:
        results.append(samples(probe(url, target="10.0.0.4", module="narrow"))["probe_success"].value)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == [0.0, 1.0]  # one ran, the other waited past its 1s deadline
    errors = sum(
        registry.get_sample_value("inframind_probe_errors_total", {"module": "narrow", "reason": r}) or 0
        for r in ("timeout", "concurrency_limit")
    )
    assert errors == 1


def test_cached_module_polls_in_background_and_reports_age(exporter: Any) -> None:
    url, service, _ = exporter
    first = samples(probe(url, target="10.0.0.5", module="cached"))
    assert first["probe_success"].value == 1.0
    assert first["inframind_probe_cache_age_seconds"].value < 0.5
    second = samples(probe(url, target="10.0.0.5", module="cached"))
    assert second["fake_value"].value == first["fake_value"].value  # served from cache, no new probe
    time.sleep(1.5)
    third = samples(probe(url, target="10.0.0.5", module="cached"))
    assert third["fake_value"].value > first["fake_value"].value  # the poller ran again on its own
    assert service.cache.active() == [("cached", "10.0.0.5", "")]
    deadline = time.monotonic() + 8
    while service.cache.active() and time.monotonic() < deadline:  # idle_stop 3s: the poller ends itself
        time.sleep(0.2)
    assert service.cache.active() == []


def test_two_scrapers_of_one_target_get_the_same_answer(exporter: Any) -> None:
    """An HA pair probing one target: each gets a full answer; nothing is consumed by the first."""
    url, _, _ = exporter
    a = samples(probe(url, target="10.0.0.6", module="ok"))
    b = samples(probe(url, target="10.0.0.6", module="ok"))
    assert a["probe_success"].value == b["probe_success"].value == 1.0
    assert set(a) == set(b)


# ---------------------------------------------------------------- auth=api:<name> (credentials stored via the API)


def _resolver(status: int, body: Any = None, *, down: bool = False) -> Any:
    from inframind.exporters.probe.authclient import ApiAuthResolver, AuthApiSettings

    def fetch(url: str, headers: Any, timeout: float) -> tuple[int, Any]:
        if down:
            raise requests.ConnectionError("refused")
        assert url == "http://127.0.0.1:9/api/v1/auths/bmc-7"
        return status, body

    return ApiAuthResolver(AuthApiSettings(url="http://127.0.0.1:9"), fetch=fetch)


def test_api_auths_need_an_analyzer(exporter: tuple[str, ProbeService, CollectorRegistry]) -> None:
    url, service, _ = exporter
    answer = probe(url, target="x", module="ok", auth="api:bmc-7")
    assert answer.status_code == 400 and "INFRAMIND_AUTH_API_URL" in answer.text
    service.api_auth = _resolver(404)
    answer = probe(url, target="x", module="ok", auth="api:bmc-7")
    assert answer.status_code == 400 and "knows no such credential" in answer.text
    service.api_auth = _resolver(200, down=True)
    answer = probe(url, target="x", module="ok", auth="api:bmc-7")
    assert answer.status_code == 503 and "unreachable" in answer.text


def test_a_resolved_api_auth_is_checked_against_the_module(
    exporter: tuple[str, ProbeService, CollectorRegistry],
) -> None:
    url, service, _ = exporter
    body = {"type": "redfish", "settings": {"username": "mon", "password": "pw-from-api"}}
    service.api_auth = _resolver(200, body)
    answer = probe(url, target="x", module="ok", auth="api:bmc-7")
    assert answer.status_code == 400 and "auth 'api:bmc-7' is for redfish, module 'ok' uses fake" in answer.text
    assert "pw-from-api" not in answer.text
