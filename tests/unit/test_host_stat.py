from pathlib import Path

import pytest

from inframind.exporters.base import CollectorError
from inframind.exporters.host.stat import StatCollector, create
from tests.helpers.hosttree import fixture_config, samples, types


def test_kernel_counters_from_fixture() -> None:
    families = create(fixture_config()).collect()
    got = {name: series[frozenset()] for name, series in samples(families).items()}
    assert got == {
        "node_boot_time_seconds": 1767261600.0,
        "node_context_switches_total": 1290337781.0,
        "node_intr_total": 732110985.0,
        "node_forks_total": 2811093.0,
        "node_procs_running": 4.0,
        "node_procs_blocked": 1.0,
    }
    assert types(families) == {
        "node_boot_time_seconds": "gauge",
        "node_context_switches": "counter",
        "node_intr": "counter",
        "node_forks": "counter",
        "node_procs_running": "gauge",
        "node_procs_blocked": "gauge",
    }


def test_missing_field_is_an_error_naming_file_and_field(tmp_path: Path) -> None:
    (tmp_path / "stat").write_text("cpu  1 2 3 4\nctxt 5\nintr 6 0 0\nprocesses 7\nprocs_running 1\nprocs_blocked 0\n")
    with pytest.raises(CollectorError, match=rf"^stat: cannot read {tmp_path}/stat: missing field\(s\) btime$"):
        StatCollector(str(tmp_path)).collect()


def test_non_numeric_value_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "stat").write_text("btime soon\n")
    with pytest.raises(CollectorError, match=r"field btime: expected an integer, got 'soon'"):
        StatCollector(str(tmp_path)).collect()


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(CollectorError, match=r"^stat: cannot read .*/stat: No such file or directory$"):
        StatCollector(str(tmp_path)).collect()
