"""The snmp prober against recorded devices served by snmpsim: if_mib, v1 and v2c, the request plan,
concurrency, deadlines and the /probe endpoint.

One snmpsim serves two recorded devices by community: ``public`` (a Cisco C3750 stack, 59 interfaces) and
``linux`` (a net-snmp host). The other shipped modules are tested in test_snmp_devices.py.
"""

from __future__ import annotations

import dataclasses
import threading
import time
from collections.abc import Iterable, Iterator
from pathlib import Path

import pytest
import requests
from prometheus_client.core import Metric

from inframind.config import ExporterConfig
from inframind.exporters.probe.base import ProbeError
from inframind.exporters.probe.config import ProbeConfig, load_probe_config
from inframind.exporters.snmp.prober import SnmpProber
from inframind.exporters.snmp.settings import Auth, Settings
from inframind.schema import build
from tests.helpers.exposition import value
from tests.helpers.snmp import (
    CISCO,
    LINUX,
    Agent,
    ProbeEndpoint,
    cleanup,
    free_udp_port,
    raw_samples,
    shared_dir,
    start_snmpsim,
    unpack,
)

pytestmark = pytest.mark.integration
Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


@pytest.fixture(scope="module")
def agent(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Agent]:
    data = shared_dir("inframind-snmpsim-")
    unpack(CISCO, data / "public.snmprec")
    unpack(LINUX, data / "linux.snmprec")
    server = start_snmpsim(data, tmp_path_factory.mktemp("snmpsim"))
    yield server
    server.stop()
    cleanup(data)


@pytest.fixture(scope="module")
def secrets_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("secrets")
    for community in ("public", "linux", "nobody"):
        (directory / community).write_text(community + "\n")
    return directory


@pytest.fixture(scope="module")
def modules() -> ProbeConfig:
    return load_probe_config(ExporterConfig())


@pytest.fixture(scope="module")
def prober() -> Iterator[SnmpProber]:
    instance = SnmpProber()
    yield instance
    instance.close()


def auth(secrets_dir: Path, community: str, **options: object) -> Auth:
    return build(Auth, {"community": f"file:{secrets_dir / community}", **options})


def samples(families: Iterable[Metric]) -> Samples:
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for f in families
        for s in f.samples
        if not s.name.startswith("snmp_scrape_")
    }


def settings_of(modules: ProbeConfig, name: str) -> Settings:
    settings = modules.modules[name].settings
    assert isinstance(settings, Settings)
    return settings


def test_if_mib_on_the_recorded_switch(agent: Agent, prober: SnmpProber, modules: ProbeConfig) -> None:
    families = prober.probe(f"127.0.0.1:{agent.port}", settings_of(modules, "if_mib"), None, 10.0)
    by_name = {f.name: f for f in families}
    assert by_name["ifHCInOctets"].type == "counter"
    assert {s.name for s in by_name["ifHCInOctets"].samples} == {"ifHCInOctets"}
    assert len(by_name["ifOperStatus"].samples) == 59
    assert value(families, "ifHCInOctets", ifIndex="11010", ifName="Fa3/0/10", ifAlias="") == 129828299.0
    assert value(families, "ifOperStatus", ifDescr="FastEthernet3/0/42", ifAlias="connected to cube 12b ruckus ap")
    assert value(families, "ifPhysAddress", ifIndex="11001", ifPhysAddress="00:16:C7:02:6E:83") == 1.0
    assert value(families, "ifType_info", ifIndex="11001", ifType="ethernetCsmacd") == 1.0
    assert value(families, "sysUpTime") == 697202257.0
    assert value(families, "ifNumber") == 59.0
    assert value(families, "snmp_scrape_pdus_returned") > 2000


def test_v1_walks_with_getnext_and_reads_the_same(
    agent: Agent, prober: SnmpProber, modules: ProbeConfig, secrets_dir: Path
) -> None:
    settings = settings_of(modules, "if_mib")
    target = f"127.0.0.1:{agent.port}"
    v2c = samples(prober.probe(target, settings, auth(secrets_dir, "public"), 10.0))
    v1 = samples(prober.probe(target, settings, auth(secrets_dir, "public", version=1), 20.0))
    counter64 = {key for key in v2c if key[0].startswith("ifHC")}
    assert len(counter64) == 428
    assert v1 == {k: v for k, v in v2c.items() if k not in counter64}  # v1 cannot carry Counter64: agents skip it


