"""What the ``ipmi`` prober reads (a module's ``ipmi:`` block) and with which credentials (``type: ipmi`` auths).

Light on purpose: validating a config imports these dataclasses and nothing that runs a tool.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal

from inframind.schema import Duration, PathKey
from inframind.secrets import SecretRef

Collector = Literal["sensors", "sel", "chassis", "dcmi", "bmc"]

# fmt: off
FREEIPMI_WORKAROUNDS = frozenset(
    (
        "assumeio", "spinpoll", "idzero", "forcepermsg", "unexpectedauth", "endianseq", "noauthcodecheck",
        "authcap", "nochecksumcheck", "intel20", "supermicro20", "sun20", "opensesspriv", "integritycheckvalue",
        "assumemaxsdrrecordcount", "solpayloadsize", "solport", "solstatus", "solchannelsupport",
        "serialalertsdeferred", "solpacketseq", "skipchecks", "assumesystemevent", "discretereading",
        "ignorescanningdisabled", "assumebmcowner", "ignoreauthcode", "slowcommit", "veryslowcommit",
        "solchannelassumelanchannel", "ignorestateflag", "malformedack", "guidformat", "ipmiping",
    )
)
# fmt: on
"""Every workaround flag freeipmi.conf(5) lists; a typo is a config error rather than a failing probe."""

CIPHER_SUITES = frozenset({0, 1, 2, 3, 6, 7, 8, 11, 12, 15, 16, 17})


@dataclass(frozen=True)
class Settings:
    driver: Literal["freeipmi", "ipmitool"] = "freeipmi"
    """FreeIPMI interprets sensor and event severity itself; ipmitool is the fallback for BMCs it trips on."""
    collectors: tuple[Collector, ...] = ("sensors", "sel", "chassis")
    """sensors: readings and states (``ipmi_up{collector="ipmi"}`` as ipmi_exporter names it); sel: event log
    fill and entries by severity; chassis: power and fault state; dcmi: power draw; bmc: firmware identity."""
    interface: Literal["lanplus", "lan"] = "lanplus"
    """lanplus is IPMI 2.0 (RMCP+); lan is IPMI 1.5, for old BMCs only."""
    port: int = 623
    """UDP port when the target names none."""
    workaround_flags: tuple[str, ...] = ()
    """FreeIPMI workarounds for BMCs that bend the spec (``opensesspriv`` for OpenIPMI's ipmi_sim)."""
    command_timeout: Duration = 10.0
    """Bound on each tool run; the probe's deadline cuts it further."""
    sel_severity: bool = True
    """Also read every SEL entry to count them by severity (one round trip per entry on a real BMC)."""
    max_sessions: int = 4
    """Sessions open on one BMC at once, over all probes of it: BMCs have few session slots (often 4-8 per
    channel, shared with people and other tools). 1 runs the commands one after another, as ipmi_exporter."""
    exclude_sensor_ids: tuple[int, ...] = ()
    """SDR record ids to leave out (sensors that always read garbage on a model)."""

    def check(self) -> Iterator[tuple[PathKey, str]]:
        if not self.collectors:
            yield ("collectors",), "name at least one of: sensors, sel, chassis, dcmi, bmc"
        if len(set(self.collectors)) != len(self.collectors):
            yield ("collectors",), "lists a collector twice"
        if not 0 < self.port < 65536:
            yield ("port",), "must be between 1 and 65535"
        if self.max_sessions < 1:
            yield ("max_sessions",), "must be at least 1"
        if self.command_timeout <= 0:
            yield ("command_timeout",), "must be positive"
        for i, flag in enumerate(self.workaround_flags):
            if flag not in FREEIPMI_WORKAROUNDS:
                yield ("workaround_flags", i), f"unknown FreeIPMI workaround {flag!r}; see freeipmi.conf(5)"
        if self.driver == "ipmitool" and self.workaround_flags:
            yield ("workaround_flags",), "are FreeIPMI's; the ipmitool driver takes none"


@dataclass(frozen=True)
class Auth:
    """Secrets are references, resolved at each probe; their repr never shows a value."""

    username: str
    password: SecretRef
    privilege: Literal["user", "operator", "admin"] = "user"
    """Reading sensors, the SEL and chassis status needs no more than user; ask for no more."""
    cipher_suite: int = 3
    """IPMI 2.0 cipher suite (3: HMAC-SHA1 authentication, AES-128 encryption), as both tools default."""
    k_g: SecretRef | None = None
    """The BMC key, for BMCs that set one (two-key login)."""

    def check(self) -> Iterator[tuple[PathKey, str]]:
        if self.cipher_suite not in CIPHER_SUITES:
            yield ("cipher_suite",), f"expected one of {', '.join(map(str, sorted(CIPHER_SUITES)))}"
