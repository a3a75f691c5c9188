"""``bmc_sources``: one source per inventory BMC whose module uses the ipmi or redfish prober, with its auth."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
import yaml

from inframind.agent.bmclogs import RedfishLogSource, SelSource, bmc_sources
from inframind.agent.cursors import CursorStore
from inframind.config import Config, load_config
from inframind.inventory import Inventory, inventory_from_data
from inframind.schema import ConfigError

AUTHS = {
    "bmc_ipmi": {"type": "ipmi", "username": "monitor", "password": "env:IPMI_PW"},
    "bmc_redfish": {"type": "redfish", "username": "monitor", "password": "env:REDFISH_PW"},
}
MODULES = {
    "ipmi_lan15": {"prober": "ipmi", "auth": "bmc_ipmi", "ipmi": {"interface": "lan", "port": 6230}},
    "idrac": {"prober": "redfish", "redfish": {"ca_file": "/etc/bmc-ca.pem"}},
}


def config(tmp_path: Path, enabled: bool = True, auths: dict[str, Any] | None = None) -> Config:
    path = tmp_path / "inframind.yml"
    data = {
        "exporter": {"auths": AUTHS if auths is None else auths, "modules": MODULES},
        "agent": {"bmc_logs": {"enabled": enabled, "interval": "2m", "max_entries": 250}},
    }
    path.write_text(yaml.safe_dump(data))
    return load_config(path, env={})


def inventory(*assets: dict[str, Any]) -> Inventory:
    return inventory_from_data({"defaults": {"tenant": "acme"}, "assets": list(assets)})


BMCS = (
    {"id": "bmc-db-01", "kind": "bmc", "addresses": ["10.0.100.11"], "module": "ipmi_lan15"},
    {"id": "bmc-db-02", "kind": "bmc", "addresses": ["10.0.100.12:8443"], "module": "idrac", "auth": "bmc_redfish"},
    {"id": "bmc-db-03", "kind": "bmc", "addresses": ["10.0.100.13"], "module": "ipmi", "auth": "bmc_ipmi",
     "labels": {"timezone": "Europe/Moscow"}},
    {"id": "sw-01", "kind": "switch", "addresses": ["10.0.0.2"], "module": "tcp"},
    {"id": "srv-db-01", "kind": "host", "addresses": ["10.0.3.11"]},
)  # fmt: skip


@pytest.fixture
def cursors(tmp_path: Path) -> CursorStore:
    return CursorStore(tmp_path / "state" / "cursors.db")


def test_one_source_per_bmc_with_its_module_settings_and_auth(tmp_path: Path, cursors: CursorStore) -> None:
    sources = bmc_sources(config(tmp_path), inventory(*BMCS), cursors)
    try:
        assert [s.name for s in sources] == ["sel:bmc-db-01", "redfish_log:bmc-db-02", "sel:bmc-db-03"]
        lan15, idrac, moscow = sources
        assert isinstance(lan15, SelSource) and isinstance(idrac, RedfishLogSource) and isinstance(moscow, SelSource)
        assert (lan15.target, lan15.settings.interface, lan15.settings.port) == ("10.0.100.11", "lan", 6230)
        assert lan15.auth is not None and lan15.auth.password.reference == "env:IPMI_PW"  # the module's default
        assert (idrac.target, idrac.settings.ca_file) == ("10.0.100.12:8443", "/etc/bmc-ca.pem")
        assert idrac.auth is not None and idrac.auth.password.reference == "env:REDFISH_PW"
        assert (idrac.asset.asset_id, idrac.asset.tenant, idrac.asset.host) == ("bmc-db-02", "acme", "10.0.100.12:8443")
        assert (lan15.max_entries, idrac.read_timeout) == (250, 120.0)
        assert lan15.tz == dt.UTC
        assert moscow.tz.utcoffset(dt.datetime(2026, 1, 1)) == dt.timedelta(hours=3)
    finally:
        for source in sources:
            source.close()


def test_nothing_when_disabled_or_without_an_inventory(tmp_path: Path, cursors: CursorStore) -> None:
    assert bmc_sources(config(tmp_path, enabled=False), inventory(*BMCS), cursors) == []
    assert bmc_sources(config(tmp_path), None, cursors) == []


def test_an_asset_with_an_unknown_auth_is_a_config_error(tmp_path: Path, cursors: CursorStore) -> None:
    bad = {"id": "bmc-x", "kind": "bmc", "addresses": ["10.0.100.99"], "module": "idrac", "auth": "nope"}
    with pytest.raises(ConfigError, match=r"bmc-x.*auth 'nope' is not in exporter.auths"):
        bmc_sources(config(tmp_path), inventory(bad), cursors)


def test_an_auth_for_another_prober_is_a_config_error(tmp_path: Path, cursors: CursorStore) -> None:
    bad = {"id": "bmc-x", "kind": "bmc", "addresses": ["10.0.100.99"], "module": "idrac", "auth": "bmc_ipmi"}
    with pytest.raises(ConfigError, match="auth 'bmc_ipmi' is for ipmi, but module idrac uses redfish"):
        bmc_sources(config(tmp_path), inventory(bad), cursors)


def test_an_unknown_time_zone_is_a_config_error(tmp_path: Path, cursors: CursorStore) -> None:
    bad = {"id": "bmc-x", "kind": "bmc", "addresses": ["10.0.100.99"], "module": "ipmi", "labels": {"timezone": "Mars"}}
    with pytest.raises(ConfigError, match="unknown time zone 'Mars'"):
        bmc_sources(config(tmp_path), inventory(bad), cursors)


def test_an_asset_whose_module_is_unknown_is_skipped(tmp_path: Path, cursors: CursorStore) -> None:
    other = {"id": "bmc-y", "kind": "bmc", "addresses": ["10.0.100.98"], "module": "not_configured_here"}
    assert bmc_sources(config(tmp_path), inventory(other), cursors) == []
