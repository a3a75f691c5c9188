from pathlib import Path

import pytest

from inframind.exporters.base import CollectorError
from inframind.exporters.host.cpu import CpuCollector, create
from tests.helpers.hosttree import FIXTURE, fixture_config, one, samples, types


def test_seconds_by_cpu_and_mode_from_fixture() -> None:
    collector = create(fixture_config())
    families = collector.collect()
    got = samples(families)
    seconds = got["node_cpu_seconds_total"]
    assert len(seconds) == 4 * 8
    # cpu0 401233 2051 101442 10288123 4410 0 9120 530 1350 30  (ticks of 1/100 s)
    expected = {"user": 4012.33, "nice": 20.51, "system": 1014.42, "idle": 102881.23}
    expected |= {"iowait": 44.1, "irq": 0.0, "softirq": 91.2, "steal": 5.3}
    for mode, value in expected.items():
        assert one(seconds, cpu="0", mode=mode) == value
    assert one(seconds, cpu="3", mode="user") == 3752.52
    guest = got["node_cpu_guest_seconds_total"]
    assert one(guest, cpu="0", mode="user") == 13.5
    assert one(guest, cpu="0", mode="nice") == 0.3
    assert len(guest) == 4 * 2
    assert types(families) == {"node_cpu_seconds": "counter", "node_cpu_guest_seconds": "counter"}


def _write_stat(proc: Path, *lines: str) -> None:
    proc.mkdir(exist_ok=True)
    (proc / "stat").write_text("cpu  0 0 0 0 0 0 0 0 0 0\n" + "\n".join(lines) + "\nbtime 1\n")


def test_cpus_are_labelled_by_their_number_not_position(tmp_path: Path) -> None:
    _write_stat(tmp_path, "cpu0 1 0 0 100 0 0 0 0 0 0", "cpu2 2 0 0 200 0 0 0 0 0 0")
    seconds = samples(CpuCollector(str(tmp_path)).collect())["node_cpu_seconds_total"]
    assert {dict(k)["cpu"] for k in seconds} == {"0", "2"}
    assert one(seconds, cpu="2", mode="user") == 0.02


def test_old_kernel_without_guest_columns_reports_zero_guest(tmp_path: Path) -> None:
    _write_stat(tmp_path, "cpu0 100 0 0 100 0 0 0")
    got = samples(CpuCollector(str(tmp_path)).collect())
    assert one(got["node_cpu_seconds_total"], cpu="0", mode="steal") == 0.0
    assert one(got["node_cpu_guest_seconds_total"], cpu="0", mode="user") == 0.0


def test_a_counter_never_goes_backwards_but_a_hotplug_resets(tmp_path: Path) -> None:
    collector = CpuCollector(str(tmp_path))
    _write_stat(tmp_path, "cpu0 100 0 0 100000 500 0 0 0 0 0")
    collector.collect()
    _write_stat(tmp_path, "cpu0 101 0 0 100100 450 0 0 0 0 0")  # iowait stepped back 0.5 s
    seconds = samples(collector.collect())["node_cpu_seconds_total"]
    assert one(seconds, cpu="0", mode="iowait") == 5.0
    assert one(seconds, cpu="0", mode="user") == 1.01
    _write_stat(tmp_path, "cpu0 5 0 0 1000 1 0 0 0 0 0")  # idle fell by 990 s: a CPU came back online
    seconds = samples(collector.collect())["node_cpu_seconds_total"]
    assert one(seconds, cpu="0", mode="idle") == 10.0
    assert one(seconds, cpu="0", mode="iowait") == 0.01


def test_missing_file_names_it(tmp_path: Path) -> None:
    with pytest.raises(CollectorError, match=rf"^cpu: cannot read {tmp_path}/stat: No such file or directory$"):
        CpuCollector(str(tmp_path)).collect()


def test_malformed_line_names_the_file(tmp_path: Path) -> None:
    _write_stat(tmp_path, "cpu0 12 abc 0 0")
    with pytest.raises(CollectorError, match=r"^cpu: cannot read .*/stat: malformed line 'cpu0 12 abc 0 0'$"):
        CpuCollector(str(tmp_path)).collect()


def test_reads_the_configured_procfs() -> None:
    assert create(fixture_config()).path == str(FIXTURE / "proc" / "stat")
