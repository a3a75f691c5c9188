"""Parsing the query script's output: real recorded events, in PowerShell 7's and 5.1's JSON dialects."""

from __future__ import annotations

import base64
import datetime as dt
import json
import re

import pytest

from inframind.agent.eventlog.report import ReportError, as_list, parse_report, stderr_text
from inframind.agent.eventlog.script import query_script
from tests.helpers.winhost import SHARED, WindowsHost, records, templates

WINRM_FIXTURES = SHARED.parent / "winrm"


def host(style: str = "ps7") -> WindowsHost:
    return WindowsHost({"System": records("system_all", templates("ru"), "ru")}, style=style)  # type: ignore[arg-type]


def test_real_system_log_parses_with_cyrillic_messages_and_edges() -> None:
    out = host().run(query_script("System", 30, 20))
    report = parse_report(out.stdout, "System")
    assert [e.record_id for e in report.events] == list(range(31, 51))
    assert report.newest is not None and report.newest.record_id == 326
    assert report.oldest is not None and report.oldest.record_id == 1
    failed = next(e for e in report.events if e.event_id == 7000)
    assert failed.message == "Служба «CldFlt» не запущена из-за ошибки: %%50"
    assert failed.level == 2 and failed.level_name == "Ошибка"
    assert failed.provider == "Service Control Manager" and failed.machine == "WIN-P4SIAA0SQCO"
    assert failed.time_created == dt.datetime(2017, 7, 12, 17, 16, 28, 214161, tzinfo=dt.UTC)
    assert failed.keywords == 0x8080000000000000
    assert failed.properties == ("CldFlt", "%%50")


@pytest.mark.parametrize(("after", "limit"), [(0, 500), (40, 1), (325, 5), (326, 5)])
def test_powershell_51_dialect_reads_the_same_as_powershell_7(after: int, limit: int) -> None:
    script = query_script("System", after, limit)
    ps51 = host("ps51").run(script).stdout
    assert b"\\/Date(" in ps51 and all(b < 0x80 for b in ps51)  # the quirks are really there
    old, new = parse_report(ps51, "System"), parse_report(host().run(script).stdout, "System")
    assert old.events == new.events
    for old_edge, new_edge in ((old.newest, new.newest), (old.oldest, new.oldest)):
        assert old_edge is not None and new_edge is not None and old_edge.record_id == new_edge.record_id
        assert old_edge.time_created is not None and new_edge.time_created is not None
        assert abs(old_edge.time_created - new_edge.time_created) < dt.timedelta(milliseconds=1)  # /Date() is ms


def test_51_array_wrapping_and_single_values() -> None:
    assert as_list({"value": [1, 2], "Count": 2}) == [1, 2]
    assert as_list({"RecordId": 1}) == [{"RecordId": 1}]
    assert as_list("only") == ["only"]
    assert as_list(None) == [] and as_list("") == [""]  # one empty insertion string is still one


def test_bad_entries_are_counted_not_fatal_and_utf8_problems_flagged() -> None:
    good = {"Id": 7036, "RecordId": 9, "TimeCreated": "/Date(1499879788214)/", "ProviderName": "SCM"}
    payload = {"schema": 1, "channel": "System", "after": 0, "newest": None, "oldest": None,
               "events": [good, {"Id": 1}, "junk", {**good, "RecordId": "x"}]}  # fmt: skip
    raw = "\ufeff".encode() + json.dumps(payload).encode().replace(b"SCM", b"SC\xff")
    report = parse_report(raw, "System")
    assert [e.record_id for e in report.events] == [9]
    assert report.events[0].time_created == dt.datetime(2017, 7, 12, 17, 16, 28, 214000, tzinfo=dt.UTC)
    assert report.events[0].provider == "SC\ufffd"
    assert report.malformed == 3 and report.replaced_utf8


@pytest.mark.parametrize(
    ("stdout", "message"),
    [
        (b"", "printed nothing"),
        (b"Get-WinEvent : Access is denied", "not JSON"),
        (b"[]", "expected a JSON object"),
        (b'{"schema": 2, "channel": "System"}', "schema 2"),
        (b'{"schema": 1, "channel": "Application"}', "for channel 'Application'"),
    ],
)
def test_output_that_is_not_a_report_is_refused_with_a_reason(stdout: bytes, message: str) -> None:
    with pytest.raises(ReportError, match=re.escape(message)):
        parse_report(stdout, "System")


def test_stderr_of_a_real_recorded_powershell_error_reads_as_text() -> None:
    """pywinrm's recorded Receive of ``Write-Error "Error"``: a CLIXML error stream in base64 chunks."""
    xml = (WINRM_FIXTURES / "pywinrm" / "exchange" / "09_get_ps_output_response.xml").read_text()
    chunks = re.findall(r'<rsp:Stream[^>]*Name="stderr"[^>]*>([^<]+)</rsp:Stream>', xml)
    stderr = b"".join(base64.b64decode(c) for c in chunks)
    assert stderr.startswith(b"#< CLIXML")
    text = stderr_text(stderr)
    assert text.startswith('Write-Error "Error" : Error')
    assert "FullyQualifiedErrorId : Microsoft.PowerShell.Commands.WriteErrorExceptio" in text
    assert "<S" not in text and "_x000D_" not in text
    assert stderr_text(b"plain failure\r\n") == "plain failure"
