"""The anomaly detector bank: new points only, checkpoints that resume exactly, findings, peaks and forgetting."""

from __future__ import annotations

import json

import numpy as np
import pytest

from inframind.analyzer.metricloop_anomaly import STATE_PREFIX, AnomalyBank
from inframind.analyzer.metricloop_settings import MetricAnalysisSettings
from inframind.analyzer.sources.series import Series

SETTINGS = MetricAnalysisSettings(backfill=4 * 3600.0, stale_after=3600.0)
T0 = 1_790_000_040.0
LABELS = {"tenant": "acme", "asset": "db-1"}


def iowait(n: int, start: int = 0, spike_from: int | None = None) -> Series:
    t = T0 + 60.0 * np.arange(start, start + n, dtype=np.float64)
    rng = np.random.default_rng(start)
    v = 0.01 + rng.normal(0, 0.001, n)
    if spike_from is not None:
        v[np.arange(start, start + n) >= spike_from] = 0.4
    return Series(dict(LABELS), t, v)


def fed(points: int, spike_from: int | None = None) -> AnomalyBank:
    bank = AnomalyBank(SETTINGS)
    series = iowait(points, spike_from=spike_from)
    ((key, new),) = bank.feed("iowait", [series])
    bank.admit("iowait", key, new)
    return bank


def test_points_are_fed_once_however_often_they_come_back() -> None:
    bank = fed(200)
    assert (len(bank), bank.points) == (1, 200)
    assert bank.feed("iowait", [iowait(200)]) == []  # the same points again: tracked, nothing new
    assert bank.points == 200
    bank.feed("iowait", [iowait(10, start=195)])  # overlaps by five
    assert bank.points == 205
    (tracked,) = bank.series.values()
    assert tracked.detector.last == T0 + 60.0 * 204
    assert bank.fetch_start("iowait", T0 + 60.0 * 210) == T0 + 60.0 * 205
    assert bank.fetch_start("cpu", T0 + 60.0 * 210) == T0 + 60.0 * 209  # nothing tracked: just the last step


def test_series_without_an_asset_are_ignored() -> None:
    bank = AnomalyBank(SETTINGS)
    assert bank.feed("iowait", [Series({"tenant": "acme"}, np.array([T0]), np.array([0.1]))]) == []


def test_a_spike_becomes_one_finding_and_a_peak() -> None:
    bank = fed(200, spike_from=190)
    (finding,) = bank.findings()
    assert (finding.kind, finding.asset_id, finding.tenant, finding.labels["signal"]) == (
        "metric.anomaly", "db-1", "acme", "iowait",
    )  # fmt: skip
    assert (
        finding.key
        == 'avg by (tenant, asset) (rate(node_cpu_seconds_total{mode="iowait",tenant="acme",asset="db-1"}[300s]))'
    )
    end = T0 + 60.0 * 199
    assert bank.peaks(end, 600.0)[("acme", "db-1", "iowait")] == pytest.approx(1.0)
    calm = fed(200)
    assert calm.findings() == []
    assert calm.peaks(end, 600.0, sustained=3)[("acme", "db-1", "iowait")] < 0.7


def test_a_checkpoint_resumes_exactly_where_it_stopped() -> None:
    bank = fed(200)
    state = bank.checkpoint(10, now=T0)
    ((key, value),) = state.items()
    assert key.startswith(STATE_PREFIX) and set(value) == {"z"}
    assert len(json.dumps(value)) < 60_000  # compressed: the plain JSON is about twice that
    resumed = AnomalyBank(SETTINGS)
    assert resumed.restore({key[len(STATE_PREFIX) :]: value}) == []
    (a,), (b,) = bank.series.values(), resumed.series.values()
    assert a.detector.to_dict() == b.detector.to_dict()
    assert list(a.recent) == list(b.recent)
    more = iowait(30, start=200, spike_from=215)
    bank.feed("iowait", [more])
    resumed.feed("iowait", [more])
    assert a.detector.to_dict() == b.detector.to_dict()
    assert [f.title for f in bank.findings()] == [f.title for f in resumed.findings()]


def test_checkpoints_take_turns_and_bad_ones_are_dropped() -> None:
    bank = AnomalyBank(SETTINGS)
    for i in range(5):
        series = Series(
            {"tenant": "acme", "asset": f"n{i}"}, T0 + 60.0 * np.arange(20, dtype=np.float64), np.full(20, 0.01)
        )
        ((key, new),) = bank.feed("iowait", [series])
        bank.admit("iowait", key, new)
    first = set(bank.checkpoint(2, now=1.0))
    second = set(bank.checkpoint(2, now=2.0))
    third = set(bank.checkpoint(2, now=3.0))
    assert len(first | second | third) == 5 and not first & second
    assert AnomalyBank(SETTINGS).restore({"iowait|acme|x": {"z": "not base64 zlib"}}) == ["iowait|acme|x"]


def test_stale_series_are_forgotten_and_their_state_deleted() -> None:
    bank = fed(20)
    assert bank.forget_stale(T0 + 60.0 * 19 + 3000.0) == 0
    assert bank.forget_stale(T0 + 60.0 * 19 + 3601.0) == 1
    assert len(bank) == 0
    assert bank.checkpoint(10, now=0.0) == {STATE_PREFIX + "iowait|acme|db-1": None}
