"""The smart collector end to end: runner, background refresh, families, failure handling.

This VM has no SMART-capable disk, so these tests run a stand-in for smartctl: a small executable written
into tmp_path that prints recorded smartctl JSON (../shared/fixtures/smartctl) for ``--scan-open`` and for
each device, and logs every invocation so the tests can count smartctl runs. The real smartctl is
exercised in test_smart_real.py.
"""

from __future__ import annotations

import json
import logging
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from prometheus_client.core import GaugeMetricFamily, Metric

import inframind.exporters.smart as smart
from inframind.config import ExporterConfig, SmartSettings
from inframind.exporters.base import CollectorError, CollectorSet
from inframind.exporters.smart.parse import FATAL_EXIT
from inframind.exporters.smart.runner import DEVICE_ARGS
from tests.helpers.exposition import value

REPO_ROOT = Path(__file__).resolve().parents[2]
FIXTURES = REPO_ROOT.parent / "shared" / "fixtures" / "smartctl"
OWN_FIXTURES = REPO_ROOT / "tests" / "fixtures" / "smart"

FAKE_SMARTCTL = """#!{python}
# Stand-in for smartctl (this VM has no SMART-capable disk): prints recorded smartctl JSON.
import json, pathlib, sys, time
plan = json.loads(pathlib.Path({plan!r}).read_text())
with open(plan["calls"], "a") as calls:
    calls.write(json.dumps(sys.argv[1:]) + "\\n")
entry = plan["scan"] if "--scan-open" in sys.argv else plan["devices"][sys.argv[-1]]
time.sleep(entry.get("sleep", 0))
sys.stdout.write(pathlib.Path(entry["file"]).read_text() if "file" in entry else entry.get("stdout", ""))
sys.exit(entry.get("exit", 0))
"""


class FakeSmartctl:
    """Writes the stand-in and its plan; the plan is re-read on every run, so a test can change it."""

    def __init__(self, directory: Path) -> None:
        self.path = directory / "smartctl"
        self.plan_path = directory / "plan.json"
        self.calls_path = directory / "calls.log"
        self.plan: dict[str, Any] = {"calls": str(self.calls_path), "scan": {}, "devices": {}}
        self.path.write_text(FAKE_SMARTCTL.format(python=sys.executable, plan=str(self.plan_path)))
        self.path.chmod(0o755)
        self.scan()

    def scan(self, *devices: dict[str, str], exit_code: int = 0, stdout: str | None = None) -> None:
        doc = {"json_format_version": [1, 0], "smartctl": {"version": [7, 3], "exit_status": exit_code}}
        if devices:
            doc["devices"] = list(devices)
        self.plan["scan"] = {"stdout": json.dumps(doc) if stdout is None else stdout, "exit": exit_code}
        self.save()

    def device(self, name: str, fixture: str | None = None, **entry: Any) -> None:
        if fixture is not None:
            path = FIXTURES / fixture
            entry = {"file": str(path), "exit": json.loads(path.read_text())["smartctl"]["exit_status"], **entry}
        self.plan["devices"][name] = entry
        self.save()

    def save(self) -> None:
        self.plan_path.write_text(json.dumps(self.plan))

    def calls(self) -> list[list[str]]:
        if not self.calls_path.exists():
            return []
        return [json.loads(line) for line in self.calls_path.read_text().splitlines()]


@pytest.fixture
def fake(tmp_path: Path) -> FakeSmartctl:
    return FakeSmartctl(tmp_path)


@pytest.fixture
def collectors() -> Iterator[list[smart.SmartCollector]]:
    made: list[smart.SmartCollector] = []
    yield made
    for collector in made:
        collector.close()


def make(collectors: list[smart.SmartCollector], smartctl: str | Path, **settings: Any) -> smart.SmartCollector:
    options = {"interval": 3600.0, "rescan_interval": 3600.0, "timeout": 10.0, **settings}
    collector = smart.create(ExporterConfig(smart=SmartSettings(smartctl=str(smartctl), **options)))
    collectors.append(collector)
    return collector


def scrape(collector_set: CollectorSet) -> list[Metric]:
    return list(collector_set.collect())


def has(families: list[Metric], sample_name: str, **labels: str) -> bool:
    return any(
        s.name == sample_name and all(s.labels.get(k) == v for k, v in labels.items())
        for f in families
        for s in f.samples
    )


def three_disks(fake: FakeSmartctl) -> None:
    fake.scan(
        {"name": "/dev/sda", "info_name": "/dev/sda [SAT]", "type": "sat", "protocol": "ATA"},
        {"name": "/dev/nvme0", "info_name": "/dev/nvme0", "type": "nvme", "protocol": "NVMe"},
        {"name": "/dev/sdb", "info_name": "/dev/sdb", "type": "scsi", "protocol": "SCSI"},
    )
    fake.device("/dev/sda", "ST3500418AS_12.json")
    fake.device("/dev/nvme0", "nvme-null-SAMSUNG_MZWLL3T2HAJQ-00005-nvme0.json")
    fake.device("/dev/sdb", "SEAGATE_ST373453LC_26.json")


