"""The real smartctl (smartmontools 7.x) through our runner and collector.

This VM has no SMART-capable disk, so the real smartctl finds no devices here; the test still asserts the
collector reports exactly what a direct ``smartctl --scan-open --json`` run finds, wherever it runs. A
report on a device that does not exist gives real fatal exit bits.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from inframind.config import ExporterConfig, SmartSettings
from inframind.exporters.base import CollectorSet
from inframind.exporters.smart import SmartCollector, create
from inframind.exporters.smart.parse import FATAL_EXIT
from inframind.exporters.smart.readings import DeviceRef
from inframind.exporters.smart.runner import SmartctlRunner
from tests.helpers.exposition import value
from tests.helpers.procs import require_binary


def real_smartctl() -> str:
    return "/usr/sbin/smartctl" if Path("/usr/sbin/smartctl").is_file() else require_binary("smartctl")


@pytest.fixture
def collector() -> Iterator[SmartCollector]:
    made = create(ExporterConfig(smart=SmartSettings(smartctl=real_smartctl(), interval=3600.0, timeout=30.0)))
    yield made
    made.close()


def test_the_real_smartctl_scan_is_handled(collector: SmartCollector) -> None:
    done = subprocess.run([real_smartctl(), "--scan-open", "--json"], capture_output=True, timeout=60, check=False)
    direct = json.loads(done.stdout)
    entries = direct.get("devices", [])
    denied = [e for e in entries if "permission denied" in e.get("open_error", "").lower()]
    usable = [e for e in entries if "open_error" not in e]
    families = list(CollectorSet([collector]).collect())
    if denied and not usable:  # not root on a machine with disks: a failed collector, not a crash
        assert value(families, "node_scrape_collector_success", collector="smart") == 0
        return
    assert value(families, "node_scrape_collector_success", collector="smart") == 1
    assert value(families, "smartctl_devices") == len(usable)
    version = "{}.{}".format(*direct["smartctl"]["version"])
    assert value(families, "smartctl_version", smartctl_version=version) == 1


@pytest.mark.parametrize(
    ("dev_type", "bit", "said"),
    [(None, 0b01, "Unable to detect device type"), ("sat", 0b10, "No such device")],
)
def test_the_real_smartctl_on_a_missing_device_is_a_fatal_exit(dev_type: str | None, bit: int, said: str) -> None:
    runner = SmartctlRunner(real_smartctl(), timeout=30.0)
    outcome = runner.read(DeviceRef("/dev/inframind-no-such-disk", dev_type))
    assert outcome.exit_status is not None and outcome.exit_status & 0b11 == bit
    assert outcome.reason == FATAL_EXIT and outcome.readings is None
    assert said in outcome.detail
