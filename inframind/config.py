"""The main configuration: one YAML file plus ``INFRAMIND__SECTION__FIELD`` environment overrides.

Everything has a default, so every long-running command starts with no file at all. ``inframind.yml`` in
the working directory is read when present; ``--config FILE`` names another (which must then exist).
Errors name the file (or the environment variable), the line and the field: see :mod:`inframind.schema`.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import yaml

from inframind.schema import (
    ConfigError,
    Duration,
    HostPort,
    Issue,
    Origin,
    PathKey,
    Regex,
    build,
    load_yaml_file,
)
from inframind.secrets import SecretRef

DEFAULT_CONFIG_FILE = "inframind.yml"
ENV_PREFIX = "INFRAMIND__"
EXPORTER_PORT = 10121
"""The exporter's default port: 9100-9999 of Prometheus' port allocations list is taken; see README."""
ANALYZER_PORT = 8050

Role = Literal["viewer", "operator", "admin"]
ROLES: tuple[Role, ...] = ("viewer", "operator", "admin")


# ---------------------------------------------------------------- exporter


@dataclass(frozen=True)
class HostPaths:
    """Where the host's kernel interfaces are mounted (node_exporter's --path.* flags)."""

    procfs: str = "/proc"
    sysfs: str = "/sys"
    rootfs: str = "/"
    udev_data: str = "/run/udev/data"


@dataclass(frozen=True)
class FilesystemSettings:
    # node_exporter 1.5's defaults, so both report the same filesystems.
    mount_points_exclude: Regex = Regex(
        r"^/(dev|proc|run/credentials/.+|sys|var/lib/docker/.+|var/lib/containers/storage/.+)($|/)"
    )
    fs_types_exclude: Regex = Regex(
        r"^(autofs|binfmt_misc|bpf|cgroup2?|configfs|debugfs|devpts|devtmpfs|fusectl|hugetlbfs|iso9660|"
        r"mqueue|nsfs|overlay|proc|procfs|pstore|rpc_pipefs|securityfs|selinuxfs|squashfs|sysfs|tracefs)$"
    )
    stat_timeout: Duration = 5.0


@dataclass(frozen=True)
class DiskstatsSettings:
    device_exclude: Regex = Regex(r"^(ram|loop|fd|(h|s|v|xv)d[a-z]|nvme\d+n\d+p)\d+$")


@dataclass(frozen=True)
class NetdevSettings:
    device_exclude: Regex = Regex("")


@dataclass(frozen=True)
class SmartSettings:
    """smartctl is slow and wakes sleeping disks: it runs on an interval in the background, not per scrape."""

    smartctl: str = "smartctl"
    interval: Duration = 60.0
    """Seconds between SMART refreshes (at least 0.5 s)."""
    rescan_interval: Duration = 600.0
    timeout: Duration = 30.0
    devices: tuple[str, ...] = ()
    """Explicit devices (``/dev/sda`` or ``/dev/sda;sat``); empty means ``smartctl --scan-open``."""
    device_include: Regex = Regex("")
    """Only scanned devices whose label (``sda``, ``nvme0``) matches; empty matches all."""
    device_exclude: Regex = Regex("")
    """Scanned devices whose label matches are skipped; empty skips none."""
    powermode_check: Literal["never", "sleep", "standby", "idle"] = "standby"
    """smartctl ``--nocheck``: leave disks in this power mode (or deeper) asleep instead of reading them."""


@dataclass(frozen=True)
class ProbeSettings:
    """How ``/probe`` bounds a request; modules and auths themselves are validated by the exporter."""

    timeout_offset: Duration = 0.5
    """Seconds kept free below Prometheus' ``X-Prometheus-Scrape-Timeout-Seconds`` for the answer to travel."""
    max_timeout: Duration = 120.0
    """Upper bound on any module's timeout, whatever the scraper allows."""


@dataclass(frozen=True)
class ExporterConfig:
    listen: HostPort = HostPort("0.0.0.0", EXPORTER_PORT)  # noqa: S104 - an exporter is scraped remotely
    web_config_file: str | None = None
    """TLS and basic auth, in the Prometheus exporter-toolkit web config format."""
    collectors: Mapping[str, bool] = field(default_factory=dict)
    """Switch collectors on or off by name, over their defaults (``smart: false``)."""
    host_backend: Literal["auto", "procfs", "psutil"] = "auto"
    """procfs: node_exporter's exact semantics (Linux); psutil: any OS; auto: procfs on Linux."""
    paths: HostPaths = HostPaths()
    filesystem: FilesystemSettings = FilesystemSettings()
    diskstats: DiskstatsSettings = DiskstatsSettings()
    netdev: NetdevSettings = NetdevSettings()
    smart: SmartSettings = SmartSettings()
    probe: ProbeSettings = ProbeSettings()
    auths: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    """Credentials for ``/probe`` by name (``type:`` snmp, redfish, ipmi, ssh ...), secrets as references."""
    modules: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    """What ``/probe`` collects, by name (``prober:`` snmp, redfish, ipmi, ssh, tcp); adds to the shipped ones."""


