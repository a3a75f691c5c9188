"""Rate anomalies on synthetic streams: cron bursts learned, real bursts caught, noise quiet, silence of regulars.

False positives, measured with this file's simulator (30 seeds x 14 days = 10 080 series-hours per shape, burst
and silence findings counted by the hour they occur in):
- steady Poisson logs at 1, 5, 20, 100 and 500 events/hour: 0 in every shape;
- clumpy logs (clusters of geometric size at Poisson times): 2 clusters/h of 5 lines 1, 5 of 3: 0, 10 of 2: 1,
  3 of 10: 0, 1 of 20: 4 (4e-4), 0.5 of 40: 19 (1.9e-3; the hourly count's standard deviation is 2x its mean).
The tests below re-run smaller versions and allow 1e-3 (Poisson, moderate clumps) and 5e-3 (the extreme shape).
"""

from __future__ import annotations

import datetime as dt
import json
import random
from collections.abc import Callable

import pytest

from inframind.analyzer.detect.loghits import TemplateHit
from inframind.analyzer.detect.rates import RateDetector, RateSettings
from inframind.analyzer.findings import Finding, LogEvidence, MetricEvidence

DAY0 = dt.datetime(2026, 11, 2, tzinfo=dt.UTC).timestamp()  # a Monday, 00:00 UTC
HOUR = 3600.0
Events = Callable[[random.Random, int], list[float]]
"""(rng, hour index) -> event times (seconds into the hour) of the template under test."""


def hit(at: float, tid: str = "t1", asset: str = "srv-1", level: str = "info", template: str = "") -> TemplateHit:
    text = template or f"template {tid} with <NUM>"
    return TemplateHit("acme", "syslog", asset, at, level, f"line of {tid}", tid, text)


def poisson(rate: float) -> Events:
    def events(rng: random.Random, _hour: int) -> list[float]:
        out: list[float] = []
        at = rng.expovariate(rate / HOUR)
        while at < HOUR:
            out.append(at)
            at += rng.expovariate(rate / HOUR)
        return out

    return events


def clumps(clusters_per_hour: float, mean_size: float) -> Events:
    """Clusters at Poisson times, each of a geometric number of lines half a second apart."""

    def events(rng: random.Random, hour: int) -> list[float]:
        out: list[float] = []
        for start in poisson(clusters_per_hour)(rng, hour):
            size = 1
            while rng.random() > 1 / mean_size:
                size += 1
            out.extend(start + 0.5 * i for i in range(size))
        return [t for t in out if t < HOUR]

    return events


def simulate(
    events: Events, days: int, seed: int, step: float = 900.0, detector: RateDetector | None = None
) -> list[tuple[int, Finding]]:
    """Feed ``days`` of the template (plus a steady companion so the asset is alive), evaluating every ``step``;
    returns (hour index, finding) for every finding about the template under test."""
    rng = random.Random(seed)
    detector = detector or RateDetector()
    found = []
    for hour in range(days * 24):
        start = DAY0 + hour * HOUR
        times = sorted(start + t for t in events(rng, hour))
        i = 0
        at = step
        while at <= HOUR:
            while i < len(times) and times[i] < start + at:
                detector.observe(hit(times[i]))
                i += 1
            detector.observe(hit(start + at - 1, "alive"))
            for finding in detector.evaluate(start + at - 0.5):
                if finding.evidence[1].template_id == "t1":  # type: ignore[union-attr]
                    found.append((hour, finding))
            at += step
    return found


def with_extra(base: Events, extra: Callable[[int], list[float]]) -> Events:
    return lambda rng, hour: base(rng, hour) + extra(hour)


# ---------------------------------------------------------------- bursts


def test_daily_cron_burst_is_learned_after_it_has_been_seen() -> None:
    """50 lines at 06:00 every day (and a trickle otherwise): it may fire while history is short, never after."""
    for seed in range(5):
        cron = with_extra(poisson(2), lambda hour: [10.0 + i for i in range(50)] if hour % 24 == 6 else [])
        found = simulate(cron, days=9, seed=seed)
        late = [h for h, f in found if h >= 2 * 24 and f.kind == "log.burst"]
        assert late == [], f"seed {seed}: cron fired at hours {late}"


