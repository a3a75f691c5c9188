"""Incremental correlation: incidents keep their id while findings join, merge when a finding joins two,
and resolve when every finding has."""

from __future__ import annotations

from inframind.analyzer.correlate import MERGED_INTO, correlate
from inframind.analyzer.correlate_graph import ImpactGraph
from inframind.analyzer.incidents import Incident, incident_id
from inframind.analyzer.state import FindingRecord
from inframind.config.analyzer_sections import CorrelationSettings
from tests.helpers.incidents import (
    IOWAIT_QUERY,
    LUN_QUERY,
    active,
    at,
    inventory,
    log_finding,
    metric_finding,
    resolved,
)

GRAPH = ImpactGraph(inventory())
SETTINGS = CorrelationSettings(window=1800)


def step(incidents: list[Incident], records: list[FindingRecord], minute: float) -> list[Incident]:
    """One correlation pass, and the open incidents the next pass starts from."""
    return correlate([i for i in incidents if i.state == "open"], records, GRAPH, at(minute), SETTINGS)


def test_an_incident_grows_keeps_its_id_and_resolves_when_all_its_findings_have() -> None:
    host = active(metric_finding("srv-db-03", "iowait", IOWAIT_QUERY, 29, 8, at(0), at(30), unit="%"), at(30))
    [first] = step([], [host], 31)
    assert first.id == incident_id(host.fingerprint) and first.state == "open"
    assert first.causes[0].asset_id == "srv-db-03" and first.timeline.detected_at == at(30)

    lun = active(metric_finding("lun-12", "write throughput", LUN_QUERY, 5e8, 8e7, at(-20), at(40)), at(40))
    [second] = step([first], [host, lun], 41)
    assert second.id == first.id and second.findings == (host.fingerprint, lun.fingerprint)  # in joining order
    assert second.causes[0].asset_id == "lun-12"  # re-ranked: the LUN explains the host
    assert second.timeline.first_signal_at == at(-20) and second.timeline.detected_at == at(30)

    again = step([second], [host, lun], 42)
    assert again == [second]  # nothing changed: the caller has nothing to write

    [third] = step([second], [resolved(host, at(50)), lun], 51)
    assert third.state == "open" and third.causes[0].asset_id == "lun-12"  # the resolved record still ranks

    [fourth] = step([third], [], 60)  # nothing active, no records: resolved with what it knew
    assert fourth.state == "resolved" and fourth.timeline.resolved_at == at(60) and fourth.causes == third.causes
    assert step([fourth], [], 61) == []  # resolved incidents are history


def test_a_finding_related_to_two_incidents_merges_them_into_the_older() -> None:
    app1 = active(log_finding("srv-app-01", "link <*> down", 3, at(0), at(5)), at(5))
    app2 = active(log_finding("srv-app-02", "link <*> down", 3, at(1), at(6)), at(6))
    older, newer = sorted(step([], [app1, app2], 7), key=lambda i: i.timeline.detected_at)
    assert older.findings == (app1.fingerprint,) and newer.findings == (app2.fingerprint,)

    switch = active(log_finding("sw-1", "interface <*> flapping", 20, at(2), at(8), kind="log.burst"), at(8))
    merged, absorbed = sorted(step([newer, older], [app1, app2, switch], 9), key=lambda i: i.state)
    assert merged.id == older.id and merged.state == "open"
    assert merged.findings == (app1.fingerprint, app2.fingerprint, switch.fingerprint)
    assert merged.causes[0].asset_id == "sw-1" and set(merged.causes[0].explains) == {
        app1.fingerprint,
        app2.fingerprint,
    }
    assert absorbed.id == newer.id and absorbed.state == "resolved" and absorbed.labels[MERGED_INTO] == older.id
    assert absorbed.timeline.resolved_at == at(9)


def test_a_long_running_finding_relates_by_its_whole_active_span() -> None:
    rack1 = active(log_finding("R3-01", "Temperature <*> high", 4, at(0), at(5)), at(5))
    [incident] = step([], [rack1], 6)
    long_after = active(rack1.finding, at(5), at(300))  # still active five hours later
    rack2 = active(log_finding("R3-02", "Temperature <*> high", 4, at(290), at(299)), at(299))
    result = step([incident], [long_after, rack2], 300)
    assert [i.findings for i in result if i.id == incident.id] == [(rack1.fingerprint, rack2.fingerprint)]


def test_a_finding_that_fires_again_after_its_incident_resolved_reopens_the_same_id() -> None:
    web = active(log_finding("srv-web-01", "OOM killed <*>", 2, at(0), at(5), kind="log.burst"), at(5))
    [opened] = step([], [web], 6)
    [closed] = step([opened], [], 20)
    [reopened] = step([closed], [active(web.finding, at(40))], 41)
    assert reopened.id == opened.id and reopened.state == "open" and reopened.timeline.detected_at == at(40)