# ---------------------------------------------------------------- agent


def parse_engine_id(text: str) -> bytes:
    """An SNMP engine id as configured (``8000000001020304``, ``0x80:00:...``); RFC 3411 allows 5-32 octets."""
    digits = text.strip().removeprefix("0x").removeprefix("0X").replace(":", "").replace(" ", "")
    try:
        raw = bytes.fromhex(digits)
    except ValueError:
        raise ValueError(f"expected hex digits such as 8000000001020304, got {text!r}") from None
    if not 5 <= len(raw) <= 32:
        raise ValueError(f"an engine id has 5 to 32 octets (10 to 64 hex digits), got {len(raw)}")
    return raw


def _engine_id_problems(value: str | None, path: PathKey) -> Iterator[tuple[PathKey, str]]:
    if value is not None:
        try:
            parse_engine_id(value)
        except ValueError as exc:
            yield path, str(exc)


@dataclass(frozen=True)
class TrapUser:
    """An SNMPv3 user allowed to send traps (and informs) to the agent."""

    username: str
    auth_protocol: Literal["MD5", "SHA", "SHA224", "SHA256", "SHA384", "SHA512"] | None = None
    auth_password: SecretRef | None = None
    priv_protocol: Literal["DES", "AES", "AES192", "AES256"] | None = None
    priv_password: SecretRef | None = None
    engine_id: str | None = None
    """The sender's authoritative engine id (hex), needed for v3 traps; informs discover it themselves."""

    def check(self) -> Iterator[tuple[PathKey, str]]:
        if (self.auth_protocol is None) != (self.auth_password is None):
            yield ("auth_password",), "auth_protocol and auth_password go together"
        if (self.priv_protocol is None) != (self.priv_password is None):
            yield ("priv_password",), "priv_protocol and priv_password go together"
        if self.priv_protocol and not self.auth_protocol:
            yield ("priv_protocol",), "privacy needs authentication (authPriv): set auth_protocol too"
        yield from _engine_id_problems(self.engine_id, ("engine_id",))


@dataclass(frozen=True)
class TrapSettings:
    enabled: bool = False
    listen: HostPort = HostPort("0.0.0.0", 162)  # noqa: S104 - devices send traps from the network
    communities: tuple[SecretRef, ...] = ()
    """SNMPv1/v2c communities accepted; traps with any other community are dropped and counted."""
    users: tuple[TrapUser, ...] = ()
    engine_id: str | None = None
    """The receiver's own engine id (hex), for devices that must be configured with it for v3 informs."""
    levels: Mapping[str, Literal["debug", "info", "notice", "warning", "error", "critical"]] = field(
        default_factory=dict
    )
    """Event level by trap OID prefix (numeric, longest prefix wins) over the built-in standard-trap levels."""

    def check(self) -> Iterator[tuple[PathKey, str]]:
        yield from _engine_id_problems(self.engine_id, ("engine_id",))
        for prefix in self.levels:
            if not re.fullmatch(r"\.?\d+(\.\d+)*", prefix):
                yield ("levels", prefix), "expected a numeric OID such as 1.3.6.1.4.1.9"


@dataclass(frozen=True)
class AgentConfig:
    listen: HostPort = HostPort("127.0.0.1", 10122)
    """The agent's own /metrics and health endpoint."""
    spool_dir: str = "var/agent"
    """Where the agent keeps events until they reach a log store (JSON lines)."""
    traps: TrapSettings = TrapSettings()


# ---------------------------------------------------------------- analyzer


_TOKEN_HASH = re.compile(r"^sha256:[0-9a-f]{64}$")


@dataclass(frozen=True)
class ApiToken:
    """An API token as stored in config: only its SHA-256, never the token itself."""

    name: str
    hash: str
    role: Role = "viewer"
    tenant: str = "default"
    expires: dt.datetime | None = None

    def check(self) -> Iterator[tuple[PathKey, str]]:
        if not _TOKEN_HASH.match(self.hash):
            yield ("hash",), "expected sha256:<64 hex digits>; create one with `inframind tokens generate`"


@dataclass(frozen=True)
class AnalyzerConfig:
    listen: HostPort = HostPort("127.0.0.1", ANALYZER_PORT)
    tokens: tuple[ApiToken, ...] = ()
    public_metrics: bool = True
    """Serve /metrics without a token (the usual exporter convention; scrape it over a trusted network)."""

    def check(self) -> Iterator[tuple[PathKey, str]]:
        seen: dict[str, int] = {}
        for i, token in enumerate(self.tokens):
            if token.name in seen:
                yield ("tokens", i, "name"), f"duplicate token name {token.name!r} (also tokens[{seen[token.name]}])"
            seen.setdefault(token.name, i)