def test_a_real_burst_fires_with_its_numbers() -> None:
    burst_hour = 5 * 24 + 14
    stream = with_extra(poisson(5), lambda hour: [600.0 + 3 * i for i in range(200)] if hour == burst_hour else [])
    found = simulate(stream, days=7, seed=3, step=300)
    bursts = [(h, f) for h, f in found if f.kind == "log.burst"]
    assert bursts and {h for h, _ in bursts} == {burst_hour}
    first = bursts[0][1]
    metric, logs = first.evidence[0], first.evidence[1]
    assert isinstance(metric, MetricEvidence) and isinstance(logs, LogEvidence)
    assert metric.observed >= 50 and metric.expected is not None and 2 < metric.expected < 10
    assert metric.upper is not None and metric.expected < metric.upper <= metric.observed
    assert logs.count == metric.observed and logs.samples and logs.template_id == "t1"
    assert first.score is not None and first.score > 0.5
    assert first.asset_id == "srv-1" and first.key == "syslog:t1" and first.labels["category"]
    assert len({f.fingerprint for _, f in bursts}) == 1  # one problem, refreshed, not a new finding per cycle


def test_a_burst_on_clumpy_logs_still_fires() -> None:
    burst_hour = 6 * 24 + 9
    stream = with_extra(clumps(2, 5), lambda hour: [60.0 * i for i in range(1, 61)] * 4 if hour == burst_hour else [])
    found = simulate(stream, days=8, seed=2)
    assert {h for h, f in found if f.kind == "log.burst"} == {burst_hour}


def test_one_instant_dump_is_not_a_burst_but_the_same_spread_over_minutes_is() -> None:
    burst_hour = 3 * 24 + 10
    dump = with_extra(poisson(3), lambda hour: [120.0] * 100 if hour == burst_hour else [])
    assert simulate(dump, days=4, seed=1) == []
    spread = with_extra(poisson(3), lambda hour: [120.0 + i for i in range(100)] if hour == burst_hour else [])
    assert {h for h, _ in simulate(spread, days=4, seed=1)} == {burst_hour}


def test_nothing_fires_before_min_history() -> None:
    stream = lambda _rng, hour: [float(i) for i in range(300)] if hour == 2 else [1.0]  # noqa: E731
    assert simulate(stream, days=1, seed=0) == []


# ---------------------------------------------------------------- false positives


@pytest.mark.parametrize("rate", [1.0, 5.0, 20.0, 100.0])
def test_poisson_noise_stays_quiet(rate: float) -> None:
    fired = sum(len({h for h, _ in simulate(poisson(rate), days=10, seed=seed)}) for seed in range(20))
    hours = 20 * 10 * 24
    assert fired / hours <= 1e-3, f"{fired} of {hours} series-hours fired"


@pytest.mark.parametrize(("clusters", "size", "limit"), [(2, 5, 1e-3), (5, 3, 1e-3), (10, 2, 1e-3), (1, 20, 5e-3)])
def test_clumpy_noise_stays_quiet(clusters: float, size: float, limit: float) -> None:
    fired = sum(len({h for h, _ in simulate(clumps(clusters, size), days=10, seed=s)}) for s in range(10))
    assert fired / (10 * 10 * 24) <= limit


# ---------------------------------------------------------------- silence


def test_a_regular_template_falling_silent_fires_and_clears_when_it_returns() -> None:
    stop, back = 3 * 24 + 12, 3 * 24 + 16
    stream: Events = lambda rng, hour: [] if stop <= hour < back else poisson(30)(rng, hour)  # noqa: E731
    found = simulate(stream, days=4, seed=4, step=300)
    silent_hours = sorted({h for h, f in found if f.kind == "log.silence"})
    assert silent_hours and silent_hours[0] in (stop, stop + 1) and silent_hours[-1] in (back - 1, back)
    finding = next(f for _, f in found if f.kind == "log.silence")
    metric = finding.evidence[0]
    assert isinstance(metric, MetricEvidence) and metric.observed == 0 and (metric.expected or 0) > 9
    assert finding.severity == "warning" and finding.score is not None and finding.score > 0.3


