"""Repeated errors: one finding per error template across assets, with counts, times, assets and parameters."""

from __future__ import annotations

import json

from inframind.analyzer.detect.grouping import GroupingSettings, RepeatedErrors
from inframind.analyzer.detect.loghits import TemplateHit
from inframind.analyzer.findings import FactEvidence, LogEvidence

T0 = 1_790_000_000.0
NFS = "nfs: server <*> not responding, still trying"


def hit(
    at: float, asset: str, server: str = "filer01", tid: str = "nfs", template: str = NFS, **kw: object
) -> TemplateHit:
    return TemplateHit("acme", "syslog", asset, at, str(kw.get("level", "warning")),
                       template.replace("<*>", server), tid, template, params=(("*", server),),
                       changed_from=tuple(kw.get("changed_from", ())))  # type: ignore[arg-type]  # fmt: skip


def test_errors_on_two_assets_make_one_finding_listing_both() -> None:
    detector = RepeatedErrors()
    for i in range(7):
        detector.observe(hit(T0 + 30 * i, "web-1"))
        detector.observe(hit(T0 + 30 * i + 5, "web-2", server="filer02" if i % 2 else "filer01"))
    [finding] = detector.evaluate(T0 + 300, {"web-2": "high"})
    logs, per_asset = finding.evidence
    assert isinstance(logs, LogEvidence) and isinstance(per_asset, FactEvidence)
    assert finding.kind == "log.repeated" and finding.asset_id == "web-1" and finding.key == "syslog:nfs"
    assert logs.count == 14 and logs.assets == ("web-1", "web-2")
    assert logs.first_seen.timestamp() == T0 and logs.last_seen.timestamp() == T0 + 185
    assert logs.parameters == {"<*>": ("filer01", "filer02")} and len(logs.samples) == 3
    assert per_asset.values == {"web-1": 7, "web-2": 7}
    assert finding.severity == "critical"  # the outage word, on the most critical asset
    assert finding.labels["assets"] == "2" and finding.labels["impact"] == "outage"


def test_below_the_count_or_not_an_error_stays_quiet() -> None:
    detector = RepeatedErrors(GroupingSettings(min_count=10))
    for i in range(9):
        detector.observe(hit(T0 + i, "web-1"))
    assert detector.evaluate(T0 + 60) == []
    for i in range(50):
        detector.observe(hit(T0 + i, "web-1", tid="ok", template="Started session <*>", level="info"))
    assert detector.evaluate(T0 + 60) == []
    assert set(detector.groups) == {("acme", "syslog", "nfs")}  # informational lines are not even counted


def test_the_anchor_holds_while_assets_join_and_the_episode_ends_when_the_window_empties() -> None:
    detector = RepeatedErrors(GroupingSettings(window=600, min_count=5))
    for i in range(5):
        detector.observe(hit(T0 + i, "db-1"))
    [first] = detector.evaluate(T0 + 10)
    for i in range(5):
        detector.observe(hit(T0 + 100 + i, "app-3"))
    [joined] = detector.evaluate(T0 + 110)
    assert joined.fingerprint == first.fingerprint and joined.asset_id == "db-1"
    assert joined.evidence[0].assets == ("app-3", "db-1")  # type: ignore[union-attr]
    assert detector.evaluate(T0 + 500) != []  # still events in the window
    assert detector.evaluate(T0 + 800) == []  # window empty: resolved and forgotten
    for i in range(5):
        detector.observe(hit(T0 + 900 + i, "app-3"))
    [episode] = detector.evaluate(T0 + 910)
    assert episode.asset_id == "app-3" and episode.evidence[0].count == 5  # type: ignore[union-attr]


def test_renamed_templates_join_their_group() -> None:
    detector = RepeatedErrors(GroupingSettings(min_count=6))
    for i in range(4):
        detector.observe(hit(T0 + i, "web-1", tid="old"))
    for i in range(3):
        detector.observe(hit(T0 + 10 + i, "web-1", tid="new", changed_from=("old",)))
    [finding] = detector.evaluate(T0 + 20)
    assert finding.evidence[0].count == 7 and finding.evidence[0].template_id == "new"  # type: ignore[union-attr]


def test_state_round_trips_through_json() -> None:
    detector = RepeatedErrors()
    for i in range(12):
        detector.observe(hit(T0 + 10 * i, f"web-{i % 3}"))
    first = detector.evaluate(T0 + 200)
    assert detector.dirty_parts() and first
    restored = RepeatedErrors()
    restored.restore(json.loads(json.dumps(detector.to_dict())))
    assert [f.to_dict() for f in restored.evaluate(T0 + 300)] == [f.to_dict() for f in detector.evaluate(T0 + 300)]
    detector.mark_clean()
    assert detector.dirty_parts() == {}
