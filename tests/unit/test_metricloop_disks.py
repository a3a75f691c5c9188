"""Disk failure and node risk as the loop wires them: drives from readings, node risk from findings."""

from __future__ import annotations

import datetime as dt

import pytest

from inframind.analyzer.detect.failure import DiskKey, DiskReading, shipped_model
from inframind.analyzer.findings import Finding, LogEvidence, Window
from inframind.analyzer.metricloop_disks import DriveHistory, DriveProbability, node_risks, predict_disks

END = dt.datetime(2026, 11, 26, 12, tzinfo=dt.UTC)
T0 = END.timestamp() - 10 * 86400
WINDOW = Window(END - dt.timedelta(hours=1), END)


def history(grow: float) -> DriveHistory:
    readings = [
        (
            T0 + day * 86400,
            DiskReading(
                {"reallocated": 8 + grow * day, "pending": grow * day},
                power_on_hours=30_000 + 24 * day,
                temperature_celsius=35,
            ),
        )
        for day in range(11)
    ]
    return DriveHistory("acme", {"device": "sdb"}, readings)


def rule(asset: str, alert: str, count: int) -> Finding:
    evidence = LogEvidence("PSU <*> lost input", "t1", count, WINDOW, WINDOW.start, WINDOW.end)
    return Finding("log.rule", asset, "acme", "warning", alert, WINDOW, (evidence,), alert, labels={"alertname": alert})


def test_a_drive_whose_errors_grow_is_the_one_reported() -> None:
    histories = {DiskKey("db-1", "sdb"): history(6.0), DiskKey("db-2", "sdb"): history(0.0)}
    result = predict_disks(histories, shipped_model(), END, 10 * 86400)
    p = {d.asset: d.probability for d in result.probabilities}
    assert p["db-1"] > 10 * p["db-2"]
    (finding,) = result.findings
    assert (finding.kind, finding.asset_id, finding.tenant, finding.labels["device"]) == (
        "disk.failure", "db-1", "acme", "sdb",
    )  # fmt: skip
    assert finding.probability == pytest.approx(p["db-1"])


def test_node_risk_from_bmc_and_reboot_findings_without_double_counting_disks() -> None:
    active = [rule("db-1", "BMCPowerSupplyEvents", 3), rule("db-1", "WindowsUnexpectedShutdowns", 2)]
    disks = [DriveProbability("acme", "db-1", "sdb", 0.4), DriveProbability("acme", "db-2", "sda", 0.001)]
    likelihoods, found = node_risks([("acme", "db-1"), ("acme", "db-2")], active, disks, END, 86400.0)
    (finding,) = found
    assert (finding.kind, finding.asset_id, finding.severity) == ("node.risk", "db-1", "warning")
    # the node's own score counts everything: 1 - (1 - 0.375)(1 - 0.4)(1 - 0.9 * 0.4) = 76
    assert finding.score == pytest.approx(0.76, abs=0.001)
    assert "PSU" in finding.title or "psu" in finding.title
    # the risk score gets only the events' share: psu 0.5 * 3/4 and reboots 0.6 * 2/3, not the disk's 0.4
    assert likelihoods["acme|db-1"] == pytest.approx(1 - (1 - 0.375) * (1 - 0.4))
    assert likelihoods["acme|db-2"] == pytest.approx(0.0)
