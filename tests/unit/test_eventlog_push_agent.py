"""The Windows push agent (deploy/windows/*.ps1), checked without Windows.

No PowerShell runs here (``powershell`` is not packaged for Debian, and pwsh's npm installer downloads a
binary). So: both scripts are parsed with the tree-sitter PowerShell grammar (syntax errors fail); the
payload-building function is read from the parse tree (its keys, literals and the severity table) and held
to the contract in deploy/windows/ingest-events.schema.json; and a Python rendering of that same function,
built from the literals read out of the script, turns every real recorded event into a payload that must
validate against the schema and agree with what the WinRM path makes of the same event. What is not
tested: the cmdlets' runtime behaviour (Get-WinEvent, Invoke-RestMethod, DPAPI, the scheduled task).
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
import tree_sitter
import tree_sitter_powershell

from inframind.agent.eventlog.mapping import AUDIT_FAILURE, event_level, message_of
from inframind.agent.eventlog.report import parse_event
from inframind.agent.eventlog.script import CHANNEL
from inframind.normalize import parse_iso8601, windows_level
from tests.helpers.winhost import Record, clearing_notice, records, templates

DEPLOY = Path(__file__).resolve().parents[2] / "deploy" / "windows"
SCHEMA = json.loads((DEPLOY / "ingest-events.schema.json").read_text(encoding="utf-8"))
PARSER = tree_sitter.Parser(tree_sitter.Language(tree_sitter_powershell.language()))
Node = tree_sitter.Node


def walk(node: Node) -> Iterator[Node]:
    yield node
    for child in node.children:
        yield from walk(child)


def ancestors(node: Node) -> Iterator[Node]:
    while node.parent is not None:
        node = node.parent
        yield node


def text(node: Node) -> str:
    return (node.text or b"").decode()


def parse(name: str) -> Node:
    tree = PARSER.parse((DEPLOY / name).read_bytes())
    broken = [n for n in walk(tree.root_node) if n.type == "ERROR" or n.is_missing]
    assert not broken, [(n.start_point, text(n)[:80]) for n in broken]
    return tree.root_node


AGENT = parse("inframind-eventlog.ps1")
FUNCTIONS = {
    text(next(c for c in n.children if c.type == "function_name")): n
    for n in walk(AGENT)
    if n.type == "function_statement"
}


def assigned(scope: Node, variable: str) -> Node:
    for node in walk(scope):
        if node.type == "assignment_expression" and text(node.children[0]).strip() == variable:
            return node.children[-1]
    raise AssertionError(f"{variable} is not assigned")


def entries(scope: Node) -> list[tuple[str, str]]:
    return [
        (text(e.child_by_field_name("key") or e.children[0]).strip(), text(e.children[2]).strip())
        for e in walk(scope)
        if e.type == "hash_entry"
    ]


def literal(expression: str) -> str:
    match = re.fullmatch(r"'((?:[^']|'')*)'", expression)
    assert match, expression
    return match.group(1).replace("''", "'")


# ------------------------------------------------------------ the contract, read from the script

PAYLOAD = entries(FUNCTIONS["ConvertTo-InframindIngestEvent"])
SEVERITIES = {int(k): literal(v) for k, v in entries(assigned(FUNCTIONS["Get-InframindSeverity"], "$levels"))}
HEAD = re.search(
    r"\$head = ('[^']*') -f \$Record\.LogName, \$Record\.ProviderName, \$Record\.Id",
    text(FUNCTIONS["Get-InframindMessage"]),
)


def severity(record: Record) -> str:
    level = SEVERITIES.get(record["Level"] if record["Level"] is not None else -1, "info")
    keywords = int(record["Keywords"], 16) if record["Keywords"] else 0
    audit_failure = int(text(assigned(AGENT, "$AuditFailure")), 16)
    return "warning" if keywords & audit_failure and level in ("info", "debug") else level


def message(record: Record) -> str:
    assert HEAD
    head = literal(HEAD.group(1)).format(record["LogName"], record["ProviderName"], record["Id"])
    body = record["Message"] or ""
    if not body.strip():
        body = "; ".join(v for v in record["Properties"] if v)
    body = body.replace("\r\n", "\n").strip()
    return f"{head}: {body}" if body else head


def ingest_event(record: Record, asset_id: str) -> dict[str, Any]:
    """ConvertTo-InframindIngestEvent in Python, from the script's own literals."""
    stamp = parse_iso8601(record["TimeCreated"])
    assert stamp is not None
    return {
        "asset_id": asset_id,
        "source": literal(dict(PAYLOAD)["source"]),
        "message": message(record),
        "metric": None,
        "value": None,
        "severity": severity(record),
        "timestamp": stamp.strftime("%Y-%m-%dT%H:%M:%S.%f") + "0Z",  # .NET 'o' in UTC: 7 digits and Z
    }


