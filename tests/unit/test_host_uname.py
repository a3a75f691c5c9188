import os
from pathlib import Path

import pytest

from inframind.exporters.base import CollectorError
from inframind.exporters.host.uname import DOMAINNAME, UnameCollector, create
from tests.helpers.hosttree import fixture_config, samples


def test_identity_of_this_kernel() -> None:
    (labels,) = samples(create(fixture_config()).collect())["node_uname_info"]
    u = os.uname()
    assert dict(labels) == {
        "sysname": u.sysname,
        "release": u.release,
        "version": u.version,
        "machine": u.machine,
        "nodename": u.nodename,
        "domainname": Path(DOMAINNAME).read_text().rstrip("\n"),
    }


def test_domainname_file(tmp_path: Path) -> None:
    (tmp_path / "domainname").write_text("example.internal\n")
    (labels,) = samples(UnameCollector(str(tmp_path / "domainname")).collect())["node_uname_info"]
    assert dict(labels)["domainname"] == "example.internal"


def test_missing_domainname_file(tmp_path: Path) -> None:
    with pytest.raises(CollectorError, match=rf"^uname: cannot read {tmp_path}/nope: No such file"):
        UnameCollector(str(tmp_path / "nope")).collect()
