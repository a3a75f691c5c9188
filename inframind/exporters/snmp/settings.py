"""The ``snmp`` prober's config: a module's ``snmp:`` block (what to read) and ``type: snmp`` auths (how to log in).

Kept light (dataclasses only, no pysnmp) so validating a config never imports the SNMP stack. The module
format follows snmp_exporter's generated ``snmp.yml`` (``walk``, ``get``, ``metrics`` with ``indexes``,
``lookups``, ``enum_values``, ``scale``), with numeric OIDs only, so its modules translate line by line::

    snmp:
      walk: [1.3.6.1.2.1.2, 1.3.6.1.2.1.31.1.1]
      get: [1.3.6.1.2.1.1.3.0]
      metrics:
        - name: ifHCInOctets
          oid: 1.3.6.1.2.1.31.1.1.1.6
          type: counter
          indexes: [{labelname: ifIndex, type: gauge}]
          lookups: [{labels: [ifIndex], labelname: ifName, oid: 1.3.6.1.2.1.31.1.1.1.1, type: DisplayString}]

A probe without an auth uses SNMP v2c with community ``public``, as snmp_exporter's default ``public_v2``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Literal

from inframind.exporters.snmp.oids import Oid, OidTuple, is_under
from inframind.schema import PathKey
from inframind.secrets import SecretRef

MetricType = Literal[
    "gauge", "counter", "DisplayString", "OctetString", "PhysAddress48", "IpAddress", "EnumAsInfo", "EnumAsStateSet"
]
"""gauge/counter: the value; DisplayString ... IpAddress: a sample of 1 with the text as a label named like the
metric (info style); EnumAsInfo: ``<name>_info`` with the enum name as label; EnumAsStateSet: one 0/1 per state."""
IndexType = Literal["gauge", "DisplayString", "OctetString", "PhysAddress48", "IpAddress"]
"""How an index's sub-identifiers become a label: an integer, a length-prefixed string, hex, a MAC, an IPv4."""
LabelType = Literal["gauge", "DisplayString", "OctetString", "PhysAddress48", "IpAddress"]

SecurityLevel = Literal["noAuthNoPriv", "authNoPriv", "authPriv"]
AuthProtocol = Literal["MD5", "SHA", "SHA224", "SHA256", "SHA384", "SHA512"]
PrivProtocol = Literal["DES", "AES", "AES192", "AES256", "AES192C", "AES256C"]
"""As snmp_exporter (gosnmp) names them: AES192/AES256 extend keys as Blumenthal's draft, the C variants as
Reeder's (what Cisco implements)."""

DEFAULT_COMMUNITY = "public"
"""The community of a probe with no auth (snmp_exporter's ``public_v2``); a literal, not a secret, on purpose."""

_METRIC_NAME = re.compile(r"^[a-zA-Z_:][a-zA-Z0-9_:]*$")
_LABEL_NAME = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_]*$")
Problems = Iterator[tuple[PathKey, str]]


def _enum_problems(enum_values: dict[str, str], path: PathKey) -> Problems:
    for key in enum_values:
        if not key.lstrip("-").isdigit():
            yield (*path, key), "enum keys are the integer values the device sends"


def enum_map(enum_values: dict[str, str]) -> dict[int, str]:
    """Config keys (strings after YAML) as the integers a device sends."""
    return {int(k): v for k, v in enum_values.items()}


@dataclass(frozen=True)
class IndexDef:
    """One index of a table row: ``labelname`` gets the index sub-identifiers decoded as ``type``."""

    labelname: str
    type: IndexType = "gauge"

    def check(self) -> list[tuple[PathKey, str]]:
        return [] if _LABEL_NAME.match(self.labelname) else [(("labelname",), "not a valid Prometheus label name")]


@dataclass(frozen=True)
class LookupDef:
    """A label read from another column of the same row: ``ifIndex`` -> ``ifName`` (``oid`` + the index)."""

    labels: tuple[str, ...]
    """The index labels whose sub-identifiers, in this order, address the looked-up column."""
    labelname: str
    oid: Oid
    type: LabelType = "DisplayString"
    enum_values: dict[str, str] = field(default_factory=dict)
    """Show an integer column by name (``8`` -> ``celsius``)."""

    def check(self) -> list[tuple[PathKey, str]]:
        problems = list(_enum_problems(self.enum_values, ("enum_values",)))
        if not _LABEL_NAME.match(self.labelname):
            problems.append((("labelname",), "not a valid Prometheus label name"))
        if not self.labels:
            problems.append((("labels",), "name the index labels that address the looked-up column"))
        return problems


