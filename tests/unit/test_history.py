"""The history generator: seeded, with the shapes it promises and a true fill time that matches its curve."""

from __future__ import annotations

import numpy as np
import pytest

from inframind.analyzer.history import ERRATIC, PATTERNS, filesystem_history, suite

DAY = 86400.0


def test_same_seed_same_history_other_seed_other_history() -> None:
    a, b = filesystem_history("linear", 5), filesystem_history("linear", 5)
    assert np.array_equal(a.used, b.used) and a.fill_time == b.fill_time
    assert not np.array_equal(a.used, filesystem_history("linear", 6).used)


@pytest.mark.parametrize("pattern", PATTERNS)
def test_every_pattern_is_well_formed(pattern: str) -> None:
    h = filesystem_history(pattern, 1, days=60, step_s=3600.0)  # type: ignore[arg-type]
    assert h.timestamps.size == 60 * 24 and np.all(np.diff(h.timestamps) == 3600.0)
    assert np.all(h.used >= 0) and np.all(h.used <= h.size)
    assert h.future_times[0] > h.end
    assert h.erratic == (pattern in ERRATIC)
    if h.erratic:
        assert h.fill_time is None


def test_fill_time_is_where_the_noise_free_future_reaches_the_size() -> None:
    h = filesystem_history("linear", 2, days_to_full=40.0)
    assert h.fill_time is not None and h.seconds_to_full is not None
    at = int(np.searchsorted(h.future_times, h.fill_time))
    assert h.future_used[at] >= h.future_size[at] and np.all(h.future_used[:at] < h.future_size[:at])
    # growth was set for 40 days; the daily variation of writes moves the truth a little around it
    assert h.seconds_to_full / DAY == pytest.approx(40.0, rel=0.15)


def test_flat_never_fills() -> None:
    assert filesystem_history("flat", 3).fill_time is None


def test_steps_and_disk_added_show_where_they_should() -> None:
    step = np.diff(filesystem_history("step_up", 4, step_s=DAY).used)
    assert step.max() > 10 * np.median(np.abs(step))
    cleanup = np.diff(filesystem_history("cleanup", 4, step_s=DAY).used)
    assert cleanup.min() < -10 * np.median(np.abs(cleanup))
    disk = filesystem_history("disk_added", 4)
    assert disk.size[-1] > disk.size[0] and np.unique(disk.size).size == 2
    ratio = np.diff(disk.used_ratio())
    assert ratio.min() < -0.1  # the used ratio drops when the size grows


def test_sawtooth_drops_recur() -> None:
    h = filesystem_history("sawtooth", 5, step_s=DAY / 4)
    drops = np.diff(h.used) < -0.02 * h.size[0]
    assert drops.sum() >= 10


def test_metrics_use_node_exporter_names() -> None:
    h = filesystem_history("linear", 1, days=10)
    (size_labels, t1, size), (avail_labels, t2, avail) = h.metrics({"instance": "srv-1"})
    assert size_labels["__name__"] == "node_filesystem_size_bytes" and size_labels["instance"] == "srv-1"
    assert avail_labels["__name__"] == "node_filesystem_avail_bytes" and avail_labels["mountpoint"] == "/data"
    assert np.array_equal(t1, t2) and np.allclose(size - avail, h.used)


def test_suite_has_every_pattern_and_rejects_unknown_ones() -> None:
    histories = suite(1, 2, days=30)
    assert len(histories) == 2 * len(PATTERNS) and len({h.name for h in histories}) == len(histories)
    with pytest.raises(ValueError, match="unknown pattern"):
        filesystem_history("spiral", 1)  # type: ignore[arg-type]
