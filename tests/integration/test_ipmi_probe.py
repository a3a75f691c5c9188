"""The ipmi prober end to end: ``inframind exporter`` probing a real ipmi_sim over RMCP+ on 127.0.0.1.

Readings against the simulator's configured values, a threshold crossing seen in sensor states and in
the SEL by severity, a collector that fails alone, wrong credentials, a silent port within the deadline,
concurrent probes of one BMC, and the prober's private files.
"""

from __future__ import annotations

import math
import stat
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from inframind.exporters.ipmi.prober import IpmiProber
from inframind.exporters.ipmi.settings import Auth, Settings
from inframind.exporters.probe.base import ProbeError
from inframind.secrets import SecretRef
from tests.helpers.exposition import Family, parse, promtool_check_metrics, scrape_text
from tests.helpers.ipmi import PASSWORD, SENSORS, USERNAME, IpmiSim, free_udp_port, start_our_exporter
from tests.helpers.procs import require_binary, wait_until
from tests.helpers.servers import Running

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def bmc(tmp_path_factory: pytest.TempPathFactory) -> Iterator[IpmiSim]:
    sim = IpmiSim(tmp_path_factory.mktemp("ipmi-sim"))
    yield sim
    sim.stop()


@pytest.fixture
def fresh_bmc(tmp_path: Path) -> Iterator[IpmiSim]:
    """A simulator of its own, for tests that move readings or need a cold SDR cache."""
    sim = IpmiSim(tmp_path / "sim")
    yield sim
    sim.stop()


