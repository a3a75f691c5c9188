"""The RCA report (``inframind report rca ID``): Markdown and HTML over incidents the correlation task wrote into
the SQLite state store, with the metrics store unreachable (a closed loopback port: the chart falls back to the
evidence's points and says so). The chart read from a real VictoriaMetrics is in
tests/integration/test_report_vm.py."""

from __future__ import annotations

import dataclasses
import re
import struct
from dataclasses import dataclass
from pathlib import Path

import click
import pytest
import yaml
from click.testing import CliRunner

from inframind.analyzer.correlate_graph import ImpactGraph
from inframind.analyzer.correlation_task import CorrelationTask
from inframind.analyzer.explain import records_of
from inframind.analyzer.incidents import Incident, incident_id
from inframind.analyzer.report import build_report, code, md, num, render, timeline_events, write_report
from inframind.analyzer.report_load import ReportError, rca_report
from inframind.analyzer.state import FindingRecord, StateDB
from inframind.cli_report import register, report_group
from inframind.config import Config, load_config
from tests.helpers.incidents import (
    INVENTORY,
    IOWAIT_QUERY,
    LUN_QUERY,
    THERMAL,
    active,
    at,
    inventory,
    log_finding,
    metric_finding,
    resolved,
)
from tests.helpers.procs import free_port

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@dataclass
class Stores:
    config: Config
    config_path: Path
    records: dict[str, FindingRecord]
    state_dir: Path

    def incident(self, name: str) -> Incident:
        db = StateDB(self.state_dir / "analysis.db")
        try:
            found = db.incidents.get(incident_id(self.records[name].fingerprint))
        finally:
            db.close()
        assert found is not None
        return found


def png_size(data: bytes) -> tuple[int, int]:
    assert data.startswith(PNG_SIGNATURE) and data[12:16] == b"IHDR"
    width, height = struct.unpack(">II", data[16:24])
    return int(width), int(height)


@pytest.fixture
def stores(tmp_path: Path) -> Stores:
    state_dir = tmp_path / "state"
    state_dir.mkdir()
    (tmp_path / "inventory.yml").write_text(yaml.safe_dump(INVENTORY))
    down = free_port()  # nothing listens here: VictoriaMetrics is "down"
    config_path = tmp_path / "inframind.yml"
    config_path.write_text(
        yaml.safe_dump(
            {
                "inventory": "inventory.yml",
                "analyzer": {"state_dir": str(state_dir), "victoriametrics_url": f"http://127.0.0.1:{down}"},
            }
        )
    )
    records = {
        "iowait": active(metric_finding("srv-db-03", "iowait", IOWAIT_QUERY, 29, 8, at(0), at(360), unit="%"), at(40)),
        "lun": active(metric_finding("lun-12", "write throughput", LUN_QUERY, 5.2e8, 8e7, at(-10), at(360)), at(30)),
        "r3-01": active(log_finding("R3-01", THERMAL, 7, at(100), at(160)), at(160)),
        "r3-02": active(log_finding("R3-02", THERMAL, 5, at(105), at(165)), at(165)),
    }
    db = StateDB(state_dir / "analysis.db")
    for record in records.values():
        db.findings.upsert(record)
    task = CorrelationTask(db.findings, db.incidents, inventory(), transaction=db.transaction)
    task(at(361))
    db.findings.upsert(resolved(records["r3-02"], at(200)))
    task(at(362))
    db.close()
    return Stores(load_config(config_path, env={}), config_path, records, state_dir)


def sections(markdown: str) -> dict[str, str]:
    parts = re.split(r"^## (.+)$", markdown, flags=re.M)
    return dict(zip(parts[1::2], parts[2::2], strict=True))


