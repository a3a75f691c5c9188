"""The inventory: assets and the dependency graph between them, kept as YAML in git (a small CMDB).

Scrape configs are generated from it (each target labelled with tenant, site, rack, role and asset id),
log events are resolved to assets through it, and root-cause analysis walks its edges.

    defaults: {tenant: acme, site: msk-1}
    assets:
      - id: srv-db-03
        kind: host
        rack: R3
        role: database
        criticality: high
        addresses: [10.0.3.13, srv-db-03.example.net]
        exporter: 10.0.3.13:10121          # an InfraMind or node exporter runs on it
        labels: {env: prod}
        slo: {availability_ratio: 0.999}
        depends: {runs-on: hv-01, uses-lun: [lun-12], powered-by: [pdu-a1, pdu-a2]}
      - id: bmc-db-03
        kind: bmc
        addresses: [10.0.100.13]
        module: redfish                    # scraped through the exporter's /probe
        auth: bmc_dell
"""

from __future__ import annotations

import functools
import re
import zoneinfo
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, cast, get_args

from inframind.schema import ConfigError, HostPort, Issue, Origin, PathKey, build, load_yaml_file

AssetKind = Literal[
    "host",
    "vm",
    "hypervisor",
    "bmc",
    "switch",
    "router",
    "firewall",
    "shelf",
    "storage",
    "controller",
    "disk",
    "lun",
    "ups",
    "pdu",
    "cooling",
    "rack",
    "service",
    "windows",
]
EdgeKind = Literal["runs-on", "powered-by", "cooled-by", "uses-lun", "in-rack", "connected-to"]
Criticality = Literal["low", "medium", "high", "critical"]
EDGE_KINDS: tuple[str, ...] = get_args(EdgeKind)

_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]*$")
_LABEL = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_]*$")
RESERVED_LABELS = frozenset({"tenant", "site", "rack", "role", "asset", "asset_kind", "job", "instance", "module"})
"""Target labels the generated scrape configs set themselves; free labels may not reuse them."""


@dataclass(frozen=True)
class Defaults:
    tenant: str = "default"
    site: str = ""


def _valid_zone(name: str) -> bool:
    if re.fullmatch(r"UTC|[+-]\d{2}:?\d{2}", name):
        return True
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return False
    return True


@dataclass(frozen=True)
class Asset:
    id: str
    kind: AssetKind
    tenant: str = ""
    site: str = ""
    rack: str = ""
    role: str = ""
    criticality: Criticality = "medium"
    addresses: tuple[str, ...] = ()
    exporter: HostPort | None = None
    """Address of an exporter running on the asset, scraped directly at /metrics."""
    module: str | None = None
    """The exporter's /probe module that reaches this asset (snmp, redfish, ipmi, ssh ...)."""
    auth: str | None = None
    """The name of the exporter's ``auths:`` entry to probe with."""
    labels: Mapping[str, str] = field(default_factory=dict)
    timezone: str | None = None
    """Zone of the device's clock for logs that carry none (IPMI SEL, RFC 3164 syslog): ``Europe/Moscow`` or
    ``+03:00``; default UTC."""
    slo: Mapping[str, float] = field(default_factory=dict)
    depends: Mapping[str, tuple[str, ...] | str] = field(default_factory=dict)

    def check(self) -> Iterator[tuple[PathKey, str]]:
        if not _ID.match(self.id):
            yield ("id",), "expected letters, digits and . _ : - (starting with a letter or digit)"
        for name in self.labels:
            if not _LABEL.match(name):
                yield ("labels", name), "not a valid Prometheus label name ([a-zA-Z_][a-zA-Z0-9_]*)"
            elif name in RESERVED_LABELS:
                yield ("labels", name), f"reserved: the generated scrape config sets {name} itself"
        for kind in self.depends:
            if kind not in EDGE_KINDS:
                yield ("depends", kind), f"unknown dependency kind; expected one of: {', '.join(EDGE_KINDS)}"
        if self.timezone is not None and not _valid_zone(self.timezone):
            yield (
                ("timezone",),
                f"unknown time zone {self.timezone!r}; use an IANA name such as Europe/Moscow or +03:00",
            )
        if self.auth and not self.module:
            yield ("auth",), "an auth is only used with a probe module: set module too"
        if self.module and not self.addresses:
            yield ("addresses",), f"module {self.module} needs an address to probe"

    @property
    def address(self) -> str | None:
        return self.addresses[0] if self.addresses else None


@dataclass(frozen=True)
class Edge:
    source: str
    kind: EdgeKind
    target: str


@dataclass(frozen=True)
class InventoryFile:
    defaults: Defaults = Defaults()
    assets: tuple[Asset, ...] = ()


