"""The anomaly detectors of every watched series: fed only new points, kept in memory, checkpointed in turns.

One streaming :class:`SeriesDetector` per series of :data:`ANOMALY_SIGNALS` (an asset's iowait, one disk's
await ...), keyed by signal, tenant, asset and component. Each cycle feeds it the points after its own ``last``,
so nothing is scored twice, and keeps the last :data:`RECENT_POINTS` scores, on which findings are judged
(persistence and agreement, :func:`inframind.analyzer.detect.anomaly.findings`): a finding holds while its run is
in that window and resolves about an hour after the series is normal again.

What may page is stricter than what is anomalous (settings ``anomaly_*``): on event rates (errors, drops) an
anomaly must be a significant count, not one event more (:class:`EventTest`); noisy signals (disk queues) must stay
anomalous for a minimum duration; a value must leave its explained band by a material share. Two cases make a
finding ``info``, kept and shown but routed to nobody: an excursion already seen at the same time of day on earlier
days (a nightly job the daily profile has not yet absorbed), and, while a series is younger than
``anomaly_learning`` (its daily profile has not seen each time of day three times), weak evidence (not critical)
that did not last ``anomaly_learning_persistence``.

A detector's state is ~80 KB of JSON (~30 KB compressed), too much to write for every series every minute. So
each cycle writes a share of them (oldest written first: every one at least each ``checkpoint_interval``), zlib
compressed and base64 encoded inside the shared JSON state. After a restart a detector resumes from its
checkpoint and the loop replays what the metrics store holds since that detector's ``last``: the same points,
the same scores, no gap and no double counting.
"""

from __future__ import annotations

import base64
import json
import logging
import math
import statistics
import zlib
from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from inframind.analyzer.detect.anomaly import (
    DetectorConfig,
    EventTest,
    Persistence,
    Score,
    SeriesDetector,
    SeriesRef,
    findings,
)
from inframind.analyzer.detect.anomaly import for_signal as signal_config
from inframind.analyzer.findings import FactEvidence, Finding, MetricEvidence
from inframind.analyzer.metricloop_settings import MetricAnalysisSettings
from inframind.analyzer.metricloop_signals import ANOMALY_SIGNALS, SignalQuery, series_query
from inframind.analyzer.sources.series import Series

log = logging.getLogger(__name__)
STATE_PREFIX = "metric/anomaly/"
FORMAT = 1
RECENT_POINTS = 60
RECURRENCE_SHARE = 0.5
"""An earlier excursion counts as the same pattern when it went at least this share as far from the level."""
VOTES = ("residual", "likelihood", "shift", "novelty")
Row = tuple[float, float, float, float | None, float | None, float | None, str, tuple[float, ...]]
"""A scored point as kept: time, value, score, expected, lower, upper, model, votes (in ``VOTES`` order); plain
numbers rather than :class:`Score` objects, which cost twice the memory over thousands of series."""


@dataclass
class Tracked:
    signal: SignalQuery
    labels: dict[str, str]
    """tenant, asset and the signal's components."""
    detector: SeriesDetector
    recent: deque[Row]
    seen: float
    """Data time of the newest point fed."""
    written: float = -math.inf
    """Data time of the last checkpoint of this series."""
    run_start: float | None = None
    """Data time the current run of anomalous scores began (None: the newest score is normal); runs may be
    longer than the recent points kept."""

    def ref(self, rate_window: float) -> SeriesRef:
        extra = {k: v for k, v in self.labels.items() if k not in ("tenant", "asset")}
        return SeriesRef(
            query=series_query(self.signal, self.labels, rate_window),
            asset_id=self.labels["asset"],
            tenant=self.labels["tenant"],
            signal=self.signal.signal,
            unit=self.signal.unit,
            labels=extra,
        )


def series_key(signal: SignalQuery, labels: Mapping[str, str]) -> str:
    return "|".join(
        [
            signal.signal,
            labels.get("tenant", ""),
            labels.get("asset", ""),
            *(labels.get(c, "") for c in signal.components),
        ]
    )


def _finite(x: float) -> float | None:
    return x if math.isfinite(x) else None


def _num(x: float | None) -> float:
    return math.nan if x is None else float(x)


