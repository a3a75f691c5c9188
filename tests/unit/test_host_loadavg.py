from pathlib import Path

import pytest

from inframind.exporters.base import CollectorError
from inframind.exporters.host.loadavg import LoadavgCollector, create
from tests.helpers.hosttree import fixture_config, samples, types


def test_load_averages_from_fixture_not_from_this_machine() -> None:
    families = create(fixture_config()).collect()
    got = {name: series[frozenset()] for name, series in samples(families).items()}
    assert got == {"node_load1": 1.27, "node_load5": 0.93, "node_load15": 0.71}
    assert set(types(families).values()) == {"gauge"}


def test_malformed_file(tmp_path: Path) -> None:
    (tmp_path / "loadavg").write_text("busy\n")
    with pytest.raises(CollectorError, match=r"^loadavg: cannot read .*/loadavg: expected three load averages"):
        LoadavgCollector(str(tmp_path)).collect()


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(CollectorError, match=rf"^loadavg: cannot read {tmp_path}/loadavg: No such file"):
        LoadavgCollector(str(tmp_path)).collect()
