"""Var-binds -> families as snmp_exporter maps them: indexes, lookups, types, enums, scaling (no network)."""

from __future__ import annotations

from typing import Any

from prometheus_client.core import Metric

from inframind.exporters.snmp.mapping import Mapper, scrape_families
from inframind.exporters.snmp.oids import OidTuple, parse_oid
from inframind.exporters.snmp.settings import Settings
from inframind.exporters.snmp.values import Value
from inframind.schema import build

IF = "1.3.6.1.2.1.2.2.1"
IF_INDEX = [{"labelname": "ifIndex", "type": "gauge"}]
DESCR = {"labels": ["ifIndex"], "labelname": "ifDescr", "oid": f"{IF}.2", "type": "DisplayString"}


def mapper(metrics: list[dict[str, Any]], **extra: Any) -> Mapper:
    return Mapper(build(Settings, {"walk": ["1.3.6.1.2.1.2", "1.3.6.1.4.1.9"], **extra, "metrics": metrics}))


def pdus(*rows: tuple[str, Value]) -> dict[OidTuple, Value]:
    return {parse_oid(oid): value for oid, value in rows}


def flat(families: list[Metric]) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    return {(s.name, frozenset(s.labels.items())): s.value for f in families for s in f.samples}


def key(name: str, **labels: str) -> tuple[str, frozenset[tuple[str, str]]]:
    return name, frozenset(labels.items())


def test_counter_keeps_its_name_and_lookups_fill_labels() -> None:
    m = mapper([{"name": "ifInOctets", "oid": f"{IF}.10", "type": "counter", "indexes": IF_INDEX}], lookups=[DESCR])
    families = m.families(pdus((f"{IF}.10.1", 10), (f"{IF}.10.2", 20), (f"{IF}.2.1", b"eth0")))
    assert [(f.name, f.type) for f in families] == [("ifInOctets", "counter")]
    assert flat(families) == {
        key("ifInOctets", ifIndex="1", ifDescr="eth0"): 10.0,
        key("ifInOctets", ifIndex="2", ifDescr=""): 20.0,  # a missing lookup is an empty label, as in snmp_exporter
    }


def test_text_types_put_the_value_in_a_label() -> None:
    m = mapper(
        [
            {"name": "ifPhysAddress", "oid": f"{IF}.6", "type": "PhysAddress48", "indexes": IF_INDEX},
            {"name": "ifDescr", "oid": f"{IF}.2", "type": "DisplayString", "indexes": IF_INDEX},
            {"name": "ifSerial", "oid": f"{IF}.30", "type": "OctetString", "indexes": IF_INDEX},
            {"name": "ifAddr", "oid": f"{IF}.31", "type": "IpAddress", "indexes": IF_INDEX},
        ]
    )
    found = flat(
        m.families(
            pdus(
                (f"{IF}.6.1", b"\x00\x16\xc7\x02\x6e\x83"),
                (f"{IF}.6.2", b""),
                (f"{IF}.2.1", "Gi0/1 \u00e9".encode()),
                (f"{IF}.30.1", b"\x01\xab"),
                (f"{IF}.31.1", b"\x0a\x00\x00\x05"),
            )
        )
    )
    assert found == {
        key("ifPhysAddress", ifIndex="1", ifPhysAddress="00:16:C7:02:6E:83"): 1.0,
        key("ifPhysAddress", ifIndex="2", ifPhysAddress="00:00:00:00:00:00"): 1.0,
        key("ifDescr", ifIndex="1", ifDescr="Gi0/1 \u00e9"): 1.0,
        key("ifSerial", ifIndex="1", ifSerial="0x01AB"): 1.0,
        key("ifAddr", ifIndex="1", ifAddr="10.0.0.5"): 1.0,
    }


def test_enums_as_info_and_as_state_set() -> None:
    m = mapper(
        [
            {"name": "ifType", "oid": f"{IF}.3", "type": "EnumAsInfo", "indexes": IF_INDEX, "enum_values": {6: "eth"}},
            {
                "name": "ifOperStatus",
                "oid": f"{IF}.8",
                "type": "EnumAsStateSet",
                "indexes": IF_INDEX,
                "enum_values": {1: "up", 2: "down"},
            },
        ]
    )
    found = flat(m.families(pdus((f"{IF}.3.1", 6), (f"{IF}.3.2", 24), (f"{IF}.8.1", 2), (f"{IF}.8.2", 7))))
    assert found == {
        key("ifType_info", ifIndex="1", ifType="eth"): 1.0,
        key("ifType_info", ifIndex="2", ifType="24"): 1.0,  # not in the enum: the number, as snmp_exporter does
        key("ifOperStatus", ifIndex="1", ifOperStatus="up"): 0.0,
        key("ifOperStatus", ifIndex="1", ifOperStatus="down"): 1.0,
        key("ifOperStatus", ifIndex="2", ifOperStatus="up"): 0.0,
        key("ifOperStatus", ifIndex="2", ifOperStatus="down"): 0.0,
        key("ifOperStatus", ifIndex="2", ifOperStatus="7"): 1.0,
    }


