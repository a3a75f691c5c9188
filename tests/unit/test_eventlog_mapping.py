"""Real Windows events into LogEvents: levels (audit failures included), Cyrillic messages, fallbacks, assets."""

from __future__ import annotations

import datetime as dt

from inframind.agent.eventlog.cursor import Gap
from inframind.agent.eventlog.mapping import attribute, gap_event, to_log_event
from inframind.agent.eventlog.report import RawEvent, parse_report
from inframind.agent.eventlog.script import query_script
from inframind.inventory import inventory_from_data
from tests.helpers.winhost import WindowsHost, records, templates

INVENTORY = inventory_from_data(
    {
        "assets": [
            {"id": "dc-01", "kind": "windows", "tenant": "acme", "addresses": ["WIN-L0ZZQ76PMUF", "10.0.0.5"]},
            {"id": "app-07", "kind": "windows", "tenant": "globex", "addresses": ["win-p4siaa0sqco.corp.example"]},
        ]
    }
)


def events(channel: str, sample: str, language: str = "en") -> list[RawEvent]:
    host = WindowsHost({channel: records(sample, templates(language), language)})  # type: ignore[arg-type]
    return list(parse_report(host.run(query_script(channel, 0, 1000)).stdout, channel).events)


def test_failed_logons_are_warnings_and_successful_ones_info() -> None:
    who = attribute("10.0.0.5", None, INVENTORY)
    mapped = [to_log_event(e, who, INVENTORY) for e in events("Security", "security_logons")]
    levels = {(e.event_id, e.level) for e in mapped}
    assert ("4625", "warning") in levels and ("4624", "info") in levels
    assert {lvl for eid, lvl in levels if eid == "4625"} == {"warning"}
    failed = next(e for e in mapped if e.event_id == "4625")
    assert failed.fields["keywords"] == "0x8010000000000000"
    assert failed.fields["data6"] == "Administrator"  # TargetUserName
    assert failed.asset_id == "dc-01" and failed.tenant == "acme"


def test_cyrillic_message_level_and_identity_of_a_service_failure() -> None:
    raw = next(e for e in events("System", "system_all", "ru") if e.event_id == 7023)
    event = to_log_event(raw, attribute("win-p4siaa0sqco.corp.example", None, INVENTORY), INVENTORY)
    assert event.message == "Служба «Spooler» завершена из-за ошибки: %%2147942414"
    assert event.level == "error" and event.source == "eventlog"
    assert (event.event_id, event.provider, event.channel, event.record_id) == ("7023", "Service Control Manager",
                                                                                "System", "40")  # fmt: skip
    assert event.host == "WIN-P4SIAA0SQCO"
    assert (event.asset_id, event.tenant) == ("app-07", "globex")  # resolved from the target's FQDN
    assert event.timestamp == dt.datetime(2017, 7, 12, 17, 16, 28, 464140, tzinfo=dt.UTC)
    assert '"Служба' in event.to_json()  # no \\u escapes on the way to the store


def test_unrendered_messages_say_provider_id_and_data_and_crlf_is_normalized() -> None:
    raws = events("System", "system_all")
    dhcp = next(e for e in raws if e.event_id == 50036)
    who = attribute("host", None, None)
    assert to_log_event(dhcp, who).message.startswith("Microsoft-Windows-Dhcp-Client event 50036")
    boot = next(e for e in raws if e.event_id == 12)
    started = "The operating system started at system time 2017-07-12T17:16:05.4992580Z."
    assert to_log_event(boot, who).message == started  # rendered from the shared English template
    crlf = RawEvent(1, 1000, boot.time_created, "App", "Application", message="line one\r\nline two\r\n")
    assert to_log_event(crlf, who).message == "line one\nline two"
    empty = RawEvent(2, 6005, boot.time_created, "EventLog", "System", properties=("", None))
    assert to_log_event(empty, who).message == "EventLog event 6005"


def test_configured_asset_wins_and_unknown_hosts_stay_unattributed() -> None:
    assert attribute("10.9.9.9", "dc-01", INVENTORY) == attribute("x", "dc-01", INVENTORY).__class__(
        "dc-01", "acme", "10.9.9.9"
    )
    assert attribute("10.9.9.9", "not-in-inventory", INVENTORY).tenant == "default"
    unknown = attribute("10.9.9.9", None, INVENTORY)
    assert (unknown.asset_id, unknown.tenant) == ("", "default")
    raw = next(e for e in events("Security", "security_logons") if e.machine == "WIN-L0ZZQ76PMUF")
    assert to_log_event(raw, unknown, INVENTORY).asset_id == "dc-01"  # by the event's MachineName


def test_fingerprints_are_stable_across_rereads_and_distinct_per_record() -> None:
    who = attribute("host", None, None)
    first = [to_log_event(e, who).fingerprint for e in events("System", "system2_selected")]
    again = [to_log_event(e, who).fingerprint for e in events("System", "system2_selected")]
    assert first == again and len(set(first)) == len(first)


def test_long_insertion_strings_are_cut_and_counted_fields_bounded() -> None:
    raw = RawEvent(5, 1000, dt.datetime(2024, 1, 1, tzinfo=dt.UTC), "App", "Application",
                   properties=tuple(["x" * 5000] + [str(i) for i in range(50)]))  # fmt: skip
    fields = to_log_event(raw, attribute("h", None, None)).fields
    assert fields["data1"] == "x" * 1024
    assert "data32" in fields and "data33" not in fields


def test_gap_event_explains_itself() -> None:
    who = attribute("win01", "dc-01", INVENTORY)
    now = dt.datetime(2024, 5, 1, 12, tzinfo=dt.UTC)
    event = gap_event("Security", Gap("cleared", "the newest record is 1, below the cursor 91", True), who, now, 91)
    assert event.level == "warning" and event.channel == "Security" and event.asset_id == "dc-01"
    assert "reading the log again from its oldest record" in event.message
    assert event.fields == {"target": "win01", "gap_reason": "cleared", "cursor_before": 91}
    assert event.timestamp == now and event.record_id is None