@pytest.fixture(scope="module")
def exporter(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    server = start_our_exporter(tmp_path_factory.mktemp("inframind-exporter"))
    yield server
    server.stop()


def probe(exporter: Running, target: str, module: str = "ipmi_sim", **params: str) -> dict[str, Family]:
    query = "&".join(f"{k}={v}" for k, v in {"target": target, "module": module, **params}.items())
    return parse(scrape_text(f"{exporter.url}/probe?{query}"))


def errors_counted(exporter: Running, module: str, reason: str) -> float:
    found = parse(scrape_text(f"{exporter.url}/metrics")).get("inframind_probe_errors_total")
    return found.series.get(frozenset({("module", module), ("reason", reason)}), 0.0) if found else 0.0


def test_probe_reads_every_sensor(exporter: Running, bmc: IpmiSim) -> None:
    found = probe(exporter, bmc.target)
    assert found["probe_success"].value() == 1.0
    assert found["ipmi_up"].by("collector") == {"ipmi": 1.0, "sel": 1.0, "chassis": 1.0}
    expected = {s.name: s.value() for s in SENSORS}
    assert found["ipmi_temperature_celsius"].by("name") == {n: expected[n] for n in ("CPU Temp", "Inlet Temp")}
    assert found["ipmi_fan_speed_rpm"].by("name") == {"Fan 1": expected["Fan 1"]}
    assert found["ipmi_fan_speed_ratio"].by("name") == {"Fan 2 Duty": expected["Fan 2 Duty"] / 100}
    assert found["ipmi_voltage_volts"].by("name") == {"12V": expected["12V"]}
    assert found["ipmi_current_amperes"].by("name") == {"PSU1 Current": expected["PSU1 Current"]}
    assert found["ipmi_power_watts"].by("name") == {"PSU1 Power": expected["PSU1 Power"]}
    assert found["ipmi_sensor_value"].value(id="8", name="Airflow", type="Other Units Based Sensor") == 42.0
    assert math.isnan(found["ipmi_sensor_value"].value(id="9", name="PS1 Status", type="Power Supply"))
    assert set(found["ipmi_temperature_state"].by("name").values()) == {0.0}
    assert found["ipmi_chassis_power_state"].value() == 0.0
    assert found["ipmi_sel_free_space_bytes"].value() > 0
    assert found["ipmi_temperature_celsius"].type == "gauge"


def test_a_failing_collector_is_down_while_the_others_report(exporter: Running, bmc: IpmiSim) -> None:
    found = probe(exporter, bmc.target, "ipmi_sim_all")
    assert found["probe_success"].value() == 1.0
    # ipmi_sim has no DCMI (and refuses it below operator privilege): only that collector is down
    assert found["ipmi_up"].by("collector") == {"ipmi": 1.0, "sel": 1.0, "chassis": 1.0, "dcmi": 0.0, "bmc": 1.0}
    assert "ipmi_dcmi_power_consumption_watts" not in found
    assert (
        found["ipmi_bmc_info"].value(
            firmware_revision="9.08", manufacturer_id="MontaVista Software, Inc. (4753)", system_firmware_version="N/A"
        )
        == 1.0
    )


def test_ipmitool_reads_what_freeipmi_reads(exporter: Running, bmc: IpmiSim) -> None:
    ours, tools = probe(exporter, bmc.target), probe(exporter, bmc.target, "ipmi_sim_ipmitool")
    assert tools["probe_success"].value() == 1.0
    for name in ("ipmi_temperature_celsius", "ipmi_fan_speed_rpm", "ipmi_voltage_volts", "ipmi_power_watts"):
        assert tools[name].series == ours[name].series, name
    assert tools["ipmi_sel_logs_count"].value() == ours["ipmi_sel_logs_count"].value()


def test_wrong_password_fails_the_probe_as_auth(exporter: Running, bmc: IpmiSim) -> None:
    before = errors_counted(exporter, "ipmi_sim", "auth")
    found = probe(exporter, bmc.target, auth="wrong")
    assert found["probe_success"].value() == 0.0
    assert not any(name.startswith("ipmi_") for name in found)
    assert errors_counted(exporter, "ipmi_sim", "auth") == before + 1


def test_a_silent_port_times_out_within_the_deadline(exporter: Running) -> None:
    target = f"127.0.0.1:{free_udp_port()}"
    start = time.monotonic()
    found = probe(exporter, target, "ipmi_sim_3s")
    assert time.monotonic() - start < 3.5
    assert found["probe_success"].value() == 0.0
    assert errors_counted(exporter, "ipmi_sim_3s", "timeout") >= 1
    start = time.monotonic()
    answer = requests.get(
        f"{exporter.url}/probe",
        params={"target": target, "module": "ipmi_sim"},
        headers={"X-Prometheus-Scrape-Timeout-Seconds": "2"},
        timeout=10,
    )
    assert time.monotonic() - start < 2.0  # the scraper's deadline, less the exporter's offset
    assert parse(answer.text)["probe_success"].value() == 0.0


def test_a_threshold_crossing_shows_in_states_and_in_the_sel(exporter: Running, fresh_bmc: IpmiSim) -> None:
    before = probe(exporter, fresh_bmc.target)
    assert before["ipmi_sel_logs_count"].value() == 0.0
    fresh_bmc.set_reading("CPU Temp", 88)  # past upper non-critical (75) and critical (85)
    seen: dict[str, Family] = {}

    def critical() -> bool:
        seen.update(probe(exporter, fresh_bmc.target))
        return seen["ipmi_temperature_state"].value(id="1", name="CPU Temp") == 2.0

    assert wait_until(critical, timeout=10, interval=0.3)
    assert seen["ipmi_temperature_celsius"].value(id="1", name="CPU Temp") == 88.0
    assert seen["ipmi_temperature_state"].value(id="2", name="Inlet Temp") == 0.0
    assert wait_until(lambda: probe(exporter, fresh_bmc.target)["ipmi_sel_logs_count"].value() == 2.0, timeout=5)
    after = probe(exporter, fresh_bmc.target)
    assert after["inframind_ipmi_sel_entries"].by("severity") == {
        "nominal": 0.0,
        "warning": 1.0,
        "critical": 1.0,
        "unknown": 0.0,
    }
    fresh_bmc.set_reading("CPU Temp", 40)  # back: the deassertions are logged too
    assert wait_until(
        lambda: probe(exporter, fresh_bmc.target)["ipmi_temperature_state"].value(id="1", name="CPU Temp") == 0.0,
        timeout=10,
        interval=0.3,
    )
    assert wait_until(lambda: probe(exporter, fresh_bmc.target)["ipmi_sel_logs_count"].value() == 4.0, timeout=5)


def test_concurrent_probes_of_a_cold_bmc(exporter: Running, fresh_bmc: IpmiSim) -> None:
    """Eight probes at once, before any SDR cache exists: they take turns on the cache and all succeed."""
    results: list[dict[str, Family]] = []
    lock = threading.Lock()

    def one() -> None:
        found = probe(exporter, fresh_bmc.target)
        with lock:
            results.append(found)

    threads = [threading.Thread(target=one) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert len(results) == 8
    for found in results:
        assert found["probe_success"].value() == 1.0
        assert found["ipmi_up"].by("collector") == {"ipmi": 1.0, "sel": 1.0, "chassis": 1.0}
        assert found["ipmi_fan_speed_rpm"].by("name") == {"Fan 1": 5000.0}


def test_private_files_and_cleanup(bmc: IpmiSim, tmp_path: Path) -> None:
    secret = tmp_path / "pw"
    secret.write_text(PASSWORD)
    prober = IpmiProber()
    workdir = prober.workdir
    try:
        families = prober.probe(
            bmc.target,
            Settings(workaround_flags=("opensesspriv",)),
            Auth(USERNAME, SecretRef("file", str(secret))),
            10.0,
        )
        assert any(f.name == "ipmi_temperature_celsius" for f in families)
        assert stat.S_IMODE(workdir.stat().st_mode) == 0o700
        config = workdir / "empty.conf"
        assert config.stat().st_size == 0 and stat.S_IMODE(config.stat().st_mode) == 0o600
        (cache,) = workdir.glob("sdr-*")
        assert stat.S_IMODE(cache.stat().st_mode) == 0o700
        assert list(cache.rglob("sdr-cache-*")), "the SDR cache is kept per target"
        assert not any(PASSWORD in p.read_text(errors="replace") for p in workdir.rglob("*") if p.is_file())
    finally:
        prober.close()
    assert not workdir.exists()


def test_a_bmc_key_is_answered_from_stdin_too(tmp_path: Path) -> None:
    """Two-key login: a BMC with K_g set takes the right key and refuses a wrong one as auth."""
    sim = IpmiSim(tmp_path / "sim", bmc_key="kg-0123456789")
    secrets = {"pw": PASSWORD, "kg": "kg-0123456789", "bad": "kg-wrong"}
    for name, text in secrets.items():
        (tmp_path / name).write_text(text)
    prober = IpmiProber()
    settings = Settings(workaround_flags=("opensesspriv",), collectors=("chassis",))
    try:
        right = Auth(USERNAME, SecretRef("file", str(tmp_path / "pw")), k_g=SecretRef("file", str(tmp_path / "kg")))
        assert any(f.name == "ipmi_chassis_power_state" for f in prober.probe(sim.target, settings, right, 10.0))
        wrong = Auth(USERNAME, right.password, k_g=SecretRef("file", str(tmp_path / "bad")))
        with pytest.raises(ProbeError) as err:
            prober.probe(sim.target, settings, wrong, 10.0)
        assert err.value.reason == "auth" and "k_g invalid" in err.value.message
    finally:
        prober.close()
        sim.stop()


def test_promtool_finds_only_the_name_ipmi_exporter_chose(exporter: Running, bmc: IpmiSim) -> None:
    text = scrape_text(f"{exporter.url}/probe?target={bmc.target}&module=ipmi_sim_all")
    lint = promtool_check_metrics(require_binary("promtool"), text)
    assert lint.stderr.strip().splitlines() == [
        'ipmi_sel_logs_count non-histogram and non-summary metrics should not have "_count" suffix'
    ]
