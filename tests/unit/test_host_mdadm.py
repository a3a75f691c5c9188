from pathlib import Path

import pytest

from inframind.exporters.base import CollectorError
from inframind.exporters.host.mdadm import MdadmCollector, create
from tests.helpers.hosttree import Labels, by_label, fixture_config, one, samples

HEALTHY = """Personalities : [raid1]
md0 : active raid1 sdb1[1] sda1[0]
      1046528 blocks super 1.2 [2/2] [UU]

unused devices: <none>
"""


def _states(got: dict[str, dict[Labels, float]], device: str) -> dict[str, float]:
    return {dict(k)["state"]: v for k, v in got["node_md_state"].items() if dict(k)["device"] == device}


def _disks(got: dict[str, dict[Labels, float]], device: str) -> dict[str, float]:
    return {dict(k)["state"]: v for k, v in got["node_md_disks"].items() if dict(k)["device"] == device}


def test_healthy_degraded_recovering_resync_check_raid0_inactive() -> None:
    got = samples(create(fixture_config()).collect())
    expected = {
        # device: (state, required, active, failed, spare, blocks, synced)
        "md0": ("active", 2, 2, 0, 0, 1046528, 1046528),
        "md1": ("active", 2, 1, 1, 0, 488253440, 488253440),  # degraded: a failed member, sync line is a bitmap
        "md2": ("recovering", 2, 1, 0, 0, 976630464, 228532224),
        "md3": ("resync", 3, 3, 0, 1, 1953260544, 73255424),
        "md4": ("active", 2, 2, 0, 0, 3906764800, 3906764800),  # raid0: every member counts
        "md5": ("check", 2, 2, 0, 0, 2930134464, 366266808),
        "md6": ("inactive", 0, 0, 0, 1, 1046528, 1046528),
    }
    assert set(by_label(got["node_md_blocks"], "device")) == set(expected)
    for device, (state, required, active, failed, spare, blocks, synced) in expected.items():
        states = _states(got, device)
        assert states == {s: float(s == state) for s in ("active", "inactive", "recovering", "resync", "check")}
        assert _disks(got, device) == {"active": active, "failed": failed, "spare": spare}
        assert one(got["node_md_disks_required"], device=device) == required
        assert one(got["node_md_blocks"], device=device) == blocks
        assert one(got["node_md_blocks_synced"], device=device) == synced


def test_pending_resync_has_nothing_synced(tmp_path: Path) -> None:
    (tmp_path / "mdstat").write_text(HEALTHY.replace("[UU]\n", "[UU]\n      \tresync=PENDING\n"))
    got = samples(MdadmCollector(str(tmp_path)).collect())
    assert _states(got, "md0")["resync"] == 1.0
    assert one(got["node_md_blocks_synced"], device="md0") == 0.0


def test_no_arrays_means_no_series(tmp_path: Path) -> None:
    (tmp_path / "mdstat").write_text("Personalities : \nunused devices: <none>\n")
    assert MdadmCollector(str(tmp_path)).collect() == []


def test_status_line_without_counts_is_malformed(tmp_path: Path) -> None:
    (tmp_path / "mdstat").write_text(HEALTHY.replace(" [2/2] [UU]", ""))
    with pytest.raises(CollectorError, match=r"^mdadm: cannot read .*/mdstat: array md0: no \[n/m\] \[U_\] status"):
        MdadmCollector(str(tmp_path)).collect()


def test_truncated_entry_is_malformed(tmp_path: Path) -> None:
    (tmp_path / "mdstat").write_text("md0 : active raid1 sdb1[1] sda1[0]\n")
    with pytest.raises(CollectorError, match=r"incomplete array entry 'md0 : active raid1"):
        MdadmCollector(str(tmp_path)).collect()


def test_missing_mdstat_fails_like_node_exporter(tmp_path: Path) -> None:
    with pytest.raises(CollectorError, match=rf"^mdadm: cannot read {tmp_path}/mdstat: No such file or directory$"):
        MdadmCollector(str(tmp_path)).collect()
