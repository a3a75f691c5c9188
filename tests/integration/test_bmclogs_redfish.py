"""The Redfish log source against sushy-static serving real captures (HPE iLO DL325, Intel, Gigabyte).

First the stored trees as captured: every entry of every log service once, then nothing. Then copies in
tmp_path edited while served (sushy-static reads its files on each request): one more entry, a clear,
and the collections split into pages, oldest-first and newest-first, behind a SessionGateway that
records which pages each read asked for and checks that every read logs out.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from inframind.agent.bmclogs import RedfishLogSource
from inframind.agent.cursors import CursorStore
from inframind.exporters.redfish.settings import Auth, Settings
from inframind.secrets import SecretRef
from tests.helpers.bmclogs import ASSET, drain, entries_dir, new_entry, read_entries, read_quietly, write_entries
from tests.helpers.redfish import start_static, tree
from tests.helpers.redfish_sessions import SessionGateway
from tests.helpers.servers import Running

pytestmark = pytest.mark.integration
HTTP = Settings(scheme="http")
IML = "/redfish/v1/Systems/1/LogServices/IML/Entries"
IEL = "/redfish/v1/Managers/1/LogServices/IEL/Entries"
INTEL_SEL = "/redfish/v1/Systems/QSBP74100021/LogServices/SEL/Entries"
USER, PASSWORD = "monitor", "bmc-pw"


def captured_ids(root: Path) -> list[str]:
    """The ``@odata.id`` of every entry of every log service of the systems, managers and chassis."""
    found: list[str] = []
    for owner in ("Systems", "Managers", "Chassis"):
        for entries in sorted(root.glob(f"{owner}/*/LogServices/*/Entries/index.json")):
            found.extend(m["@odata.id"] for m in json.loads(entries.read_text())["Members"])
    return found


def source(url: str, cursors: CursorStore, auth: Auth | None = None, max_entries: int = 1000) -> RedfishLogSource:
    return RedfishLogSource("bmc", url, HTTP, auth, cursors, asset=ASSET, interval=0.3, max_entries=max_entries)


@pytest.fixture
def cursors(tmp_path: Path) -> Iterator[CursorStore]:
    store = CursorStore(tmp_path / "state" / "cursors.db")
    yield store
    store.close()


@pytest.fixture
def auth(tmp_path: Path) -> Auth:
    secret = tmp_path / "bmc.pw"
    secret.write_text(PASSWORD)
    secret.chmod(0o600)
    return Auth(USER, SecretRef("file", str(secret)))


@pytest.fixture
def served(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[tuple[Path, Running, SessionGateway]]:
    """A copy of the capture named by the test's parameter, served behind a session gateway."""
    root = tmp_path / "v1"
    shutil.copytree(tree(f"csm-emulator/{request.param}"), root)
    server = start_static(root, tmp_path / "logs")
    gateway = SessionGateway(server.url, USER, PASSWORD)
    yield root, server, gateway
    gateway.close()
    server.stop()


@pytest.mark.parametrize("mockup", ["DL325", "Intel", "Gigabyte"])
def test_every_captured_entry_arrives_once(mockup: str, tmp_path: Path, cursors: CursorStore) -> None:
    server = start_static(tree(f"csm-emulator/{mockup}"), tmp_path / "logs")
    reader = source(server.url, cursors)
    try:
        events = drain(reader)
        expected = captured_ids(tree(f"csm-emulator/{mockup}"))
        assert len(expected) in {"DL325": (466,), "Intel": (20,), "Gigabyte": (40,)}[mockup]
        assert sorted(e.record_id or "" for e in events) == sorted(expected)
        read_quietly(reader, reads=2)
        assert reader.stats.errors == 0
    finally:
        reader.close()
        server.stop()


@pytest.mark.parametrize("served", ["DL325"], indirect=True)
def test_one_more_entry_arrives_alone_and_every_read_logs_out(
    served: tuple[Path, Running, SessionGateway], cursors: CursorStore, auth: Auth
) -> None:
    root, _, gateway = served
    reader = source(gateway.target, cursors, auth)
    try:
        events = drain(reader)
        assert len(events) == 466
        assert reader.stats.flagged == {"invalid_timestamp": 10}  # iLO's 0000-00-00 entries: the time before them
        read_quietly(reader)
        iml = read_entries(root, IML)
        added = new_entry(iml[-1], "144", "2022-03-12T08:00:00Z", "Uncorrectable Memory Error detected")
        write_entries(root, IML, [*iml, added])
        (event,) = drain(reader)
        assert event.record_id == f"{IML}/144"
        assert (event.level, event.message) == ("critical", "Uncorrectable Memory Error detected")
        assert event.timestamp == dt.datetime(2022, 3, 12, 8, tzinfo=dt.UTC)
        assert (event.provider, event.channel) == ("IML", "Systems/1/LogServices/IML")
        read_quietly(reader)
    finally:
        reader.close()  # waits for a read in flight, which logs out too
    assert gateway.created == gateway.deleted >= reader.reads >= 4  # one session per read, each closed
    assert not gateway.sessions and gateway.requests["basic"] == 0


@pytest.mark.parametrize("served", ["DL325"], indirect=True)
def test_a_restart_on_the_same_cursors_reads_nothing_again(
    served: tuple[Path, Running, SessionGateway], cursors: CursorStore, auth: Auth
) -> None:
    _, _, gateway = served
    first = source(gateway.target, cursors, auth)
    assert len(drain(first)) == 466
    first.close()
    again = source(gateway.target, cursors, auth)
    try:
        read_quietly(again)
    finally:
        again.close()


