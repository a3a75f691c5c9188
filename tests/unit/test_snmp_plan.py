"""Request planning: only used columns are walked, contiguous columns in one range, cut into parallel chains."""

from __future__ import annotations

from typing import Any

from inframind.config import ExporterConfig
from inframind.exporters.probe.config import load_probe_config
from inframind.exporters.snmp.oids import OidTuple, parse_oid
from inframind.exporters.snmp.plan import GET_BATCH, BulkSizer, make_plan, runs, split
from inframind.exporters.snmp.settings import Settings
from inframind.schema import build

TABLE = "1.3.6.1.2.1.25.3.2"  # hrDeviceTable
ENTRY = TABLE + ".1"


def o(text: str) -> OidTuple:
    return parse_oid(text)


def column(n: int, **extra: Any) -> dict[str, Any]:
    return {"name": f"col{n}", "oid": f"{ENTRY}.{n}", "indexes": [{"labelname": "hrDeviceIndex"}], **extra}


def test_only_used_columns_and_contiguous_ones_together() -> None:
    settings = build(Settings, {"walk": [TABLE], "metrics": [column(5), column(6), column(8)], "parallel": 1})
    plan = make_plan(settings)
    assert plan.chains == ((o(f"{ENTRY}.5"), o(f"{ENTRY}.7")), (o(f"{ENTRY}.8"), o(f"{ENTRY}.9")))
    assert plan.gets == ()


def test_lookup_and_sensor_columns_are_walked_too() -> None:
    lookup = {"labels": ["hrDeviceIndex"], "labelname": "descr", "oid": f"{ENTRY}.3"}
    scale = {"scale": f"{ENTRY}.9", "precision": f"{ENTRY}.10"}
    metric = column(5, lookups=[lookup], sensor_scale=scale)
    settings = build(Settings, {"walk": [TABLE], "metrics": [metric], "parallel": 1})
    assert sorted(make_plan(settings).chains) == [
        (o(f"{ENTRY}.3"), o(f"{ENTRY}.4")),
        (o(f"{ENTRY}.5"), o(f"{ENTRY}.6")),
        (o(f"{ENTRY}.9"), o(f"{ENTRY}.11")),
    ]


def test_module_lookup_read_only_when_some_metric_has_its_index() -> None:
    used = {"labels": ["hrDeviceIndex"], "labelname": "descr", "oid": f"{ENTRY}.3"}
    unused = {"labels": ["ifIndex"], "labelname": "ifName", "oid": f"{ENTRY}.4"}
    settings = build(Settings, {"walk": [TABLE], "lookups": [used, unused], "metrics": [column(6)], "parallel": 1})
    assert make_plan(settings).chains == ((o(f"{ENTRY}.3"), o(f"{ENTRY}.4")), (o(f"{ENTRY}.6"), o(f"{ENTRY}.7")))


def test_walk_of_a_single_column() -> None:
    settings = build(Settings, {"walk": [f"{ENTRY}.5"], "metrics": [column(5)]})
    assert make_plan(settings).chains == ((o(f"{ENTRY}.5"), o(f"{ENTRY}.6")),)


def test_runs_are_cut_into_parallel_chains_at_column_boundaries() -> None:
    found = runs([o(TABLE)], {o(f"{ENTRY}.{n}") for n in range(1, 9)})
    assert len(found) == 1 and len(found[0]) == 8
    chains = split(found, 3)
    assert chains[0] == (o(f"{ENTRY}.5"), o(f"{ENTRY}.9"))  # the longest chain starts first
    assert sorted(chains) == [
        (o(f"{ENTRY}.1"), o(f"{ENTRY}.3")),
        (o(f"{ENTRY}.3"), o(f"{ENTRY}.5")),
        (o(f"{ENTRY}.5"), o(f"{ENTRY}.9")),
    ]
    assert split(found, 100)[-1] == (o(f"{ENTRY}.8"), o(f"{ENTRY}.9"))  # at most one chain per column
    assert len(split(found, 100)) == 8


def test_scalars_are_fetched_with_get_in_batches() -> None:
    metrics = [{"name": f"s{n}", "oid": f"1.3.6.1.4.1.2021.4.{n}"} for n in range(1, 21)]
    settings = build(Settings, {"get": [f"1.3.6.1.4.1.2021.4.{n}.0" for n in range(1, 21)], "metrics": metrics})
    plan = make_plan(settings)
    assert [len(batch) for batch in plan.gets] == [GET_BATCH, 20 - GET_BATCH]
    assert plan.chains == ()
    assert plan.gets[0][0] == o("1.3.6.1.4.1.2021.4.1.0")


def test_if_mib_plan() -> None:
    settings = load_probe_config(ExporterConfig()).modules["if_mib"].settings
    plan = make_plan(settings)
    assert plan.gets == ((o("1.3.6.1.2.1.1.3.0"), o("1.3.6.1.2.1.2.1.0")),)  # sysUpTime, and ifNumber not walked
    assert len(plan.chains) == settings.parallel == 4
    covered = sorted(plan.chains)
    assert covered[0][0] == o("1.3.6.1.2.1.2.2.1.1") and covered[1][1] == o("1.3.6.1.2.1.2.2.1.22")
    assert covered[2][0] == o("1.3.6.1.2.1.31.1.1.1.1") and covered[3][1] == o("1.3.6.1.2.1.31.1.1.1.20")
    assert covered[0][1] == covered[1][0] and covered[2][1] == covered[3][0]  # no gap, no overlap


def test_bulk_size_shrinks_in_the_last_column_once_rows_are_known() -> None:
    sizer = BulkSizer(o(f"{ENTRY}.7"), 25)  # a chain over columns 5 and 6
    assert sizer.size() == 25
    for row in (1, 2, 3, 4):
        sizer.seen(o(f"{ENTRY}.5.{row}"))
    assert sizer.size() == 25  # column 5 is not the last one
    sizer.seen(o(f"{ENTRY}.6.1"))
    assert sizer.size() == 4  # three rows left in column 6, and one more to see its end
    for row in (2, 3, 4):
        sizer.seen(o(f"{ENTRY}.6.{row}"))
    assert sizer.size() == 1  # as many rows as column 5: one more var-bind shows whether the column ended
    sizer.seen(o(f"{ENTRY}.6.5"))
    assert sizer.size() == 25  # longer than the estimate: back to full requests, not one row at a time
    single = BulkSizer(o(f"{ENTRY}.6"), 25)
    single.seen(o(f"{ENTRY}.5.1"))
    assert single.size() == 25  # one column only: nothing to estimate from
