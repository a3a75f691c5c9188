"""The findings of the rate detector: what a burst or a silence looks like as evidence.

Each carries the numbers of the test (observed, expected and the top of the expected band, as a metric over the
window), the template with its counts and samples, and the test itself (p-value, dispersion, which baseline).
"""

from __future__ import annotations

import math

from inframind.analyzer.detect.classify import classify_template, with_criticality
from inframind.analyzer.detect.loghits import utc
from inframind.analyzer.detect.rateseries import HOUR, Baseline, Series
from inframind.analyzer.detect.ratestats import log_zero, upper_bound
from inframind.analyzer.findings import JSON, FactEvidence, Finding, LogEvidence, MetricEvidence, Window

LOG_SCORE_FLOOR = 12 * math.log(10)
"""A p-value of 1e-12 or less scores 1; the score is ``-log10(p) / 12`` below that."""


def burst_finding(
    series: Series, base: Baseline, log_p: float, now: float, *, criticality: str, alpha: float
) -> Finding:
    verdict = with_criticality(
        classify_template(series.level, series.template, series.source, series.provider, series.event_id),
        criticality,
    )
    window = Window(utc(series.hour * HOUR), utc(max(now, series.last)))
    upper = upper_bound(base.mu, base.phi, math.log(alpha))
    return Finding(
        kind="log.burst",
        asset_id=series.asset,
        tenant=series.tenant,
        severity=verdict.severity,
        title=f"Burst on {series.asset}: {series.count} x '{series.template[:100]}' this hour (expected {base.mu:.1f})",
        window=window,
        evidence=(
            MetricEvidence(
                query(series),
                window,
                observed=float(series.count),
                expected=round(base.mu, 3),
                lower=0.0,
                upper=float(upper),
                unit="events per hour",
            ),
            LogEvidence(
                series.template,
                series.template_id,
                series.count,
                window,
                utc(series.first),
                utc(series.last),
                source=series.source,
                event_id=series.event_id,
                samples=tuple(series.samples),
                assets=(series.asset,),
            ),
            test_fact(log_p, base, minutes=len(series.minutes)),
        ),
        key=series.key,
        score=score(log_p),
        labels={**verdict.labels, "source": series.source},
    )


def silence_finding(series: Series, base: Baseline, expected: float, now: float) -> Finding:
    """Errors stopping is good news (``info``); anything else falling silent is a ``warning``."""
    verdict = classify_template(series.level, series.template, series.source, series.provider, series.event_id)
    log_p = log_zero(expected, base.phi)
    window = Window(utc(series.last), utc(max(now, series.last)))
    day = sum(n for h, n in series.hours.items() if h >= series.hour - 24)
    return Finding(
        kind="log.silence",
        asset_id=series.asset,
        tenant=series.tenant,
        severity="info" if verdict.is_error else "warning",
        title=f"Silence on {series.asset}: no '{series.template[:100]}' for {(now - series.last) / 60:.0f} min "
        f"(expected {expected:.1f})",
        window=window,
        evidence=(
            MetricEvidence(query(series), window, observed=0.0, expected=round(expected, 3), lower=0.0, unit="events"),
            LogEvidence(
                series.template,
                series.template_id,
                day,
                window,
                utc(series.last),
                utc(series.last),
                source=series.source,
                event_id=series.event_id,
                assets=(series.asset,),
            ),
            test_fact(log_p, base),
        ),
        key=series.key,
        score=score(log_p),
        labels={"category": verdict.category, "impact": "risk", "source": series.source},
    )


def query(series: Series) -> str:
    return (f'inframind_log_template_rate{{tenant="{series.tenant}",asset="{series.asset}",'
            f'template_id="{series.template_id}"}}')  # fmt: skip


def score(log_p: float) -> float:
    return 1.0 if math.isinf(log_p) else min(1.0, max(0.0, -log_p / LOG_SCORE_FLOOR))


def test_fact(log_p: float, base: Baseline, minutes: int | None = None) -> FactEvidence:
    values: dict[str, JSON] = {
        "test": "negative binomial", "p_value": math.exp(log_p), "dispersion": round(base.phi, 4),
        "baseline": "seasonal" if base.seasonal else "recent level", "regular": base.regular,
    }  # fmt: skip
    if minutes is not None:
        values["minutes"] = minutes
    return FactEvidence("rate_test", values)
