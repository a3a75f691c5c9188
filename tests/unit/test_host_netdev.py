from pathlib import Path

import pytest

from inframind.config import NetdevSettings
from inframind.exporters.base import CollectorError
from inframind.exporters.host.netdev import COLUMNS, NetdevCollector, create
from inframind.schema import Regex
from tests.helpers.hosttree import FIXTURE, by_label, fixture_config, one, samples, types

PROCFS = str(FIXTURE / "proc")


def test_all_sixteen_counters_by_device() -> None:
    families = create(fixture_config()).collect()
    got = samples(families)
    assert set(got) == {f"node_network_{c}_total" for c in COLUMNS}
    assert set(types(families).values()) == {"counter"}
    assert set(by_label(got["node_network_receive_bytes_total"], "device")) == {
        "lo",
        "eth0",
        "eth1",
        "bond0.100",
        "docker0",
    }
    eth0 = {name.removeprefix("node_network_"): one(series, device="eth0") for name, series in got.items()}
    assert eth0 == {
        "receive_bytes_total": 98231144321,
        "receive_packets_total": 71234011,
        "receive_errs_total": 3,
        "receive_drop_total": 1201,
        "receive_fifo_total": 0,
        "receive_frame_total": 2,
        "receive_compressed_total": 0,
        "receive_multicast_total": 120331,
        "transmit_bytes_total": 12023311023,
        "transmit_packets_total": 40122311,
        "transmit_errs_total": 0,
        "transmit_drop_total": 7,
        "transmit_fifo_total": 0,
        "transmit_colls_total": 0,
        "transmit_carrier_total": 1,
        "transmit_compressed_total": 0,
    }
    assert one(got["node_network_transmit_colls_total"], device="eth1") == 3


def test_device_exclude() -> None:
    collector = NetdevCollector(PROCFS, NetdevSettings(device_exclude=Regex("^(lo|docker.*)$")))
    devices = by_label(samples(collector.collect())["node_network_receive_bytes_total"], "device")
    assert set(devices) == {"eth0", "eth1", "bond0.100"}


def test_malformed_line(tmp_path: Path) -> None:
    (tmp_path / "net").mkdir()
    (tmp_path / "net" / "dev").write_text("h1\nh2\n  eth0: 1 2 3\n")
    with pytest.raises(CollectorError, match=r"^netdev: cannot read .*/net/dev: malformed line '  eth0: 1 2 3'$"):
        NetdevCollector(str(tmp_path), NetdevSettings()).collect()


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(CollectorError, match=rf"^netdev: cannot read {tmp_path}/net/dev: No such file"):
        NetdevCollector(str(tmp_path), NetdevSettings()).collect()
