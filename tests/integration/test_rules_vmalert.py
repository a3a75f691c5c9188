"""vmalert, started as `inframind up` starts it, loads our groups and stores recording rules in VictoriaMetrics."""

from __future__ import annotations

import pytest
import requests
import yaml

from tests.helpers.servers import REPO, Running, wait_for_series

pytestmark = pytest.mark.integration


def _rule_names(kind: str) -> set[str]:
    names: set[str] = set()
    for path in (REPO / "rules" / ("alerts" if kind == "alert" else "recording")).glob("*.yml"):
        for group in yaml.safe_load(path.read_text())["groups"]:
            names.update(rule[kind] for rule in group["rules"])
    return names


def test_vmalert_lists_our_groups_and_alerts(vmalert: Running) -> None:
    groups = requests.get(vmalert.url + "/api/v1/rules", timeout=5).json()["data"]["groups"]
    by_name = {g["name"]: g for g in groups}
    assert {"host", "host.recording"} <= set(by_name)
    alerts = {r["name"] for g in groups for r in g["rules"] if r["type"] == "alerting"}
    records = {r["name"] for g in groups for r in g["rules"] if r["type"] == "recording"}
    assert alerts == _rule_names("alert")
    assert records == _rule_names("record")
    assert "HostExporterDown" in alerts


def test_recording_rules_are_written_back(vmalert: Running, victoriametrics: Running, exporter: Running) -> None:
    """vmalert evaluates against VictoriaMetrics and remote-writes results, which the alerts then read."""
    ratio = wait_for_series(victoriametrics.url, 'mountpoint:node_filesystem_avail_bytes:ratio{asset="local"}')
    assert all(0.0 <= float(s["value"][1]) <= 1.0 for s in ratio)
    assert all(s["metric"]["tenant"] == "acme" for s in ratio)
