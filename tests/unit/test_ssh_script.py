"""The remote script: fixed snippets only, framed sections, and the same numbers as the local collectors
when it runs under the shells targets have (dash as /bin/sh on Debian, and bash)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from inframind.exporters.host.meminfo import MeminfoCollector
from inframind.exporters.host.stat import StatCollector
from inframind.exporters.ssh.families import TargetState, collector_calls, run_collectors
from inframind.exporters.ssh.script import Section, build_script, new_nonce, sections_for, split_sections
from inframind.exporters.ssh.settings import DEFAULT_COLLECTORS, Settings
from tests.helpers.exposition import value
from tests.helpers.procs import require_binary

NONCE = "0123abcd"


def frame(name: str, body: str, status: int = 0, nonce: str = NONCE) -> str:
    """What the script prints for one section (it adds one newline before the end marker)."""
    return f"@@inframind-{nonce} begin {name}\n{body}\n@@inframind-{nonce} end {name} {status}\n"


def test_only_the_sections_the_collectors_need_and_no_config_text() -> None:
    script = build_script(("meminfo", "cpu", "stat"), NONCE, 5, 20, sudo=False)
    assert sections_for(("meminfo", "cpu", "stat")) == ["stat", "meminfo"]
    assert "im_run stat cat /proc/stat\nim_run meminfo cat /proc/meminfo\n}" in script
    assert "smartctl" not in script
    assert script.rstrip().endswith("main </dev/null")
    with_smart = build_script(("smart",), NONCE, 5, 12.5, sudo=True)
    assert "im_run smartscan timeout 12.5 sudo -n smartctl --scan-open --json" in with_smart
    assert "sudo" not in build_script(("smart",), NONCE, 5, 12.5, sudo=False).split("im_run smartscan")[1]


def test_the_nonce_must_be_hex() -> None:
    assert len(new_nonce()) == 16 and new_nonce() != new_nonce()
    with pytest.raises(ValueError, match="hex"):
        build_script(("cpu",), "x'; reboot; '", 5, 20, sudo=False)


def test_sections_keep_their_text_status_and_exact_trailing_newlines() -> None:
    output = (
        "motd the shell printed\n"
        + frame("loadavg", "0.5 0.4 0.3 1/100 42\n")
        + frame("uname", "no newline at the end")
        + frame("mdstat", "cat: /proc/mdstat: No such file or directory\n", status=1)
    )
    found = split_sections(output, NONCE)
    assert found["loadavg"] == Section("0.5 0.4 0.3 1/100 42\n", 0)
    assert found["uname"].text == "no newline at the end"
    assert not found["mdstat"].ok
    assert found["mdstat"].failure() == "exit status 1: cat: /proc/mdstat: No such file or directory"


def test_a_forged_or_cut_off_frame_is_not_a_section() -> None:
    forged = frame("meminfo", "MemTotal: 1 kB\n@@inframind-ffff end meminfo 0\nMemFree: 1 kB\n")
    cut = f"@@inframind-{NONCE} begin stat\ncpu  1 2 3 4\n"
    found = split_sections(forged + cut, NONCE)
    assert found["meminfo"].text.count("MemFree") == 1  # the line with another nonce is just text
    assert "stat" not in found


@pytest.mark.parametrize("shell", ["/bin/sh", "bash"])
def test_the_script_run_by_a_real_shell_matches_the_local_collectors(shell: str) -> None:
    nonce = new_nonce()
    script = build_script(DEFAULT_COLLECTORS, nonce, 5, 20, sudo=False)
    done = subprocess.run(
        [require_binary(shell), "-s"], input=script, capture_output=True, text=True, timeout=60, check=True
    )
    sections = split_sections(done.stdout, nonce)
    expected = {"stat", "meminfo", "loadavg", "diskstats", "udev", "netdev", "mdstat", "mounts", "statfs", "uname"}
    assert set(sections) == expected
    families = run_collectors(collector_calls(Settings(), sections, TargetState()), TargetState(), "local")
    local_memory = value(MeminfoCollector("/proc").collect(), "node_memory_MemTotal_bytes")
    assert value(families, "node_memory_MemTotal_bytes") == local_memory
    assert value(families, "node_boot_time_seconds") == value(
        StatCollector("/proc").collect(), "node_boot_time_seconds"
    )
    statfs = {line.split()[0]: line.split()[1:] for line in sections["statfs"].text.splitlines()}
    assert "/proc" not in statfs and "/sys" not in statfs  # kernel views are not stat'ed
    for name in ("cpu", "meminfo", "loadavg", "stat", "netdev", "diskstats", "filesystem", "uname"):
        assert value(families, "node_scrape_collector_success", collector=name) == 1.0, name


def test_statfs_decodes_escaped_mount_points_and_marks_failures(tmp_path: Path) -> None:
    spaced = tmp_path / "fast disk"
    spaced.mkdir()
    raw = str(spaced).replace(" ", "\\040")
    table = f"dev {raw} ext4 rw 0 0\ngone {tmp_path}/missing nfs4 rw 0 0\nproc {tmp_path} proc rw 0 0\n"
    nonce = new_nonce()
    script = build_script(("filesystem",), nonce, 5, 20, sudo=False)
    # The same script with the mount table replaced: define im_mounts again just before it is used.
    fake = f"im_mounts() {{ cat <<'TABLE'\n{table}TABLE\n}}\nim_run mounts"
    script = script.replace("im_run mounts", fake, 1)
    done = subprocess.run(["/bin/sh", "-s"], input=script, capture_output=True, text=True, timeout=30, check=True)
    lines = split_sections(done.stdout, nonce)["statfs"].text.splitlines()
    st = os.statvfs(spaced)
    mountpoint, bsize, blocks, _bfree, _bavail, files, _ffree = lines[0].split(" ")
    assert (mountpoint, int(bsize), int(blocks), int(files)) == (raw, st.f_bsize, st.f_blocks, st.f_files)
    assert lines[1] == f"{tmp_path}/missing -"
    assert len(lines) == 2  # the proc mount is not stat'ed at all
