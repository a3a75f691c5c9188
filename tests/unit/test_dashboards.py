"""The generated Grafana files: committed as generated, valid for schema 41, consistent uids, datasources and links.

No Grafana server can run here. "Valid for the schema" is checked two ways: the JSON decodes into the foundation
SDK's dashboard model (generated from Grafana 11.6's schema, version 41) and encodes back to exactly the same
JSON (an unknown or mistyped key would not survive), and the schema's constraints the model does not enforce
(uid 1-40 characters of [a-zA-Z0-9_-], the 24-column grid, unique panel ids and refIds) are asserted here.
"""

from __future__ import annotations

import importlib
import json
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner
from grafana_foundation_sdk.cog.encoder import JSONEncoder
from grafana_foundation_sdk.models import dashboard as model
from grafana_foundation_sdk.models import prometheus

from inframind.dashboards import build
from inframind.dashboards.cli import dashboards_group
from inframind.dashboards.kit import ALERTMANAGER_UID, TAG

REPO = Path(__file__).resolve().parents[2]
GRAFANA = REPO / "grafana"
SCHEMA_VERSION = 41
SCOPE_VARIABLES = ["tenant", "site", "rack", "asset"]
PANEL_TYPES = {"row", "timeseries", "stat", "table", "bargauge"}


def committed() -> dict[str, dict[str, Any]]:
    return {p.stem: json.loads(p.read_text()) for p in sorted((GRAFANA / "dashboards").glob("*.json"))}


