"""What an ``ssh`` module collects (``Settings``) and with which credentials (``Auth``).

Only dataclasses here: validating a config must not import paramiko. Secrets are references resolved
when a connection is opened; host keys are checked against a known_hosts file, never skipped.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, get_args

from inframind.config import DiskstatsSettings, FilesystemSettings, NetdevSettings
from inframind.schema import Duration, PathKey
from inframind.secrets import SecretRef

CollectorName = Literal[
    "cpu", "loadavg", "meminfo", "filesystem", "diskstats", "netdev", "stat", "mdadm", "uname", "smart"
]
COLLECTORS: tuple[CollectorName, ...] = get_args(CollectorName)
DEFAULT_COLLECTORS: tuple[CollectorName, ...] = tuple(c for c in COLLECTORS if c != "smart")
"""smart is off by default: it needs root (or sudo) on the target and wakes nothing else."""


@dataclass(frozen=True)
class PoolSettings:
    """Keep one SSH connection per target and credentials across scrapes (saves a handshake per scrape)."""

    enabled: bool = True
    idle_timeout: Duration = 300.0
    """Close a kept connection no scrape has used for this long."""

    def check(self) -> list[tuple[PathKey, str]]:
        return [(("idle_timeout",), "must be positive")] if self.idle_timeout <= 0 else []


@dataclass(frozen=True)
class Settings:
    port: int = 22
    """Port when the target gives none (``host`` rather than ``host:2222``)."""
    connect_timeout: Duration = 5.0
    """Bound on the TCP connect, the SSH handshake and authentication (each), within the probe's timeout."""
    collectors: tuple[CollectorName, ...] = DEFAULT_COLLECTORS
    use_sudo_for_smartctl: bool = False
    """Run smartctl as ``sudo -n smartctl`` (needs a NOPASSWD sudoers rule for smartctl on the target)."""
    smartctl_timeout: Duration = 20.0
    """Bound on each smartctl run on the target."""
    pool: PoolSettings = PoolSettings()
    filesystem: FilesystemSettings = FilesystemSettings()
    diskstats: DiskstatsSettings = DiskstatsSettings()
    netdev: NetdevSettings = NetdevSettings()

    def check(self) -> list[tuple[PathKey, str]]:
        problems: list[tuple[PathKey, str]] = []
        if not 0 < self.port < 65536:
            problems.append((("port",), "must be between 1 and 65535"))
        if self.connect_timeout <= 0:
            problems.append((("connect_timeout",), "must be positive"))
        if self.smartctl_timeout <= 0:
            problems.append((("smartctl_timeout",), "must be positive"))
        if not self.collectors:
            problems.append((("collectors",), f"name at least one of: {', '.join(COLLECTORS)}"))
        if len(set(self.collectors)) != len(self.collectors):
            problems.append((("collectors",), "lists a collector twice"))
        return problems


@dataclass(frozen=True)
class Auth:
    """``type: ssh`` credentials: a private key (optionally with a passphrase), a password, or both."""

    username: str
    private_key: SecretRef | None = None
    """The key itself: ``file:/etc/inframind/id_ed25519`` (or ``env:NAME`` holding the key text)."""
    passphrase: SecretRef | None = None
    password: SecretRef | None = None
    known_hosts: str = "~/.ssh/known_hosts"
    """Host keys the targets must present (OpenSSH format, hashed entries allowed)."""
    trust_on_first_use: bool = False
    """Accept the key of a host missing from known_hosts once and pin it there; a changed key is refused."""

    def check(self) -> list[tuple[PathKey, str]]:
        problems: list[tuple[PathKey, str]] = []
        if not self.username:
            problems.append((("username",), "must not be empty"))
        if self.private_key is None and self.password is None:
            problems.append(((), "give `private_key:` (file:/path/to/key) or `password:` (env:NAME), or both"))
        if self.passphrase is not None and self.private_key is None:
            problems.append((("passphrase",), "is only used with `private_key:`"))
        if not self.known_hosts:
            problems.append((("known_hosts",), "must name a known_hosts file"))
        return problems
