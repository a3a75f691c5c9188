"""Our ``if_mib`` against Debian's snmp_exporter 0.21 on the same recorded Cisco C3750 (snmpsim).

Both scrape one snmpsim endpoint serving the recording as community ``public`` (the default of both). The
recording is static, so every value must be equal, not merely close. Compared as written on the wire:
sample names (counters without ``_total``, as snmp_exporter names them), label sets, values, and types.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests

from inframind.config import ExporterConfig
from tests.helpers.exposition import scrape_text
from tests.helpers.servers import Running
from tests.helpers.snmp import (
    CISCO,
    Agent,
    ProbeEndpoint,
    cleanup,
    peer_if_mib_config,
    raw_samples,
    shared_dir,
    start_snmp_exporter,
    start_snmpsim,
    unpack,
)

pytestmark = pytest.mark.integration
OWN_FAMILIES = ("snmp_scrape_", "probe_")
"""Per-scrape self-metrics, different by nature (durations); compared by name below, not by value."""
OPENMETRICS = "application/openmetrics-text; version=1.0.0"


def declared_types(text: str) -> dict[str, str]:
    """``# TYPE`` lines: family name -> type."""
    return {parts[2]: parts[3] for line in text.splitlines() if (parts := line.split()) and line.startswith("# TYPE")}


@pytest.fixture(scope="module")
def cisco(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Agent]:
    data = shared_dir("inframind-snmpsim-")
    unpack(CISCO, data / "public.snmprec")
    agent = start_snmpsim(data, tmp_path_factory.mktemp("snmpsim"))
    yield agent
    agent.stop()
    cleanup(data)


@pytest.fixture(scope="module")
def peer(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    server = start_snmp_exporter(tmp_path_factory.mktemp("snmp_exporter"), peer_if_mib_config("public"))
    yield server
    server.stop()


@pytest.fixture(scope="module")
def ours() -> Iterator[ProbeEndpoint]:
    endpoint = ProbeEndpoint(ExporterConfig())  # shipped modules, no auth: v2c "public" like snmp_exporter
    yield endpoint
    endpoint.close()


@pytest.fixture(scope="module")
def expositions(cisco: Agent, peer: Running, ours: ProbeEndpoint) -> tuple[str, str]:
    target = f"127.0.0.1:{cisco.port}"
    theirs = scrape_text(f"{peer.url}/snmp?target={target}&module=if_mib")
    mine = scrape_text(ours.probe_url(target, "if_mib"))
    return theirs, mine


def test_same_names_labels_and_values(expositions: tuple[str, str]) -> None:
    theirs, mine = (
        {n: s for n, s in raw_samples(text).items() if not n.startswith(OWN_FAMILIES)} for text in expositions
    )
    assert sorted(mine) == sorted(theirs)
    assert len(mine) == 36  # 39 defined; the recording has no ifInNUcastPkts, ifOutNUcastPkts, ifOutQLen
    for name, series in theirs.items():
        assert mine[name] == series, name
    interfaces = {dict(labels)["ifIndex"] for labels in mine["ifOperStatus"]}
    assert len(interfaces) == 59
    labels = dict(next(iter(k for k in mine["ifHCInOctets"] if dict(k)["ifIndex"] == "11010")))
    assert labels == {"ifIndex": "11010", "ifDescr": "FastEthernet3/0/10", "ifName": "Fa3/0/10", "ifAlias": ""}
    assert mine["ifHCInOctets"][frozenset(labels.items())] == 129828299.0
    assert not {"ifAlias", "ifDescr", "ifName"} & set(mine)  # lookups only, as in snmp_exporter 0.21


def test_same_types(expositions: tuple[str, str], cisco: Agent, ours: ProbeEndpoint) -> None:
    """Types as declared on the wire: /probe answers text 0.0.4 like snmp_exporter, even to a scraper that
    asks for OpenMetrics, and a counter keeps its object name (``# TYPE ifHCInOctets counter``)."""
    theirs = declared_types(expositions[0])
    answer = requests.get(
        ours.probe_url(f"127.0.0.1:{cisco.port}", "if_mib"), headers={"Accept": OPENMETRICS}, timeout=30
    )
    assert answer.headers["Content-Type"].startswith("text/plain; version=0.0.4")
    mine = declared_types(answer.text)
    module_families = {n: t for n, t in theirs.items() if not n.startswith(OWN_FAMILIES)}
    assert {n: mine[n] for n in module_families} == module_families
    assert module_families["ifHCInOctets"] == "counter"
    assert module_families["ifType_info"] == "gauge"


def test_own_scrape_families_share_names(expositions: tuple[str, str]) -> None:
    theirs, mine = (raw_samples(text) for text in expositions)
    for name in ("snmp_scrape_walk_duration_seconds", "snmp_scrape_pdus_returned"):
        assert name in theirs
        assert name in mine
    assert mine["probe_success"] == {frozenset(): 1.0}
    # ifNumber and sysUpTime by GET, the rest by walks of the columns used: the same var-binds snmp_exporter reads
    assert mine["snmp_scrape_pdus_returned"][frozenset()] == theirs["snmp_scrape_pdus_returned"][frozenset()]
