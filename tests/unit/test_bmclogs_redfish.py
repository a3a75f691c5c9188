"""Redfish LogEntry -> LogEvent and which entries are new, on the real captures in ../shared/fixtures/redfish.

HPE iLO 5 (DL325: IML, IEL and the security log SL, some entries dated 0000-00-00; XL675d: an Event log
of MessageId and arguments only), Intel (a SEL and a RedfishLog without severities), Gigabyte/AMI (SEL
entries whose Id differs from their URI), OpenBMC (a journal whose ids are not numbers).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from inframind.agent.bmclogs import redfish_entries as re_
from inframind.agent.bmclogs.redfish_entries import Selection, ServiceCursor
from tests.helpers.bmclogs import ASSET
from tests.helpers.redfish import resource

Json = dict[str, Any]
IML = "/redfish/v1/Systems/1/LogServices/IML"
NOW = dt.datetime(2026, 3, 15, 12, 0, tzinfo=dt.UTC)


def entries(mockup: str, service: str) -> list[Json]:
    members: list[Json] = resource(f"csm-emulator/{mockup}", f"{service}/Entries")["Members"]
    return members


def event(entry: Json, service: str) -> Any:
    return re_.to_event(entry, service, re_.created(entry) or NOW, ASSET, None)


def cursor_at(entry: Json) -> ServiceCursor:
    return ServiceCursor(re_.entry_id(entry), entry["Created"])


def test_hpe_iml_entries() -> None:
    iml = entries("DL325", IML)
    events = [event(e, IML) for e in iml]
    assert len(events) == 143
    first = events[0]
    assert first.timestamp == dt.datetime(2021, 1, 28, 22, 53, 8, tzinfo=dt.UTC)
    assert (first.source, first.provider, first.channel) == ("redfish_log", "IML", "Systems/1/LogServices/IML")
    assert first.record_id == "/redfish/v1/Systems/1/LogServices/IML/Entries/1"
    assert first.message.startswith("At least one of the links is up in adapter Marvell")
    assert first.event_id == "Hpe.17.14"  # OEM class (Network) and code: iLO gives no MessageId
    assert first.fields["Oem.Hpe.ClassDescription"] == "Network"
    assert first.fields["Oem.Hpe.Categories"] == "Hardware"
    assert first.fields["OemRecordFormat"] == "Hpe-IML"
    assert {e.level for e in events} == {"info", "warning", "critical"}
    by_severity = {e["Severity"]: event(e, IML).level for e in iml}
    assert by_severity == {"OK": "info", "Warning": "warning", "Critical": "critical"}


def test_ilo_entries_dated_zero_have_no_time() -> None:
    sl = entries("DL325", "/redfish/v1/Systems/1/LogServices/SL")
    zero = [e for e in sl if e["Created"].startswith("0000")]
    assert len(zero) == 9
    assert all(re_.created(e) is None for e in zero)


def test_intel_sel_and_a_redfish_log_without_severity() -> None:
    sel = entries("Intel", "/redfish/v1/Systems/QSBP74100021/LogServices/SEL")
    first = event(sel[0], "/redfish/v1/Systems/QSBP74100021/LogServices/SEL")
    assert (first.event_id, first.message) == ("Bad User PWD", "Invalid Username or Password - User ID 0x3")
    assert first.fields["SensorType"] == "Session Audit"
    assert first.fields["SensorNumber"] == 215
    assert first.timestamp == dt.datetime(2020, 8, 12, 19, 7, 18, tzinfo=dt.UTC)
    log = entries("Intel", "/redfish/v1/Managers/BMC/LogServices/RedfishLog")
    assert {event(e, "/redfish/v1/Managers/BMC/LogServices/RedfishLog").level for e in log} == {"info"}


def test_gigabyte_sel_ids_differ_from_their_uris() -> None:
    service = "/redfish/v1/Managers/Self/LogServices/SEL"
    sel = entries("Gigabyte", service)
    last = event(sel[-1], service)
    assert re_.entry_id(sel[-1]) == "151"
    assert last.record_id == "/redfish/v1/Managers/Self/LogServices/SEL/Entries/10"
    assert last.event_id == "AmiIpmiOem.1.0.GeneralEventData"
    assert [re_.entry_id(e) for e in sel] == ["1", "2", "3", "4", "5", "24", "25", "26", "150", "151"]
    cursor = cursor_at(sel[6])  # Id 25
    assert [re_.entry_id(e) for e in re_.select(sel, cursor, by_number=True).entries] == ["26", "150", "151"]


def test_an_entry_with_only_a_message_id_and_arguments() -> None:
    service = "/redfish/v1/Systems/1/LogServices/Event"
    entry = next(e for e in entries("XL675d_A100", service) if e.get("MessageArgs"))
    found = event(entry, service)
    assert found.message.startswith(entry["MessageId"] + " (")
    assert all(str(arg) in found.message for arg in entry["MessageArgs"])


def test_new_entries_follow_the_cursor_by_number_whatever_the_listing_order() -> None:
    iml = entries("DL325", IML)
    selection = re_.select(iml, cursor_at(iml[139]), by_number=True)
    assert [re_.entry_id(e) for e in selection.entries] == ["141", "142", "143"]
    assert selection.reset is None
    backwards = list(reversed(iml))
    assert re_.select(backwards, cursor_at(iml[139]), by_number=True) == selection  # oldest first either way
    assert re_.select(iml, cursor_at(iml[-1]), by_number=True) == Selection([])
    assert re_.select(iml, None, by_number=True).entries == iml
    assert re_.select(iml, ServiceCursor("", ""), by_number=True).entries == iml


def test_ids_that_are_not_numbers_order_by_created() -> None:
    journal = entries("OpenBMC-stock", "/redfish/v1/Managers/bmc/LogServices/Journal")
    ids = [re_.entry_id(e) for e in journal]
    assert not re_.numbered(ids)
    mark = journal[-4]
    new = re_.select(list(reversed(journal)), cursor_at(mark), by_number=False).entries
    assert [re_.entry_id(e) for e in new] == ids[-3:]


def test_the_same_id_with_another_time_means_the_log_was_cleared() -> None:
    iml = entries("DL325", IML)
    stale = ServiceCursor("3", "2019-01-01T00:00:00Z")
    assert re_.select(iml, stale, by_number=True) == Selection(sorted(iml, key=lambda e: int(e["Id"])), "log_cleared")


def test_every_entry_before_the_cursor_means_a_clear_and_every_entry_after_it_a_wrap() -> None:
    iml = entries("DL325", IML)
    assert re_.select(iml[:5], ServiceCursor("500", "2023-01-01T00:00:00Z"), by_number=True).reset == "log_cleared"
    wrapped = re_.select(iml[100:], ServiceCursor("90", "2021-06-01T00:00:00Z"), by_number=True)
    assert wrapped.reset == "log_wrapped"
    assert len(wrapped.entries) == 43


def test_a_deleted_cursor_entry_still_leaves_the_entries_after_it() -> None:
    iml = entries("DL325", IML)
    without = [e for e in iml if e["Id"] != "100"]
    selection = re_.select(without, cursor_at(iml[99]), by_number=True)
    assert selection.reset is None
    assert re_.entry_id(selection.entries[0]) == "101"


def test_listing_order_is_seen_from_a_page() -> None:
    iml = entries("DL325", IML)
    assert re_.lists_newest_first(iml, by_number=True) is False
    assert re_.lists_newest_first(list(reversed(iml)), by_number=True) is True
    assert re_.lists_newest_first(iml[:1], by_number=True) is None


def test_service_cursor_round_trip() -> None:
    cursor = ServiceCursor("143", "2022-03-11T13:18:14Z", "2022-03-11T13:18:14+00:00", False, "/x?$skip=100")
    assert ServiceCursor.from_dict(cursor.to_dict()) == cursor
    assert ServiceCursor.from_dict({"created": "x"}) is None
    assert ServiceCursor.from_dict("143") is None


def test_re_read_entries_keep_their_fingerprint() -> None:
    iml = entries("DL325", IML)
    assert event(iml[7], IML).fingerprint == event(iml[7], IML).fingerprint != event(iml[8], IML).fingerprint
