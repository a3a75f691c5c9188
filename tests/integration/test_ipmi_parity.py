"""Parity with Debian's prometheus-ipmi-exporter 1.6.1: both read one ipmi_sim; every family both expose
has the same name, type, label names, series and values (the scrape's own duration aside), before and
after a threshold crossing."""

from __future__ import annotations

import math
from collections.abc import Iterator

import pytest

from tests.helpers.exposition import Family, parse, scrape_text
from tests.helpers.ipmi import IpmiSim, start_our_exporter, start_peer_exporter
from tests.helpers.procs import wait_until
from tests.helpers.servers import Running

pytestmark = pytest.mark.integration

OURS_ONLY = {
    "probe_success",
    "probe_duration_seconds",
    "inframind_ipmi_sel_entries",  # ipmi_exporter does not count entries by severity
    "ipmi_chassis_drive_fault_state",  # newer ipmi_exporter releases have these two; 1.6.1 not yet
    "ipmi_chassis_cooling_fault_state",
}
SHARED = {
    "ipmi_up", "ipmi_scrape_duration_seconds", "ipmi_temperature_celsius", "ipmi_temperature_state",
    "ipmi_fan_speed_rpm", "ipmi_fan_speed_ratio", "ipmi_fan_speed_state", "ipmi_voltage_volts",
    "ipmi_voltage_state", "ipmi_current_amperes", "ipmi_current_state", "ipmi_power_watts", "ipmi_power_state",
    "ipmi_sensor_value", "ipmi_sensor_state", "ipmi_sel_logs_count", "ipmi_sel_free_space_bytes",
    "ipmi_chassis_power_state", "ipmi_bmc_info",
}  # fmt: skip


@pytest.fixture(scope="module")
def setup(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[IpmiSim, Running, Running]]:
    base = tmp_path_factory.mktemp("ipmi-parity")
    sim = IpmiSim(base / "sim")
    ours = start_our_exporter(base / "ours")
    peer = start_peer_exporter(base / "peer")
    yield sim, ours, peer
    for server in (peer, ours, sim):
        server.stop()


def scrape(ours: Running, peer: Running, sim: IpmiSim, module: str) -> tuple[dict[str, Family], dict[str, Family]]:
    query = f"target={sim.target}&module={module}"
    return parse(scrape_text(f"{ours.url}/probe?{query}")), parse(scrape_text(f"{peer.url}/ipmi?{query}"))


def same(a: float, b: float) -> bool:
    """Equal, both NaN, or equal but for float rounding (it scales a fan's percent by 0.01, we divide by 100)."""
    return math.isclose(a, b, rel_tol=1e-12) or (math.isnan(a) and math.isnan(b))


def assert_parity(mine: dict[str, Family], theirs: dict[str, Family]) -> None:
    assert set(theirs) - set(mine) == set(), "families only ipmi_exporter has"
    assert set(mine) - set(theirs) <= OURS_ONLY
    for name in set(mine) & set(theirs):
        ours, peer = mine[name], theirs[name]
        assert ours.type == peer.type, name
        assert ours.label_names == peer.label_names, name
        assert ours.series.keys() == peer.series.keys(), name
        if name != "ipmi_scrape_duration_seconds":
            differ = {dict(k).get("name", ""): (v, peer.series[k]) for k, v in ours.series.items()}
            assert all(same(a, b) for a, b in differ.values()), f"{name}: {differ}"


@pytest.mark.parametrize("module", ["ipmi_sim", "ipmi_sim_all"])
def test_same_families_as_ipmi_exporter(setup: tuple[IpmiSim, Running, Running], module: str) -> None:
    sim, ours, peer = setup
    mine, theirs = scrape(ours, peer, sim, module)
    assert_parity(mine, theirs)
    expected = SHARED if module == "ipmi_sim_all" else SHARED - {"ipmi_bmc_info"}
    assert set(mine) & set(theirs) == expected
    assert theirs["ipmi_up"].by("collector") == mine["ipmi_up"].by("collector")


def test_same_values_after_a_threshold_crossing(setup: tuple[IpmiSim, Running, Running]) -> None:
    sim, ours, peer = setup
    sim.set_reading("CPU Temp", 88)
    found: list[tuple[dict[str, Family], dict[str, Family]]] = []

    def both_see_it() -> bool:
        found[:] = [scrape(ours, peer, sim, "ipmi_sim_all")]
        mine, theirs = found[0]
        readings = [f["ipmi_temperature_state"].value(id="1", name="CPU Temp") for f in (mine, theirs)]
        counts = [f["ipmi_sel_logs_count"].value() for f in (mine, theirs)]
        return readings == [2.0, 2.0] and counts == [2.0, 2.0]

    assert wait_until(both_see_it, timeout=10, interval=0.3)
    mine, theirs = found[0]
    assert_parity(mine, theirs)
    assert mine["ipmi_temperature_celsius"].value(id="1", name="CPU Temp") == 88.0
    assert mine["inframind_ipmi_sel_entries"].by("severity")["critical"] == 1.0
