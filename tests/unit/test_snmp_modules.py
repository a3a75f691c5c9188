"""The shipped snmp modules: valid, named as snmp_exporter names things, and cheap to request."""

from __future__ import annotations

import pytest

from inframind.config import ExporterConfig
from inframind.exporters.probe.config import ProbeConfig, load_probe_config
from inframind.exporters.snmp.plan import make_plan
from inframind.exporters.snmp.settings import Settings
from tests.helpers.snmp import PEER_IF_MIB

SHIPPED = ("if_mib", "host_resources", "entity_sensor", "ucd", "ups")


@pytest.fixture(scope="module")
def config() -> ProbeConfig:
    return load_probe_config(ExporterConfig())


def settings(config: ProbeConfig, name: str) -> Settings:
    found = config.modules[name].settings
    assert isinstance(found, Settings)
    return found


def test_every_module_is_shipped_with_the_snmp_prober(config: ProbeConfig) -> None:
    for name in SHIPPED:
        module = config.modules[name]
        assert module.prober == "snmp"
        assert module.auth is None  # no credentials shipped: v2c "public" unless the scrape names an auth
        assert module.max_concurrency >= 100  # probes wait on the event loop, not on a thread each


def test_if_mib_matches_snmp_exporter_0_21(config: ProbeConfig) -> None:
    if_mib = settings(config, "if_mib")
    ours = {m.name: (str(m.oid), m.type) for m in if_mib.metrics}
    expected = {name: (oid, kind) for name, oid, kind in PEER_IF_MIB}
    expected.update(sysUpTime=("1.3.6.1.2.1.1.3", "gauge"), ifNumber=("1.3.6.1.2.1.2.1", "gauge"))
    assert ours == expected
    assert [(lk.labelname, str(lk.oid)) for lk in if_mib.lookups] == [
        ("ifAlias", "1.3.6.1.2.1.31.1.1.1.18"),
        ("ifDescr", "1.3.6.1.2.1.2.2.1.2"),
        ("ifName", "1.3.6.1.2.1.31.1.1.1.1"),
    ]
    for metric in if_mib.metrics:
        assert [i.labelname for i in metric.indexes] in ([], ["ifIndex"])
    if_type = next(m for m in if_mib.metrics if m.name == "ifType")
    assert len(if_type.enum_values) == 234
    assert (if_type.enum_values["6"], if_type.enum_values["24"], if_type.enum_values["161"]) == (
        "ethernetCsmacd",
        "softwareLoopback",
        "ieee8023adLag",
    )


@pytest.mark.parametrize(
    ("module", "names"),
    [
        ("host_resources", {"hrStorageSize", "hrStorageUsed", "hrStorageAllocationUnits", "hrProcessorLoad"}),
        ("host_resources", {"hrDeviceStatus", "hrSystemUptime"}),
        ("entity_sensor", {"entPhySensorValue", "entPhySensorOperStatus"}),
        ("ucd", {"laLoadFloat", "memAvailReal", "memTotalReal", "dskPercent", "dskAvail"}),
        ("ups", {"upsBatteryStatus", "upsEstimatedChargeRemaining", "upsEstimatedMinutesRemaining"}),
        ("ups", {"upsInputVoltage", "upsOutputVoltage", "upsOutputPercentLoad", "upsOutputSource"}),
    ],
)
def test_mib_object_names(config: ProbeConfig, module: str, names: set[str]) -> None:
    assert names <= {m.name for m in settings(config, module).metrics}


def test_labels_from_descriptions(config: ProbeConfig) -> None:
    storage = next(m for m in settings(config, "host_resources").metrics if m.name == "hrStorageUsed")
    assert [i.labelname for i in storage.indexes] == ["hrStorageIndex"]
    assert "hrStorageDescr" in {lk.labelname for lk in settings(config, "host_resources").lookups}
    sensors = settings(config, "entity_sensor")
    assert {lk.labelname for lk in sensors.lookups} == {"entPhysicalName", "entPhySensorType"}
    value = next(m for m in sensors.metrics if m.name == "entPhySensorValue")
    assert value.sensor_scale is not None


@pytest.mark.parametrize("module", SHIPPED)
def test_plans_stay_small(config: ProbeConfig, module: str) -> None:
    plan = make_plan(settings(config, module))
    assert 1 <= len(plan.chains) <= 6
    assert all(len(batch) <= 16 for batch in plan.gets)
    starts = sorted(start for start, _ in plan.chains)
    ends = sorted(stop for _, stop in plan.chains)
    assert all(a < b for a, b in zip(starts, ends, strict=True))
