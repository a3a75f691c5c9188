"""The agent's settings: its own endpoint, the spool, and the event sources it reads."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Literal

from inframind.schema import HostPort, PathKey
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
