"""The stack's scrape config: its own components and the local exporter, and only loopback by default."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from inframind.config import Config, StackConfig, StackPorts
from inframind.inventory import inventory_from_data
from inframind.stack.components import StackPaths, plan
from inframind.stack.scrape import stack_scrape_config

PORTS = StackPorts(victoriametrics=1001, vmalert=1002, alertmanager=1003, exporter=1004, analyzer=1005)
COMPONENTS = plan(
    Config(stack=StackConfig(ports=PORTS)),
    StackPaths(Path("/v"), Path("/r"), Path("/a")),
    {"victoriametrics": "vm", "vmalert": "vmalert", "alertmanager": "am"},
    "/py",
)


def _targets(config: dict[str, Any]) -> dict[str, list[tuple[str, dict[str, str]]]]:
    return {
        job["job_name"]: [(t, g.get("labels", {})) for g in job["static_configs"] for t in g["targets"]]
        for job in config["scrape_configs"]
    }


def test_without_inventory_only_the_stack_and_the_local_exporter_on_loopback() -> None:
    config = stack_scrape_config(COMPONENTS, None, 15.0)
    targets = _targets(config)
    assert targets == {
        "victoriametrics": [("127.0.0.1:1001", {})],
        "vmalert": [("127.0.0.1:1002", {})],
        "alertmanager": [("127.0.0.1:1003", {})],
        "inframind-analyzer": [("127.0.0.1:1005", {})],
        "node": [
            ("127.0.0.1:1004", {"tenant": "default", "role": "monitoring", "asset": "local", "asset_kind": "host"})
        ],
    }
    assert config["global"]["scrape_interval"] == "15s"


def test_analyzer_is_not_scraped_when_its_metrics_need_a_token() -> None:
    assert "inframind-analyzer" not in _targets(stack_scrape_config(COMPONENTS, None, 15.0, scrape_analyzer=False))


def test_inventory_targets_are_added_and_probes_use_the_local_exporter() -> None:
    inventory = inventory_from_data(
        {
            "defaults": {"tenant": "acme"},
            "assets": [
                {"id": "srv-1", "kind": "host", "exporter": "10.0.0.1:10121"},
                {"id": "sw-1", "kind": "switch", "addresses": ["10.0.0.2"], "module": "if_mib"},
            ],
        }
    )
    config = stack_scrape_config(COMPONENTS, inventory, 15.0)
    targets = _targets(config)
    assert [t for t, _ in targets["node"]] == ["127.0.0.1:1004", "10.0.0.1:10121"]
    probe = next(j for j in config["scrape_configs"] if j["job_name"] == "probe_if_mib")
    assert probe["relabel_configs"][-1] == {"target_label": "__address__", "replacement": "127.0.0.1:1004"}


def test_an_inventory_asset_that_is_the_local_exporter_keeps_its_own_labels() -> None:
    inventory = inventory_from_data(
        {"assets": [{"id": "mon-1", "kind": "host", "rack": "R9", "exporter": "localhost:1004"}]}
    )
    node = _targets(stack_scrape_config(COMPONENTS, inventory, 15.0))["node"]
    assert node == [("localhost:1004", {"tenant": "default", "rack": "R9", "asset": "mon-1", "asset_kind": "host"})]


def test_the_local_asset_gets_another_id_when_the_inventory_uses_local() -> None:
    inventory = inventory_from_data({"assets": [{"id": "local", "kind": "host", "exporter": "10.0.0.9:10121"}]})
    node = _targets(stack_scrape_config(COMPONENTS, inventory, 15.0))["node"]
    assert [(t, labels["asset"]) for t, labels in node] == [
        ("127.0.0.1:1004", "inframind-local"),
        ("10.0.0.9:10121", "local"),
    ]
