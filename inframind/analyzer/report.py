"""The RCA report of one incident (``inframind report rca ID``): Markdown or HTML from jinja2 templates.

It holds what ``GET /api/v1/incidents/{id}/rca`` answers (:func:`inframind.analyzer.explain.rca_view`, so the
report and the API never disagree), plus a timeline of every moment the incident and its findings recorded, a
small PNG chart of the key series (:mod:`.report_chart`) and, when configured, a generated summary
(:mod:`.narrative`) shown apart and marked as generated. The deterministic part is always produced: a metrics
store that is down or a narrative endpoint that fails only adds a note.

Templates are package data in ``templates/report/`` (``rca.md.j2``, ``rca.html.j2``); HTML is autoescaped, and
Markdown text goes through the ``md`` filter (no raw HTML, no broken tables).
"""

from __future__ import annotations

import base64
import datetime as dt
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from inframind.analyzer.correlate_graph import ImpactGraph
from inframind.analyzer.explain import rca_view
from inframind.analyzer.findings import LogEvidence, MetricEvidence
from inframind.analyzer.incidents import Incident
from inframind.analyzer.narrative import Narrative
from inframind.analyzer.report_chart import Chart, SeriesReader, build_chart
from inframind.analyzer.state import FindingRecord

ReportFormat = Literal["md", "html"]
FORMATS: tuple[ReportFormat, ...] = ("md", "html")
TEMPLATES = {"md": "rca.md.j2", "html": "rca.html.j2"}
Narrator = Callable[[Mapping[str, Any]], Narrative | None]


def _iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


@dataclass(frozen=True)
class Report:
    incident: Incident
    rca: Mapping[str, Any]
    """The RCA view (the API's answer)."""
    timeline: tuple[Mapping[str, str], ...]
    chart: Chart
    narrative: Narrative | None
    generated_at: dt.datetime


def timeline_events(incident: Incident, records: Mapping[str, FindingRecord]) -> list[dict[str, str]]:
    """Every recorded moment, in time order: each finding's first evidence, activation and resolution, and the
    incident's detection, notification, acknowledgement and resolution."""
    events: list[tuple[dt.datetime, int, str, str]] = []
    t = incident.timeline
    events.append((t.first_signal_at, 0, "", "first signal of the incident"))
    for n, fp in enumerate(incident.findings):
        record = records.get(fp)
        if record is None:
            continue
        f = record.finding
        starts = [e.window.start for e in f.evidence if isinstance(e, MetricEvidence | LogEvidence)]
        events.append((min([*starts, f.window.start]), 1 + n, f.asset_id, f"{f.kind} begins: {f.title}"))
        events.append((record.first_seen, 1 + n, f.asset_id, f"finding active ({f.severity}): {f.kind}"))
        if record.resolved_at is not None:
            events.append((record.resolved_at, 1 + n, f.asset_id, f"finding resolved: {f.kind}"))
    moments = (("detected_at", "incident detected"), ("notified_at", "people notified"),
               ("acknowledged_at", "acknowledged"), ("resolved_at", "incident resolved"))  # fmt: skip
    for name, text in moments:
        if (moment := getattr(t, name)) is not None:
            events.append((moment, len(incident.findings) + 1, "", text))
    events.sort(key=lambda e: (e[0], e[1]))
    return [{"at": _iso(at), "asset": asset, "event": text} for at, _, asset, text in events]


def build_report(
    incident: Incident,
    records: Mapping[str, FindingRecord],
    graph: ImpactGraph | None,
    reader: SeriesReader | None,
    *,
    now: dt.datetime,
    narrate: Narrator | None = None,
) -> Report:
    """Everything the report shows; the narrative (if any) is asked last, from the finished RCA view."""
    rca = rca_view(incident, records, graph)
    chart = build_chart(incident, records, reader, now)
    narrative = narrate(rca) if narrate is not None else None
    return Report(incident, rca, tuple(timeline_events(incident, records)), chart, narrative, now)


# ---------------------------------------------------------------- rendering

_MD_SPECIAL = re.compile(r"([\\`*_\[\]|<>#])")


def md(value: Any) -> str:
    """Text safe inside Markdown (tables included): specials escaped, one line."""
    return _MD_SPECIAL.sub(r"\\\1", " ".join(str(value).split()))


def code(value: Any) -> str:
    """An inline code span that holds any backticks the text has."""
    text = " ".join(str(value).split())
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def num(value: Any) -> str:
    """A number as the evidence holds it: whole numbers below a trillion in full (digits grouped by spaces),
    other floats to six significant digits."""
    if value is None:
        return "—"
    if isinstance(value, bool) or not isinstance(value, int | float):
        return str(value)
    if isinstance(value, int) or (float(value).is_integer() and abs(value) < 1e12):
        return f"{int(value):,}".replace(",", " ")
    return f"{value:,.6g}".replace(",", " ") if abs(value) < 1e9 else f"{value:.6g}"


def ts(value: Any) -> str:
    """A stored ISO time (with microseconds) as the report shows every time: to the second, UTC, ``Z``."""
    if not value:
        return "—"
    return _iso(dt.datetime.fromisoformat(str(value).replace("Z", "+00:00")))


def _environment() -> Environment:
    env = Environment(
        loader=PackageLoader("inframind.analyzer", "templates/report"),
        autoescape=select_autoescape(enabled_extensions=("html.j2",), default_for_string=False),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(md=md, code=code, num=num, ts=ts)
    return env


_ENV = _environment()


def chart_data_uri(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def render(report: Report, fmt: ReportFormat, chart_href: str | None = None) -> str:
    """The report as Markdown or HTML. The chart is ``chart_href`` when given (a PNG file beside a Markdown
    report), else embedded as a data URI (HTML is one self-contained file)."""
    if fmt not in TEMPLATES:
        raise ValueError(f"unknown report format {fmt!r}; expected one of {', '.join(FORMATS)}")
    chart = report.chart
    href = None if chart.png is None else chart_href or chart_data_uri(chart.png)
    rca = report.rca
    return _ENV.get_template(TEMPLATES[fmt]).render(
        incident=rca["incident"],
        chain=rca["chain"],
        causes=rca["causes"],
        findings=rca["findings"],
        durations=rca["timeline"],
        events=report.timeline,
        chart=chart,
        chart_href=href,
        chart_start=_iso(chart.start),
        chart_end=_iso(chart.end),
        narrative=report.narrative,
        generated_at=_iso(report.generated_at),
    )


def write_report(report: Report, fmt: ReportFormat, out: Path) -> list[Path]:
    """Write the report to ``out`` (and, for Markdown, its chart beside it as ``<stem>.png``); the files written."""
    out.parent.mkdir(parents=True, exist_ok=True)
    written = []
    href = None
    if fmt == "md" and report.chart.png is not None:
        png = out.with_suffix(".png")
        png.write_bytes(report.chart.png)
        written.append(png)
        href = png.name
    out.write_text(render(report, fmt, href), encoding="utf-8")
    return [out, *written]