def test_the_markdown_report_holds_the_chain_the_timeline_and_the_evidence(stores: Stores, tmp_path: Path) -> None:
    report = rca_report(stores.config, stores.incident("lun").id, at(400))
    out = tmp_path / "reports" / "lun.md"
    assert write_report(report, "md", out) == [out, out.with_suffix(".png")]
    text = out.read_text()
    host, lun = stores.records["iowait"].fingerprint, stores.records["lun"].fingerprint
    assert text.startswith(f"# RCA {incident_id(lun)}: write throughput anomaly on lun-12")
    parts = sections(text)
    assert list(parts) == ["Root cause", "Causal chain", "Cause candidates", "Timeline", "Evidence", "Key series"]
    assert "**lun-12** (lun): write throughput anomaly on lun-12" in parts["Root cause"]
    assert "explains 1 of 1 other findings" in parts["Root cause"]
    chain = [line for line in parts["Causal chain"].splitlines() if line]
    assert chain == [
        "1. `lun-12` (lun, cause) — write throughput anomaly on lun-12: 5.2e+08, expected 8e+07 → *uses-lun*",
        "2. `srv-db-03` (host, affected) — iowait anomaly on srv-db-03: 29%, expected 8",
    ]
    assert "| 2 | shelf-a2 (shelf) | inferred |" in parts["Cause candidates"]
    rows = [line for line in parts["Timeline"].splitlines() if line.startswith("| 2026")]
    assert rows[0] == "| 2026-11-26T05:50:00Z |  | first signal of the incident |"
    assert rows[-1] == "| 2026-11-26T06:40:00Z | srv-db-03 | finding active (warning): metric.anomaly |"
    assert "| 2026-11-26T06:30:00Z |  | incident detected |" in rows
    evidence = parts["Evidence"]
    assert f"fingerprint `{host}`" in evidence and f"fingerprint `{lun}`" in evidence
    assert "**srv-db-03**, warning, active; active since 2026-11-26T06:40:00Z;" in evidence
    assert "observed **29%**, expected 8% (band 6.4 … 10.4)" in evidence
    assert "observed **520 000 000**, expected 80 000 000" in evidence
    assert f"`{IOWAIT_QUERY}`" in evidence
    key = parts["Key series"]
    assert f"![Key series of {incident_id(lun)}, 2026-11-26T05:20:00Z to 2026-11-26T12:40:00Z](lun.png)" in key
    assert "VictoriaMetrics is unreachable" in key and "drawn from the 7 points in its evidence" in key
    width, height = png_size(out.with_suffix(".png").read_bytes())
    assert width == 750 and height > 300  # two panels


def test_the_html_report_is_one_self_contained_page(stores: Stores) -> None:
    report = rca_report(stores.config, stores.incident("lun").id, at(400))
    page = render(report, "html")
    assert page.startswith("<!DOCTYPE html>") and page.rstrip().endswith("</html>")
    [uri] = re.findall(r'src="data:image/png;base64,([A-Za-z0-9+/=]+)"', page)
    assert report.chart.png is not None and len(uri) > len(report.chart.png)
    assert "<li><code>lun-12</code> (lun, cause) — write throughput anomaly on lun-12" in page
    assert "<td>2026-11-26T06:30:00Z</td><td></td><td>incident detected</td>" in page
    assert 'class="note">Note: lun-12: write throughput: VictoriaMetrics is unreachable' in page
    assert "Summary (generated)" not in page  # narratives are off by default


def test_the_rack_report_points_at_the_inferred_cooling_and_has_no_chart(stores: Stores) -> None:
    incident = stores.incident("r3-01")
    report = rca_report(stores.config, incident.id, at(400))
    text = render(report, "md")
    parts = sections(text)
    assert "**crac-3** (cooling), inferred" in parts["Root cause"]
    assert [line.split(" (")[0] for line in parts["Causal chain"].splitlines() if line] == [
        "1. `crac-3`",
        "2. `R3`",
        "3. `R3-01`",
    ]
    assert "(rack, via)" in parts["Causal chain"] and "(host, affected)" in parts["Causal chain"]
    assert "`crac-3 -[cooled-by]-> R3 -[in-rack]-> R3-02`" in parts["Cause candidates"]
    assert "**7** events" in parts["Evidence"] and "sample: `Temperature sensor Inlet Temp exceeded" in text
    assert "| 2026-11-26T09:20:00Z | R3-02 | finding resolved: log.rule |" in parts["Timeline"]
    assert "resolved; active since 2026-11-26T08:45:00Z, resolved 2026-11-26T09:20:00Z;" in parts["Evidence"]
    assert report.chart.png is None and "![" not in text
    assert "there is no series to chart" in parts["Key series"]


def test_text_from_findings_cannot_inject_markup(stores: Stores) -> None:
    record = stores.records["iowait"]
    hostile = dataclasses.replace(
        record.finding,
        title="<script>alert(1)</script> | `x` *y*",
        links={"runbook": "javascript:alert(2)", "dashboard": "https://grafana.example/d/x?a=1&b=<2>"},
    )
    records = {**records_of_store(stores), record.fingerprint: dataclasses.replace(record, finding=hostile)}
    incident = stores.incident("lun")
    report = build_report(incident, records, ImpactGraph(inventory()), None, now=at(400))
    page = render(report, "html")
    assert "<script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert 'href="javascript' not in page and "<code>javascript:alert(2)</code>" in page
    assert 'href="https://grafana.example/d/x?a=1&amp;b=&lt;2&gt;"' in page
    text = render(report, "md")
    assert "<script>" not in text and r"\<script\>alert(1)\</script\> \| \`x\` \*y\*" in text


