from pathlib import Path

import pytest

from inframind.exporters.base import CollectorError
from inframind.exporters.host.meminfo import MeminfoCollector, create, metric_key
from tests.helpers.hosttree import FIXTURE, fixture_config, samples, types


def test_every_field_with_node_exporter_names() -> None:
    families = create(fixture_config()).collect()
    got = {name: series[frozenset()] for name, series in samples(families).items()}
    lines = (FIXTURE / "proc" / "meminfo").read_text().splitlines()
    assert len(got) == len(lines) == 56
    assert got["node_memory_MemTotal_bytes"] == 32768512 * 1024
    assert got["node_memory_MemAvailable_bytes"] == 20118736 * 1024
    assert got["node_memory_Active_anon_bytes"] == 7203340 * 1024
    assert got["node_memory_Inactive_file_bytes"] == 10866012 * 1024
    assert got["node_memory_VmallocTotal_bytes"] == 34359738367 * 1024
    assert got["node_memory_HugePages_Total"] == 16
    assert got["node_memory_HugePages_Rsvd"] == 2
    assert got["node_memory_Hugepagesize_bytes"] == 2097152
    assert got["node_memory_NFS_Unstable_bytes"] == 0
    assert set(types(families).values()) == {"gauge"}


@pytest.mark.parametrize(
    ("field", "key"),
    [("Active(anon)", "Active_anon"), ("Inactive(file)", "Inactive_file"), ("MemTotal", "MemTotal"), ("a(b)c", "a_bc")],
)
def test_parentheses_become_an_underscore(field: str, key: str) -> None:
    assert metric_key(field) == key


def test_malformed_line(tmp_path: Path) -> None:
    (tmp_path / "meminfo").write_text("MemTotal:       1024 kB\nMemFree: lots kB\n")
    with pytest.raises(
        CollectorError, match=r"^meminfo: cannot read .*/meminfo: malformed value in line 'MemFree: lots kB'"
    ):
        MeminfoCollector(str(tmp_path)).collect()


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(CollectorError, match=rf"^meminfo: cannot read {tmp_path}/meminfo: No such file"):
        MeminfoCollector(str(tmp_path)).collect()
