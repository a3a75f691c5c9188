"""The BMC sources' shared mechanics: one read per interval in the background, hand-out, commit, stats.

The reader is a fake that returns prepared reads (the real ones are tested against ipmi_sim and
sushy-static); the clock is a fake the test moves; cursors go to a real CursorStore in tmp_path.
"""

from __future__ import annotations

import datetime as dt
import threading
from pathlib import Path

import pytest

from inframind.agent.bmclogs.polled import PolledSource, Read, ReadError
from inframind.agent.cursors import CursorStore
from inframind.events import LogEvent
from tests.helpers.bmclogs import next_batch

T0 = dt.datetime(2026, 3, 14, 9, 0, tzinfo=dt.UTC)


def event(n: int) -> LogEvent:
    return LogEvent(T0 + dt.timedelta(seconds=n), "sel", "info", f"entry {n}", asset_id="bmc", record_id=str(n))


def read_of(first: int, last: int) -> Read:
    return Read([(event(n), f"after-{n}") for n in range(first, last + 1)], f"after-{last}")


class FakeBmc:
    """Answers each read with the next prepared result, remembering where each read started."""

    def __init__(self, *results: Read | Exception) -> None:
        self.results = list(results)
        self.started: list[str | None] = []

    def __call__(self, cursor: str | None) -> Read:
        self.started.append(cursor)
        result = self.results.pop(0) if self.results else Read(cursor=cursor)
        if isinstance(result, Exception):
            raise result
        return result


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def cursors(tmp_path: Path) -> CursorStore:
    return CursorStore(tmp_path / "cursors.db")


def source(bmc: FakeBmc, cursors: CursorStore, clock: Clock, interval: float = 60.0) -> PolledSource:
    wall = lambda: T0 + dt.timedelta(minutes=5)  # noqa: E731
    return PolledSource("sel:bmc", bmc, cursors, interval, clock=clock, wall=wall)


def wait_read(src: PolledSource, reads: int) -> None:
    for _ in range(500):
        assert src.poll(1000) is None
        if src.reads >= reads:
            return
        threading.Event().wait(0.01)
    raise AssertionError("the read did not finish")


def test_events_arrive_on_a_later_poll_and_commit_persists_the_cursor(cursors: CursorStore) -> None:
    bmc, clock = FakeBmc(read_of(1, 3)), Clock()
    src = source(bmc, cursors, clock)
    assert src.poll(100) is None  # the read starts in the background; poll() does not wait for it
    batch = next_batch(src)
    assert [e.record_id for e in batch.events] == ["1", "2", "3"]
    assert cursors.get("sel:bmc") is None  # not durable yet
    batch.commit()
    assert cursors.get("sel:bmc") == "after-3"
    assert src.stats.read == 3


def test_at_most_one_read_per_interval(cursors: CursorStore) -> None:
    bmc, clock = FakeBmc(read_of(1, 1), read_of(2, 2)), Clock()
    src = source(bmc, cursors, clock, interval=60)
    next_batch(src).commit()
    for _ in range(20):
        assert src.poll(100) is None
    assert len(bmc.started) == 1
    clock.now += 59
    assert src.poll(100) is None
    assert len(bmc.started) == 1
    clock.now += 1
    assert [e.record_id for e in next_batch(src).events] == ["2"]
    assert bmc.started == [None, "after-1"]


def test_a_batch_cut_by_max_events_commits_its_own_end(cursors: CursorStore) -> None:
    bmc, clock = FakeBmc(read_of(1, 5)), Clock()
    src = source(bmc, cursors, clock)
    first = next_batch(src, max_events=2)
    assert [e.record_id for e in first.events] == ["1", "2"]
    first.commit()
    assert cursors.get("sel:bmc") == "after-2"
    rest = src.poll(10)
    assert rest is not None and [e.record_id for e in rest.events] == ["3", "4", "5"]
    assert len(bmc.started) == 1  # the rest came from the same read
    assert src.poll(0) is None


def test_an_uncommitted_batch_is_read_again_after_a_restart(cursors: CursorStore) -> None:
    clock = Clock()
    first = source(FakeBmc(read_of(1, 2), read_of(3, 4)), cursors, clock)
    next_batch(first).commit()
    clock.now += 60
    next_batch(first)  # 3-4 handed out, then the agent dies before they are durable
    first.close()
    bmc = FakeBmc(read_of(3, 4))
    again = source(bmc, cursors, clock)
    assert [e.record_id for e in next_batch(again).events] == ["3", "4"]
    assert bmc.started == ["after-2"]


def test_a_read_with_no_events_but_a_new_place_is_persisted_at_once(cursors: CursorStore) -> None:
    src = source(FakeBmc(Read(cursor="caught-up")), cursors, Clock())
    wait_read(src, 1)
    assert cursors.get("sel:bmc") == "caught-up"


def test_failures_are_counted_and_the_source_goes_on(cursors: CursorStore) -> None:
    clock = Clock()
    bmc = FakeBmc(ReadError("BMC 10.0.0.1: ipmi-sel failed (auth): password invalid"), KeyError("bug"), read_of(1, 1))
    src = source(bmc, cursors, clock)
    wait_read(src, 1)
    assert src.stats.errors == 1 and "password invalid" in (src.stats.last_error or "")
    clock.now += 60
    wait_read(src, 2)
    assert src.stats.errors == 2
    clock.now += 60
    assert [e.record_id for e in next_batch(src).events] == ["1"]


def test_flags_rejects_and_partial_errors_reach_the_stats(cursors: CursorStore) -> None:
    read = read_of(1, 1)
    read.flags, read.rejected, read.errors = {"log_cleared": 1}, {"malformed": 2}, ["GET /x: HTTP 500"]
    src = source(FakeBmc(read), cursors, Clock())
    next_batch(src)
    stats = src.stats.snapshot()
    assert (stats.flagged, stats.rejected, stats.errors) == ({"log_cleared": 1}, {"malformed": 2}, 1)


def test_lag_counts_from_the_oldest_event_not_yet_handed_out(cursors: CursorStore) -> None:
    src = source(FakeBmc(read_of(1, 3)), cursors, Clock())
    next_batch(src, max_events=1)
    assert src.stats.lag_seconds == pytest.approx(300 - 2)  # entry 2 is pending, written at T0+2s
    assert src.poll(10) is not None
    assert src.stats.lag_seconds == 0.0


def test_close_stops_reading(cursors: CursorStore) -> None:
    bmc = FakeBmc(read_of(1, 1))
    src = source(bmc, cursors, Clock())
    src.close()
    assert src.poll(10) is None
    assert bmc.started == []
