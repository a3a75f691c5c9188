"""What of an anomaly may page: event rates need a significant count, noisy signals a minimum duration, a value a
material step outside its band; an excursion seen at this time of day before, and weak evidence on a series still
learning its daily pattern, are kept as info."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest

from inframind.analyzer.detect.anomaly import EventTest, Persistence, Score, Season, SeriesRef, findings
from inframind.analyzer.detect.anomaly.seasonal import Profile
from inframind.analyzer.findings import FactEvidence
from inframind.analyzer.metricloop_anomaly import STATE_PREFIX, AnomalyBank
from inframind.analyzer.metricloop_settings import MetricAnalysisSettings
from inframind.analyzer.sources.series import Series

T0 = 1_790_000_040.0
SETTINGS = MetricAnalysisSettings(backfill=4 * 3600.0, stale_after=3600.0)
ADULT = replace(SETTINGS, anomaly_learning=0.0)
"""Learning off: the checks below judge findings, not the learning period."""


def series(values: np.ndarray, **labels: str) -> Series:
    t = T0 + 60.0 * np.arange(values.size, dtype=np.float64)
    return Series({"tenant": "acme", "asset": "db-1", **labels}, t, values)


def bank_of(settings: MetricAnalysisSettings, signal: str, s: Series, rule: Persistence | None = None) -> AnomalyBank:
    bank = AnomalyBank(settings, rule=rule)
    ((key, new),) = bank.feed(signal, [s])
    bank.admit(signal, key, new)
    return bank


def drops(tail: list[int], window: float = 300.0) -> np.ndarray:
    """A drop rate that is 4 events per rate window for 200 points, then ``tail`` (events per window)."""
    return np.array([4] * 200 + tail, dtype=np.float64) / window


def spike(points: int, total: int = 220, at: int = 200) -> np.ndarray:
    rng = np.random.default_rng(7)
    v = 0.01 + rng.normal(0, 0.001, total)
    v[at : at + points] = 0.4
    return v


# ------------------------------------------------------------ event rates


def test_a_count_one_event_above_the_usual_is_not_significant() -> None:
    test = EventTest(window=300.0)
    assert not test.significant(5 / 300, 4 / 300)  # P(X >= 5 | 4) = 0.37
    assert not test.significant(2 / 300, 0.0)  # below the excess floor, however unlikely
    assert test.significant(20 / 300, 4 / 300)
    assert test.significant(4 / 300, 0.0)
    assert not test.significant(float("nan"), 0.0)
    with pytest.raises(ValueError):
        EventTest(window=0.0)


def test_one_more_drop_per_window_is_no_finding_but_a_real_burst_is() -> None:
    quantized = series(drops([5] * 10))
    assert bank_of(ADULT, "network_drops", quantized).findings() == []
    # without the count test the detector's scale, learnt on a flat rate, calls one more event an anomaly
    plain = replace(ADULT, anomaly_event_signals=())
    assert [f.labels["signal"] for f in bank_of(plain, "network_drops", quantized).findings()] == ["network_drops"]
    (burst,) = bank_of(ADULT, "network_drops", series(drops([40] * 10))).findings()
    assert burst.severity in ("warning", "critical")


def test_the_count_test_is_applied_per_run() -> None:
    ref = SeriesRef("x", "db-1", signal="network_drops", unit="per second")
    votes = {"residual": 0.9, "likelihood": 0.9, "shift": 0.9, "novelty": 0.0}
    scores = [Score(1.0, 4 / 300, 4 / 300, 4 / 300, votes)] * 5
    stamps = [T0 + 60.0 * i for i in range(5)]
    assert len(findings(ref, stamps, [5 / 300] * 5, scores)) == 1
    assert findings(ref, stamps, [5 / 300] * 5, scores, events=EventTest(300.0)) == []
    assert len(findings(ref, stamps, [5 / 300] * 4 + [30 / 300], scores, events=EventTest(300.0))) == 1


# ------------------------------------------------------------ material effect


def test_a_saturated_score_inside_the_band_is_no_finding() -> None:
    ref = SeriesRef("q", "db-1", signal="disk_queue")
    votes = {"residual": 0.9, "likelihood": 0.9, "shift": 0.0, "novelty": 0.0}
    scores = [Score(0.9, 0.41, 0.33, 0.49, votes)] * 5
    stamps = [T0 + 60.0 * i for i in range(5)]
    inside, edge, outside = [0.45] * 5, [0.495] * 5, [0.6] * 5
    assert len(findings(ref, stamps, inside, scores)) == 1  # the old rule: scores alone
    rule = Persistence(band_excess=0.1)
    assert findings(ref, stamps, inside, scores, rule) == []
    assert findings(ref, stamps, edge, scores, rule) == []  # 0.005 beyond a 0.16 wide band
    assert len(findings(ref, stamps, outside, scores, rule)) == 1


# ------------------------------------------------------------ minimum duration


def test_a_noisy_signal_must_stay_anomalous_for_its_minimum_duration() -> None:
    short = spike(5)
    assert bank_of(ADULT, "disk_queue", series(short, device="sdb")).findings() == []
    assert len(bank_of(ADULT, "iowait", series(short)).findings()) == 1  # other signals keep 3 points
    anywhere = replace(ADULT, anomaly_min_duration={})
    assert len(bank_of(anywhere, "disk_queue", series(short, device="sdb")).findings()) == 1
    assert AnomalyBank(ADULT).rules["disk_queue"].points == 10


# ------------------------------------------------------------ learning

WEAK = Persistence(critical=1.01, band_excess=0.1)
"""Nothing is critical: every finding has the weak evidence learning holds back."""


def test_a_short_anomaly_on_a_learning_series_is_kept_as_info() -> None:
    (young,) = bank_of(SETTINGS, "iowait", series(spike(5)), WEAK).findings()
    assert young.severity == "info"
    (note,) = [e for e in young.evidence if isinstance(e, FactEvidence) and e.name == "anomaly_learning"]
    lasted = note.values["lasted_s"]
    assert isinstance(lasted, int) and 300 <= lasted < 480 and note.values["learning_s"] == 3 * 86400
    (adult,) = bank_of(ADULT, "iowait", series(spike(5)), WEAK).findings()
    assert adult.severity == "warning" and adult.fingerprint == young.fingerprint
    # 220 points (3.7 h) watched: past a learning period of 3 h the same anomaly pages
    (grown,) = bank_of(replace(SETTINGS, anomaly_learning=3 * 3600.0), "iowait", series(spike(5)), WEAK).findings()
    assert grown.severity == "warning"
    # strong evidence pages while learning
    (strong,) = bank_of(SETTINGS, "iowait", series(spike(5))).findings()
    assert strong.severity == "critical"


def test_a_lasting_anomaly_pages_even_while_learning() -> None:
    quick = replace(SETTINGS, anomaly_learning_persistence=480.0)
    bank = bank_of(quick, "iowait", series(spike(8, total=208)), WEAK)
    (tracked,) = bank.series.values()
    assert tracked.run_start == T0 + 60.0 * 200  # ongoing since the jump
    (finding,) = bank.findings()
    assert finding.severity == "warning"
    assert bank_of(quick, "iowait", series(spike(5)), WEAK).findings()[0].severity == "info"


def test_the_start_of_a_run_survives_a_checkpoint() -> None:
    bank = bank_of(SETTINGS, "iowait", series(spike(8, total=208)))
    ((key, value),) = bank.checkpoint(10, now=T0).items()
    resumed = AnomalyBank(SETTINGS)
    assert resumed.restore({key[len(STATE_PREFIX) :]: value}) == []
    (a,), (b,) = bank.series.values(), resumed.series.values()
    assert a.run_start == b.run_start == T0 + 60.0 * 200


# ------------------------------------------------------------ recurring at the same time of day

MIDNIGHT = 1_790_035_200.0
"""A UTC midnight (T0 is not one)."""


JOB_SEEN = (2 * 3600.0 + 24 * 60.0) / 86400.0
"""Days from the first midnight to 02:24, 24 minutes into the job."""


def nightly(days: float, job: float = 2 * 3600.0, minutes: int = 40, late: float = 0.0) -> Series:
    """iowait near 2 % from 18:00 until ``days`` after the next midnight, with a job at 30 % for ``minutes`` from
    ``job`` past midnight each night (the last night ``late`` seconds later)."""
    t = MIDNIGHT - 6 * 3600.0 + 60.0 * np.arange(int((days * 86400.0 + 6 * 3600.0) / 60), dtype=np.float64)
    rng = np.random.default_rng(3)
    v = 0.02 + rng.normal(0, 0.002, t.size)
    since = (t - MIDNIGHT) % 86400.0
    last_night = t >= MIDNIGHT + 86400.0 * math.floor(days)
    start = job + np.where(last_night, late, 0.0)
    v[(since >= start) & (since < start + 60.0 * minutes)] = 0.30
    return Series({"tenant": "acme", "asset": "app-7"}, t, v)


def test_a_nightly_job_pages_the_first_night_only() -> None:
    (night1,) = bank_of(ADULT, "iowait", nightly(JOB_SEEN)).findings()
    assert night1.severity == "critical"
    (night2,) = bank_of(ADULT, "iowait", nightly(1 + JOB_SEEN)).findings()
    assert night2.severity == "info"
    (note,) = [e for e in night2.evidence if isinstance(e, FactEvidence) and e.name == "anomaly_recurring"]
    assert note.values["earlier_days"] == 1
    off = replace(ADULT, anomaly_recurrence_days=0)
    assert bank_of(off, "iowait", nightly(1 + JOB_SEEN)).findings()[0].severity == "critical"
    twice = replace(ADULT, anomaly_recurrence_days=2)
    assert bank_of(twice, "iowait", nightly(1 + JOB_SEEN)).findings()[0].severity == "critical"


def test_a_job_that_drifts_is_still_recognised_but_another_hour_is_new() -> None:
    days = 1 + JOB_SEEN + 1200.0 / 86400.0
    drifted = bank_of(ADULT, "iowait", nightly(days, late=1200.0)).findings()
    assert [f.severity for f in drifted] == ["info"]  # 20 minutes late: within the 30 minute spread
    later = 3 * 3600.0
    other = bank_of(ADULT, "iowait", nightly(1 + JOB_SEEN + later / 86400.0, late=later)).findings()
    assert [f.severity for f in other] == ["critical"]


def test_recurrences_leave_out_the_period_being_judged() -> None:
    profile = Profile(Season("daily", 86400.0, 144), 144, 3)
    deviation = [0.0] * 120 + [0.3] * 40 + [0.0] * 80  # from 00:00, one point a minute: 02:00-02:40 is high
    for i, d in enumerate(deviation):
        profile.expect(MIDNIGHT + 60.0 * i, d, 0.0)
    job = MIDNIGHT + 7200.0
    now = MIDNIGHT + 60.0 * (len(deviation) - 1)
    assert profile.recurrences(job, 0.3, 0.0, now=now, share=0.5, spread=1) == 0  # today's is not an earlier day
    tomorrow = job + 86400.0
    assert profile.recurrences(tomorrow, 0.3, 0.0, now=tomorrow, share=0.5, spread=1) == 1
    assert profile.recurrences(tomorrow, 0.9, 0.0, now=tomorrow, share=0.5, spread=1) == 0  # much larger now
    assert profile.recurrences(tomorrow, -0.3, 0.0, now=tomorrow, share=0.5, spread=1) == 0  # the other way
    assert profile.recurrences(tomorrow + 3 * 3600.0, 0.3, 0.0, now=tomorrow, share=0.5, spread=1) == 0


def test_settings_are_checked() -> None:
    bad = MetricAnalysisSettings(
        anomaly_event_alpha=1.5, anomaly_min_excess_events=-1.0, anomaly_learning_persistence=0.0,
        anomaly_min_duration={"disk_queue": 7200.0},
    )  # fmt: skip
    paths = {path for path, _ in bad.check()}
    assert {("anomaly_event_alpha",), ("anomaly_min_excess_events",), ("anomaly_learning_persistence",),
            ("anomaly_min_duration", "disk_queue")} <= paths  # fmt: skip
    assert not [p for p, _ in MetricAnalysisSettings().check() if str(p[0]).startswith("anomaly_")]
