"""Per-series metric anomaly detection: streaming, seasonal-aware, explained.

For the signals whose *shape over time* says something is wrong before a fixed threshold does: iowait, disk
await/latency and queue depth, CPU, memory pressure, network errors and drops, temperatures, fan speeds, PSU
power, storage latency (``config.SIGNALS`` names them with their defaults: error and drop counters, latencies,
queues and temperatures are one-sided, ``up``; CPU, fans and power count both ways). Feed it a rate or a gauge at
the series' query step, not a raw counter.

- ``SeriesDetector``: one series, one point at a time (``update(timestamp, value) -> Score``), no look-ahead;
  its state (``to_dict``/``restore``) is plain JSON of bounded size for the analyzer to persist and resume.
- ``score_series``/``score_frame``: the same scores for a whole array at once (backfill, benchmarks).
- ``findings``: sustained, agreed high scores as ``metric.anomaly`` findings with observed/expected/band.
- ``EventTest``: on rates of discrete events (errors, drops), an anomaly must also be a significant count.
- ``onsets``: scores kept only where an episode starts or worsens (paging, and NAB's counting of detections).

How it judges a point (``batch`` has the details): the expected value is the recent level, or the level plus
a daily or weekly profile when that profile has been predicting clearly better; the band also covers whatever
every known season usually does at this time, so a job that runs every morning at six stops alarming once it
has been seen twice; the level is a median of the last few hours, so a level shift alarms for about an hour
or two, then is the new normal. Four voters score each point: ``residual`` (how far outside the band),
``likelihood`` (a short mean of residual surprises against its own running distribution, after HTM's anomaly
likelihood), ``shift`` (a longer signed mean, for sustained offsets) and ``novelty`` (beyond anything seen).
"""

from inframind.analyzer.detect.anomaly.batch import Frame, onsets, score_frame, score_series
from inframind.analyzer.detect.anomaly.config import SIGNALS, DetectorConfig, Season, Signal, for_signal
from inframind.analyzer.detect.anomaly.events import EventTest
from inframind.analyzer.detect.anomaly.findings import KIND, Persistence, SeriesRef, findings
from inframind.analyzer.detect.anomaly.stream import Score, SeriesDetector

__all__ = [
    "KIND",
    "SIGNALS",
    "DetectorConfig",
    "EventTest",
    "Frame",
    "Persistence",
    "Score",
    "Season",
    "SeriesDetector",
    "SeriesRef",
    "Signal",
    "findings",
    "for_signal",
    "onsets",
    "score_frame",
    "score_series",
]
