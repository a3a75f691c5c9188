"""``inframind exporter`` with ``INFRAMIND__EXPORTER__HOST_BACKEND=psutil``, scraped over HTTP and linted.

This VM is Linux, so the served values come from psutil's real Linux implementation; what proves the
psutil backend is in effect is what only it does here: hwmon succeeds with no /sys/class/hwmon (psutil
finds no sensors and reports none), mdadm is not built, and procfs-only families are absent.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from inframind.exporters.registry import AVAILABLE
from tests.helpers.exposition import Family, parse, promtool_check_metrics, scrape_text
from tests.helpers.procs import Server, free_port, require_binary

pytestmark = pytest.mark.integration

INFRAMIND = str(Path(sys.executable).with_name("inframind"))
PSUTIL_COLLECTORS = {spec.name for spec in AVAILABLE if spec.portable and spec.name != "smart"}
REQUIRED = {
    "node_cpu_seconds_total",
    "node_cpu_guest_seconds_total",
    "node_load1",
    "node_load15",
    "node_memory_MemTotal_bytes",
    "node_memory_MemAvailable_bytes",
    "node_memory_SwapTotal_bytes",
    "node_filesystem_size_bytes",
    "node_filesystem_avail_bytes",
    "node_filesystem_device_error",
    "node_disk_read_bytes_total",
    "node_disk_io_time_seconds_total",
    "node_network_receive_bytes_total",
    "node_network_transmit_drop_total",
    "node_boot_time_seconds",
    "node_context_switches_total",
    "node_intr_total",
    "node_time_seconds",
    "node_uname_info",
}
PROCFS_ONLY = {"node_forks_total", "node_procs_running", "node_memory_Cached_bytes", "node_disk_io_now"}


def start(log_dir: Path, *extra: str) -> tuple[Server, str]:
    port = free_port()
    server = Server(
        "inframind-psutil",
        [INFRAMIND, "exporter", "--listen", f"127.0.0.1:{port}", "--no-collector.smart", *extra],
        log_dir,
        env={"INFRAMIND__EXPORTER__HOST_BACKEND": "psutil"},
        cwd=log_dir,  # no ./inframind.yml from the repository
    )
    url = f"http://127.0.0.1:{port}/metrics"
    server.wait_http(url)
    return server, url


@pytest.fixture(scope="module")
def exposition(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    server, url = start(tmp_path_factory.mktemp("portable-exporter"))
    try:
        scrape_text(url)  # the first scrape pays for imports
        yield scrape_text(url)
    finally:
        server.stop()


def test_serves_the_psutil_families(exposition: str) -> None:
    families: dict[str, Family] = parse(exposition)
    assert REQUIRED - set(families) == set()
    assert PROCFS_ONLY & set(families) == set()
    assert not any(name.startswith("node_md_") for name in families)
    success = families["node_scrape_collector_success"].by("collector")
    assert success == dict.fromkeys(PSUTIL_COLLECTORS, 1.0)


def test_promtool_accepts_the_exposition(exposition: str) -> None:
    result = promtool_check_metrics(require_binary("promtool"), exposition)
    findings = [line for line in (result.stdout + result.stderr).splitlines() if line.strip()]
    # node_exporter's meminfo names keep the kernel's CamelCase field (node_memory_MemTotal_bytes); the
    # psutil backend keeps them too, so that dashboards and rules work on every host.
    unjustified = [
        line
        for line in findings
        if not (
            line.startswith("node_memory_")
            and line.endswith("metric names should be written in 'snake_case' not 'camelCase'")
        )
    ]
    assert unjustified == [], "\n".join(unjustified)
    assert findings != []  # the CamelCase findings: proves promtool saw the memory families
    assert result.returncode == 3, result  # 3: lint findings only


def test_path_procfs_does_not_apply_and_is_reported(tmp_path: Path) -> None:
    empty = tmp_path / "empty-proc"
    empty.mkdir()
    server, url = start(tmp_path, f"--path.procfs={empty}")
    try:
        families = parse(scrape_text(url))
    finally:
        server.stop()
    assert families["node_scrape_collector_success"].by("collector")["cpu"] == 1.0  # psutil read the real /proc
    assert families["node_memory_MemTotal_bytes"].value() > 0
    assert f"--path.procfs={empty} does not apply to the psutil host backend" in server.log_path.read_text()
