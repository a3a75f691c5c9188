"""inframind.targets: scrape jobs and target labels generated from the inventory."""

from __future__ import annotations

from typing import Any

import pytest

from inframind.inventory import Inventory, inventory_from_data
from inframind.targets import TargetSettings, asset_labels, format_duration, scrape_config

SETTINGS = TargetSettings(probe_exporter="127.0.0.1:10121", scrape_interval=30.0)


def _inventory(*assets: dict[str, Any], defaults: dict[str, str] | None = None) -> Inventory:
    return inventory_from_data({"defaults": defaults or {"tenant": "acme", "site": "msk-1"}, "assets": list(assets)})


def _job(config: dict[str, Any], name: str) -> dict[str, Any]:
    jobs = [j for j in config["scrape_configs"] if j["job_name"] == name]
    assert len(jobs) == 1, [j["job_name"] for j in config["scrape_configs"]]
    job: dict[str, Any] = jobs[0]
    return job


def test_exporter_assets_are_direct_node_targets_with_placement_and_free_labels() -> None:
    inventory = _inventory(
        {
            "id": "srv-db-03",
            "kind": "vm",
            "rack": "R3",
            "role": "database",
            "addresses": ["10.0.3.13"],
            "exporter": "10.0.3.13:10121",
            "labels": {"env": "prod", "service": "billing"},
        },
        {"id": "srv-web-01", "kind": "host", "exporter": "[fd00::1]:9100", "tenant": "beta"},
        {"id": "pdu-a1", "kind": "pdu"},
    )
    node = _job(scrape_config(inventory, SETTINGS), "node")
    assert node["metrics_path"] == "/metrics"
    assert node["static_configs"] == [
        {
            "targets": ["10.0.3.13:10121"],
            "labels": {
                "tenant": "acme",
                "site": "msk-1",
                "rack": "R3",
                "role": "database",
                "asset": "srv-db-03",
                "asset_kind": "vm",
                "env": "prod",
                "service": "billing",
            },
        },
        {
            "targets": ["[fd00::1]:9100"],
            "labels": {"tenant": "beta", "site": "msk-1", "asset": "srv-web-01", "asset_kind": "host"},
        },
    ]


def test_empty_labels_are_left_out() -> None:
    inventory = _inventory({"id": "h1", "kind": "host", "exporter": "127.0.0.1:1"}, defaults={"tenant": "t"})
    assert asset_labels(inventory.assets["h1"]) == {"tenant": "t", "asset": "h1", "asset_kind": "host"}


def test_module_assets_are_probed_through_the_exporter() -> None:
    inventory = _inventory(
        {"id": "bmc-1", "kind": "bmc", "addresses": ["10.0.100.10"], "module": "redfish", "auth": "bmc_dell"},
        {"id": "sw-1", "kind": "switch", "addresses": ["10.0.100.2"], "module": "if_mib"},
        {"id": "bmc-2", "kind": "bmc", "rack": "R4", "addresses": ["10.0.100.11", "bmc-2.lan"], "module": "redfish"},
    )
    config = scrape_config(inventory, SETTINGS)
    assert [j["job_name"] for j in config["scrape_configs"]] == ["probe_redfish", "probe_if_mib"]
    redfish = _job(config, "probe_redfish")
    assert redfish["metrics_path"] == "/probe"
    assert redfish["params"] == {"module": ["redfish"]}
    assert redfish["static_configs"][0] == {
        "targets": ["10.0.100.10"],
        "labels": {
            "tenant": "acme",
            "site": "msk-1",
            "asset": "bmc-1",
            "asset_kind": "bmc",
            "module": "redfish",
            "__param_auth": "bmc_dell",
        },
    }
    assert redfish["static_configs"][1]["targets"] == ["10.0.100.11"]  # the first address is the one probed
    assert "__param_auth" not in redfish["static_configs"][1]["labels"]
    assert redfish["relabel_configs"] == [
        {"source_labels": ["__address__"], "target_label": "__param_target"},
        {"source_labels": ["__param_target"], "target_label": "instance"},
        {"target_label": "__address__", "replacement": "127.0.0.1:10121"},
    ]


def test_an_asset_with_exporter_and_module_is_in_both_jobs() -> None:
    inventory = _inventory(
        {"id": "h1", "kind": "host", "addresses": ["10.0.0.1"], "exporter": "10.0.0.1:10121", "module": "ssh"}
    )
    config = scrape_config(inventory, SETTINGS)
    assert [j["job_name"] for j in config["scrape_configs"]] == ["node", "probe_ssh"]


def test_global_intervals_and_extra_jobs_first() -> None:
    extra = {"job_name": "victoriametrics", "static_configs": [{"targets": ["127.0.0.1:8428"]}]}
    config = scrape_config(None, TargetSettings("127.0.0.1:1", scrape_interval=1.0), [extra])
    assert config == {"global": {"scrape_interval": "1s", "scrape_timeout": "1s"}, "scrape_configs": [extra]}
    assert scrape_config(None, SETTINGS)["global"] == {"scrape_interval": "30s", "scrape_timeout": "10s"}


def test_duplicate_job_names_are_refused() -> None:
    inventory = _inventory({"id": "h1", "kind": "host", "exporter": "127.0.0.1:1"})
    with pytest.raises(ValueError, match="duplicate scrape job name 'node'"):
        scrape_config(inventory, SETTINGS, [{"job_name": "node", "static_configs": []}])


@pytest.mark.parametrize(("seconds", "text"), [(15.0, "15s"), (0.5, "500ms"), (90, "90s"), (1.25, "1250ms")])
def test_format_duration(seconds: float, text: str) -> None:
    assert format_duration(seconds) == text


def test_format_duration_refuses_zero() -> None:
    with pytest.raises(ValueError, match="positive"):
        format_duration(0)


def test_slow_probe_module_gets_a_longer_scrape_timeout() -> None:
    from inframind.inventory import inventory_from_data
    from inframind.targets import TargetSettings, inventory_jobs

    inventory = inventory_from_data(
        {
            "assets": [
                {"id": "bmc-1", "kind": "bmc", "addresses": ["10.0.0.1"], "module": "redfish"},
                {"id": "sw-1", "kind": "switch", "addresses": ["10.0.0.2"], "module": "if_mib"},
            ]
        }
    )
    settings = TargetSettings(
        "127.0.0.1:10121", scrape_interval=15, scrape_timeout=10, module_timeouts={"redfish": 55.0, "if_mib": 5.0}
    )
    jobs = {job["job_name"]: job for job in inventory_jobs(inventory, settings)}
    assert (jobs["probe_redfish"]["scrape_timeout"], jobs["probe_redfish"]["scrape_interval"]) == ("56s", "56s")
    assert "scrape_timeout" not in jobs["probe_if_mib"]  # the global 10s suffices