def test_devices_are_reported_and_scrapes_do_not_run_smartctl(fake: FakeSmartctl, collectors: list[Any]) -> None:
    three_disks(fake)
    collector_set = CollectorSet([make(collectors, fake.path)])
    first = scrape(collector_set)
    runs = fake.calls()
    assert len(runs) == 4  # one --scan-open, one report per device
    assert runs[0] == ["--scan-open", "--json"]
    assert runs[1] == [*DEVICE_ARGS, "--nocheck=standby", "--device=sat", "/dev/sda"]
    assert value(first, "node_scrape_collector_success", collector="smart") == 1
    assert value(first, "smartctl_devices") == 3
    raw = {"attribute_value_type": "raw"}
    assert value(first, "smartctl_device_attribute", device="sda", attribute_name="Reallocated_Sector_Ct", **raw) == 304
    assert value(first, "smartctl_device_power_on_seconds", device="sda") == 44668 * 3600
    assert value(first, "smartctl_device_smart_status", device="nvme0") == 0
    assert value(first, "smartctl_device_critical_warning", device="nvme0") == 16
    assert value(first, "smartctl_scsi_grown_defect_list", device="sdb") == 260
    assert value(first, "smartctl_version", smartctl_version="7.3", svn_revision="5338") == 1

    second = scrape(collector_set)
    third = scrape(collector_set)
    assert len(fake.calls()) == 4, "a scrape must read the cached readings, not run smartctl"
    assert value(second, "smartctl_device_temperature", device="sda", temperature_type="current") == 33
    assert value(third, "smartctl_devices") == 3


def test_device_filters_and_power_mode_check(fake: FakeSmartctl, collectors: list[Any]) -> None:
    three_disks(fake)
    from inframind.schema import Regex

    collector = make(
        collectors,
        fake.path,
        device_include=Regex("^(sd|nvme)"),
        device_exclude=Regex("^sdb$"),
        powermode_check="never",
    )
    families = scrape(CollectorSet([collector]))
    assert value(families, "smartctl_devices") == 2
    reads = [run for run in fake.calls() if "--scan-open" not in run]
    assert sorted(run[-1] for run in reads) == ["/dev/nvme0", "/dev/sda"]
    assert all("--nocheck=never" in run for run in reads)


def test_a_timeout_and_fatal_exit_bits_show_as_metrics(fake: FakeSmartctl, collectors: list[Any]) -> None:
    fake.scan(
        {"name": "/dev/sda", "type": "sat"},
        {"name": "/dev/sdb", "type": "sat"},
        {"name": "/dev/sdc", "type": "sat"},
    )
    fake.device("/dev/sda", "ST3500418AS_11.json")
    fake.device("/dev/sdb", "ST3500418AS_12.json", sleep=30)
    gone = {
        "smartctl": {"exit_status": 2, "messages": [{"string": "open /dev/sdc: No such device", "severity": "error"}]}
    }
    fake.device("/dev/sdc", stdout=json.dumps(gone), exit=2)
    collector = make(collectors, fake.path, timeout=0.5)
    started = time.monotonic()
    families = scrape(CollectorSet([collector]))
    assert time.monotonic() - started < 5, "the hung smartctl must be killed at the timeout"
    assert value(families, "node_scrape_collector_success", collector="smart") == 1
    assert value(families, "smartctl_devices") == 3
    assert value(families, "inframind_smart_device_refresh_success", device="sda") == 1
    assert value(families, "smartctl_device_attribute", device="sda", attribute_id="5", attribute_value_type="raw") == 1
    assert value(families, "inframind_smart_device_refresh_success", device="sdb") == 0
    assert value(families, "inframind_smart_device_refresh_errors_total", device="sdb", reason="timeout") == 1
    assert not has(families, "smartctl_device_smartctl_exit_status", device="sdb")
    assert value(families, "smartctl_device_smartctl_exit_status", device="sdc") == 2
    assert value(families, "inframind_smart_device_refresh_errors_total", device="sdc", reason=FATAL_EXIT) == 1
    assert not has(families, "smartctl_device", device="sdc")

    fake.device("/dev/sdb", "ST3500418AS_12.json")  # the disk answers again on the next refresh
    collector.refresh(rescan=False)
    families = scrape(CollectorSet([collector]))
    assert value(families, "inframind_smart_device_refresh_success", device="sdb") == 1
    assert value(families, "inframind_smart_device_refresh_errors_total", device="sdb", reason="timeout") == 1
    assert value(families, "inframind_smart_device_refresh_errors_total", device="sdc", reason=FATAL_EXIT) == 2