@dataclass(frozen=True)
class SensorScale:
    """ENTITY-SENSOR-MIB style values: ``value * 10^exponent(scale) / 10^precision``, both read per row."""

    scale: Oid
    """Column with the SI prefix enum (yocto(1) ... units(9) ... yotta(17))."""
    precision: Oid
    """Column with the number of decimal digits in the value (-8..9)."""


@dataclass(frozen=True)
class MetricDef:
    name: str
    oid: Oid
    type: MetricType = "gauge"
    help: str = ""
    indexes: tuple[IndexDef, ...] = ()
    lookups: tuple[LookupDef, ...] = ()
    enum_values: dict[str, str] = field(default_factory=dict)
    scale: float | None = None
    """Multiply the value (``0.1`` for a column in tenths of a volt)."""
    offset: float = 0.0
    sensor_scale: SensorScale | None = None

    def check(self) -> list[tuple[PathKey, str]]:
        problems = list(_enum_problems(self.enum_values, ("enum_values",)))
        if not _METRIC_NAME.match(self.name):
            problems.append((("name",), "not a valid Prometheus metric name"))
        numeric = self.type in ("gauge", "counter")
        if self.type.startswith("Enum") and not self.enum_values:
            problems.append((("enum_values",), f"type {self.type} needs enum_values (number: name)"))
        if not numeric and (self.scale is not None or self.offset or self.sensor_scale is not None):
            problems.append((("type",), "scale, offset and sensor_scale apply to gauge and counter metrics only"))
        index_labels = [i.labelname for i in self.indexes]
        for n, lookup in enumerate(self.lookups):
            unknown = [label for label in lookup.labels if label not in index_labels]
            if unknown:
                problems.append((("lookups", n, "labels"), f"not an index label of this metric: {', '.join(unknown)}"))
        names = [*index_labels, *(lk.labelname for lk in self.lookups)]
        if not numeric and not self.type.startswith("Enum"):
            names.append(self.name)
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            problems.append((("indexes",), f"label names used twice: {', '.join(duplicates)}"))
        return problems


@dataclass(frozen=True)
class Settings:
    """The ``snmp:`` block of a module."""

    walk: tuple[Oid, ...] = ()
    """Subtrees read with GETBULK (GETNEXT for v1); only the columns the metrics and lookups use are requested."""
    get: tuple[Oid, ...] = ()
    """Scalar instances read with GET (``1.3.6.1.2.1.1.3.0``)."""
    metrics: tuple[MetricDef, ...] = ()
    lookups: tuple[LookupDef, ...] = ()
    """Lookups applied to every metric that has the named index labels (saves repeating them per metric)."""
    max_repetitions: int | None = None
    """Overrides the auth's GETBULK size for devices that choke on large responses."""
    parallel: int = 4
    """Request chains in flight per probe: walks are split at column boundaries to fill them."""

    def check(self) -> list[tuple[PathKey, str]]:
        problems: list[tuple[PathKey, str]] = []
        if not self.metrics:
            problems.append((("metrics",), "a module needs at least one metric"))
        if self.parallel < 1:
            problems.append((("parallel",), "must be at least 1"))
        if self.max_repetitions is not None and not 1 <= self.max_repetitions <= 1000:
            problems.append((("max_repetitions",), "must be between 1 and 1000"))
        problems.extend(self._walk_problems())
        seen: dict[str, int] = {}
        for n, metric in enumerate(self.metrics):
            if metric.name in seen:
                problems.append((("metrics", n, "name"), f"also defined as metrics[{seen[metric.name]}]"))
            seen.setdefault(metric.name, n)
            problems.extend((("metrics", n, *path), message) for path, message in self._coverage(metric))
        for k, lookup in enumerate(self.lookups):
            if not self.covers(lookup.oid.arcs, scalar=False):
                problems.append((("lookups", k, "oid"), f"{lookup.oid} is under no `walk:` entry"))
        return problems

    def _coverage(self, metric: MetricDef) -> Problems:
        """Every OID a metric reads must be requested by some ``walk:`` or ``get:`` entry."""
        if not self.covers(metric.oid.arcs, scalar=not metric.indexes):
            yield ("oid",), f"{metric.oid} is under no `walk:` or `get:` entry"
        for k, lookup in enumerate(metric.lookups):
            if not self.covers(lookup.oid.arcs, scalar=False):
                yield ("lookups", k, "oid"), f"{lookup.oid} is under no `walk:` entry"
        if metric.sensor_scale is not None:
            for part in ("scale", "precision"):
                oid: Oid = getattr(metric.sensor_scale, part)
                if not self.covers(oid.arcs, scalar=False):
                    yield ("sensor_scale", part), f"{oid} is under no `walk:` entry"

    def _walk_problems(self) -> Problems:
        for n, oid in enumerate(self.walk):
            for m, other in enumerate(self.walk):
                if m != n and is_under(oid.arcs, other.arcs) and (oid != other or m < n):
                    yield ("walk", n), f"{oid} is already read by walk[{m}] ({other})"
                    break
        for n, oid in enumerate(self.get):
            if any(is_under(oid.arcs, w.arcs) for w in self.walk):
                yield ("get", n), f"{oid} is already read by a `walk:` entry"

    def covers(self, arcs: OidTuple, scalar: bool) -> bool:
        """Whether some request reads ``arcs`` (a scalar may also come from a ``get:`` of ``arcs.0``)."""
        if any(is_under(arcs, w.arcs) for w in self.walk):
            return True
        return scalar and any(is_under(g.arcs, arcs) for g in self.get)


