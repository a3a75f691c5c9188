import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from inframind.exporters.host.time import TimeCollector, create
from tests.helpers.hosttree import fixture_config, one, samples, types


@pytest.fixture
def zone_xyz(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """A POSIX TZ string needs no zoneinfo files: zone "XYZ", three hours east of UTC."""
    monkeypatch.setenv("TZ", "XYZ-3")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def test_time_zone_and_clocksources(zone_xyz: None) -> None:
    before = time.time()
    families = create(fixture_config()).collect()
    after = time.time()
    got = samples(families)
    (now,) = got["node_time_seconds"].values()
    assert before <= now <= after
    assert got["node_time_zone_offset_seconds"] == {frozenset({("time_zone", "XYZ")}): 10800.0}
    available = {dict(k)["clocksource"] for k in got["node_time_clocksource_available_info"]}
    assert available == {"tsc", "hpet", "acpi_pm"}
    assert one(got["node_time_clocksource_current_info"], clocksource="tsc", device="0") == 1.0
    assert set(types(families).values()) == {"gauge"}


def test_no_clocksources_is_not_an_error(tmp_path: Path) -> None:
    got = samples(TimeCollector(str(tmp_path)).collect())
    assert set(got) == {"node_time_seconds", "node_time_zone_offset_seconds"}
