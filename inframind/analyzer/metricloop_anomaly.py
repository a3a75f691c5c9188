"""The anomaly detectors of every watched series: fed only new points, kept in memory, checkpointed in turns.

One streaming :class:`SeriesDetector` per series of :data:`ANOMALY_SIGNALS` (an asset's iowait, one disk's
await ...), keyed by signal, tenant, asset and component. Each cycle feeds it the points after its own ``last``,
so nothing is scored twice, and keeps the last :data:`RECENT_POINTS` scores, on which findings are judged
(persistence and agreement, :func:`inframind.analyzer.detect.anomaly.findings`): a finding holds while its run is
in that window and resolves about an hour after the series is normal again.

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
import zlib
from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from inframind.analyzer.detect.anomaly import DetectorConfig, Persistence, Score, SeriesDetector, SeriesRef, findings
from inframind.analyzer.detect.anomaly import for_signal as signal_config
from inframind.analyzer.findings import Finding
from inframind.analyzer.metricloop_settings import MetricAnalysisSettings
from inframind.analyzer.metricloop_signals import ANOMALY_SIGNALS, SignalQuery, series_query
from inframind.analyzer.sources.series import Series

log = logging.getLogger(__name__)
STATE_PREFIX = "metric/anomaly/"
FORMAT = 1
RECENT_POINTS = 60
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
        self.rule = rule or Persistence()
        self.signals = {s.signal: s for s in ANOMALY_SIGNALS}
        root = replace(base or DetectorConfig(), step=settings.step)
        self.configs = {name: signal_config(name, root) for name in self.signals}
        self.series: dict[str, Tracked] = {}
        self.removed: set[str] = set()
        self.points = 0

    def __len__(self) -> int:
        return len(self.series)

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
            recent.append(_row(stamp, value, detector.update(stamp, value)))
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
            out.extend(findings(tracked.ref(self.settings.rate_window), stamps, values, scores, self.rule))
        return out

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
            self.series[key] = Tracked(signal, dict(data["labels"]), detector, recent, seen, written=seen)
        return bad


def _to_dict(t: Tracked) -> dict[str, Any]:
    rows = [[*row[:7], list(row[7])] for row in t.recent]
    return {
        "format": FORMAT,
        "signal": t.signal.signal,
        "labels": t.labels,
        "seen": t.seen,
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