def test_request_plan_does_not_change_what_is_read(agent: Agent, prober: SnmpProber, modules: ProbeConfig) -> None:
    settings = settings_of(modules, "if_mib")
    target = f"127.0.0.1:{agent.port}"
    default = samples(prober.probe(target, settings, None, 10.0))
    serial = dataclasses.replace(settings, parallel=1, max_repetitions=7)
    assert samples(prober.probe(target, serial, None, 20.0)) == default


def test_silent_port_times_out_within_the_deadline(prober: SnmpProber, modules: ProbeConfig) -> None:
    start = time.monotonic()
    with pytest.raises(ProbeError) as err:
        prober.probe(f"127.0.0.1:{free_udp_port()}", settings_of(modules, "if_mib"), None, 1.5)
    assert err.value.reason == "timeout"
    assert time.monotonic() - start < 2.5


def test_concurrent_probes_from_many_threads(
    agent: Agent, prober: SnmpProber, modules: ProbeConfig, secrets_dir: Path
) -> None:
    target = f"127.0.0.1:{agent.port}"
    jobs = [("if_mib", None), ("host_resources", auth(secrets_dir, "linux")), ("if_mib", auth(secrets_dir, "public"))]
    expected = {name: samples(prober.probe(target, settings_of(modules, name), a, 10.0)) for name, a in jobs}
    results: list[tuple[str, Samples | BaseException]] = []

    def run(name: str, credentials: Auth | None) -> None:
        try:
            results.append((name, samples(prober.probe(target, settings_of(modules, name), credentials, 30.0))))
        except BaseException as exc:
            results.append((name, exc))

    threads = [threading.Thread(target=run, args=jobs[n % 3]) for n in range(24)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert len(results) == 24
    for name, result in results:
        assert result == expected[name], name


def test_probe_endpoint_with_auth_and_version(agent: Agent, secrets_dir: Path) -> None:
    config = ExporterConfig(
        auths={
            "linux_v1": {"type": "snmp", "version": 1, "community": f"file:{secrets_dir / 'linux'}"},
            "wrong": {"type": "snmp", "community": f"file:{secrets_dir / 'nobody'}", "retries": 0},
        },
        modules={
            "quick_if": {
                "prober": "snmp",
                "timeout": "1s",
                "snmp": {
                    "walk": ["1.3.6.1.2.1.2"],
                    "metrics": [{"name": "ifMtu", "oid": "1.3.6.1.2.1.2.2.1.4", "indexes": [{"labelname": "ifIndex"}]}],
                },
            }
        },
    )
    endpoint = ProbeEndpoint(config)
    try:
        target = f"127.0.0.1:{agent.port}"
        answer = requests.get(endpoint.probe_url(target, "host_resources", "linux_v1"), timeout=30)
        assert answer.status_code == 200
        found = raw_samples(answer.text)
        assert found["probe_success"] == {frozenset(): 1.0}
        assert found["hrStorageSize"][frozenset({("hrStorageIndex", "1"), ("hrStorageDescr", "Physical memory")})]
        mtu = raw_samples(requests.get(endpoint.probe_url(target, "quick_if"), timeout=30).text)
        assert mtu["ifMtu"][frozenset({("ifIndex", "11001")})] == 1500.0
        failed = raw_samples(requests.get(endpoint.probe_url(target, "quick_if", "wrong"), timeout=30).text)
        assert failed["probe_success"] == {frozenset(): 0.0}  # no recording for that community: no answer
        assert "ifMtu" not in failed
        own = raw_samples(requests.get(endpoint.url + "/metrics", timeout=10).text)
        assert own["inframind_probe_errors_total"][frozenset({("module", "quick_if"), ("reason", "timeout")})] == 1.0
    finally:
        endpoint.close()


def test_closed_prober_refuses_probes(modules: ProbeConfig) -> None:
    instance = SnmpProber()
    instance.close()
    assert not instance._thread.is_alive()  # the event loop thread has stopped
    with pytest.raises(ProbeError) as err:
        instance.probe("127.0.0.1:1", settings_of(modules, "if_mib"), None, 1.0)
    assert err.value.reason == "internal"
