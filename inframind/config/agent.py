"""The agent's settings: its own endpoint, the disk buffer and sink, and the event sources it reads."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Literal

from inframind.schema import Duration, HostPort, PathKey, Regex
from inframind.secrets import SecretRef


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
    listen: HostPort = HostPort("0.0.0.0", 162)  # noqa: S104 - devices send traps from the network # nosec B104
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
class MultilineSettings:
    """Join continuation lines (stack traces, kernel dumps) into the event a start line began."""

    start_pattern: Regex
    """A line matching this starts a new event; any other line joins the previous one."""
    max_lines: int = 500
    flush_after: Duration = 2.0
    """Emit a pending event when no line has followed it for this long."""


@dataclass(frozen=True)
class FileSource:
    """Files to tail: globs, checkpointed so nothing is read twice or skipped across restarts and rotation."""

    paths: tuple[str, ...]
    """Globs; cover the rotated names too (``/var/log/app.log*``) so lines a rotation moves away while the
    agent is down are still read (compressed rotations are skipped)."""
    exclude: tuple[str, ...] = ()
    start_at: Literal["end", "beginning"] = "end"
    """Where to start in a file seen for the first time (a file created after the agent started is read
    from its beginning either way)."""
    format: Literal["raw", "syslog", "json"] = "raw"
    """raw: each line is the message; syslog: an RFC 3164/5424 header gives time, host, program and
    severity; json: one JSON object per line with message/level/timestamp fields."""
    timezone: str = "UTC"
    """Zone of timestamps written without one (RFC 3164 lines, naive ISO stamps)."""
    multiline: MultilineSettings | None = None
    max_line_bytes: int = 1 << 20
    """Longer lines are cut here and flagged (``fields.truncated``), never dropped."""


@dataclass(frozen=True)
class JournaldSource:
    enabled: bool = False
    units: tuple[str, ...] = ()
    """Only these systemd units (``_SYSTEMD_UNIT``); empty reads everything."""
    directory: str | None = None
    """Read journal files from this directory (``journalctl -D``) instead of the system journal."""
    journalctl: str = "journalctl"
    start_at: Literal["end", "beginning"] = "end"


@dataclass(frozen=True)
class SyslogTLS:
    cert_file: str
    key_file: str
    client_ca_file: str | None = None
    """When set, senders must present a certificate signed by this CA."""


@dataclass(frozen=True)
class SyslogSource:
    """A syslog receiver for switches, BMCs, shelves and hosts that forward: UDP and/or TCP (optionally TLS)."""

    udp: HostPort | None = None
    tcp: HostPort | None = None
    tls: SyslogTLS | None = None
    """Serve the TCP listener over TLS (RFC 5425)."""
    timezone: str = "UTC"
    """Zone of RFC 3164 timestamps, which carry none."""
    max_message_bytes: int = 1 << 20


@dataclass(frozen=True)
class BmcLogSource:
    """Pull BMC event logs (IPMI SEL, Redfish LogService) of inventory assets probed with ipmi or redfish,
    with a persisted cursor per BMC, so each entry becomes one event once."""

    enabled: bool = False
    interval: Duration = 60.0
    max_entries: int = 1000
    """Entries read per BMC and poll; the cursor picks up the rest on the next poll."""


@dataclass(frozen=True)
class EventLogTarget:
    """A Windows host read over WinRM; ``asset`` names it in the inventory (default: resolved from host)."""

    host: str
    username: str
    password: SecretRef
    asset: str | None = None
    channels: tuple[str, ...] = ("System", "Application")
    transport: Literal["ntlm", "kerberos", "basic"] = "ntlm"
    scheme: Literal["https", "http"] = "https"
    port: int | None = None
    """Default 5986 for https, 5985 for http."""
    verify_tls: bool = True
    ca_file: str | None = None
    batch_size: int = 500


@dataclass(frozen=True)
class EventLogSource:
    targets: tuple[EventLogTarget, ...] = ()
    interval: Duration = 60.0
    event_ids: tuple[str, ...] = ()
    """Event ids kept as the ``event_id`` label of inframind_eventlog_events_total (others count as
    ``other``); empty means the ids the log rules use."""


@dataclass(frozen=True)
class SinkSettings:
    """Where the agent ships: the configured log store directly, or the analyzer's ingest API over HTTP."""

    type: Literal["logstore", "http"] = "logstore"
    url: str = "http://127.0.0.1:8050"
    token: SecretRef | None = None
    """An operator token for ``POST /api/v1/logs`` (http sink)."""
    verify_tls: bool = True
    ca_file: str | None = None
    timeout: Duration = 10.0
    batch_max_events: int = 5000
    """Events per batch; larger batches cost the log store less per event (SQLite: +38% throughput from
    1000 to 5000) and stay far below the ingest API's limits (413 splits a batch anyway)."""
    batch_max_wait: Duration = 1.0

    def check(self) -> Iterator[tuple[PathKey, str]]:
        if self.type == "http" and self.token is None:
            yield ("token",), "the http sink needs a token (env:NAME or file:/path) with the operator role"


@dataclass(frozen=True)
class BufferSettings:
    max_bytes: int = 512 << 20
    """Disk buffer bound; when full, the oldest events are dropped (and counted) to make room."""


@dataclass(frozen=True)
class AgentConfig:
    listen: HostPort = HostPort("127.0.0.1", 10122)
    """The agent's own /metrics and health endpoint."""
    web_config_file: str | None = None
    """TLS (optionally client certificates) and basic auth for that endpoint, in the exporter toolkit's
    web-config format (the same file the exporter takes)."""
    state_dir: str = "var/agent"
    """The disk buffer and every source's cursor live here."""
    hostname: str | None = None
    """This machine's name in events (default: the system host name)."""
    files: tuple[FileSource, ...] = ()
    journald: JournaldSource = JournaldSource()
    syslog: SyslogSource = SyslogSource()
    traps: TrapSettings = TrapSettings()
    bmc_logs: BmcLogSource = BmcLogSource()
    eventlog: EventLogSource = EventLogSource()
    sink: SinkSettings = SinkSettings()
    buffer: BufferSettings = BufferSettings()
