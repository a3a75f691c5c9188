"""A real OpenSSH server on 127.0.0.1 for the ssh prober's tests, with a test user and throwaway keys.

sshd runs in the foreground (``-D -e``) with its own config, host key and authorized_keys in a temp
directory, so nothing in /etc/ssh is touched. The one system change is the test user (created once,
locked for passwords unless a test sets one); sshd needs root for that and for privilege separation.
authorized_keys sits in a world-readable temp directory because sshd reads it as the user.
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
from pathlib import Path

import pytest

from tests.helpers.procs import free_port, require_binary, wait_until
from tests.helpers.servers import Running

TEST_USER = "inframind-ssh"
_ACCEPTED = re.compile(r"Accepted (publickey|password) for (\S+) from 127\.0\.0\.1")


def ensure_user(name: str = TEST_USER) -> str:
    """The test account, created on first use; its password is reset to ``*`` (key login only)."""
    if os.geteuid() != 0:
        pytest.fail("the ssh prober's integration tests start sshd and add a user: run them as root")
    if subprocess.run(["id", "-u", name], capture_output=True, check=False).returncode != 0:
        subprocess.run(
            [require_binary("useradd"), "--no-create-home", "--shell", "/bin/sh", name], check=True, capture_output=True
        )
    set_password(name, None)
    return name


def set_password(name: str, password: str | None) -> None:
    """Give the account ``password``, or with None lock password logins again (keys still work)."""
    if password is None:
        subprocess.run([require_binary("usermod"), "-p", "*", name], check=True, capture_output=True)
    else:
        subprocess.run([require_binary("chpasswd")], input=f"{name}:{password}\n", text=True, check=True)


def new_password() -> str:
    return secrets.token_urlsafe(18)


def keygen(path: Path, passphrase: str = "") -> Path:
    """An Ed25519 key pair at ``path`` and ``path.pub``."""
    subprocess.run(
        [
            require_binary("ssh-keygen"),
            "-q",
            "-t",
            "ed25519",
            "-N",
            passphrase,
            "-C",
            "inframind-test",
            "-f",
            str(path),
        ],
        check=True,
        capture_output=True,
    )
    return path


class Sshd:
    """sshd on a free loopback port; :meth:`restart` brings it back on the same port with another host key."""

    def __init__(self, user: str, log_dir: Path) -> None:
        self.user = user
        self.log_dir = log_dir
        self.port = free_port()
        self.home = Path(tempfile.mkdtemp(prefix="inframind-sshd-"))
        self.home.chmod(0o755)
        self.authorized_keys = self.home / "authorized_keys"
        self.authorized_keys.touch(mode=0o644)
        self.host_key = keygen(self.home / "host_key_1")
        self.server: Running | None = None
        self.starts = 0

    def authorize(self, public_key: Path) -> None:
        with self.authorized_keys.open("a") as f:
            f.write(public_key.read_text())

    def config(self) -> Path:
        path = self.home / "sshd_config"
        path.write_text(
            f"ListenAddress 127.0.0.1\nPort {self.port}\nHostKey {self.host_key}\nPidFile {self.home / 'sshd.pid'}\n"
            f"UsePAM no\nAllowUsers {self.user}\nAuthorizedKeysFile {self.authorized_keys}\nStrictModes no\n"
            "PubkeyAuthentication yes\nPasswordAuthentication yes\nKbdInteractiveAuthentication no\n"
            "PermitRootLogin no\nMaxStartups 50\nLogLevel INFO\n"
        )
        return path

    def start(self) -> None:
        Path("/run/sshd").mkdir(mode=0o755, parents=True, exist_ok=True)
        self.starts += 1
        argv = ["/usr/sbin/sshd", "-D", "-e", "-f", str(self.config())]
        self.server = Running(f"sshd-{self.port}-{self.starts}", argv, self.log_dir, f"ssh://127.0.0.1:{self.port}")
        if not wait_until(self._answers, timeout=15):
            log = self.server.log_tail()
            self.stop()
            pytest.fail(f"sshd did not answer on 127.0.0.1:{self.port}:\n{log}")

    def _answers(self) -> bool:
        assert self.server is not None
        if self.server.proc.poll() is not None:
            raise RuntimeError(f"sshd exited with {self.server.proc.returncode}:\n{self.server.log_tail()}")
        with socket.create_connection(("127.0.0.1", self.port), timeout=1) as sock:
            return sock.recv(64).startswith(b"SSH-2.0-")

    def restart(self, new_host_key: bool) -> None:
        """Stop (connections included) and start again on the same port."""
        self.stop()
        if new_host_key:
            self.host_key = keygen(self.home / f"host_key_{self.starts + 1}")
        self.start()

    def public_host_key(self) -> str:
        """``type base64`` of the current host key."""
        kind, data, *_ = Path(f"{self.host_key}.pub").read_text().split()
        return f"{kind} {data}"

    def known_hosts_line(self) -> str:
        return f"[127.0.0.1]:{self.port} {self.public_host_key()}\n"

    def accepted(self) -> int:
        """Logins sshd accepted since this instance started (one per SSH connection)."""
        assert self.server is not None
        text = self.server.log_path.read_text(errors="replace")
        return sum(1 for m in _ACCEPTED.finditer(text) if m.group(2) == self.user)

    def _session_pids(self) -> list[int]:
        if self.server is None:
            return []
        pid = self.server.proc.pid
        try:
            return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
        except FileNotFoundError:
            return []

    def sessions(self) -> int:
        """SSH connections open right now: sshd forks one child per connection (its log does not say when
        one ends)."""
        return len(self._session_pids())

    def drop_sessions(self) -> None:
        """End every open connection (as a crash or a reboot of the target would); sshd keeps listening."""
        for pid in self._session_pids():
            try:
                os.kill(pid, signal.SIGTERM)
            except ProcessLookupError:
                continue  # it ended by itself between the listing and the signal: what we wanted
        if not wait_until(lambda: self.sessions() == 0, timeout=10):
            pytest.fail(f"sshd sessions {self._session_pids()} did not end")

    def stop(self) -> None:
        """Stop the connections too: sshd's own SIGTERM leaves established sessions running."""
        try:
            self.drop_sessions()
        finally:  # the listener goes whatever happened to its sessions
            if self.server is not None:
                self.server.stop()
                self.server = None

    def cleanup(self) -> None:
        self.stop()
        shutil.rmtree(self.home, ignore_errors=True)