def test_missing_smartctl_fails_the_collector_with_one_log_line(
    tmp_path: Path, collectors: list[Any], caplog: pytest.LogCaptureFixture
) -> None:
    class Other:
        name = "other"

        def collect(self) -> list[Metric]:
            return [GaugeMetricFamily("other_up", "Another collector.", value=1)]

    collector_set = CollectorSet([make(collectors, tmp_path / "bin" / "smartctl"), Other()])
    with caplog.at_level(logging.INFO):
        scrapes = [scrape(collector_set) for _ in range(3)]
    for families in scrapes:
        assert value(families, "node_scrape_collector_success", collector="smart") == 0
        assert value(families, "node_scrape_collector_success", collector="other") == 1
        assert value(families, "other_up") == 1
        assert not any(f.name.startswith("smartctl") for f in families)
    lines = [r.getMessage() for r in caplog.records if "smartctl" in r.getMessage()]
    assert len(lines) == 1, lines
    assert "smartctl not found" in lines[0] and "install smartmontools" in lines[0]


def test_no_permission_fails_the_collector_and_says_how_to_fix_it(fake: FakeSmartctl, collectors: list[Any]) -> None:
    fake.scan({"name": "/dev/sda", "type": "scsi", "open_error": "Permission denied"})
    with pytest.raises(CollectorError, match=r"/dev/sda \(Permission denied\).*root.*CAP_SYS_RAWIO"):
        make(collectors, fake.path).collect()

    fake.scan({"name": "/dev/vda", "type": "sat"})  # scan fine, but the device report says no
    fake.device("/dev/vda", file=str(OWN_FIXTURES / "sat-permission-denied.json"), exit=2)  # real, as `nobody`
    with pytest.raises(CollectorError, match=r"/dev/vda \(Smartctl open device: .*Permission denied\).*CAP_SYS_RAWIO"):
        make(collectors, fake.path).collect()


def test_old_smartctl_without_json_fails_the_collector(fake: FakeSmartctl, collectors: list[Any]) -> None:
    fake.scan(stdout="smartctl 6.6 2016-05-31 r4324\n=======> UNRECOGNIZED OPTION: json\n", exit_code=1)
    with pytest.raises(CollectorError, match=r"smartmontools >= 7\.0"):
        make(collectors, fake.path).collect()


def test_no_devices_is_success_with_zero_devices(fake: FakeSmartctl, collectors: list[Any]) -> None:
    families = scrape(CollectorSet([make(collectors, fake.path)]))
    assert value(families, "node_scrape_collector_success", collector="smart") == 1
    assert value(families, "smartctl_devices") == 0


def test_configured_devices_are_read_without_a_scan(fake: FakeSmartctl, collectors: list[Any]) -> None:
    fake.device("/dev/sda", "ST3500418AS_12.json")
    fake.device("/dev/nvme0", "KXG60ZNV512G_TOSHIBA_2.json")
    collector = make(collectors, fake.path, devices=("/dev/sda;sat", "/dev/nvme0"))
    families = collector.collect()
    assert fake.calls() == [
        [*DEVICE_ARGS, "--nocheck=standby", "--device=sat", "/dev/sda"],
        [*DEVICE_ARGS, "--nocheck=standby", "/dev/nvme0"],
    ]
    assert value(families, "smartctl_devices") == 2
    assert value(families, "smartctl_device_percentage_used", device="nvme0") == 1
    assert value(families, "smartctl_device_capacity_bytes", device="nvme0") == 512110190592


def test_refresh_runs_on_the_interval_and_rescans_on_the_rescan_interval(
    fake: FakeSmartctl, collectors: list[Any]
) -> None:
    fake.scan({"name": "/dev/sda", "type": "sat"})
    fake.device("/dev/sda", "ST3500418AS_12.json")
    collector = make(collectors, fake.path, interval=0.5, rescan_interval=3600.0)
    collector.collect()
    deadline = time.monotonic() + 10
    while sum(1 for c in fake.calls() if "/dev/sda" in c) < 3 and time.monotonic() < deadline:
        time.sleep(0.05)
    runs = fake.calls()
    assert sum(1 for c in runs if "/dev/sda" in c) >= 3
    assert sum(1 for c in runs if "--scan-open" in c) == 1


def test_close_stops_the_refresh(fake: FakeSmartctl, collectors: list[Any]) -> None:
    fake.scan({"name": "/dev/sda", "type": "sat"})
    fake.device("/dev/sda", "ST3500418AS_12.json")
    collector = make(collectors, fake.path, interval=0.5)
    collector_set = CollectorSet([collector])
    scrape(collector_set)
    collector_set.close()
    runs = len(fake.calls())
    time.sleep(1.2)
    scrape(collector_set)
    assert len(fake.calls()) == runs
    assert not any(t.name == "smartctl-refresh" and t.is_alive() for t in threading.enumerate())


def test_create_is_what_the_registry_calls(fake: FakeSmartctl) -> None:
    three_disks(fake)
    collector = smart.create(ExporterConfig(smart=SmartSettings(smartctl=str(fake.path))))
    assert collector.name == "smart"
    assert fake.calls() == [], "nothing runs before the first scrape"
    CollectorSet([collector]).close()
    started = time.monotonic()
    assert collector.collect() == []  # closed before any scrape: no thread, no smartctl, no waiting
    assert time.monotonic() - started < 1
    assert fake.calls() == []
