"""Settings of the ``redfish`` prober: light dataclasses only, so validating a config imports no HTTP client.

A module says *what* to read from a BMC (sections, limits, TLS policy); an auth entry says *as whom*::

    exporter:
      auths:
        idrac: {type: redfish, username: monitor, password: env:IDRAC_PASSWORD}
      modules:
        redfish_idrac:
          prober: redfish
          auth: idrac
          timeout: 45s
          redfish: {ca_file: /etc/inframind/bmc-ca.pem, sections: [systems, storage, power]}
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from inframind.schema import Duration, PathKey
from inframind.secrets import SecretRef

Section = Literal["systems", "chassis", "managers", "thermal", "power", "storage", "logs", "firmware"]
SECTIONS: tuple[Section, ...] = ("systems", "chassis", "managers", "thermal", "power", "storage", "logs", "firmware")


@dataclass(frozen=True)
class Auth:
    """A BMC account. The user name is not secret; the password is a reference resolved at each probe."""

    username: str
    password: SecretRef


@dataclass(frozen=True)
class Settings:
    scheme: Literal["https", "http"] = "https"
    port: int | None = None
    """Port when the target gives none; the scheme's default otherwise."""
    insecure_skip_verify: bool = False
    """Accept any certificate. Off by default: a BMC holds the keys to the server, so its identity matters."""
    ca_file: str | None = None
    """PEM bundle that signed the BMCs' certificates (the usual answer to self-signed BMC certificates)."""
    session_auth: bool = True
    """Log in through SessionService and log out at the end, so credentials cross the wire once per probe."""
    basic_fallback: bool = True
    """Use HTTP basic auth when the service offers no usable session login."""
    max_parallel: int = 4
    """Requests in flight per probe; BMCs are small computers and queue or drop beyond a few."""
    request_timeout: Duration = 10.0
    """Per request, further bounded by what is left of the probe's deadline."""
    sections: tuple[Section, ...] = SECTIONS
    """What to read; each section reports its own success, so one failing resource hides nothing else."""
    log_entry_limit: int = 100
    """Log entries examined per log service (pages are followed only until this many were seen)."""
    sensor_source: Literal["auto", "classic", "subsystem"] = "auto"
    """Where temperatures, fans and power supplies come from: ``classic`` Thermal/Power, the newer
    ``subsystem`` resources (ThermalSubsystem, PowerSubsystem, Sensors, EnvironmentMetrics), or ``auto``:
    classic where a chassis links it (one request instead of one per sensor), the newer ones elsewhere."""

    def check(self) -> list[tuple[PathKey, str]]:
        problems: list[tuple[PathKey, str]] = []
        if self.port is not None and not 0 < self.port < 65536:
            problems.append((("port",), "must be between 1 and 65535"))
        if self.insecure_skip_verify and self.ca_file:
            problems.append((("ca_file",), "ca_file has no effect with insecure_skip_verify: true; drop one"))
        if self.max_parallel < 1:
            problems.append((("max_parallel",), "must be at least 1"))
        if self.request_timeout <= 0:
            problems.append((("request_timeout",), "must be positive"))
        if self.log_entry_limit < 0:
            problems.append((("log_entry_limit",), "must be 0 or more"))
        if len(set(self.sections)) != len(self.sections):
            problems.append((("sections",), "lists a section twice"))
        return problems
