"""Finding: evidence is mandatory, fingerprints identify the problem, JSON round trip keeps everything."""

from __future__ import annotations

import datetime as dt

import pytest

from inframind.analyzer.findings import FactEvidence, Finding, LogEvidence, MetricEvidence, Window, fingerprint

T0 = dt.datetime(2026, 11, 26, 6, 0, tzinfo=dt.UTC)
WINDOW = Window(T0, T0 + dt.timedelta(hours=6))


def finding(**changes: object) -> Finding:
    base: dict[str, object] = {
        "kind": "metric.anomaly",
        "asset_id": "srv-db-03",
        "tenant": "acme",
        "severity": "warning",
        "title": "iowait rose from 8% to 29%",
        "window": WINDOW,
        "evidence": (
            MetricEvidence(
                query='avg(rate(node_cpu_seconds_total{mode="iowait"}[5m]))',
                window=WINDOW,
                observed=0.29,
                expected=0.08,
                lower=0.05,
                upper=0.12,
                unit="ratio",
                labels={"instance": "srv-db-03"},
                points=((T0.timestamp(), 0.08),),
            ),
            LogEvidence(
                template="sd <*>: [<*>] I/O error",
                template_id="t1",
                count=12,
                window=WINDOW,
                first_seen=T0,
                last_seen=T0 + dt.timedelta(hours=1),
                source="journald",
                samples=("sd 2:0:0:0: [sdb] I/O error",),
                parameters={"<*>": ("sdb",)},
                assets=("srv-db-03",),
            ),
            FactEvidence(name="lun", values={"lun": "LUN-12", "write_iops": 5400.0}),
        ),
        "key": 'iowait{instance="srv-db-03"}',
        "score": 0.9,
        "links": {"runbook": "docs/runbooks/HostHighIowait.md"},
    }
    base.update(changes)
    return Finding(**base)  # type: ignore[arg-type]


def test_round_trip() -> None:
    original = finding()
    assert Finding.from_dict(original.to_dict()) == original


def test_fingerprint_is_the_problem_not_the_observation() -> None:
    a = finding()
    later = finding(window=Window(T0 + dt.timedelta(days=1), T0 + dt.timedelta(days=1, hours=1)), score=0.5)
    assert a.fingerprint == later.fingerprint == fingerprint("metric.anomaly", "acme", "srv-db-03", a.key)
    assert finding(tenant="other").fingerprint != a.fingerprint
    with pytest.raises(ValueError, match="does not match"):
        finding(fingerprint="0" * 32)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"evidence": ()}, "needs evidence"),
        ({"score": 1.5}, r"within \[0, 1\]"),
        ({"severity": "page"}, "unknown"),
    ],
)
def test_invalid_findings(changes: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        finding(**changes)


def test_window_checks() -> None:
    with pytest.raises(ValueError, match="before its start"):
        Window(T0, T0 - dt.timedelta(seconds=1))
    with pytest.raises(ValueError, match="timezone-aware"):
        Window(dt.datetime(2026, 1, 1), dt.datetime(2026, 1, 2))
