"""Plain threshold rules against the analyzer on a replayed scenario: which pages reach people, which are false, and
who warns first. Pure: the pages come from the replay (``bench/outcomes.py`` gathers them from vmalert's
``ALERTS`` series, the log rules' firings and the analyzer's incident openings).

- A *page* is one notification reaching people: a threshold alert's onset (Alertmanager notifies each firing
  alert group once, then again only after it resolved and fired anew), or an analyzer incident opening (delivery
  sends one alert per incident; its findings ride along).
- A page is *false* when it names none of the scenario's incident assets, or comes before the incident's first
  signal (``slack`` aside): nobody needed to act on it. The ``backup`` scenario has no incident: every page in it
  is false (a nightly job that a threshold pages on every night).
- *Feedback* (analyzer only, :mod:`.feedback_policy`): a simulated operator marks every false page "false positive"
  when it arrives; the marks raise that detector's threshold for that asset and signal, and an opening whose
  findings all fail :func:`would_deliver` does not page. Plain threshold rules have no such memory.
- *Lead*: the first true page of each side, in seconds after the first signal.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from inframind.analyzer.feedback_policy import FalsePositiveMark, mark_for, would_deliver
from inframind.analyzer.findings import Finding
from inframind.analyzer.incidents import Incident

Side = Literal["threshold", "analyzer"]


@dataclass(frozen=True)
class Page:
    side: Side
    name: str
    """Alert name, or the incident's title."""
    assets: tuple[str, ...]
    at: float
    findings: tuple[Finding, ...] = ()
    """The analyzer's findings behind an incident page (for feedback)."""


@dataclass(frozen=True)
class Truth:
    assets: frozenset[str]
    """Empty: the scenario has no incident."""
    first_signal: float
    slack: float = 300.0


def onsets(timestamps: Sequence[float], gap: float) -> list[float]:
    """The start of each run of samples of a firing alert (a pause longer than ``gap`` ends a run)."""
    out: list[float] = []
    last: float | None = None
    for t in sorted(timestamps):
        if last is None or t - last > gap:
            out.append(t)
        last = t
    return out


def is_false(page: Page, truth: Truth) -> bool:
    if not truth.assets or not set(page.assets) & truth.assets:
        return True
    return page.at < truth.first_signal - truth.slack


def incident_pages(openings: Iterable[tuple[float, Incident]], findings: Mapping[str, Finding]) -> list[Page]:
    """One page per incident opening, with the findings it holds (those the replay kept)."""
    pages = []
    for at, incident in sorted(openings, key=lambda x: (x[0], x[1].id)):
        held = tuple(findings[f] for f in incident.findings if f in findings)
        pages.append(Page("analyzer", incident.title, incident.assets, at, held))
    return pages


def with_feedback(pages: Sequence[Page], truth: Truth) -> list[Page]:
    """The pages that still reach people when each false one is marked "false positive" on arrival."""
    marks: list[FalsePositiveMark] = []
    kept: list[Page] = []
    for page in sorted(pages, key=lambda p: p.at):
        now = dt.datetime.fromtimestamp(page.at, dt.UTC)
        if page.findings and not any(would_deliver(f, marks, now) for f in page.findings):
            continue
        kept.append(page)
        if is_false(page, truth):
            marks.extend(mark_for(f, now) for f in page.findings)
    return kept


def first_true(pages: Sequence[Page], truth: Truth) -> float | None:
    """Seconds from the first signal to the first true page (None: no true page)."""
    times = [p.at for p in pages if not is_false(p, truth)]
    return None if not times else max(0.0, min(times) - truth.first_signal)


def tally(pages: Sequence[Page], truth: Truth) -> dict[str, Any]:
    false = [p for p in pages if is_false(p, truth)]
    lead = first_true(pages, truth)
    return {
        "pages": len(pages),
        "false_pages": len(false),
        "false_names": sorted({p.name for p in false}),
        "first_true_page_after_first_signal_s": None if lead is None else round(lead, 1),
    }


def reduction(before: float, after: float) -> float | None:
    """Relative reduction from ``before`` to ``after`` (0.3 = 30% fewer); None when ``before`` is 0."""
    return None if before <= 0 else round((before - after) / before, 4)