@pytest.mark.parametrize("served", ["Intel"], indirect=True)
def test_a_cleared_log_is_read_from_its_start_and_flagged(
    served: tuple[Path, Running, SessionGateway], cursors: CursorStore, auth: Auth
) -> None:
    root, _, gateway = served
    reader = source(gateway.target, cursors, auth)
    try:
        assert len(drain(reader)) == 20
        old = read_entries(root, INTEL_SEL)
        after_clear = [
            new_entry(old[0], "1", "2020-08-13T07:00:00+00:00", "Log area reset/cleared", "OK"),
            new_entry(
                old[0], "2", "2020-08-13T07:05:00+00:00", "Invalid Username or Password - User ID 0x2", "Warning"
            ),
        ]
        write_entries(root, INTEL_SEL, after_clear)
        events = drain(reader)
        assert [e.message for e in events] == ["Log area reset/cleared", "Invalid Username or Password - User ID 0x2"]
        assert {e.fields["cursor_reset"] for e in events} == {"log_cleared"}
        assert reader.stats.flagged == {"log_cleared": 1}
        read_quietly(reader)
    finally:
        reader.close()


@pytest.mark.parametrize("served", ["DL325"], indirect=True)
def test_oldest_first_pages_resume_at_the_remembered_page(
    served: tuple[Path, Running, SessionGateway], cursors: CursorStore, auth: Auth
) -> None:
    root, _, gateway = served
    iel = read_entries(root, IEL)
    write_entries(root, IEL, iel, page_size=50)  # 218 entries: pages at $skip=0, 50, 100, 150, 200
    reader = source(gateway.target, cursors, auth)
    try:
        events = drain(reader)
        assert sorted(e.record_id or "" for e in events) == sorted(captured_ids(tree("csm-emulator/DL325")))
        added = new_entry(iel[-1], "219", "2022-04-14T17:00:00Z", "Server power removed", "Warning")
        write_entries(root, IEL, [*iel, added], page_size=50)
        del gateway.paths[:]
        (event,) = drain(reader)
        assert event.record_id == f"{IEL}/219"
        assert IEL not in gateway.paths and f"{IEL}?$skip=200" in gateway.paths  # straight to the last page
    finally:
        reader.close()


@pytest.mark.parametrize("served", ["Intel"], indirect=True)
def test_newest_first_pages_are_read_only_down_to_the_cursor(
    served: tuple[Path, Running, SessionGateway], cursors: CursorStore, auth: Auth
) -> None:
    root, _, gateway = served
    sel = read_entries(root, INTEL_SEL)
    write_entries(root, INTEL_SEL, list(reversed(sel)), page_size=3)  # ids 10..1 over four pages
    reader = source(gateway.target, cursors, auth)
    try:
        events = [e for e in drain(reader) if e.channel == "Systems/QSBP74100021/LogServices/SEL"]
        assert [e.record_id for e in events] == [m["@odata.id"] for m in sel]  # oldest first, each once
        added = new_entry(sel[-1], "11", "2020-08-12T20:00:00+00:00", "Chassis intrusion", "Critical")
        write_entries(root, INTEL_SEL, [added, *reversed(sel)], page_size=3)
        del gateway.paths[:]
        (event,) = drain(reader)
        assert event.record_id == f"{INTEL_SEL}/11"
        assert INTEL_SEL in gateway.paths
        assert not [p for p in gateway.paths if p.startswith(f"{INTEL_SEL}?")]  # the first page held the cursor
    finally:
        reader.close()


@pytest.mark.parametrize("served", ["Intel"], indirect=True)
def test_a_newest_first_log_read_the_first_time_starts_from_its_newest_entries(
    served: tuple[Path, Running, SessionGateway], cursors: CursorStore, auth: Auth
) -> None:
    root, _, gateway = served
    sel = read_entries(root, INTEL_SEL)
    write_entries(root, INTEL_SEL, list(reversed(sel)), page_size=3)
    reader = source(gateway.target, cursors, auth, max_entries=4)
    try:
        events = drain(reader)
        assert [e.record_id for e in events] == [m["@odata.id"] for m in sel[-4:]]
        assert reader.stats.flagged == {"history_skipped": 1}
        rest = drain(reader)  # the next service (the BMC's RedfishLog, oldest first) goes on from its start
        assert [e.channel for e in rest] == ["Managers/BMC/LogServices/RedfishLog"] * 4
    finally:
        reader.close()


@pytest.mark.parametrize("served", ["Gigabyte"], indirect=True)
def test_entries_listed_by_link_and_a_next_link_that_loops_back(
    served: tuple[Path, Running, SessionGateway], cursors: CursorStore, auth: Auth
) -> None:
    root, _, gateway = served
    audit = "/redfish/v1/Managers/Self/LogServices/AuditLog/Entries"
    refs = [{"@odata.id": m["@odata.id"]} for m in read_entries(root, audit)]
    write_entries(root, audit, refs, page_size=5)
    second = entries_dir(root, f"{audit}?$skip=5") / "index.json"
    page = json.loads(second.read_text())
    page["Members@odata.nextLink"] = f"{audit}?$skip=0"  # a BMC whose paging never ends
    second.write_text(json.dumps(page))
    entries_dir(root, f"{audit}?$skip=0").mkdir()
    (entries_dir(root, f"{audit}?$skip=0") / "index.json").write_text(
        (entries_dir(root, audit) / "index.json").read_text()
    )
    reader = source(gateway.target, cursors, auth)
    try:
        events = [e for e in drain(reader) if e.channel == "Managers/Self/LogServices/AuditLog"]
        assert [e.record_id for e in events] == [f"{audit}/{n}" for n in range(1, 11)]  # each read from its own URI
        assert len({f"{audit}/{n}" for n in range(1, 11)} & set(gateway.paths)) == 10
        read_quietly(reader)
        assert reader.stats.errors == 0
    finally:
        reader.close()
