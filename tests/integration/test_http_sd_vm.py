"""Targets created through the API are scraped without a restart, beside the inventory's: real VictoriaMetrics
discovers them over ``http_sd_configs`` from the analyzer (uvicorn on 127.0.0.1, a viewer token), and scrapes them
through the real ``inframind exporter``'s /probe. The exporter side's credential lookup goes over real HTTP to the
same app."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
import uvicorn
import yaml

from inframind.analyzer.audit_store import AuditFilter
from inframind.analyzer.targets_api_sd import SdSettings
from inframind.exporters.probe.authclient import ApiAuthResolver, AuthApiSettings
from inframind.inventory import inventory_from_data
from inframind.secrets import SecretRef
from tests.helpers.apiv1 import INVENTORY, TOKENS, World, build_world, headers
from tests.helpers.procs import free_port, require_binary, wait_until
from tests.helpers.servers import Running, start_exporter, vm_query, wait_for_series


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[World, str, Running]]:
    base = Path(tmp_path_factory.mktemp("http_sd"))
    exporter = start_exporter(base / "exporter")
    port = free_port()
    inventory = inventory_from_data({"assets": [*INVENTORY["assets"], {
        "id": "analyzer-api", "kind": "service", "tenant": "acme", "addresses": [f"127.0.0.1:{port}"],
        "module": "tcp_connect", "labels": {"team": "ops"}}]})  # fmt: skip
    world = build_world(base, inventory=inventory, sd=SdSettings(probe_exporter=exporter.url.removeprefix("http://")))
    server = uvicorn.Server(uvicorn.Config(world.client.app, host="127.0.0.1", port=port, log_level="warning",
                                           lifespan="off"))  # fmt: skip
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    analyzer = f"http://127.0.0.1:{port}"
    assert wait_until(lambda: requests.get(analyzer + "/health", timeout=2).ok, 20)
    scrape = {
        "global": {"scrape_interval": "1s"},
        "scrape_configs": [
            {
                "job_name": "inframind_targets",
                "http_sd_configs": [
                    {"url": analyzer + "/api/v1/targets/http_sd?module=tcp_connect",
                     "authorization": {"credentials": TOKENS["acme-viewer"][0]}}
                ],
            }
        ],
    }  # fmt: skip
    (base / "scrape.yml").write_text(yaml.safe_dump(scrape))
    vm_port = free_port()
    vm = Running(
        "victoriametrics-http-sd",
        [require_binary("victoria-metrics"), f"-httpListenAddr=127.0.0.1:{vm_port}", f"-storageDataPath={base / 'vm'}",
         "-retentionPeriod=1d", "-search.latencyOffset=0s", "-selfScrapeInterval=0",
         f"-promscrape.config={base / 'scrape.yml'}", "-promscrape.httpSDCheckInterval=1s"],
        base / "logs",
        f"http://127.0.0.1:{vm_port}",
    )  # fmt: skip
    vm.wait_http(vm.url + "/health")
    yield world, analyzer, vm
    vm.stop()
    server.should_exit = True
    thread.join(10)
    exporter.stop()


def test_a_new_api_target_is_scraped_without_restart(stack: tuple[World, str, Running]) -> None:
    world, analyzer, vm = stack
    curated = wait_for_series(vm.url, 'probe_success{asset="analyzer-api"}', timeout=40)
    assert curated[0]["value"][1] == "1" and curated[0]["metric"]["team"] == "ops"
    assert vm_query(vm.url, "probe_success{target_id!=''}") == []
    assert world.deps.api_targets is not None
    exporter = world.deps.api_targets.sd.probe_exporter
    body = {"address": exporter, "kind": "tcp", "interval": 5, "labels": {"room": "b1"}}
    created = requests.post(analyzer + "/api/v1/targets", headers=headers("acme-operator"), json=body, timeout=5)
    assert created.status_code == 201, created.text
    tid = created.json()["id"]
    found = wait_for_series(vm.url, f'probe_success{{target_id="{tid}"}}', timeout=40)
    labels: dict[str, Any] = found[0]["metric"]
    assert found[0]["value"][1] == "1"
    assert labels["tenant"] == "acme" and labels["room"] == "b1" and labels["instance"] == body["address"]
    assert labels["job"] == "probe_tcp_connect" and labels["asset"] == body["address"]
    both = {r["metric"].get("asset") for r in vm_query(vm.url, 'probe_success{job="probe_tcp_connect"}')}
    assert both == {"analyzer-api", body["address"]}, "the inventory's and the API's targets are scraped together"

    assert requests.delete(analyzer + f"/api/v1/targets/{tid}", headers=headers("acme-operator"), timeout=5).ok

    def target_gone() -> bool:
        answer = requests.get(vm.url + "/api/v1/targets", timeout=5).json()
        return all(t["labels"].get("target_id") != tid for t in answer["data"]["activeTargets"])

    assert wait_until(target_gone, 30), "a deleted target leaves VictoriaMetrics' active targets"
    assert world.deps.audit is not None
    assert world.deps.audit.query(AuditFilter(action="DELETE "), 10, 0)[1] == 1


def test_the_exporter_fetches_a_stored_credential_over_http(
    stack: tuple[World, str, Running], monkeypatch: pytest.MonkeyPatch
) -> None:
    _, analyzer, _ = stack
    body = {"address": "10.0.2.9", "kind": "redfish", "credential": {"username": "monitor", "password": "Pw-123"}}
    created = requests.post(analyzer + "/api/v1/targets", headers=headers("acme-operator"), json=body, timeout=5)
    reference = created.json()["auth"]
    sd = requests.get(analyzer + "/api/v1/targets/http_sd", headers=headers("acme-viewer"), timeout=5).json()
    assert [g["labels"]["__param_auth"] for g in sd if g["labels"]["__param_target"] == "10.0.2.9"] == [reference]
    assert "Pw-123" not in str(sd)
    monkeypatch.setenv("EXPORTER_TOKEN", TOKENS["acme-operator"][0])
    resolver = ApiAuthResolver(AuthApiSettings(url=analyzer, token=SecretRef("env", "EXPORTER_TOKEN")))
    auth = resolver.resolve(reference)
    assert auth.type == "redfish" and auth.settings.password.resolve() == "Pw-123"