class AnomalyBank:
    def __init__(
        self, settings: MetricAnalysisSettings, base: DetectorConfig | None = None, rule: Persistence | None = None
    ) -> None:
        self.settings = settings
        self.rule = rule or Persistence(
            band_excess=settings.anomaly_band_excess if settings.anomaly_band_excess >= 0 else None
        )
        self.signals = {s.signal: s for s in ANOMALY_SIGNALS}
        root = replace(base or DetectorConfig(), step=settings.step)
        self.configs = {name: signal_config(name, root) for name in self.signals}
        self.rules = {name: self._rule_for(name) for name in self.signals}
        self.events = {
            name: EventTest(settings.rate_window, settings.anomaly_event_alpha, settings.anomaly_min_excess_events)
            for name in self.signals
            if name in settings.anomaly_event_signals
        }
        self.series: dict[str, Tracked] = {}
        self.removed: set[str] = set()
        self.points = 0

    def __len__(self) -> int:
        return len(self.series)

    def _rule_for(self, signal: str) -> Persistence:
        """The persistence rule of a signal: the base one, with more points for a noisy signal's minimum duration."""
        duration = self.settings.anomaly_min_duration.get(signal)
        if duration is None:
            return self.rule
        points = min(RECENT_POINTS, math.ceil(duration / self.settings.step))
        return replace(self.rule, points=max(self.rule.points, points))

    # ------------------------------------------------------------ feeding

    def fetch_start(self, signal: str, end: float) -> float:
        """Where this cycle's query of ``signal`` starts: after the oldest ``last`` of its live series."""
        s = self.settings
        floor = end - s.backfill
        lasts = [
            t.detector.last
            for t in self.series.values()
            if t.signal.signal == signal and t.seen >= floor and t.detector.last is not None
        ]
        if not lasts:
            return end - s.step
        return max(floor, min(lasts) + s.step)

    def feed(self, signal: str, found: Iterable[Series]) -> list[tuple[str, Series]]:
        """Feed the series already tracked; return the new ones as (key, series) for the caller to admit."""
        query = self.signals[signal]
        new = []
        for series in found:
            if not series.labels.get("asset"):
                continue
            key = series_key(query, series.labels)
            tracked = self.series.get(key)
            if tracked is None:
                new.append((key, series))
            else:
                self._update(tracked, series)
        return new

    def admit(self, signal: str, key: str, series: Series) -> None:
        """Start a detector for a new series and warm it on ``series`` (its backfill)."""
        query = self.signals[signal]
        labels = {name: series.labels.get(name, "") for name in ("tenant", "asset", *query.components)}
        labels["tenant"] = labels["tenant"] or "default"
        tracked = Tracked(query, labels, SeriesDetector(self.configs[signal]), deque(maxlen=RECENT_POINTS), -math.inf)
        self.series[key] = tracked
        self.removed.discard(key)
        self._update(tracked, series)

    def _update(self, tracked: Tracked, series: Series) -> None:
        detector, recent = tracked.detector, tracked.recent
        last = detector.last if detector.last is not None else -math.inf
        stamps, values = series.timestamps.tolist(), series.values.tolist()
        for stamp, value in zip(stamps, values, strict=True):
            if stamp <= last or not math.isfinite(value):
                continue
            score = detector.update(stamp, value)
            recent.append(_row(stamp, value, score))
            if score.score < self.rule.threshold:
                tracked.run_start = None
            elif tracked.run_start is None:
                tracked.run_start = stamp
            last = stamp
            self.points += 1
        if stamps:
            tracked.seen = max(tracked.seen, stamps[-1])

    def forget_stale(self, end: float) -> int:
        old = [k for k, t in self.series.items() if t.seen < end - self.settings.stale_after]
        for key in old:
            del self.series[key]
            self.removed.add(key)
        return len(old)

    # ------------------------------------------------------------ results

    def findings(self) -> list[Finding]:
        out: list[Finding] = []
        for tracked in self.series.values():
            if not any(row[2] >= self.rule.threshold for row in tracked.recent):
                continue
            stamps, values = [row[0] for row in tracked.recent], [row[1] for row in tracked.recent]
            scores = [_score(row) for row in tracked.recent]
            signal = tracked.signal.signal
            ref = tracked.ref(self.settings.rate_window)
            found = findings(ref, stamps, values, scores, self.rules[signal], events=self.events.get(signal))
            out.extend(self._learning(tracked, self._recurring(tracked, f)) for f in found)
        return out

    def _recurring(self, tracked: Tracked, finding: Finding) -> Finding:
        """``finding`` as ``info`` when an excursion like it was seen at this time of day on earlier days."""
        s = self.settings
        daily = [p for p in tracked.detector.profiles if p.season.name == "daily" and p.bins]
        metric = [e for e in finding.evidence if isinstance(e, MetricEvidence)]
        if s.anomaly_recurrence_days < 1 or not daily or not metric:
            return finding
        start = finding.window.start.timestamp()
        before = [row[1] for row in tracked.recent if row[0] < start]
        level = statistics.median(before) if before else metric[0].expected
        if level is None:
            return finding
        profile = daily[0]
        spread = math.ceil(s.anomaly_recurrence_spread / (profile.season.period / profile.bins))
        now = tracked.detector.last if tracked.detector.last is not None else tracked.seen
        deviation = metric[0].observed - level
        seen = profile.recurrences(
            start, deviation, tracked.detector.utc_offset, now=now, share=RECURRENCE_SHARE, spread=spread
        )
        if seen < s.anomaly_recurrence_days or finding.severity == "info":
            return finding
        note = FactEvidence("anomaly_recurring", {"earlier_days": seen, "spread_s": round(s.anomaly_recurrence_spread)})
        return replace(finding, severity="info", evidence=(*finding.evidence, note))

    def _learning(self, tracked: Tracked, finding: Finding) -> Finding:
        """``finding`` as ``info`` (not paged) while its series is learning and the anomaly is short-lived."""
        s = self.settings
        step = tracked.detector.step or s.step
        watched = tracked.detector.count * step
        if watched >= s.anomaly_learning or finding.severity in ("info", "critical"):
            return finding
        start = finding.window.start.timestamp()
        ongoing = finding.window.end.timestamp() >= tracked.seen
        if ongoing and tracked.run_start is not None:
            start = min(start, tracked.run_start)
        lasted = finding.window.end.timestamp() - start + step
        if lasted >= s.anomaly_learning_persistence:
            return finding
        note = FactEvidence(
            "anomaly_learning",
            {"watched_s": round(watched), "learning_s": round(s.anomaly_learning), "lasted_s": round(lasted),
             "pages_after_s": round(s.anomaly_learning_persistence)},
        )  # fmt: skip
        return replace(finding, severity="info", evidence=(*finding.evidence, note))

    def peaks(self, end: float, span: float, sustained: int = 1) -> dict[tuple[str, str, str], float]:
        """The strongest score per (tenant, asset, signal) among points after ``end - span``; with ``sustained``
        > 1, the strongest level held for that many consecutive points (what persistence asks of a finding)."""
        out: dict[tuple[str, str, str], float] = {}
        for t in self.series.values():
            scores = [row[2] for row in t.recent if row[0] > end - span]
            runs = [min(scores[i : i + sustained]) for i in range(len(scores) - sustained + 1)]
            peak = max(runs, default=0.0)
            key = (t.labels["tenant"], t.labels["asset"], t.signal.signal)
            out[key] = max(out.get(key, 0.0), peak)
        return out

    # ------------------------------------------------------------ state

    def checkpoint(self, count: int, now: float) -> dict[str, Any]:
        """State key -> value for the ``count`` series written longest ago, and None for forgotten ones."""
        out: dict[str, Any] = {STATE_PREFIX + key: None for key in self.removed}
        self.removed = set()
        oldest = sorted(self.series.items(), key=lambda item: (item[1].written, item[0]))[:count]
        for key, tracked in oldest:
            out[STATE_PREFIX + key] = {"z": _pack(_to_dict(tracked))}
            tracked.written = now
        return out

    def restore(self, items: Mapping[str, Any]) -> list[str]:
        """Load checkpoints (``STATE_PREFIX`` stripped); returns the keys that could not be used (to delete)."""
        bad = []
        for key, value in items.items():
            try:
                data = _unpack(value["z"])
                signal = self.signals[data["signal"]]
                detector = SeriesDetector.restore(data["detector"], self.configs[signal.signal])
            except (KeyError, TypeError, ValueError, zlib.error) as exc:
                log.warning("metric analysis: dropping the anomaly state of %s (%s); it is warmed again", key, exc)
                bad.append(key)
                continue
            recent = deque((_row_from(row) for row in data["recent"]), maxlen=RECENT_POINTS)
            seen = float(data["seen"])
            start = data.get("run_start")
            self.series[key] = Tracked(
                signal, dict(data["labels"]), detector, recent, seen, written=seen,
                run_start=None if start is None else float(start),
            )  # fmt: skip
        return bad


