"""Pinning host keys on first use: one line per host, atomically, never a second key for a host."""

from __future__ import annotations

import io
import subprocess
import tempfile
import threading
from pathlib import Path

import paramiko
import pytest

from inframind.exporters.ssh.hostkeys import HostKeyChanged, PinOnFirstUse, RejectUnknown, UnknownHostKey, pin
from tests.helpers.procs import require_binary

HOST = "[10.0.0.7]:2222"


def new_key() -> paramiko.PKey:
    """A fresh Ed25519 key, as a host would present it."""
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "k"
        subprocess.run([require_binary("ssh-keygen"), "-q", "-t", "ed25519", "-N", "", "-f", str(path)], check=True)
        return paramiko.Ed25519Key.from_private_key(io.StringIO(path.read_text()))


def test_pin_appends_one_line_and_keeps_the_rest(tmp_path: Path) -> None:
    known = tmp_path / "known_hosts"
    known.write_text(
        "# fleet keys\nother.example ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIDwpc3mBAgYi7pTBQsZr1Ry8TzFEx6RHSRZ8eKqvMbCu"
    )
    known.chmod(0o640)
    key = new_key()
    assert pin(known, HOST, key) is True
    lines = known.read_text().splitlines()
    assert lines[:2] == [
        "# fleet keys",
        "other.example ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIDwpc3mBAgYi7pTBQsZr1Ry8TzFEx6RHSRZ8eKqvMbCu",
    ]
    assert lines[2] == f"{HOST} ssh-ed25519 {key.get_base64()}"
    assert known.stat().st_mode & 0o777 == 0o640
    assert pin(known, HOST, key) is False  # already pinned: nothing written
    assert len(known.read_text().splitlines()) == 3
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".known_hosts.")] == []  # no temp file left


def test_a_different_key_for_a_pinned_host_is_refused(tmp_path: Path) -> None:
    known = tmp_path / "known_hosts"
    pin(known, HOST, new_key())
    before = known.read_text()
    with pytest.raises(HostKeyChanged, match=r"host key of \[10.0.0.7\]:2222 changed"):
        pin(known, HOST, new_key())
    assert known.read_text() == before
    assert known.stat().st_mode & 0o777 == 0o600  # a new file is private


def test_hashed_entries_count_as_pinned(tmp_path: Path) -> None:
    known = tmp_path / "known_hosts"
    pin(known, HOST, new_key())
    subprocess.run([require_binary("ssh-keygen"), "-H", "-f", str(known)], check=True, capture_output=True)
    assert HOST not in known.read_text()  # now hashed
    with pytest.raises(HostKeyChanged):
        pin(known, HOST, new_key())


def test_concurrent_first_contacts_pin_one_key(tmp_path: Path) -> None:
    known = tmp_path / "known_hosts"
    keys = [new_key() for _ in range(6)]
    outcomes: list[str] = []
    start = threading.Barrier(len(keys))

    def contact(key: paramiko.PKey) -> None:
        start.wait()
        try:
            outcomes.append("pinned" if pin(known, HOST, key) else "known")
        except HostKeyChanged:
            outcomes.append("refused")

    threads = [threading.Thread(target=contact, args=(k,)) for k in keys]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["pinned"] + ["refused"] * 5
    assert len(known.read_text().splitlines()) == 1


def test_policies(tmp_path: Path) -> None:
    known = tmp_path / "known_hosts"
    key = new_key()
    client = paramiko.SSHClient()
    with pytest.raises(UnknownHostKey, match="trust_on_first_use"):
        RejectUnknown(known).missing_host_key(client, HOST, key)
    assert not known.exists()
    PinOnFirstUse(known).missing_host_key(client, HOST, key)
    assert key.get_base64() in known.read_text()
    blocked = tmp_path / "no-such-dir" / "known_hosts"
    with pytest.raises(UnknownHostKey, match="cannot be pinned"):
        PinOnFirstUse(blocked).missing_host_key(client, HOST, key)
