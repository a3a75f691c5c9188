"""The RCA report's chart read from a real VictoriaMetrics (the session server on loopback): a series it holds
is drawn from what it returns, a series it lacks and a query it refuses fall back to the evidence's points
with a note saying which and why."""

from __future__ import annotations

import datetime as dt
import math
import time
from pathlib import Path

import numpy as np
import pytest
import yaml

from inframind.analyzer.correlation_task import CorrelationTask
from inframind.analyzer.findings import Finding, MetricEvidence, Window
from inframind.analyzer.history_import import import_history
from inframind.analyzer.incidents import incident_id
from inframind.analyzer.report import render
from inframind.analyzer.report_load import rca_report
from inframind.analyzer.state import FindingRecord, StateDB
from inframind.config import load_config
from inframind.inventory import inventory_from_data
from tests.helpers.servers import Running

pytestmark = pytest.mark.integration
END = math.floor(time.time() / 60) * 60 - 120
STAMPS = END - 60.0 * np.arange(179, -1, -1)
IOWAIT = np.round(np.linspace(8, 29, STAMPS.size), 3)
HELD = 'inframind_report_test_iowait_percent{instance="srv-rpt-01"}'
MISSING = 'inframind_report_test_lun_write_bytes{lun="lun-rpt"}'
REFUSED = "sum(inframind_report_test_iowait_percent"
INVENTORY = {
    "defaults": {"tenant": "acme"},
    "assets": [
        {"id": "lun-rpt", "kind": "lun"},
        {"id": "srv-rpt-01", "kind": "host", "depends": {"uses-lun": ["lun-rpt"]}},
    ],
}


def stamp(seconds: float) -> dt.datetime:
    return dt.datetime.fromtimestamp(seconds, dt.UTC)


def finding(asset: str, query: str, observed: float, expected: float, start: float) -> FindingRecord:
    window = Window(stamp(start), stamp(END))
    points = tuple((t, expected + (observed - expected) * i / 4) for i, t in enumerate(np.linspace(start, END, 5)))
    evidence = MetricEvidence(query, window, observed, expected, unit="%", points=points)
    found = Finding("metric.anomaly", asset, "acme", "warning", f"{query} is {observed}", window, (evidence,), query)
    return FindingRecord(found, "active", stamp(END), stamp(END))


def test_the_chart_reads_the_key_series_from_victoriametrics(victoriametrics: Running, tmp_path: Path) -> None:
    labels = {"__name__": "inframind_report_test_iowait_percent", "instance": "srv-rpt-01", "tenant": "acme"}
    assert import_history(victoriametrics.url, [(labels, STAMPS, IOWAIT)]).samples == STAMPS.size
    records = [
        finding("lun-rpt", MISSING, 5.2e8, 8e7, END - 7800),
        finding("srv-rpt-01", HELD, 29, 8, END - 7200),
        finding("srv-rpt-01", REFUSED, 29, 8, END - 7000),
    ]
    db = StateDB(tmp_path / "analysis.db")
    for record in records:
        db.findings.upsert(record)
    CorrelationTask(db.findings, db.incidents, inventory_from_data(INVENTORY))(stamp(END + 60))
    db.close()
    (tmp_path / "inventory.yml").write_text(yaml.safe_dump(INVENTORY))
    config_file = tmp_path / "inframind.yml"
    config_file.write_text(yaml.safe_dump({"inventory": "inventory.yml", "analyzer": {
        "state_dir": str(tmp_path), "victoriametrics_url": victoriametrics.url}}))  # fmt: skip

    report = rca_report(load_config(config_file, env={}), incident_id(records[0].fingerprint), stamp(END + 120))

    chart = report.chart
    assert [(s.key.query, s.source) for s in chart.series] == [
        (MISSING, "evidence"),  # the LUN ranks first: its series leads, drawn from its evidence
        (HELD, "victoriametrics"),
        (REFUSED, "evidence"),
    ]
    [(legend, points)] = chart.series[1].lines
    assert legend == "instance=srv-rpt-01, tenant=acme"
    assert len(points) >= 150 and points[-1][0] <= chart.end.timestamp()
    assert points[0][0] >= chart.start.timestamp() - chart.step  # VictoriaMetrics aligns the start to the step
    imported = dict(zip(STAMPS.tolist(), IOWAIT.tolist(), strict=True))
    for t, value in points:  # each step shows the last sample at or before it, exactly as imported
        assert value == imported[max(s for s in imported if s <= t)]
    assert points[-1][1] == 29.0 and 10 < points[0][1] < 11  # the chart starts half an hour before the LUN's signal
    assert chart.notes[0] == (
        f"lun-rpt: metric.anomaly: VictoriaMetrics has no data for {MISSING} in the chart's window; "
        "drawn from the 5 points in its evidence."
    )
    assert chart.notes[1].startswith(f"srv-rpt-01: metric.anomaly: VictoriaMetrics refused {REFUSED}: ")
    assert "HTTP 4" in chart.notes[1] and len(chart.notes) == 2
    assert chart.png is not None and chart.png.startswith(b"\x89PNG")
    text = render(report, "md", "chart.png")
    assert f"{HELD}` (VictoriaMetrics)" in text and f"{MISSING}` (evidence points)" in text
    assert "unreachable" not in text
