"""Correlation over the dependency graph: which findings become one incident, and which cause ranks first."""

from __future__ import annotations

import random

import pytest

from inframind.analyzer.correlate import correlate
from inframind.analyzer.correlate_graph import ImpactGraph, edge_relevance
from inframind.analyzer.correlate_rank import INFERRED
from inframind.analyzer.incidents import Incident, incident_id
from inframind.analyzer.state import FindingRecord
from inframind.config.analyzer_sections import CorrelationSettings
from inframind.inventory import inventory_from_data
from tests.helpers.incidents import (
    IOWAIT_QUERY,
    LUN_QUERY,
    THERMAL,
    active,
    at,
    inventory,
    log_finding,
    metric_finding,
)

GRAPH = ImpactGraph(inventory())


def iowait(start: float = 0, end: float = 360) -> FindingRecord:
    return active(metric_finding("srv-db-03", "iowait", IOWAIT_QUERY, 29, 8, at(start), at(end), unit="%"))


def lun_burst(start: float = -10, end: float = 360) -> FindingRecord:
    return active(metric_finding("lun-12", "write throughput", LUN_QUERY, 5.2e8, 8e7, at(start), at(end)))


def thermal(host: str, start: float, count: int = 6) -> FindingRecord:
    return active(log_finding(host, THERMAL, count, at(start), at(start + 60)))


def run(records: list[FindingRecord], *, window: float = 1800) -> list[Incident]:
    return correlate([], records, GRAPH, at(400), CorrelationSettings(window=window))


def test_graph_paths_follow_the_way_trouble_flows() -> None:
    assert GRAPH.path("lun-12", "srv-db-03", 4) == ("lun-12", "uses-lun", "srv-db-03")
    assert GRAPH.path("shelf-a2", "srv-db-03", 4) == ("shelf-a2", "runs-on", "lun-12", "uses-lun", "srv-db-03")
    assert GRAPH.path("srv-db-03", "lun-12", 4) is None  # a host does not cause its LUN's trouble
    assert GRAPH.path("shelf-a2", "srv-db-03", 1) is None  # beyond max_hops
    assert GRAPH.path("sw-1", "srv-app-01", 4) == ("sw-1", "connected-to", "srv-app-01")
    assert GRAPH.path("srv-app-01", "sw-1", 4) == ("srv-app-01", "connected-to", "sw-1")  # links: both ways
    assert GRAPH.path("srv-app-01", "srv-app-02", 4) is None  # at most one link per path
    assert set(GRAPH.common_upstream(["R3-01", "R3-02"], 2)) == {"R3", "crac-3", "pdu-a1"}
    assert GRAPH.common_upstream(["srv-app-01", "srv-app-02"], 2) == {}  # a switch is not a shared dependency
    assert edge_relevance("cooled-by", THERMAL) == 1.0 and edge_relevance("powered-by", THERMAL) == 0.4


def test_iowait_on_a_host_and_a_write_burst_on_its_lun_are_one_incident_led_by_the_lun() -> None:
    host, lun = iowait(), lun_burst()
    [incident] = run([host, lun])
    assert incident.id == incident_id(lun.fingerprint)  # the earliest finding opened it
    assert set(incident.findings) == {host.fingerprint, lun.fingerprint}
    assert incident.assets == ("lun-12", "srv-db-03")
    top = incident.causes[0]
    assert (top.asset_id, top.fingerprint, top.kind) == ("lun-12", lun.fingerprint, "metric.anomaly")
    assert top.path == ("lun-12", "uses-lun", "srv-db-03") and top.explains == (host.fingerprint,)
    assert top.score == 1.0 and any("explains 1 of 1" in r for r in top.reasons)
    host_cause = next(c for c in incident.causes if c.asset_id == "srv-db-03")
    assert host_cause.explains == () and host_cause.score < top.score
    assert incident.title.startswith("write throughput anomaly on lun-12") and "srv-db-03" in incident.title
    assert incident.labels["cause_asset"] == "lun-12"
    assert incident.timeline.first_signal_at == at(-10) and incident.timeline.detected_at == at(360)


