from pathlib import Path

import pytest

from inframind.exporters.base import CollectorError
from inframind.exporters.host.hwmon import HwmonCollector, clean, create, split_sensor_file
from tests.helpers.hosttree import copy_tree, fixture_config, one, samples, types

CORE, NVME = "platform_coretemp_0", "nvme_nvme0"


def test_temperatures_and_chip_naming() -> None:
    families = create(fixture_config()).collect()
    got = samples(families)
    temp = got["node_hwmon_temp_celsius"]
    assert {(dict(k)["chip"], dict(k)["sensor"]): v for k, v in temp.items()} == {
        (CORE, "temp1"): 52.0,
        (CORE, "temp2"): 49.0,
        (CORE, "temp3"): 47.5,
        (NVME, "temp1"): 38.85,
        (NVME, "temp2"): 41.85,
        ("acpitz", "temp1"): 27.8,  # no device link: the name file
        ("hwmon3", "temp1"): 35.0,  # neither: the directory
    }
    crit = got["node_hwmon_temp_crit_celsius"]
    assert one(crit, chip=CORE, sensor="temp1") == 100.0
    assert one(crit, chip=NVME, sensor="temp1") == 84850 * 0.001  # node_exporter multiplies: 84.85000000000001
    assert one(crit, chip="acpitz", sensor="temp1") == 105.0
    assert one(got["node_hwmon_temp_max_celsius"], chip=CORE, sensor="temp3") == 84.0
    assert one(got["node_hwmon_temp_min_celsius"], chip=NVME, sensor="temp1") == -273150 * 0.001
    assert one(got["node_hwmon_temp_crit_alarm_celsius"], chip=CORE, sensor="temp1") == 0.0
    assert set(types(families).values()) == {"gauge"}


def test_chip_names_and_sensor_labels() -> None:
    got = samples(create(fixture_config()).collect())
    assert {dict(k)["chip"]: dict(k)["chip_name"] for k in got["node_hwmon_chip_names"]} == {
        CORE: "coretemp",
        NVME: "nvme",
        "acpitz": "acpitz",
    }
    labels = {(dict(k)["chip"], dict(k)["sensor"]): dict(k)["label"] for k in got["node_hwmon_sensor_label"]}
    assert labels == {
        (CORE, "temp1"): "Package id 0",
        (CORE, "temp2"): "Core 0",
        (CORE, "temp3"): "Core 1",
        (NVME, "temp1"): "Composite",
        (NVME, "temp2"): "Sensor 1",
    }


def test_fans_and_voltages_keep_node_exporter_units() -> None:
    got = samples(create(fixture_config()).collect())
    assert one(got["node_hwmon_fan_rpm"], chip="hwmon3", sensor="fan1") == 1200.0
    assert one(got["node_hwmon_fan_min_rpm"], chip="hwmon3", sensor="fan1") == 600.0
    assert one(got["node_hwmon_in_volts"], chip="hwmon3", sensor="in0") == 1.104


@pytest.mark.parametrize(
    ("filename", "parts"),
    [
        ("temp1_input", ("temp", "1", "input")),
        ("temp1_crit_alarm", ("temp", "1", "crit_alarm")),
        ("in0_input", ("in", "0", "input")),
        ("temp01_max", ("temp", "1", "max")),
        ("beep_enable", ("beep_enable", "0", "")),
        ("fan2", ("fan", "2", "")),
        ("temp1x", None),
        ("temp1_", None),
        ("12", None),
    ],
)
def test_sensor_file_names(filename: str, parts: tuple[str, str, str] | None) -> None:
    assert split_sensor_file(filename) == parts


def test_clean() -> None:
    assert clean("Package id 0") == "package_id_0"
    assert clean("coretemp.0\n") == "coretemp_0"
    assert clean("0000:3d:00.0") == "0000:3d:00_0"


def test_two_chips_with_the_same_name_do_not_duplicate_series(tmp_path: Path) -> None:
    root = copy_tree(tmp_path)
    twin = root / "sys" / "class" / "hwmon" / "hwmon9"
    twin.mkdir()
    (twin / "name").write_text("acpitz\n")
    (twin / "temp1_input").write_text("99000\n")
    temp = samples(HwmonCollector(str(root / "sys")).collect())["node_hwmon_temp_celsius"]
    assert one(temp, chip="acpitz", sensor="temp1") == 27.8  # the first (sorted) directory wins


def test_unreadable_value_is_skipped(tmp_path: Path) -> None:
    root = copy_tree(tmp_path)
    (root / "sys" / "class" / "hwmon" / "hwmon3" / "temp1_input").write_text("N/A\n")
    got = samples(HwmonCollector(str(root / "sys")).collect())
    assert ("hwmon3", "temp1") not in {(dict(k)["chip"], dict(k)["sensor"]) for k in got["node_hwmon_temp_celsius"]}


def test_no_hwmon_class_fails_like_node_exporter(tmp_path: Path) -> None:
    with pytest.raises(
        CollectorError, match=rf"^hwmon: cannot read {tmp_path}/class/hwmon: No such file or directory$"
    ):
        HwmonCollector(str(tmp_path)).collect()
