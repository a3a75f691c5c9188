"""The generated vmauth config: read-only routes, the tenant filter or accountID path, no password in the file."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from inframind.cli import main
from inframind.config import load_config
from inframind.config.tenancy import TenancyConfig, VmauthReader
from inframind.schema import ConfigError
from inframind.vmauth import READ_PATHS, auth_config, render


def _tenancy(**kw: object) -> TenancyConfig:
    readers = (
        VmauthReader("acme", "grafana-acme", "env:VMAUTH_ACME", account_id=1),
        VmauthReader("globex", "grafana-globex", "env:VMAUTH_GLOBEX", account_id=2),
    )
    return TenancyConfig(readers=readers, **kw)  # type: ignore[arg-type]


def test_single_node_users_carry_their_tenant_filter_and_only_read_paths() -> None:
    users = auth_config(_tenancy(vmauth_backend="http://127.0.0.1:8428/"))["users"]
    assert [u["username"] for u in users] == ["grafana-acme", "grafana-globex"]
    route = users[0]["url_map"][0]
    assert route["url_prefix"] == "http://127.0.0.1:8428/?extra_label=tenant=acme"
    assert route["src_paths"] == list(READ_PATHS)
    assert not any("import" in p or "write" in p or "delete" in p for p in route["src_paths"])
    assert users[1]["password"] == "%{VMAUTH_GLOBEX}"


def test_cluster_mode_routes_each_tenant_to_its_account() -> None:
    users = auth_config(_tenancy(vmauth_backend="http://vmselect:8481", vmauth_cluster=True))["users"]
    assert users[1]["url_map"][0]["url_prefix"] == "http://vmselect:8481/select/2/prometheus"


def test_the_all_tenants_reader_has_no_filter() -> None:
    tenancy = TenancyConfig(readers=(VmauthReader("*", "analyzer", "env:VMAUTH_ANALYZER"),))
    assert auth_config(tenancy)["users"][0]["url_map"][0]["url_prefix"] == "http://127.0.0.1:8428"


def test_render_names_the_variables_and_holds_no_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VMAUTH_ACME", "s3cret-acme-password")
    text = render(_tenancy())
    assert "VMAUTH_ACME, VMAUTH_GLOBEX" in text.splitlines()[1]
    assert "s3cret" not in text
    assert yaml.safe_load(text)["users"][0]["username"] == "grafana-acme"


@pytest.mark.parametrize(
    ("reader", "field", "message"),
    [
        ({"tenant": "acme", "username": "g", "password": "hunter2"}, "readers[0].password", "env:VARIABLE"),
        ({"tenant": "a b", "username": "g", "password": "env:X"}, "readers[0].tenant", "A-Za-z0-9"),
        ({"tenant": "acme", "username": "a:b", "password": "env:X"}, "readers[0].username", "without ':'"),
    ],
)
def test_bad_readers_are_located_and_never_echo_the_password(
    tmp_path: Path, reader: dict[str, str], field: str, message: str
) -> None:
    path = tmp_path / "inframind.yml"
    path.write_text(yaml.safe_dump({"tenancy": {"readers": [reader]}}))
    with pytest.raises(ConfigError) as err:
        load_config(path)
    text = str(err.value)
    assert f"tenancy.{field}" in text and message in text
    assert "hunter2" not in text


def test_cluster_mode_requires_account_ids(tmp_path: Path) -> None:
    path = tmp_path / "inframind.yml"
    readers = [{"tenant": "acme", "username": "g", "password": "env:X"}]
    path.write_text(yaml.safe_dump({"tenancy": {"vmauth_cluster": True, "readers": readers}}))
    with pytest.raises(ConfigError, match=r"readers\[0\]\.account_id: cluster mode needs"):
        load_config(path)


def test_cli_refuses_without_readers_and_writes_the_file(tmp_path: Path) -> None:
    empty = tmp_path / "empty.yml"
    empty.write_text("{}\n")
    result = CliRunner().invoke(main, ["vmauth", "config", "--config", str(empty)])
    assert result.exit_code == 2 and "tenancy.readers" in result.output
    conf = tmp_path / "inframind.yml"
    readers = [{"tenant": "acme", "username": "g", "password": "env:VMAUTH_ACME"}]
    conf.write_text(yaml.safe_dump({"tenancy": {"readers": readers}}))
    out = tmp_path / "auth.yml"
    result = CliRunner().invoke(main, ["vmauth", "config", "--config", str(conf), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert yaml.safe_load(out.read_text())["users"][0]["password"] == "%{VMAUTH_ACME}"


def test_grafana_datasources_read_each_tenants_org_through_its_user(tmp_path: Path) -> None:
    from inframind.dashboards.kit import VM_UID
    from inframind.vmauth import grafana_datasources

    readers = [
        {"tenant": "acme", "username": "grafana-acme", "password": "env:VMAUTH_ACME", "grafana_org_id": 2},
        {"tenant": "globex", "username": "grafana-globex", "password": "env:VMAUTH_GLOBEX", "grafana_org_id": 3},
        {"tenant": "*", "username": "analyzer", "password": "env:VMAUTH_ANALYZER"},
    ]
    conf = tmp_path / "inframind.yml"
    conf.write_text(yaml.safe_dump({"tenancy": {"vmauth_url": "http://vmauth:8427", "readers": readers}}))
    doc = grafana_datasources(load_config(conf).tenancy, VM_UID)
    assert [(d["orgId"], d["basicAuthUser"]) for d in doc["datasources"]] == [
        (2, "grafana-acme"),
        (3, "grafana-globex"),
    ]
    first = doc["datasources"][0]
    assert first["uid"] == VM_UID and first["url"] == "http://vmauth:8427"
    assert first["secureJsonData"] == {"basicAuthPassword": "$VMAUTH_ACME"}
    out = tmp_path / "ds.yml"
    result = CliRunner().invoke(main, ["vmauth", "datasources", "--config", str(conf), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert yaml.safe_load(out.read_text())["datasources"][1]["orgId"] == 3


def test_two_tenants_cannot_share_a_grafana_org(tmp_path: Path) -> None:
    readers = [
        {"tenant": "acme", "username": "a", "password": "env:A", "grafana_org_id": 2},
        {"tenant": "globex", "username": "g", "password": "env:G", "grafana_org_id": 2},
    ]
    conf = tmp_path / "inframind.yml"
    conf.write_text(yaml.safe_dump({"tenancy": {"readers": readers}}))
    with pytest.raises(ConfigError, match=r"readers\[1\]\.grafana_org_id: Grafana org 2 is readers\[0\]'s"):
        load_config(conf)
