"""False-positive marks in the state store: the threshold adjustments detectors and delivery read.

Feedback itself (who did what, when) goes to the state store's FeedbackStore; a mark is the part that changes
behaviour: the detector (kind), asset, signal and the strength that was called false, kept as JSON under
``feedback/marks/<feedback id>`` in the state's key -> JSON part so every replica reads the same marks.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Protocol, cast

from inframind.analyzer.feedback_policy import FalsePositiveMark
from inframind.analyzer.findings import Severity
from inframind.analyzer.state import KV

PREFIX = "feedback/marks/"


def _iso(stamp: dt.datetime) -> str:
    return stamp.astimezone(dt.UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def mark_to_dict(mark: FalsePositiveMark) -> dict[str, Any]:
    return {"tenant": mark.tenant, "kind": mark.kind, "asset_id": mark.asset_id, "signal": mark.signal,
            "strength": mark.strength, "severity": mark.severity, "at": _iso(mark.at)}  # fmt: skip


def mark_from_dict(data: dict[str, Any]) -> FalsePositiveMark:
    return FalsePositiveMark(
        tenant=str(data["tenant"]),
        kind=str(data["kind"]),
        asset_id=str(data["asset_id"]),
        signal=str(data["signal"]),
        strength=float(data["strength"]),
        severity=cast(Severity, data["severity"]),
        at=dt.datetime.fromisoformat(str(data["at"]).replace("Z", "+00:00")),
    )


class MarkStore(Protocol):
    def add(self, feedback_id: str, mark: FalsePositiveMark) -> None: ...

    def since(self, start: dt.datetime) -> list[FalsePositiveMark]:
        """Marks made at or after ``start``, oldest first."""
        ...


class KeyValueMarks:
    """:class:`MarkStore` over the state's key -> JSON store; marks older than ``keep`` seconds are dropped
    when a new one is added."""

    def __init__(self, store: KV, keep: float = 90 * 86400.0) -> None:
        self.store, self.keep = store, keep

    def add(self, feedback_id: str, mark: FalsePositiveMark) -> None:
        self.store.put(PREFIX + feedback_id, mark_to_dict(mark), mark.at)
        horizon = mark.at - dt.timedelta(seconds=self.keep)
        for key, value in self.store.items(PREFIX).items():
            if mark_from_dict(value).at < horizon:
                self.store.delete(PREFIX + key)

    def since(self, start: dt.datetime) -> list[FalsePositiveMark]:
        marks = (mark_from_dict(v) for v in self.store.items(PREFIX).values())
        return sorted((m for m in marks if m.at >= start), key=lambda m: m.at)
