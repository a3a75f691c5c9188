"""Inventory: schema validation naming asset and field, dependency edges, cycles, lookups."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from inframind.inventory import inventory_from_data, load_inventory
from inframind.schema import ConfigError

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "inventory.yml"


def test_example_inventory_is_valid() -> None:
    inv = load_inventory(EXAMPLE)
    assert "srv-db-03" in inv.assets
    db = inv.assets["srv-db-03"]
    assert db.tenant == "default" and db.site == "msk-1"  # filled from defaults
    assert {(e.kind, e.target) for e in inv.dependencies_of("srv-db-03")} == {
        ("runs-on", "hv-01"),
        ("uses-lun", "lun-12"),
    }
    assert {e.source for e in inv.dependents_of("pdu-a1")} == {"hv-01", "shelf-a2", "sw-r3-01"}
    assert inv.by_address("SRV-DB-03.example.net") is db
    assert inv.by_address("10.9.9.9") is None


def check(tmp_path: Path, text: str) -> list[str]:
    path = tmp_path / "inv.yml"
    path.write_text(text)
    with pytest.raises(ConfigError) as err:
        load_inventory(path)
    return [str(i) for i in err.value.issues]


def test_field_errors_name_asset_and_line(tmp_path: Path) -> None:
    issues = check(
        tmp_path,
        "assets:\n"
        "  - id: web-1\n"
        "    kind: server\n"
        "  - id: web-2\n"
        "    kind: host\n"
        "    labels: {tenant: x, ok_label: y}\n"
        "  - id: bad id\n"
        "    kind: host\n"
        "    module: snmp\n",
    )
    path = tmp_path / "inv.yml"
    assert any(i.startswith(f"{path}:3: assets[0] (web-1).kind: expected one of host") for i in issues)
    assert (
        f"{path}:6: assets[1] (web-2).labels.tenant: reserved: the generated scrape config sets tenant itself" in issues
    )
    assert any(i.startswith(f"{path}:7: assets[2] (bad id).id: expected letters") for i in issues)
    assert any("assets[2] (bad id).addresses: module snmp needs an address" in i for i in issues)


def test_graph_errors(tmp_path: Path) -> None:
    issues = check(
        tmp_path,
        yaml.safe_dump(
            {
                "assets": [
                    {"id": "a", "kind": "vm", "depends": {"runs-on": "b", "powered-by": ["ghost"]}},
                    {"id": "b", "kind": "hypervisor", "depends": {"runs-on": "a"}},
                    {"id": "a", "kind": "vm"},
                    {"id": "c", "kind": "vm", "depends": {"runs-on": "c"}},
                ]
            }
        ),
    )
    text = "\n".join(issues)
    assert "duplicate asset id 'a' (first at assets[0])" in text
    assert "asset 'a' depends on unknown asset 'ghost'" in text
    assert "asset 'c' cannot depend on itself" in text
    assert "dependency cycle: a -> b -> a" in text


def test_connected_to_may_be_mutual() -> None:
    inv = inventory_from_data(
        {
            "assets": [
                {"id": "sw1", "kind": "switch", "depends": {"connected-to": "sw2"}},
                {"id": "sw2", "kind": "switch", "depends": {"connected-to": "sw1"}},
            ]
        }
    )
    assert len(inv.edges) == 2


def test_unknown_edge_kind(tmp_path: Path) -> None:
    issues = check(tmp_path, "assets:\n  - id: a\n    kind: vm\n    depends: {lives-on: b}\n")
    assert any("depends.lives-on: unknown dependency kind" in i for i in issues)


def test_empty_inventory_is_valid() -> None:
    assert inventory_from_data(None).assets == {}