@dataclass(frozen=True)
class Inventory:
    assets: Mapping[str, Asset]
    edges: tuple[Edge, ...]
    source: str = "<memory>"

    def dependencies_of(self, asset_id: str) -> list[Edge]:
        """What ``asset_id`` depends on (outgoing edges)."""
        return [e for e in self.edges if e.source == asset_id]

    def dependents_of(self, asset_id: str) -> list[Edge]:
        """What depends on ``asset_id`` (incoming edges)."""
        return [e for e in self.edges if e.target == asset_id]

    @functools.cached_property
    def _by_name(self) -> dict[str, Asset]:
        index: dict[str, Asset] = {}
        for asset in self.assets.values():
            for name in (asset.id, *asset.addresses):
                index.setdefault(name.lower(), asset)
        return index

    def by_address(self, address: str) -> Asset | None:
        """The asset with this id, address or host name (case-insensitive), if any; O(1) per lookup,
        since log pipelines resolve every event."""
        return self._by_name.get(address.lower())

    def tenants(self) -> set[str]:
        return {a.tenant for a in self.assets.values()}


def _edges(asset: Asset) -> Iterator[tuple[str, str, int | None]]:
    for kind, targets in asset.depends.items():
        if isinstance(targets, str):
            yield kind, targets, None
        else:
            for i, target in enumerate(targets):
                yield kind, target, i


def _find_cycle(edges: list[Edge]) -> list[str] | None:
    """A dependency cycle (ignoring the symmetric connected-to), or None. RCA cannot walk a cycle."""
    graph: dict[str, list[str]] = {}
    for e in edges:
        if e.kind != "connected-to":
            graph.setdefault(e.source, []).append(e.target)
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in graph.get(node, []):
            if state.get(nxt) == 1:
                return [*stack[stack.index(nxt) :], nxt]
            if nxt not in state and (cycle := visit(nxt)):
                return cycle
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (cycle := visit(node)):
            return cycle
    return None


def inventory_from_data(data: Any, origin: Origin | None = None) -> Inventory:
    """Validate parsed YAML into an Inventory; raises ConfigError naming each asset and field."""
    origin = origin or Origin()
    try:
        parsed = build(InventoryFile, data if data is not None else {}, origin)
    except ConfigError as exc:
        raise ConfigError([_name_asset(issue, data) for issue in exc.issues]) from None
    issues: list[Issue] = []
    assets: dict[str, Asset] = {}
    first_index: dict[str, int] = {}
    for i, asset in enumerate(parsed.assets):
        if asset.id in assets:
            issues.append(
                origin.issue(
                    ("assets", i, "id"), f"duplicate asset id {asset.id!r} (first at assets[{first_index[asset.id]}])"
                )
            )
            continue
        first_index[asset.id] = i
        tenant = asset.tenant or parsed.defaults.tenant
        site = asset.site or parsed.defaults.site
        assets[asset.id] = Asset(**{**asset.__dict__, "tenant": tenant, "site": site})
    edges: list[Edge] = []
    for i, asset in enumerate(parsed.assets):
        for kind, target, j in _edges(asset):
            where: PathKey = ("assets", i, "depends", kind) + ((j,) if j is not None else ())
            if target not in assets:
                issues.append(origin.issue(where, f"asset {asset.id!r} depends on unknown asset {target!r}"))
            elif target == asset.id:
                issues.append(origin.issue(where, f"asset {asset.id!r} cannot depend on itself"))
            else:
                edges.append(Edge(asset.id, cast(EdgeKind, kind), target))  # kind checked by Asset.check
    cycle = _find_cycle(edges)
    if cycle:
        issues.append(Issue(origin.source, None, "assets", "dependency cycle: " + " -> ".join(cycle)))
    if issues:
        raise ConfigError(issues)
    return Inventory(assets, tuple(dict.fromkeys(edges)), origin.source)


def _name_asset(issue: Issue, data: Any) -> Issue:
    """Put the asset's id beside its index, so ``assets[41]`` reads ``assets[41] (srv-db-03)``."""
    m = re.match(r"^assets\[(\d+)\]", issue.field)
    if not m or not isinstance(data, dict) or not isinstance(data.get("assets"), list):
        return issue
    index = int(m.group(1))
    raw = data["assets"][index] if index < len(data["assets"]) else None
    asset_id = raw.get("id") if isinstance(raw, dict) else None
    if not asset_id:
        return issue
    return Issue(issue.source, issue.line, f"{m.group(0)} ({asset_id}){issue.field[m.end() :]}", issue.message)


def load_inventory(path: str | Path) -> Inventory:
    data, origin = load_yaml_file(path)
    return inventory_from_data(data, origin)