# ---------------------------------------------------------------- local stack


@dataclass(frozen=True)
class StackPorts:
    victoriametrics: int = 8428
    vmalert: int = 8880
    alertmanager: int = 9093
    exporter: int = EXPORTER_PORT
    analyzer: int = ANALYZER_PORT

    def check(self) -> Iterator[tuple[PathKey, str]]:
        seen: dict[int, str] = {}
        for name, port in vars(self).items():
            if not 0 < port < 65536:
                yield (name,), f"expected a port between 1 and 65535, got {port}"
            elif port in seen:
                yield (name,), f"port {port} is also given to {seen[port]}"
            seen.setdefault(port, name)


@dataclass(frozen=True)
class StackBinaries:
    victoriametrics: str = "victoria-metrics"
    vmalert: str = "vmalert"
    alertmanager: str = "prometheus-alertmanager"


@dataclass(frozen=True)
class StackConfig:
    """`inframind up`: every component on 127.0.0.1, data under ``data_dir``."""

    data_dir: str = "var"
    rules_dir: str = "rules"
    alertmanager_dir: str = "alertmanager"
    scrape_interval: Duration = 15.0
    evaluation_interval: Duration = 15.0
    retention_period: str = "30d"
    ports: StackPorts = StackPorts()
    binaries: StackBinaries = StackBinaries()


@dataclass(frozen=True)
class LogSettings:
    level: Literal["debug", "info", "warning", "error"] = "info"
    format: Literal["logfmt", "json"] = "logfmt"


@dataclass(frozen=True)
class Config:
    """The whole configuration. ``origin`` remembers where each value came from, for later checks."""

    exporter: ExporterConfig = ExporterConfig()
    agent: AgentConfig = AgentConfig()
    analyzer: AnalyzerConfig = AnalyzerConfig()
    stack: StackConfig = StackConfig()
    log: LogSettings = LogSettings()
    inventory: str | None = None
    """Path of the inventory YAML (assets and dependencies); relative paths are from the config file."""
    origin: Origin = field(default_factory=Origin, init=False, compare=False, repr=False)


# ---------------------------------------------------------------- loading


def _env_overrides(env: Mapping[str, str]) -> list[tuple[PathKey, Any, str]]:
    out: list[tuple[PathKey, Any, str]] = []
    for name in sorted(env):
        if not name.startswith(ENV_PREFIX):
            continue
        path = tuple(p.lower() for p in name[len(ENV_PREFIX) :].split("__") if p)
        raw = env[name]
        try:
            value = yaml.safe_load(raw) if raw.strip() else ""
        except yaml.YAMLError:
            value = raw
        out.append((path, value, f"environment variable {name}"))
    return out


def _apply(data: dict[str, Any], path: PathKey, value: Any) -> str | None:
    node: Any = data
    for part in path[:-1]:
        child = node.get(part)
        if child is None:
            child = node[part] = {}
        if not isinstance(child, dict):
            return f"cannot set {'.'.join(map(str, path))}: {part} is not a mapping"
        node = child
    node[path[-1]] = value
    return None


def load_config(
    path: str | os.PathLike[str] | None = None,
    env: Mapping[str, str] | None = None,
    *,
    cwd: str | os.PathLike[str] | None = None,
) -> Config:
    """Load ``path`` (or ``inframind.yml`` if it exists, or nothing) and apply environment overrides.

    Raises ConfigError listing every problem with its file, line and field.
    """
    environ = os.environ if env is None else env
    base = Path(cwd) if cwd is not None else Path.cwd()
    if path is None and (base / DEFAULT_CONFIG_FILE).is_file():
        path = base / DEFAULT_CONFIG_FILE
    data: Any = {}
    origin = Origin()
    if path is not None:
        data, origin = load_yaml_file(Path(path))
        if data is None:
            data = {}
        if not isinstance(data, dict):
            raise ConfigError([Issue(origin.source, 1, "", "expected a mapping of sections at the top level")])
    overrides: dict[PathKey, str] = {}
    issues: list[Issue] = []
    for key, value, source in _env_overrides(environ):
        if not key:
            issues.append(Issue(source, None, "", "names no field; use INFRAMIND__SECTION__FIELD"))
            continue
        problem = _apply(data, key, value)
        if problem:
            issues.append(Issue(source, None, ".".join(map(str, key)), problem))
        overrides[key] = source
    if issues:
        raise ConfigError(issues)
    origin = Origin(origin.source, origin.lines, overrides)
    config = build(Config, data, origin)
    if config.inventory and path is not None and not Path(config.inventory).is_absolute():
        config = dataclasses.replace(config, inventory=str(Path(path).parent / config.inventory))
    object.__setattr__(config, "origin", origin)  # frozen, but not a user-settable field
    return config