def test_the_lun_still_ranks_first_when_the_host_complained_earlier() -> None:
    host, lun = iowait(start=0), lun_burst(start=30)
    [incident] = run([host, lun])
    assert incident.id == incident_id(host.fingerprint)
    assert incident.causes[0].asset_id == "lun-12"
    shelf = next(c for c in incident.causes if c.asset_id == "shelf-a2")  # the LUN's shelf explains both
    assert (
        shelf.kind == INFERRED
        and shelf.fingerprint == ""
        and set(shelf.explains) == {host.fingerprint, lun.fingerprint}
    )
    assert incident.causes[0].score > shelf.score > next(c.score for c in incident.causes if c.asset_id == "srv-db-03")


def test_thermal_warnings_on_two_hosts_of_one_rack_point_at_its_cooling() -> None:
    first, second = thermal("R3-01", 0), thermal("R3-02", 5)
    [incident] = run([first, second])
    assert incident.findings == (first.fingerprint, second.fingerprint)
    top, runner_up = incident.causes[:2]
    assert (top.asset_id, top.kind, top.fingerprint) == ("crac-3", INFERRED, "")
    assert top.path == ("crac-3", "cooled-by", "R3", "in-rack", "R3-01")
    assert top.explains == (first.fingerprint, second.fingerprint)
    assert runner_up.asset_id == "R3"
    power = next(c for c in incident.causes if c.asset_id == "pdu-a1")
    assert power.score < runner_up.score  # a PDU explains thermal warnings less well than the CRAC or the rack
    assert any("R3-02" in r and "cooled-by" in r for r in top.reasons)
    assert incident.title == "2 findings on R3-01, R3-02 share crac-3"


def test_unrelated_assets_and_other_tenants_make_separate_incidents() -> None:
    rack = thermal("R3-01", 0)
    web = active(log_finding("srv-web-01", "Out of memory: Killed process <*>", 3, at(0), at(5), kind="log.burst"))
    app1 = active(log_finding("srv-app-01", "link down <*>", 2, at(0), at(5)))
    app2 = active(log_finding("srv-app-02", "link down <*>", 2, at(1), at(6)))
    globex = active(log_finding("R3-02", THERMAL, 4, at(0), at(5), tenant="globex"))
    incidents = run([rack, web, app1, app2, globex])
    assert sorted(i.findings for i in incidents) == sorted(
        ((rack.fingerprint,), (web.fingerprint,), (app1.fingerprint,), (app2.fingerprint,), (globex.fingerprint,))
    )
    lone = next(i for i in incidents if i.findings == (web.fingerprint,))
    assert lone.causes[0].score == 1.0 and lone.title == web.finding.title and lone.id == incident_id(web.fingerprint)


def test_findings_on_one_asset_share_an_incident_even_outside_the_inventory() -> None:
    a = active(log_finding("unlisted-9", "disk <*> offline", 1, at(0), at(5), kind="log.new_template"))
    b = active(log_finding("unlisted-9", "fs <*> read-only", 1, at(3), at(8), kind="log.burst", severity="critical"))
    [incident] = run([a, b])
    assert incident.severity == "critical"  # the highest of its findings
    assert incident.causes[0].fingerprint == a.fingerprint and incident.causes[0].explains == (b.fingerprint,)


def test_the_correlation_window_is_respected() -> None:
    early, late = thermal("R3-01", 0), thermal("R3-02", 180)  # three hours apart
    assert len(run([early, late], window=1800)) == 2
    assert len(run([early, late], window=3 * 3600)) == 1


def test_the_result_does_not_depend_on_input_order() -> None:
    records = [iowait(), lun_burst(), thermal("R3-01", 0), thermal("R3-02", 3)]
    expected = run(records)
    shuffled = records[:]
    random.Random(7).shuffle(shuffled)
    assert run(shuffled) == expected and len(expected) == 2


