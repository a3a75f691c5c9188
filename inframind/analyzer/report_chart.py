"""The RCA report's chart: the incident's key series, read from VictoriaMetrics, drawn as a small PNG.

The key series are the metric evidence of the incident's findings, the best cause's first (its query is the
series the detector judged). They are read over the incident's span with ``query_range`` (any
:class:`SeriesReader`: the :class:`~inframind.analyzer.sources.promql.PromClient`). When the metrics store is
unreachable, refuses a query or has no data for it, the chart falls back to the few points each finding's
evidence recorded, and says so in ``notes``: the report always renders. Drawing uses matplotlib's Agg canvas on
a fresh ``Figure`` (no pyplot state, safe in a server thread).
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal, Protocol

from inframind.analyzer.findings import MetricEvidence
from inframind.analyzer.incidents import Incident
from inframind.analyzer.sources.promql import PromError, PromUnavailable
from inframind.analyzer.sources.series import Series
from inframind.analyzer.state import FindingRecord

MAX_SERIES = 3
"""Panels in one chart (the best cause's series first)."""
MAX_LINES = 4
"""Lines per panel: a query matching many series shows its first few."""
POINTS = 240
"""About this many steps over the chart's span."""
MARGIN = dt.timedelta(minutes=30)
MAX_SPAN = dt.timedelta(days=7)
Points = tuple[tuple[float, float], ...]


class SeriesReader(Protocol):
    def query_range(self, expr: str, start: float, end: float, step: float) -> list[Series]: ...


@dataclass(frozen=True)
class KeySeries:
    """A series worth drawing: the query a finding's evidence names, and the points the evidence kept."""

    label: str
    query: str
    unit: str
    fingerprint: str
    evidence_points: Points


@dataclass(frozen=True)
class PlottedSeries:
    key: KeySeries
    lines: tuple[tuple[str, Points], ...]
    """(legend, points) per series the query returned."""
    source: Literal["victoriametrics", "evidence"]


@dataclass(frozen=True)
class Chart:
    png: bytes | None
    """None when there is nothing to draw (no finding of the incident has metric evidence)."""
    series: tuple[PlottedSeries, ...]
    start: dt.datetime
    end: dt.datetime
    step: float
    notes: tuple[str, ...] = ()
    """Why a series was drawn from evidence instead of the metrics store, and what was left out."""


def key_series(incident: Incident, records: Mapping[str, FindingRecord], limit: int = MAX_SERIES) -> list[KeySeries]:
    """The metric evidence of the incident's findings: the best cause's first, then in incident order; one per
    query."""
    order = [c.fingerprint for c in incident.causes[:1] if c.fingerprint]
    order += [fp for fp in incident.findings if fp not in order]
    found: dict[str, KeySeries] = {}
    for fp in order:
        record = records.get(fp)
        if record is None:
            continue
        f = record.finding
        for evidence in f.evidence:
            if isinstance(evidence, MetricEvidence) and evidence.query not in found:
                signal = f.labels.get("signal") or f.kind
                found[evidence.query] = KeySeries(
                    f"{f.asset_id}: {signal}", evidence.query, evidence.unit, fp, evidence.points
                )
    return list(found.values())[:limit]


def chart_span(incident: Incident, now: dt.datetime) -> tuple[dt.datetime, dt.datetime, float]:
    """From a little before the first signal to a little after the end (or now), at most a week before the end;
    the step gives about :data:`POINTS` points, at least 15 s."""
    t = incident.timeline
    end = min((t.resolved_at or now) + MARGIN, now)
    start = max(t.first_signal_at - MARGIN, end - MAX_SPAN)
    if start >= end:
        start = end - MARGIN
    step = max(15.0, round((end - start).total_seconds() / POINTS))
    return start, end, step


def _legend(labels: Mapping[str, str]) -> str:
    shown = {k: v for k, v in labels.items() if k != "__name__"}
    return ", ".join(f"{k}={v}" for k, v in sorted(shown.items())) or labels.get("__name__", "value")


def _from_store(series: Sequence[Series]) -> tuple[tuple[str, Points], ...]:
    return tuple(
        (_legend(s.labels), tuple(zip(s.timestamps.tolist(), s.values.tolist(), strict=True)))
        for s in series[:MAX_LINES]
        if len(s)
    )


def collect(
    keys: Sequence[KeySeries], reader: SeriesReader | None, start: dt.datetime, end: dt.datetime, step: float
) -> tuple[list[PlottedSeries], list[str]]:
    """Each key series from the store, or from its evidence (with a note saying why)."""
    plotted: list[PlottedSeries] = []
    notes: list[str] = []
    down: str | None = None if reader is not None else "no metrics store is configured"
    for key in keys:
        why = down
        if why is None:
            assert reader is not None
            try:
                lines = _from_store(reader.query_range(key.query, start.timestamp(), end.timestamp(), step))
            except PromUnavailable as exc:
                down = why = f"VictoriaMetrics is unreachable ({exc})"
            except PromError as exc:
                why = f"VictoriaMetrics refused {key.query}: {exc}"
            else:
                if lines:
                    plotted.append(PlottedSeries(key, lines, "victoriametrics"))
                    continue
                why = f"VictoriaMetrics has no data for {key.query} in the chart's window"
        if key.evidence_points:
            plotted.append(PlottedSeries(key, (("evidence", key.evidence_points),), "evidence"))
            notes.append(f"{key.label}: {why}; drawn from the {len(key.evidence_points)} points in its evidence.")
        else:
            notes.append(f"{key.label}: {why}; its evidence kept no points, so it is not drawn.")
    return plotted, list(dict.fromkeys(notes))


def render_png(plotted: Sequence[PlottedSeries], marks: Mapping[str, dt.datetime | None]) -> bytes:
    """One small panel per series (shared time axis, UTC), with the incident's moments as vertical lines."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.dates import DateFormatter
    from matplotlib.figure import Figure
    from matplotlib.ticker import EngFormatter

    figure = Figure(figsize=(7.5, 1.2 + 1.6 * len(plotted)), dpi=100)
    FigureCanvasAgg(figure)
    axes = figure.subplots(len(plotted), 1, sharex=True, squeeze=False)[:, 0]
    for ax, series in zip(axes, plotted, strict=True):
        for legend, points in series.lines:
            stamps = [dt.datetime.fromtimestamp(t, dt.UTC) for t, _ in points]
            ax.plot(stamps, [v for _, v in points], linewidth=1.2, marker="o" if len(points) < 20 else None,
                    markersize=3, label=legend)  # fmt: skip
        for name, moment in marks.items():
            if moment is not None:
                ax.axvline(moment, color="tab:red" if name == "first signal" else "grey", linestyle="--", linewidth=0.8)
        unit = f" ({series.key.unit})" if series.key.unit else ""
        source = "" if series.source == "victoriametrics" else " [evidence points]"
        ax.set_title(f"{series.key.label}{unit}{source}", fontsize=9, loc="left")
        ax.yaxis.set_major_formatter(EngFormatter(sep=""))  # 520M, not an offset text over the title
        ax.tick_params(labelsize=7)
        ax.grid(True, linewidth=0.3)
        if len(series.lines) > 1:
            ax.legend(fontsize=6, loc="upper left")
    axes[-1].xaxis.set_major_formatter(DateFormatter("%m-%d %H:%M", tz=dt.UTC))  # type: ignore[no-untyped-call]
    figure.autofmt_xdate()
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


def build_chart(
    incident: Incident,
    records: Mapping[str, FindingRecord],
    reader: SeriesReader | None,
    now: dt.datetime,
) -> Chart:
    """The chart of the incident's key series (``png`` None when none of its findings has metric evidence)."""
    start, end, step = chart_span(incident, now)
    keys = key_series(incident, records)
    plotted, notes = collect(keys, reader, start, end, step)
    if not keys:
        notes.append("No finding of this incident has metric evidence: there is no series to chart.")
    t = incident.timeline
    marks = {"first signal": t.first_signal_at, "detected": t.detected_at, "resolved": t.resolved_at}
    png = render_png(plotted, marks) if plotted else None
    return Chart(png, tuple(plotted), start, end, step, tuple(notes))