def problems(value: Any, schema: Mapping[str, Any], at: str = "$") -> Iterator[str]:
    """The JSON Schema keywords ingest-events.schema.json uses, checked (a small validator, no dependency)."""
    kinds: dict[str, Any] = {"object": dict, "array": list, "string": str, "number": int | float, "null": type(None)}
    allowed = schema.get("type", [])
    allowed = [allowed] if isinstance(allowed, str) else allowed
    if allowed and not any(isinstance(value, kinds[t]) and not isinstance(value, bool) for t in allowed):
        yield f"{at}: expected {' or '.join(allowed)}"
        return
    if "enum" in schema and value not in schema["enum"]:
        yield f"{at}: {value!r} not in {schema['enum']}"
    if isinstance(value, str):
        if len(value) < schema.get("minLength", 0) or ("pattern" in schema and not re.search(schema["pattern"], value)):
            yield f"{at}: {value!r} does not match"
        if schema.get("format") == "date-time" and parse_iso8601(value) is None:
            yield f"{at}: {value!r} is not a date-time"
    if isinstance(value, list):
        if len(value) < schema.get("minItems", 0):
            yield f"{at}: too few items"
        for i, item in enumerate(value):
            yield from problems(item, schema["items"], f"{at}[{i}]")
    if isinstance(value, dict):
        yield from (f"{at}: missing {k}" for k in schema.get("required", ()) if k not in value)
        extra = set(value) - set(schema.get("properties", {}))
        if extra and schema.get("additionalProperties") is False:
            yield f"{at}: unexpected {sorted(extra)}"
        for key, sub in schema.get("properties", {}).items():
            if key in value:
                yield from problems(value[key], sub, f"{at}.{key}")


ITEM = SCHEMA["properties"]["events"]["items"]


# ------------------------------------------------------------ tests


def test_both_scripts_parse_and_define_what_the_agent_runs() -> None:
    parse("install.ps1")
    assert {"ConvertTo-InframindIngestEvent", "New-InframindGapEvent", "Send-InframindBatch",
            "Read-InframindToken", "Save-InframindState", "Invoke-InframindChannel"} <= set(FUNCTIONS)  # fmt: skip


def test_payload_functions_build_exactly_the_schema_fields_in_order() -> None:
    assert [k for k, _ in PAYLOAD] == ITEM["required"] == list(ITEM["properties"])
    assert [k for k, _ in entries(FUNCTIONS["New-InframindGapEvent"])] == ITEM["required"]
    assert literal(dict(PAYLOAD)["source"]) == "eventlog"
    assert dict(PAYLOAD)["timestamp"] == "$Record.TimeCreated.ToUniversalTime().ToString('o')"
    assert dict(PAYLOAD)["metric"] == dict(PAYLOAD)["value"] == "$null"  # no VictoriaMetrics sample per event


def test_script_maps_levels_and_channels_as_the_winrm_path_does() -> None:
    assert {n: windows_level(n) for n in range(6)} == SEVERITIES
    assert int(text(assigned(AGENT, "$AuditFailure")), 16) == AUDIT_FAILURE
    assert literal(text(assigned(AGENT, "$ChannelPattern"))) == f"^{CHANNEL.pattern}$"


def test_batches_go_to_ingest_events_as_utf8_json_with_a_bearer_token() -> None:
    send = text(FUNCTIONS["Send-InframindBatch"])
    assert "'/ingest/events'" in send and 'Authorization = "Bearer $Token"' in send
    assert "-ContentType 'application/json; charset=utf-8'" in send and "-Body $bytes" in send
    assert "New-Object System.Text.UTF8Encoding $false" in send  # UTF-8 bytes without a BOM