def records_of_store(stores: Stores) -> dict[str, FindingRecord]:
    db = StateDB(stores.state_dir / "analysis.db")
    try:
        return records_of(db.findings, stores.incident("lun"))
    finally:
        db.close()


def test_timeline_events_are_in_time_order_with_every_recorded_moment(stores: Stores) -> None:
    incident = stores.incident("r3-01").with_timeline(notified_at=at(170), acknowledged_at=at(180))
    events = timeline_events(incident, _rack_records(stores))
    assert [e["at"] for e in events] == sorted(e["at"] for e in events)
    assert [e["event"] for e in events if not e["asset"]] == [
        "first signal of the incident",
        "incident detected",
        "people notified",
        "acknowledged",
    ]
    assert events[1] == {"at": "2026-11-26T07:40:00Z", "asset": "R3-01", "event": f"log.rule begins: {_title()}"}


def _rack_records(stores: Stores) -> dict[str, FindingRecord]:
    db = StateDB(stores.state_dir / "analysis.db")
    try:
        return records_of(db.findings, stores.incident("r3-01"))
    finally:
        db.close()


def _title() -> str:
    return "BmcThermalWarnings: 7 matching events on R3-01"


def test_filters() -> None:
    assert md("a|b <c>\n  *d*") == r"a\|b \<c\> \*d\*"
    assert code("x") == "`x`" and code("a `b` c") == "``a `b` c``" and code("`x`") == "`` `x` ``"
    assert num(29.0) == "29" and num(5.2e8) == "520 000 000" and num(0.123456789) == "0.123457"
    assert num(None) == "—" and num(True) == "True" and num("abc") == "abc" and num(2.5e12) == "2.5e+12"


def test_the_cli_writes_markdown_with_its_chart_and_html_to_stdout(stores: Stores, tmp_path: Path) -> None:
    runner = CliRunner()
    lun = stores.incident("lun").id
    out = tmp_path / "out" / "rca.md"
    result = runner.invoke(report_group, ["rca", lun, "--out", str(out), "--config", str(stores.config_path)])
    assert result.exit_code == 0, result.output
    assert out.is_file() and png_size(out.with_suffix(".png").read_bytes())[0] == 750
    assert f"# RCA {lun}" in out.read_text() and "](rca.png)" in out.read_text()
    assert "note: lun-12: write throughput: VictoriaMetrics is unreachable" in result.stderr
    assert f"wrote {out}, {out.with_suffix('.png')}" in result.stderr

    html = runner.invoke(report_group, ["rca", lun, "--format", "html", "--config", str(stores.config_path)])
    assert html.exit_code == 0 and html.stdout.startswith("<!DOCTYPE html>") and "data:image/png;base64," in html.stdout

    by_suffix = tmp_path / "rca.html"
    assert runner.invoke(report_group, ["rca", lun, "--out", str(by_suffix), "--config", str(stores.config_path)])
    assert by_suffix.read_text().startswith("<!DOCTYPE html>") and not by_suffix.with_suffix(".png").exists()


def test_the_cli_names_what_is_wrong(stores: Stores, tmp_path: Path) -> None:
    runner = CliRunner()
    unknown = runner.invoke(report_group, ["rca", "inc-000000000000", "--config", str(stores.config_path)])
    assert unknown.exit_code == 1 and "no incident inc-000000000000 in the analyzer's state" in unknown.stderr
    bad = tmp_path / "bad.yml"
    bad.write_text("analyzer: {victoriametrics_url: ftp://x}\n")
    broken = runner.invoke(report_group, ["rca", "inc-1", "--config", str(bad)])
    assert broken.exit_code == 1 and "configuration error" in broken.stderr and "victoriametrics_url" in broken.stderr
    nowhere = tmp_path / "nowhere.yml"
    nowhere.write_text(yaml.safe_dump({"analyzer": {"state_dir": str(tmp_path / "missing")}}))
    empty = runner.invoke(report_group, ["rca", "inc-1", "--config", str(nowhere)])
    assert empty.exit_code == 1 and f"no analyzer state at {tmp_path / 'missing' / 'analysis.db'}" in empty.stderr
    assert not (tmp_path / "missing").exists()  # a report creates no state
    wrong = runner.invoke(report_group, ["rca", "inc-1", "--format", "pdf", "--config", str(stores.config_path)])
    assert wrong.exit_code == 2 and "'pdf' is not one of 'md', 'html'" in wrong.stderr


def test_register_adds_the_report_group() -> None:
    main = click.Group("inframind")
    register(main)
    assert main.commands["report"] is report_group and set(report_group.commands) == {"rca"}


def test_an_unknown_incident_is_a_report_error(stores: Stores) -> None:
    with pytest.raises(ReportError, match="no incident inc-ffffffffffff"):
        rca_report(stores.config, "inc-ffffffffffff", at(400))
