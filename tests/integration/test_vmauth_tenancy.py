"""Tenant isolation for direct PromQL readers: real VictoriaMetrics behind real vmauth, configured by
``inframind vmauth config``. Tenant A's user sends raw PromQL of every shape it likes and never reads B."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
import yaml
from click.testing import CliRunner

from inframind.cli import main
from tests.helpers.procs import free_port, require_binary
from tests.helpers.servers import Running, start_victoriametrics, wait_for_series

PASSWORDS = {"VMAUTH_ACME": "acme-pw-1", "VMAUTH_GLOBEX": "globex-pw-2", "VMAUTH_ANALYZER": "analyzer-pw-3"}


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Running, Running]]:
    base = tmp_path_factory.mktemp("vmauth")
    vm = start_victoriametrics(base / "logs", base / "vm")
    now = int(time.time() * 1000)
    lines = [
        {"metric": {"__name__": name, "tenant": tenant, "asset": f"{tenant}-srv"}, "values": [v], "timestamps": [now]}
        for tenant, v in (("acme", 1.0), ("globex", 2.0))
        for name in ("node_load1", "up")
    ]
    body = "\n".join(json.dumps(line) for line in lines)
    requests.post(vm.url + "/api/v1/import", data=body, timeout=10).raise_for_status()
    requests.get(vm.url + "/internal/force_flush", timeout=10)
    wait_for_series(vm.url, 'up{tenant="globex"}')
    conf = base / "inframind.yml"
    readers = [
        {"tenant": "acme", "username": "grafana-acme", "password": "env:VMAUTH_ACME"},
        {"tenant": "globex", "username": "grafana-globex", "password": "env:VMAUTH_GLOBEX"},
        {"tenant": "*", "username": "analyzer", "password": "env:VMAUTH_ANALYZER"},
    ]
    conf.write_text(yaml.safe_dump({"tenancy": {"vmauth_backend": vm.url, "readers": readers}}))
    auth_file = base / "auth.yml"
    result = CliRunner().invoke(main, ["vmauth", "config", "--config", str(conf), "--out", str(auth_file)])
    assert result.exit_code == 0, result.output
    port = free_port()
    argv = [require_binary("vmauth"), f"-httpListenAddr=127.0.0.1:{port}", f"-auth.config={auth_file}"]
    auth = Running("vmauth", argv, base / "logs", f"http://127.0.0.1:{port}", env=PASSWORDS)
    auth.wait_http(auth.url + "/health")
    yield vm, auth
    auth.stop()
    vm.stop()


def _get(auth: Running, user: str, path: str, params: dict[str, Any] | None = None) -> requests.Response:
    password = PASSWORDS["VMAUTH_" + user.removeprefix("grafana-").upper()]
    return requests.get(auth.url + path, params=params, auth=(user, password), timeout=10)


def _tenants(payload: Any) -> set[str]:
    """Every tenant label value anywhere in a JSON answer."""
    found: set[str] = set()
    if isinstance(payload, dict):
        if isinstance(payload.get("tenant"), str):
            found.add(payload["tenant"])
        for value in payload.values():
            found |= _tenants(value)
    elif isinstance(payload, list):
        for value in payload:
            found |= _tenants(value)
    return found


ATTEMPTS: list[tuple[str, dict[str, Any]]] = [
    ("/api/v1/query", {"query": "up"}),
    ("/api/v1/query", {"query": '{__name__=~".+"}'}),
    ("/api/v1/query", {"query": 'node_load1{tenant="globex"} or node_load1{tenant!="acme"}'}),
    ("/api/v1/query", {"query": "sum by (tenant) (up)"}),
    ("/api/v1/query", {"query": "up", "extra_label": "tenant=globex"}),
    (
        "/api/v1/query_range",
        {
            "query": '{__name__=~"up|node_load1"}',
            "start": int(time.time()) - 600,
            "end": int(time.time()) + 600,
            "step": "30",
        },
    ),
    ("/api/v1/series", {"match[]": '{__name__=~".+"}'}),
    ("/api/v1/label/tenant/values", {}),
]


@pytest.mark.parametrize(("path", "params"), ATTEMPTS)
def test_a_tenant_reads_only_its_own_series(stack: tuple[Running, Running], path: str, params: dict[str, Any]) -> None:
    _, auth = stack
    answer = _get(auth, "grafana-acme", path, params)
    assert answer.status_code == 200, answer.text
    data = answer.json()["data"]
    seen = set(data) if path.startswith("/api/v1/label/") else _tenants(data)
    assert "globex" not in seen
    if "tenant=globex" not in str(params) and "globex" not in str(params.get("query", "")):
        assert seen == {"acme"}, f"{path} {params} answered {data}"


def test_export_and_federate_are_filtered_too(stack: tuple[Running, Running]) -> None:
    _, auth = stack
    export = _get(auth, "grafana-globex", "/api/v1/export", {"match[]": '{__name__=~".+"}'})
    assert export.status_code == 200 and export.text.strip()
    assert all('"tenant":"globex"' in line for line in export.text.splitlines())
    federate = _get(auth, "grafana-globex", "/federate", {"match[]": '{__name__=~".+"}'})
    assert federate.status_code == 200 and 'tenant="globex"' in federate.text and "acme" not in federate.text


def test_writes_and_deletes_are_not_routed(stack: tuple[Running, Running]) -> None:
    vm, auth = stack
    for path in ("/api/v1/import", "/api/v1/admin/tsdb/delete_series", "/api/v1/write"):
        answer = requests.post(
            auth.url + path, params={"match[]": "up"}, data="x", auth=("grafana-acme", "acme-pw-1"), timeout=10
        )
        assert answer.status_code >= 400, path
    assert (
        requests.get(vm.url + "/api/v1/query", params={"query": "count(up)"}, timeout=10).json()["data"]["result"][0][
            "value"
        ][1]
        == "2"
    )


def test_wrong_passwords_are_refused_and_the_analyzer_sees_all(stack: tuple[Running, Running]) -> None:
    _, auth = stack
    wrong = requests.get(auth.url + "/api/v1/query", params={"query": "up"}, auth=("grafana-acme", "x"), timeout=10)
    # vmauth 1.79 answers an unknown user/password pair with 400 "cannot find the provided auth token".
    assert wrong.status_code in {400, 401} and "success" not in wrong.text
    swapped = requests.get(
        auth.url + "/api/v1/query", params={"query": "up"}, auth=("grafana-acme", "globex-pw-2"), timeout=10
    )
    assert swapped.status_code in {400, 401} and "success" not in swapped.text
    answer = requests.get(
        auth.url + "/api/v1/query", params={"query": "up"}, auth=("analyzer", "analyzer-pw-3"), timeout=10
    )
    assert _tenants(answer.json()["data"]) == {"acme", "globex"}


def test_the_generated_file_holds_no_password(stack: tuple[Running, Running], tmp_path: Path) -> None:
    auth_file = Path(stack[1].argv[2].split("=", 1)[1])
    text = auth_file.read_text()
    assert not any(pw in text for pw in PASSWORDS.values())


def test_the_analyzer_reads_through_its_own_vmauth_user(stack: tuple[Running, Running]) -> None:
    """``tenancy.analyzer_user``: the analyzer's PromQL client goes through vmauth with that user's password."""
    from inframind.analyzer.sources.promql import PromClient, PromSettings
    from inframind.config.tenancy import TenancyConfig, VmauthReader
    from inframind.vmauth import analyzer_read

    vm, auth = stack
    tenancy = TenancyConfig(
        vmauth_url=auth.url,
        readers=(VmauthReader("*", "analyzer", "env:VMAUTH_ANALYZER"),),
        analyzer_user="analyzer",
    )
    url, headers = analyzer_read(tenancy, vm.url, env=PASSWORDS)
    assert url == auth.url and headers["Authorization"].startswith("Basic ")
    client = PromClient(PromSettings(url, headers=headers, retries=0))
    try:
        assert {s.labels["tenant"] for s in client.query("up")} == {"acme", "globex"}
    finally:
        client.close()
    with pytest.raises(ValueError, match="VMAUTH_ANALYZER is not set"):
        analyzer_read(tenancy, vm.url, env={})
    assert analyzer_read(TenancyConfig(), vm.url) == (vm.url, {})