def panels(dashboard: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for panel in dashboard["panels"]:
        yield panel
        yield from panel.get("panels", [])


def provisioned() -> dict[str, str]:
    """Datasource uid -> type, from the committed provisioning file."""
    doc = yaml.safe_load((GRAFANA / "provisioning" / "datasources" / "inframind.yml").read_text())
    return {d["uid"]: d["type"] for d in doc["datasources"]}


def test_committed_files_are_exactly_the_generator_output() -> None:
    assert build.differences(GRAFANA) == [], "run `python -m inframind.dashboards.cli build` and commit grafana/"
    assert set(committed()) == set(build.dashboards())


def test_the_ten_dashboards_of_the_issue_exist_with_stable_uids() -> None:
    assert sorted(committed()) == sorted(
        f"inframind-{name}"
        for name in (
            "fleet",
            "host",
            "storage",
            "hardware",
            "network",
            "windows",
            "logs",
            "forecasts",
            "collection",
            "analyzer",
        )
    )


@pytest.mark.parametrize("uid", sorted(committed()))
def test_json_round_trips_through_the_schema_model(uid: str) -> None:
    data = committed()[uid]
    assert data["schemaVersion"] == SCHEMA_VERSION
    decoded = model.Dashboard.from_json(data)
    assert json.loads(json.dumps(decoded, cls=JSONEncoder)) == data


def round_trip(kind: Any, data: dict[str, Any]) -> Any:
    return json.loads(json.dumps(kind.from_json(data), cls=JSONEncoder))


@pytest.mark.parametrize("uid", sorted(committed()))
def test_panel_options_and_queries_round_trip_through_their_models(uid: str) -> None:
    """The dashboard model keeps options and targets opaque: each panel plugin's and the query's model check them."""
    for panel in panels(committed()[uid]):
        if panel["type"] == "row":
            continue
        plugin = importlib.import_module(f"grafana_foundation_sdk.models.{panel['type']}")
        assert round_trip(plugin.Options, panel["options"]) == panel["options"], (uid, panel["title"])
        custom = panel["fieldConfig"]["defaults"].get("custom")
        if custom is not None:
            assert round_trip(plugin.FieldConfig, custom) == custom, (uid, panel["title"])
        for target in panel["targets"]:
            assert round_trip(prometheus.Dataquery, target) == target, (uid, target)


@pytest.mark.parametrize("uid", sorted(committed()))
def test_layout_ids_and_refids_are_valid(uid: str) -> None:
    data = committed()[uid]
    assert data["uid"] == uid and re.fullmatch(r"[A-Za-z0-9_-]{1,40}", uid)
    ids = [p["id"] for p in panels(data)]
    assert len(ids) == len(set(ids))
    for panel in panels(data):
        assert panel["type"] in PANEL_TYPES, panel["type"]
        pos = panel["gridPos"]
        assert pos["w"] >= 1 and pos["x"] + pos["w"] <= 24 and pos["h"] >= 1, (uid, panel["title"], pos)
        if panel["type"] != "row":
            assert panel["title"] and panel["targets"], (uid, panel["id"])
            refs = [t["refId"] for t in panel["targets"]]
            assert len(refs) == len(set(refs))
    boxes = [(p["gridPos"]["x"], p["gridPos"]["y"], p["gridPos"]["w"], p["gridPos"]["h"]) for p in panels(data)]
    for i, (x, y, w, h) in enumerate(boxes):  # no two panels overlap
        for x2, y2, w2, h2 in boxes[i + 1 :]:
            assert x + w <= x2 or x2 + w2 <= x or y + h <= y2 or y2 + h2 <= y, (uid, boxes[i])


def test_uids_and_titles_are_unique() -> None:
    boards = committed().values()
    titles = [b["title"] for b in boards]
    assert len(titles) == len(set(titles))
    assert len({b["uid"] for b in boards}) == len(titles)


def test_every_datasource_used_is_provisioned_with_its_type() -> None:
    sources = provisioned()
    assert ALERTMANAGER_UID in sources and "grafana-opensearch-datasource" in sources.values()
    for uid, data in committed().items():
        used = [v["datasource"] for v in data["templating"]["list"]]
        for panel in panels(data):
            if panel["type"] != "row":
                used.append(panel["datasource"])
                used.extend(t["datasource"] for t in panel["targets"])
        assert used, uid
        for ref in used:
            assert sources.get(ref["uid"]) == ref["type"], (uid, ref)


def test_scope_variables_and_every_variable_used_is_defined() -> None:
    for uid, data in committed().items():
        variables = data["templating"]["list"]
        assert [v["name"] for v in variables] == SCOPE_VARIABLES, uid
        for i, v in enumerate(variables):  # each variable narrows by the ones before it, never after
            assert set(re.findall(r"\$(\w+)", v["query"])) <= set(SCOPE_VARIABLES[:i]), (uid, v["name"])
        for panel in panels(data):
            for target in panel.get("targets", []):
                assert set(re.findall(r"\$(\w+)", target["expr"])) <= set(SCOPE_VARIABLES), (uid, target["expr"])


def test_links_reach_existing_dashboards() -> None:
    boards = committed()
    linked = set()
    for uid, data in boards.items():
        (menu,) = data["links"]
        assert (menu["type"], menu["tags"], menu["includeVars"], menu["keepTime"]) == ("dashboards", [TAG], True, True)
        assert TAG in data["tags"]
        for panel in panels(data):
            for link in panel.get("fieldConfig", {}).get("defaults", {}).get("links", []):
                found = re.fullmatch(r"/d/([\w-]+)\?(.*)", link["url"])
                assert found and found.group(1) in boards, (uid, link)
                ref = "__data.fields" if panel["type"] == "table" else "__field.labels"  # a row's column or a label
                assert f"var-tenant=${{{ref}.tenant}}&var-asset=${{{ref}.asset}}" in found.group(2), (uid, link)
                linked.add(found.group(1))
    assert {"inframind-host", "inframind-storage", "inframind-forecasts"} <= linked


def test_merged_tables_name_each_value_column() -> None:
    for uid, data in committed().items():
        for panel in panels(data):
            if panel["type"] != "table" or len(panel["targets"]) < 2:
                continue
            ids = [t["id"] for t in panel["transformations"]]
            assert ids == ["merge", "organize"], (uid, panel["title"])
            rename = panel["transformations"][1]["options"]["renameByName"]
            assert set(rename) == {f"Value #{t['refId']}" for t in panel["targets"]}, (uid, panel["title"])
            assert all(t["format"] == "table" and t["instant"] for t in panel["targets"])


def test_opensearch_datasource_speaks_tls_with_credentials_every_stack_provides() -> None:
    """The log store runs with its security plugin (HTTPS, basic auth); each ``$NAME`` the provisioning file asks
    Grafana to expand is set in the Grafana service of both compose stacks, which also install the plugin."""
    doc = yaml.safe_load((GRAFANA / "provisioning" / "datasources" / "inframind.yml").read_text())
    (source,) = [d for d in doc["datasources"] if d["type"] == "grafana-opensearch-datasource"]
    assert source["url"] == "https://opensearch:9200" and source["basicAuth"] is True
    assert source["basicAuthUser"] == "$INFRAMIND_OPENSEARCH_USER"
    assert source["secureJsonData"] == {"basicAuthPassword": "$INFRAMIND_OPENSEARCH_PASSWORD"}
    assert source["jsonData"]["tlsSkipVerify"] is True
    assert "password" not in json.dumps(source["jsonData"]).lower()
    wanted = set(re.findall(r"\$(\w+)", yaml.safe_dump(doc)))
    assert wanted == {"INFRAMIND_OPENSEARCH_USER", "INFRAMIND_OPENSEARCH_PASSWORD"}
    for compose in (REPO / "deploy" / "compose" / "docker-compose.yml",
                    REPO / "deploy" / "compose" / "portainer" / "docker-compose.yml"):  # fmt: skip
        environment = yaml.safe_load(compose.read_text())["services"]["grafana"]["environment"]
        assert wanted <= set(environment), compose
        assert "OPENSEARCH_ADMIN_PASSWORD" in environment["INFRAMIND_OPENSEARCH_PASSWORD"], compose
        assert "grafana-opensearch-datasource" in environment["GF_INSTALL_PLUGINS"], compose


def test_provider_loads_the_generated_folder() -> None:
    doc = yaml.safe_load((GRAFANA / "provisioning" / "dashboards" / "inframind.yml").read_text())
    (provider,) = doc["providers"]
    assert provider["type"] == "file" and provider["options"]["path"].startswith("/")
    assert provider["allowUiUpdates"] is False


def test_build_command_writes_and_checks(tmp_path: Path) -> None:
    runner = CliRunner()
    root = tmp_path / "grafana"
    stale = runner.invoke(dashboards_group, ["build", "--root", str(root), "--check"])
    assert stale.exit_code == 1 and "out of date" in stale.output
    written = runner.invoke(dashboards_group, ["build", "--root", str(root)])
    assert written.exit_code == 0, written.output
    assert sorted(p.name for p in (root / "dashboards").iterdir()) == sorted(f"{u}.json" for u in committed())
    assert runner.invoke(dashboards_group, ["build", "--root", str(root), "--check"]).exit_code == 0
    shutil.copy(root / "dashboards" / "inframind-fleet.json", root / "dashboards" / "hand-made.json")
    (root / "dashboards" / "inframind-host.json").write_text("{}")
    again = runner.invoke(dashboards_group, ["build", "--root", str(root), "--check"])
    assert again.exit_code == 1
    assert "inframind-host.json" in again.output and "hand-made.json (not generated)" in again.output


def test_registering_the_command_does_not_import_the_sdk() -> None:
    """cli.py registers the command in every install; the SDK is a dev dependency, loaded only when it runs."""
    code = (
        "import sys, click\n"
        "from inframind.dashboards.cli import register\n"
        "main = click.Group('inframind')\n"
        "register(main)\n"
        "assert 'dashboards' in main.commands\n"
        "assert not [m for m in sys.modules if m.startswith('grafana_foundation_sdk')], 'SDK imported'\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