def test_gauge_with_enum_values_stays_a_number() -> None:
    m = mapper([{"name": "ifAdminStatus", "oid": f"{IF}.7", "indexes": IF_INDEX, "enum_values": {1: "up"}}])
    assert flat(m.families(pdus((f"{IF}.7.3", 2)))) == {key("ifAdminStatus", ifIndex="3"): 2.0}


def test_index_types_and_two_indexes() -> None:
    table = "1.3.6.1.4.1.9.1.1"
    m = mapper(
        [
            {
                "name": "peerState",
                "oid": f"{table}.2",
                "indexes": [
                    {"labelname": "vrf", "type": "DisplayString"},
                    {"labelname": "peer", "type": "IpAddress"},
                    {"labelname": "mac", "type": "PhysAddress48"},
                ],
                "lookups": [
                    {"labels": ["vrf", "peer", "mac"], "labelname": "peerName", "oid": f"{table}.3"},
                    {
                        "labels": ["peer"],
                        "labelname": "kind",
                        "oid": f"{table}.4",
                        "type": "gauge",
                        "enum_values": {1: "ibgp"},
                    },
                ],
            }
        ]
    )
    index = "3.114.101.100.10.0.0.1.0.22.199.2.110.131"  # "red", 10.0.0.1, 00:16:C7:02:6E:83
    found = m.families(pdus((f"{table}.2.{index}", 6), (f"{table}.3.{index}", b"edge-1"), (f"{table}.4.10.0.0.1", 1)))
    labels = {"vrf": "red", "peer": "10.0.0.1", "mac": "00:16:C7:02:6E:83", "peerName": "edge-1", "kind": "ibgp"}
    assert flat(found) == {key("peerState", **labels): 6.0}


def test_scale_offset_and_sensor_scale() -> None:
    sensor = "1.3.6.1.4.1.9.99.1.1.1"
    m = mapper(
        [
            {"name": "volts", "oid": "1.3.6.1.4.1.9.5", "scale": 0.1, "indexes": IF_INDEX},
            {"name": "kelvin", "oid": "1.3.6.1.4.1.9.6", "offset": 273.15, "indexes": IF_INDEX},
            {
                "name": "entPhySensorValue",
                "oid": f"{sensor}.4",
                "indexes": [{"labelname": "entPhysicalIndex"}],
                "sensor_scale": {"scale": f"{sensor}.2", "precision": f"{sensor}.3"},
            },
        ]
    )
    found = flat(
        m.families(
            pdus(
                ("1.3.6.1.4.1.9.5.1", 2301),
                ("1.3.6.1.4.1.9.6.1", 20),
                *((f"{sensor}.{c}.1", v) for c, v in ((2, 8), (3, 0), (4, 12050))),  # milli: 12.05
                *((f"{sensor}.{c}.2", v) for c, v in ((2, 9), (3, 1), (4, 235))),  # units, one digit: 23.5
                *((f"{sensor}.{c}.3", v) for c, v in ((2, 15), (3, -2), (4, 3))),  # peta(15), -2 digits: 3e17
                (f"{sensor}.4.4", 7),  # no scale or precision column: as sent
            )
        )
    )
    assert found[key("volts", ifIndex="1")] == 2301 * 0.1  # as snmp_exporter multiplies
    assert found[key("kelvin", ifIndex="1")] == 293.15
    sensors = {dict(k[1])["entPhysicalIndex"]: v for k, v in found.items() if k[0] == "entPhySensorValue"}
    assert sensors == {"1": 12.05, "2": 23.5, "3": 3e17, "4": 7.0}


def test_what_matches_no_sample() -> None:
    m = mapper([{"name": "ifMtu", "oid": f"{IF}.4", "indexes": IF_INDEX}, {"name": "n", "oid": "1.3.6.1.2.1.2.1"}])
    found = m.families(
        pdus(
            (f"{IF}.4", 5),  # the column itself, no instance
            (f"{IF}.4.1", b"1500"),  # text under a numeric metric
            (f"{IF}.4.2", (1, 3, 6)),  # an OID under a numeric metric
            (f"{IF}.5.1", 10),  # no metric for this column
            ("1.3.6.1.2.1.2.1.0", 2),
        )
    )
    assert [f.name for f in found] == ["n"]  # families without samples are left out
    assert flat(found) == {key("n"): 2.0}


def test_families_in_module_order_and_rows_sorted() -> None:
    m = mapper(
        [
            {"name": "ifMtu", "oid": f"{IF}.4", "indexes": IF_INDEX},
            {"name": "ifSpeed", "oid": f"{IF}.5", "indexes": IF_INDEX},
        ]
    )
    found = m.families(pdus((f"{IF}.5.10", 1), (f"{IF}.4.10", 2), (f"{IF}.4.9", 3)))
    assert [f.name for f in found] == ["ifMtu", "ifSpeed"]
    assert [s.labels["ifIndex"] for s in found[0].samples] == ["9", "10"]


def test_scrape_families() -> None:
    found = flat(scrape_families(0.25, 2092))
    assert found == {key("snmp_scrape_walk_duration_seconds"): 0.25, key("snmp_scrape_pdus_returned"): 2092.0}