@pytest.mark.parametrize("limit", [1, 2])
def test_max_causes(limit: int) -> None:
    incidents = correlate([], [iowait(), lun_burst()], GRAPH, at(400), CorrelationSettings(max_causes=limit))
    assert len(incidents[0].causes) == limit


R3_BMCS = inventory_from_data(
    {
        "defaults": {"tenant": "acme", "site": "msk-1"},
        "assets": [
            {"id": "crac-3", "kind": "cooling"},
            {"id": "ups-1", "kind": "ups"},
            {"id": "R3", "kind": "rack", "depends": {"cooled-by": ["crac-3"]}},
            {"id": "pdu-r3", "kind": "pdu", "rack": "R3", "depends": {"powered-by": "ups-1", "in-rack": "R3"}},
            *(
                {"id": bmc, "kind": "bmc", "rack": "R3", "depends": {"in-rack": "R3", "powered-by": "pdu-r3"}}
                for bmc in ("R3-01", "R3-02")
            ),
        ],
    }
)
SUPPLY_AIR = 'inframind_cooling_supply_air_temperature_celsius{asset="crac-3"}'
PDU_POWER = 'inframind_pdu_output_power_watts{asset="pdu-r3"}'


@pytest.mark.parametrize(
    ("upstream", "signal", "query", "observed", "expected"),
    [("crac-3", "supply air temperature", SUPPLY_AIR, 27, 18), ("pdu-r3", "output power", PDU_POWER, 5200, 3100)],
)
def test_thermal_warnings_on_the_r3_bmcs_are_led_by_their_cooling_or_pdu_finding(
    upstream: str, signal: str, query: str, observed: float, expected: float
) -> None:
    """The issue's rack R3: iDRACs R3-01 and R3-02 log thermal warnings after the CRAC (or the PDU) went wrong."""
    cause = active(metric_finding(upstream, signal, query, observed, expected, at(0), at(70)))
    bmc1, bmc2 = (
        active(log_finding(b, THERMAL, n, at(m), at(m + 60))) for b, n, m in (("R3-01", 7, 10), ("R3-02", 5, 14))
    )
    incidents = correlate([], [bmc2, cause, bmc1], ImpactGraph(R3_BMCS), at(100), CorrelationSettings())
    [incident] = incidents
    assert set(incident.findings) == {cause.fingerprint, bmc1.fingerprint, bmc2.fingerprint}
    assert incident.id == incident_id(cause.fingerprint)
    top = incident.causes[0]
    assert (top.asset_id, top.fingerprint, top.kind) == (upstream, cause.fingerprint, "metric.anomaly")
    assert set(top.explains) == {bmc1.fingerprint, bmc2.fingerprint} and top.path[0] == upstream
    assert top.path[-1] == "R3-01" and top.score > incident.causes[1].score
    bmc_scores = [c.score for c in incident.causes if c.asset_id in ("R3-01", "R3-02")]
    assert all(score < top.score - 0.3 for score in bmc_scores)
    assert incident.title.startswith(f"{signal} anomaly on {upstream}") and "R3-01, R3-02" in incident.title


def test_thermal_warnings_on_the_r3_bmcs_alone_point_at_the_shared_cooling() -> None:
    bmc1, bmc2 = (active(log_finding(b, THERMAL, 6, at(m), at(m + 60))) for b, m in (("R3-01", 0), ("R3-02", 4)))
    [incident] = correlate([], [bmc1, bmc2], ImpactGraph(R3_BMCS), at(100), CorrelationSettings())
    top = incident.causes[0]
    assert (top.asset_id, top.kind) == ("crac-3", INFERRED)
    assert top.path == ("crac-3", "cooled-by", "R3", "in-rack", "R3-01")
    power = next(c for c in incident.causes if c.asset_id == "pdu-r3")
    assert power.score < top.score  # a PDU explains thermal warnings less well than the cooling that feeds R3