def test_silence_needs_a_regular_template_and_a_living_asset() -> None:
    sparse: Events = lambda rng, hour: poisson(30)(rng, hour) if hour % 3 == 0 and hour < 80 else []  # noqa: E731
    assert [f for _, f in simulate(sparse, days=4, seed=5) if f.kind == "log.silence"] == []
    detector = RateDetector()
    for minute in range(3 * 24 * 60):
        detector.observe(hit(DAY0 + 60 * minute))
    later = DAY0 + 3 * 86400 + 7200  # two hours of nothing at all from the asset
    assert detector.evaluate(later) == []


# ---------------------------------------------------------------- seasonality, renames, state


def test_weekday_profile_lowers_expectations_on_quiet_days() -> None:
    detector = RateDetector()
    for day in range(21):
        weekend = (day + 0) % 7 in (5, 6)  # DAY0 is a Monday
        for hour in range(24):
            for i in range(2 if weekend else 40):
                detector.observe(hit(DAY0 + day * 86400 + hour * HOUR + 60 * i + 1))
    saturday = DAY0 + 26 * 86400  # the Saturday of the fourth week
    detector.evaluate(saturday)
    series = detector.series[("acme", "syslog", "srv-1", "t1")]
    base = series.baseline(series.hour, detector.settings.profile)
    assert base is not None and base.seasonal and base.mu < 15


def test_renames_carry_counts_to_the_new_template() -> None:
    detector = RateDetector()
    for i in range(30):
        detector.observe(hit(DAY0 + 60 * i, "old"))
    renamed = TemplateHit("acme", "syslog", "srv-1", DAY0 + 1900, "info", "x", "new", "t <*>", changed_from=("old",))
    detector.observe(renamed)
    assert ("acme", "syslog", "srv-1", "old") not in detector.series
    assert detector.series[("acme", "syslog", "srv-1", "new")].count == 31


def test_state_round_trips_through_json_and_continues_identically() -> None:
    settings = RateSettings()
    first, second = RateDetector(settings), RateDetector(settings)
    burst_hour = 4 * 24 + 8
    stream = with_extra(poisson(6), lambda hour: [30.0 * i for i in range(100)] if hour == burst_hour else [])
    simulate(stream, days=4, seed=9, detector=first)
    second.restore(json.loads(json.dumps(first.to_dict())))
    a = simulate(stream, days=5, seed=9, detector=first)[-5:]
    b = simulate(stream, days=5, seed=9, detector=second)[-5:]
    assert [(h, f.to_dict()) for h, f in a] == [(h, f.to_dict()) for h, f in b]


def test_dirty_parts_hold_the_open_hour_and_only_changed_histories() -> None:
    detector = RateDetector()
    detector.observe(hit(DAY0 + 10, asset="a"))
    detector.observe(hit(DAY0 + 20, asset="b"))
    assert set(detector.dirty_parts()) == {"cur", "hist:acme:a", "hist:acme:b"}
    detector.mark_clean()
    detector.observe(hit(DAY0 + 30, asset="a"))
    detector.evaluate(DAY0 + 40)
    assert set(detector.dirty_parts()) == {"cur"}  # same hour: history untouched
    detector.mark_clean()
    detector.evaluate(DAY0 + HOUR + 5)  # the hour closed: both histories changed
    assert set(detector.dirty_parts()) == {"cur", "hist:acme:a", "hist:acme:b"}
    fresh = RateDetector()
    fresh.restore_parts(detector.parts())
    assert fresh.series[("acme", "syslog", "a", "t1")].hours == {int(DAY0 // HOUR): 2}
