"""Paged collections (Members@odata.nextLink) and the log entry limit, against sushy-static on 127.0.0.1.

No stored capture pages a collection: the iLO DL325 lists its 218 IEL entries in one answer. The test
splits that real answer in two, as a BMC with ``$skip`` paging would send it: the first 120 entries with
a nextLink, the other 98 under ``Entries?$skip=120`` (sushy-static reads the query as part of the path).
The entries themselves are unchanged.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from inframind.exporters.redfish.prober import RedfishProber
from inframind.exporters.redfish.settings import Settings
from tests.helpers.exposition import value
from tests.helpers.redfish import copy_mockup, resource, start_static
from tests.helpers.servers import Running

pytestmark = pytest.mark.integration
ENTRIES = "/redfish/v1/Managers/1/LogServices/IEL/Entries"
IEL = "Managers/1/LogServices/IEL"


@pytest.fixture(scope="module")
def paged(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    root = tmp_path_factory.mktemp("paged") / "v1"
    members = resource("csm-emulator/DL325", ENTRIES)["Members"]
    assert len(members) == 218

    def first_page(body: dict[str, Any]) -> None:
        body["Members"] = members[:120]
        body["Members@odata.nextLink"] = f"{ENTRIES}?$skip=120"

    copy_mockup("csm-emulator/DL325", root, {ENTRIES: first_page})
    second = root / "Managers/1/LogServices/IEL/Entries?$skip=120"
    second.mkdir()
    page = {"@odata.id": f"{ENTRIES}?$skip=120", "Members@odata.count": 218, "Members": members[120:]}
    (second / "index.json").write_text(json.dumps(page))
    server = start_static(root, tmp_path_factory.mktemp("paged-logs"))
    yield server
    server.stop()


def entries(limit: int, server: Running) -> tuple[float, float]:
    settings = Settings(scheme="http", sections=("logs",), log_entry_limit=limit)
    families = RedfishProber().probe(server.url, settings, None, 20)
    assert value(families, "inframind_redfish_scrape_collector_success", collector="logs") == 1.0
    examined = value(families, "inframind_redfish_log_entries", log_service=IEL, severity="OK", entry_type="Oem")
    return examined, value(families, "inframind_redfish_log_service_entries", log_service=IEL)


def test_pages_are_followed_until_the_limit(paged: Running) -> None:
    assert entries(500, paged) == (218.0, 218.0)  # both pages
    assert entries(200, paged) == (200.0, 218.0)  # the second page, partly
    assert entries(50, paged) == (50.0, 218.0)


def test_the_second_page_is_not_read_when_the_first_suffices(paged: Running) -> None:
    before = paged.log_path.read_text(errors="replace").count("$skip=120")
    entries(120, paged)
    assert paged.log_path.read_text(errors="replace").count("$skip=120") == before
    entries(121, paged)
    assert paged.log_path.read_text(errors="replace").count("$skip=120") > before
