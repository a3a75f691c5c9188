"""The SEL source against a real BMC: OpenIPMI's ipmi_sim on 127.0.0.1, read by FreeIPMI's ipmi-sel.

Each test starts its own simulator (half a second), sets its SEL clock, and moves CPU Temp across its
thresholds so the simulator logs SEL entries, then reads them through ``SelSource`` as the agent would:
events once, nothing on the next read, nothing after a restart on the same cursor store, and a clear
(``ipmi-sel --clear``) recovered from and flagged.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest

from inframind.agent.bmclogs import SelSource
from inframind.agent.cursors import CursorStore
from tests.helpers.bmclogs import (
    ASSET,
    SIM_SETTINGS,
    clear_sel,
    cross,
    drain,
    next_batch,
    read_quietly,
    set_sel_clock,
    sim_auth,
)
from tests.helpers.ipmi import IpmiSim

pytestmark = pytest.mark.integration
INTERVAL = 0.3


@pytest.fixture
def sim(tmp_path: Path) -> Iterator[IpmiSim]:
    bmc = IpmiSim(tmp_path / "sim")
    try:
        set_sel_clock(bmc)
        yield bmc
    finally:
        bmc.stop()


@pytest.fixture
def cursors(tmp_path: Path) -> Iterator[CursorStore]:
    store = CursorStore(tmp_path / "state" / "cursors.db")
    yield store
    store.close()


def sel_source(sim: IpmiSim, cursors: CursorStore, max_entries: int = 1000, password: str | None = None) -> SelSource:
    auth = (
        sim_auth(sim.directory / "secrets") if password is None else sim_auth(sim.directory / "bad", password=password)
    )
    return SelSource(
        "bmc-sim", sim.target, SIM_SETTINGS, auth, cursors, asset=ASSET, interval=INTERVAL, max_entries=max_entries
    )


def test_new_entries_become_events_once(sim: IpmiSim, cursors: CursorStore) -> None:
    source = sel_source(sim, cursors)
    try:
        read_quietly(source)  # an empty SEL: nothing, and its place is kept
        cross(sim, 97, 3)
        events = drain(source)
        assert [e.record_id for e in events] == ["1", "2", "3"]
        assert [e.level for e in events] == ["warning", "critical", "critical"]
        assert [e.event_id for e in events] == [
            "Temperature/Upper Non-critical - going high",
            "Temperature/Upper Critical - going high",
            "Temperature/Upper Non-recoverable - going high",
        ]
        first = events[0]
        assert (
            first.message
            == "CPU Temp: Upper Non-critical - going high ; Sensor Reading = 97.00 C ; Threshold = 75.00 C"
        )
        assert (first.source, first.provider, first.asset_id, first.tenant) == ("sel", "ipmi-sel", "bmc-sim", "acme")
        assert abs(first.timestamp - dt.datetime.now(dt.UTC)) < dt.timedelta(minutes=1)  # the SEL clock, read as UTC
        read_quietly(source, reads=2)
        assert source.last_listing == "none"  # --info unchanged: the entries were not listed again
        assert source.stats.errors == 0 and source.stats.read == 3
    finally:
        source.close()


def test_a_restarted_source_resumes_from_the_cursor_store(sim: IpmiSim, cursors: CursorStore) -> None:
    cross(sim, 97, 3)
    first = sel_source(sim, cursors)
    assert len(drain(first)) == 3
    first.close()
    again = sel_source(sim, cursors)
    try:
        read_quietly(again)
        cross(sim, 40, 3)  # the three deassertions
        events = drain(again)
        assert [e.record_id for e in events] == ["4", "5", "6"]
        assert all(e.fields["event_direction"] == "Deassertion Event" for e in events)
        assert again.last_listing == "range"  # listed from the cursor's record id, not the whole SEL
    finally:
        again.close()


def test_an_uncommitted_batch_is_delivered_again_with_the_same_fingerprints(sim: IpmiSim, cursors: CursorStore) -> None:
    cross(sim, 97, 3)
    first = sel_source(sim, cursors)
    lost = next_batch(first).events  # handed out, never made durable: no commit
    first.close()
    again = sel_source(sim, cursors)
    try:
        assert [e.fingerprint for e in drain(again)] == [e.fingerprint for e in lost]
    finally:
        again.close()


def test_a_cleared_sel_is_read_from_its_start_and_flagged(sim: IpmiSim, cursors: CursorStore) -> None:
    cross(sim, 97, 3)
    source = sel_source(sim, cursors)
    try:
        assert len(drain(source)) == 3
        clear_sel(sim)
        read_quietly(source)  # now empty
        assert source.stats.flagged == {"log_cleared": 1}
        cross(sim, 40, 3)
        events = drain(source)
        assert [e.fields["event_direction"] for e in events] == ["Deassertion Event"] * 3
        assert len(events) == 3
        read_quietly(source)
        assert source.stats.flagged == {"log_cleared": 1}
    finally:
        source.close()


def test_a_clear_between_reads_flags_the_entries_after_it(sim: IpmiSim, cursors: CursorStore) -> None:
    cross(sim, 97, 3)
    source = sel_source(sim, cursors)
    try:
        assert len(drain(source)) == 3
        source.close()
        clear_sel(sim)
        cross(sim, 40, 3)
        source = sel_source(sim, cursors)
        events = drain(source)
        assert len(events) == 3
        assert {e.fields["cursor_reset"] for e in events} == {"log_cleared"}
        assert source.stats.flagged == {"log_cleared": 1}
    finally:
        source.close()


def test_max_entries_bounds_each_read(sim: IpmiSim, cursors: CursorStore) -> None:
    cross(sim, 97, 3)
    cross(sim, 40, 3)
    source = sel_source(sim, cursors, max_entries=4)
    try:
        assert [e.record_id for e in drain(source)] == ["1", "2", "3", "4"]
        assert [e.record_id for e in drain(source)] == ["5", "6"]
        read_quietly(source)
    finally:
        source.close()


def test_a_wrong_password_is_an_error_not_a_crash(sim: IpmiSim, cursors: CursorStore) -> None:
    source = sel_source(sim, cursors, password="wrong-pw")
    try:
        read_quietly(source)
        assert source.stats.errors == 1
        assert "(auth)" in (source.stats.last_error or "") and "wrong-pw" not in (source.stats.last_error or "")
        assert cursors.get(source.name) is None
    finally:
        source.close()
