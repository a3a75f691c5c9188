"""`inframind targets scrape-config`: static and file_sd output that promtool accepts as a Prometheus config."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from inframind.cli import main
from tests.helpers.procs import require_binary

pytestmark = pytest.mark.integration
EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "inventory.yml"


def promtool_check_config(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [require_binary("promtool"), "check", "config", str(path)],
        check=False,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_static_scrape_config_is_valid(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        main,
        [
            "targets",
            "scrape-config",
            "--inventory",
            str(EXAMPLE),
            "--exporter",
            "10.0.0.9:10121",
            "-o",
            str(tmp_path / "scrape.yml"),
        ],
    )
    assert result.exit_code == 0, result.output
    config = yaml.safe_load((tmp_path / "scrape.yml").read_text())
    jobs = {job["job_name"]: job for job in config["scrape_configs"]}
    assert set(jobs) == {"node", "probe_redfish", "probe_if_mib"}
    redfish = jobs["probe_redfish"]
    assert {"target_label": "__address__", "replacement": "10.0.0.9:10121"} in redfish["relabel_configs"]
    shelf = next(g for g in redfish["static_configs"] if g["labels"]["asset"] == "shelf-a2")
    assert shelf["labels"] | {"tenant": "default", "site": "msk-1", "rack": "R3", "role": "storage"} == shelf["labels"]
    assert shelf["labels"]["__param_auth"] == "bmc_default"
    done = promtool_check_config(tmp_path / "scrape.yml")
    assert done.returncode == 0, done.stdout + done.stderr


def test_file_sd_output(tmp_path: Path) -> None:
    sd = tmp_path / "sd"
    result = CliRunner().invoke(
        main,
        [
            "targets",
            "scrape-config",
            "--inventory",
            str(EXAMPLE),
            "--file-sd",
            str(sd),
            "-o",
            str(tmp_path / "scrape.yml"),
        ],
    )
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in sd.iterdir()) == ["node.json", "probe_if_mib.json", "probe_redfish.json"]
    groups = json.loads((sd / "probe_if_mib.json").read_text())
    assert groups == [
        {
            "targets": ["10.0.100.2"],
            "labels": {
                "tenant": "default",
                "site": "msk-1",
                "rack": "R3",
                "role": "network",
                "asset": "sw-r3-01",
                "asset_kind": "switch",
                "module": "if_mib",
                "__param_auth": "snmp_public",
            },
        }
    ]
    config = yaml.safe_load((tmp_path / "scrape.yml").read_text())
    assert all("static_configs" not in job and job["file_sd_configs"] for job in config["scrape_configs"])
    done = promtool_check_config(tmp_path / "scrape.yml")
    assert done.returncode == 0, done.stdout + done.stderr


def test_missing_inventory_is_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["targets", "scrape-config"])
    assert result.exit_code == 1 and "no inventory given" in result.output