@dataclass(frozen=True)
class Auth:
    """An ``auths:`` entry with ``type: snmp``: protocol version, credentials and transport knobs.

    Secrets (community, passwords) are references (``env:``/``file:``), read at each probe.
    """

    version: str = "2c"
    """``1``, ``2c`` (or ``2``) or ``3``."""
    community: SecretRef | None = None
    username: str = ""
    security_level: SecurityLevel = "noAuthNoPriv"
    auth_protocol: AuthProtocol | None = None
    auth_password: SecretRef | None = None
    priv_protocol: PrivProtocol | None = None
    priv_password: SecretRef | None = None
    context_name: str = ""
    port: int = 161
    """Port when the target gives none (``10.0.0.5`` rather than ``10.0.0.5:1161``)."""
    retries: int = 1
    """Resends of a request that got no answer (the probe's deadline still bounds the whole walk)."""
    max_repetitions: int = 25
    """Rows per GETBULK request (snmp_exporter's default); v1 has no GETBULK and walks with GETNEXT."""

    @property
    def snmp_version(self) -> Literal["1", "2c", "3"]:
        return "1" if self.version == "1" else "3" if self.version == "3" else "2c"

    def check(self) -> list[tuple[PathKey, str]]:
        if self.version not in ("1", "2", "2c", "3"):
            return [(("version",), f"expected 1, 2c or 3, got {self.version!r}")]
        problems = list(self._credential_problems())
        if not 0 < self.port < 65536:
            problems.append((("port",), "expected a port between 1 and 65535"))
        if not 0 <= self.retries <= 10:
            problems.append((("retries",), "must be between 0 and 10"))
        if not 1 <= self.max_repetitions <= 1000:
            problems.append((("max_repetitions",), "must be between 1 and 1000"))
        return problems

    def _credential_problems(self) -> Problems:
        v3_fields = ("username", "auth_protocol", "auth_password", "priv_protocol", "priv_password")
        if self.snmp_version != "3":
            if self.community is None:
                yield ("community",), f"SNMP v{self.snmp_version} needs a community (env:NAME or file:/path)"
            for name in v3_fields:
                if getattr(self, name):
                    yield (name,), "only used with version 3"
            return
        if self.community is not None:
            yield ("community",), "SNMP v3 uses username and passwords, not a community"
        if not self.username:
            yield ("username",), "SNMP v3 needs a username"
        needs_auth = self.security_level in ("authNoPriv", "authPriv")
        needs_priv = self.security_level == "authPriv"
        for name, needed in (
            ("auth_protocol", needs_auth),
            ("auth_password", needs_auth),
            ("priv_protocol", needs_priv),
            ("priv_password", needs_priv),
        ):
            if needed and getattr(self, name) is None:
                yield (name,), f"required with security_level {self.security_level}"
            elif not needed and getattr(self, name) is not None:
                yield (name,), f"not used with security_level {self.security_level}"