def _to_dict(t: Tracked) -> dict[str, Any]:
    rows = [[*row[:7], list(row[7])] for row in t.recent]
    return {
        "format": FORMAT,
        "signal": t.signal.signal,
        "labels": t.labels,
        "seen": t.seen,
        "run_start": t.run_start,
        "detector": t.detector.to_dict(),
        "recent": rows,
    }


def _row(stamp: float, value: float, s: Score) -> Row:
    votes = tuple(s.votes.get(v, 0.0) for v in VOTES)
    return (stamp, value, s.score, _finite(s.expected), _finite(s.lower), _finite(s.upper), s.model, votes)


def _row_from(data: list[Any]) -> Row:
    stamp, value, score, expected, lower, upper, model, votes = data
    return (float(stamp), float(value), float(score), expected, lower, upper, str(model), tuple(map(float, votes)))


def _score(row: Row) -> Score:
    _, _, score, expected, lower, upper, model, votes = row
    return Score(score, _num(expected), _num(lower), _num(upper), dict(zip(VOTES, votes, strict=True)), model)


def _pack(data: dict[str, Any]) -> str:
    text = json.dumps(data, separators=(",", ":"), allow_nan=False)
    return base64.b64encode(zlib.compress(text.encode("utf-8"), 1)).decode("ascii")


def _unpack(blob: str) -> dict[str, Any]:
    out: dict[str, Any] = json.loads(zlib.decompress(base64.b64decode(blob)).decode("utf-8"))
    if out.get("format") != FORMAT:
        raise ValueError(f"unknown anomaly checkpoint format {out.get('format')!r}")
    return out
