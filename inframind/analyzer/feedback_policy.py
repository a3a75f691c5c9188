"""False-positive marks raise a detector's threshold for one asset and signal: the pure rule.

A person who marks an alert "false positive" says: *this much* of *this signal* on *this asset* is not worth
a page. So the mark remembers the finding's strength (score, probability, or a stand-in by severity), and
later findings of the same detector (kind), asset and signal are delivered only when clearly stronger:
``strength >= strongest marked + margin x marks``, or of a higher severity than any marked one (an
escalation always reaches people). Marks are forgotten after ``memory``, so a threshold never stays raised
for good on one click.

The signal is the detector's ``signal`` label where it has one (``cpu_iowait`` of an anomaly), else the
finding's key within kind and asset (a disk, a template id, a log rule).

Two places apply it: delivery (:mod:`inframind.analyzer.delivery`) drops what fails as a post-filter, and the
loops may filter their findings with :class:`FeedbackAdjustments` (same rule). :func:`would_deliver` is
what a replay calls to count how many alerts feedback would have kept from people.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from inframind.analyzer.findings import SEVERITIES, Finding, Severity

SEVERITY_STRENGTH = {"info": 0.25, "warning": 0.5, "critical": 0.75}
"""Strength of a finding that has neither score nor probability."""


@dataclass(frozen=True)
class SuppressionPolicy:
    margin: float = 0.1
    memory: float = 30 * 86400.0
    """Seconds a mark counts."""


@dataclass(frozen=True)
class FalsePositiveMark:
    tenant: str
    kind: str
    asset_id: str
    signal: str
    strength: float
    severity: Severity
    at: dt.datetime


def signal_of(finding: Finding) -> str:
    return finding.labels.get("signal") or finding.key


def strength_of(finding: Finding) -> float:
    if finding.score is not None:
        return finding.score
    if finding.probability is not None:
        return finding.probability
    return SEVERITY_STRENGTH[finding.severity]


def mark_for(finding: Finding, at: dt.datetime) -> FalsePositiveMark:
    """The mark a "false positive" on ``finding`` leaves."""
    return FalsePositiveMark(
        finding.tenant, finding.kind, finding.asset_id, signal_of(finding), strength_of(finding), finding.severity, at
    )


def _relevant(
    finding: Finding, marks: Iterable[FalsePositiveMark], now: dt.datetime, memory: float
) -> list[FalsePositiveMark]:
    signal = signal_of(finding)
    return [
        m
        for m in marks
        if m.kind == finding.kind
        and m.asset_id == finding.asset_id
        and m.tenant == finding.tenant
        and m.signal == signal
        and 0.0 <= (now - m.at).total_seconds() <= memory
    ]


def required_strength(finding: Finding, marks: Iterable[FalsePositiveMark], now: dt.datetime,
                      policy: SuppressionPolicy = SuppressionPolicy()) -> float:  # fmt: skip
    """The raised threshold for this finding's kind, asset and signal (0 without marks; may exceed 1)."""
    relevant = _relevant(finding, marks, now, policy.memory)
    if not relevant:
        return 0.0
    return max(m.strength for m in relevant) + policy.margin * len(relevant)


def would_deliver(
    finding: Finding,
    marks: Sequence[FalsePositiveMark],
    now: dt.datetime,
    policy: SuppressionPolicy = SuppressionPolicy(),
) -> bool:
    """Whether ``finding`` reaches people given the false-positive marks so far."""
    relevant = _relevant(finding, marks, now, policy.memory)
    if not relevant:
        return True
    rank = SEVERITIES.index(finding.severity)
    if rank > max(SEVERITIES.index(m.severity) for m in relevant):
        return True
    return strength_of(finding) >= required_strength(finding, relevant, now, policy) - 1e-9


class FeedbackAdjustments:
    """The loops' view of the raised thresholds: the marks, reloaded at most every ``refresh`` seconds."""

    def __init__(
        self,
        load: Callable[[dt.datetime], Sequence[FalsePositiveMark]],
        policy: SuppressionPolicy = SuppressionPolicy(),
        refresh: float = 60.0,
    ) -> None:
        self._load, self.policy, self.refresh = load, policy, refresh
        self._marks: Sequence[FalsePositiveMark] = ()
        self._loaded: dt.datetime | None = None

    def marks(self, now: dt.datetime) -> Sequence[FalsePositiveMark]:
        if self._loaded is None or abs((now - self._loaded).total_seconds()) >= self.refresh:
            self._marks, self._loaded = tuple(self._load(now)), now
        return self._marks

    def passes(self, finding: Finding, now: dt.datetime) -> bool:
        return would_deliver(finding, self.marks(now), now, self.policy)

    def filter(self, findings: Iterable[Finding], now: dt.datetime) -> list[Finding]:
        """The findings the raised thresholds let through (for a loop, before it stores what holds)."""
        return [f for f in findings if self.passes(f, now)]