def test_install_passes_only_parameters_the_agent_declares_and_runs_as_system() -> None:
    install = parse("install.ps1")
    script_block = next(n for n in walk(AGENT) if n.type == "param_block")  # the first: the script's own
    assert not any(a.type == "function_statement" for a in ancestors(script_block))
    declared = {text(v).lstrip("$").lower() for p in walk(script_block) if p.type == "script_parameter"
                for v in p.children if v.type == "variable"}  # fmt: skip
    assert {"url", "channels", "tokenfile", "statefile", "logfile", "assetid", "batchsize"} <= declared
    passed = set(re.findall(r" -(\w+) \"\{\d\}\"", text(install))) - {"File"}  # -File is powershell.exe's
    assert {p.lower() for p in passed} <= declared and {"Url", "TokenFile", "StateFile"} <= passed
    assert "-UserId 'S-1-5-18' -LogonType ServiceAccount" in text(install)
    assert "DataProtectionScope]::LocalMachine" in text(install)


@pytest.mark.parametrize("sample", ["system_all", "system2_selected", "security_logons", "security_short_selected"])
def test_every_recorded_event_becomes_a_valid_payload_matching_the_winrm_path(sample: str) -> None:
    language = "ru" if sample.startswith("system") else "en"
    recorded = records(sample, templates(language), language)  # type: ignore[arg-type]
    items = [ingest_event(r, "WIN-01") for r in recorded]
    body = json.dumps({"events": items}, ensure_ascii=False).encode("utf-8")
    assert list(problems(json.loads(body), SCHEMA)) == []
    for record, item in zip(recorded, items, strict=True):
        raw = parse_event(record, record["LogName"])
        assert raw is not None and item["severity"] == event_level(raw)
        head = f"[{raw.channel}] {raw.provider} {raw.event_id}"
        if raw.message:  # rendered: the same text the WinRM path stores, behind the event's identity
            assert item["message"] == f"{head}: {message_of(raw)}"
        else:
            assert item["message"].startswith(head) and message_of(raw).startswith(f"{raw.provider} event")
    if language == "ru":
        assert "Служба «".encode() in body  # Cyrillic as UTF-8, not \\u escapes


def test_clearing_notice_and_gap_payloads_validate_and_the_validator_bites() -> None:
    notice = ingest_event(clearing_notice("Security", dt.datetime(2024, 5, 1, tzinfo=dt.UTC)), "DC-01")
    assert notice["message"] == "[Security] Microsoft-Windows-Eventlog 1102: Журнал аудита очищен."
    gap_fields = dict(entries(FUNCTIONS["New-InframindGapEvent"]))
    assert gap_fields["message"].startswith('"[$Channel] inframind-agent cursor_gap: newest record $Newest is below')
    assert (gap_fields["severity"], gap_fields["metric"], gap_fields["value"]) == ("'warning'", "$null", "$null")
    gap = {**notice, "message": "[Security] inframind-agent cursor_gap: newest record 1 is below the cursor 598"}
    assert list(problems({"events": [notice, gap]}, SCHEMA)) == []
    assert list(problems({"events": [{**notice, "level": "info"}]}, SCHEMA)) == ["$.events[0]: unexpected ['level']"]
    assert list(problems({"events": [{**notice, "severity": "Error"}]}, SCHEMA))
    assert list(problems({"events": [{**notice, "value": "1"}]}, SCHEMA)) == [
        "$.events[0].value: expected number or null"
    ]
    assert list(problems({"events": []}, SCHEMA)) == ["$.events: too few items"]
    missing = {k: v for k, v in notice.items() if k != "asset_id"}
    assert list(problems({"events": [missing]}, SCHEMA)) == ["$.events[0]: missing asset_id"]


@pytest.mark.parametrize("sample", ["system_all", "security_logons"])
def test_the_ingest_api_takes_every_payload_as_an_eventlog_event_without_samples(sample: str) -> None:
    """Through the analyzer's own reader of POST /ingest/events (inframind.analyzer.ingest.legacy)."""
    from inframind.analyzer.auth import Principal
    from inframind.analyzer.ingest.batch import IngestLimits
    from inframind.analyzer.ingest.legacy import accept_legacy_event

    now = dt.datetime(2026, 11, 26, tzinfo=dt.UTC)
    agent = Principal("windows-agent", "operator", "acme")
    for record in records(sample, templates("ru"), "ru"):
        item = json.loads(json.dumps(ingest_event(record, "WIN-01"), ensure_ascii=False))
        taken = accept_legacy_event(item, agent, IngestLimits(), lambda _name: None, now)
        assert taken.sample is None
        event = taken.event
        assert (event.source, event.level, event.message) == ("eventlog", item["severity"], item["message"])
        assert event.timestamp == parse_iso8601(record["TimeCreated"]) and event.tenant == "acme"
        assert "clock_missing" not in event.fields and "severity" not in event.fields
