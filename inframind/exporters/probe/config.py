"""``modules:`` and ``auths:`` for /probe: shipped modules merged with the user's, validated per prober.

Kept apart as in snmp_exporter: a module says *what* to collect, an auth says *with which credentials*,
so one ``if_mib`` module serves switches with different communities. A module looks like::

    modules:
      redfish_idrac:
        prober: redfish          # which protocol
        timeout: 45s             # bounded further by the scraper's X-Prometheus-Scrape-Timeout-Seconds
        auth: idrac              # default auth; a scrape may pass &auth= instead
        max_concurrency: 8       # probes of this module in flight at once
        cache: {interval: 2m}    # optional background polling for slow targets
        redfish: {...}           # the prober's own settings, under its name

Shipped modules live in ``modules/*.yml`` beside this file; a user module of the same name replaces one.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from inframind.config import ExporterConfig, ProbeSettings
from inframind.exporters.probe.base import PROBERS
from inframind.schema import ConfigError, Duration, Issue, Origin, PathKey, build, load_yaml_file

SHIPPED_DIR = Path(__file__).with_name("modules")
COMMON_KEYS = ("prober", "timeout", "auth", "max_concurrency", "cache")


@dataclass(frozen=True)
class CacheSettings:
    interval: Duration
    """Poll the target in the background this often; scrapes get the latest result and its age."""
    idle_stop: Duration = 900.0
    """Stop polling a target no scrape has asked for in this long."""

    def check(self) -> list[tuple[PathKey, str]]:
        return [(("interval",), "must be at least 1s")] if self.interval < 1 else []


@dataclass(frozen=True)
class ModuleCommon:
    prober: str
    timeout: Duration = 10.0
    auth: str | None = None
    max_concurrency: int = 16
    cache: CacheSettings | None = None

    def check(self) -> list[tuple[PathKey, str]]:
        problems: list[tuple[PathKey, str]] = []
        if self.prober not in PROBERS:
            problems.append((("prober",), f"unknown prober {self.prober!r}; expected one of: {', '.join(PROBERS)}"))
        if self.timeout <= 0:
            problems.append((("timeout",), "must be positive"))
        if self.max_concurrency < 1:
            problems.append((("max_concurrency",), "must be at least 1"))
        return problems


@dataclass(frozen=True)
class Module:
    name: str
    prober: str
    timeout: float
    auth: str | None
    max_concurrency: int
    cache: CacheSettings | None
    settings: Any


@dataclass(frozen=True)
class Auth:
    name: str
    type: str
    settings: Any


@dataclass(frozen=True)
class ProbeConfig:
    modules: Mapping[str, Module]
    auths: Mapping[str, Auth]
    settings: ProbeSettings


def shipped_modules() -> list[tuple[str, Any, Origin]]:
    """Every shipped module definition with the origin of its file (for located errors)."""
    found: list[tuple[str, Any, Origin]] = []
    for path in sorted(SHIPPED_DIR.glob("*.yml")):
        data, origin = load_yaml_file(path)
        for name, definition in (data or {}).items():
            found.append((str(name), definition, Origin(origin.source, _rebase(origin.lines, name))))
    return found


def _rebase(lines: Mapping[PathKey, int], name: str) -> dict[PathKey, int]:
    """Lines of a shipped file keyed as if the module sat under exporter.modules (one path scheme)."""
    return {("exporter", "modules", *key): line for key, line in lines.items() if key[:1] == (name,)}


def _build_module(name: str, raw: Any, origin: Origin, issues: list[Issue]) -> Module | None:
    path: PathKey = ("exporter", "modules", name)
    if not isinstance(raw, dict):
        issues.append(origin.issue(path, "expected a mapping with at least `prober:`"))
        return None
    common_raw = {k: v for k, v in raw.items() if k in COMMON_KEYS}
    try:
        common = build(ModuleCommon, common_raw, origin, path)
    except ConfigError as exc:
        issues.extend(exc.issues)
        return None
    extra = [k for k in raw if k not in COMMON_KEYS and k != common.prober]
    for key in extra:
        issues.append(
            origin.issue(
                (*path, str(key)),
                f"unknown field; the {common.prober} settings go under "
                f"`{common.prober}:`, besides {', '.join(COMMON_KEYS)}",
            )
        )
    try:
        settings = build(
            PROBERS[common.prober].settings_type(), raw.get(common.prober) or {}, origin, (*path, common.prober)
        )
    except ConfigError as exc:
        issues.extend(exc.issues)
        return None
    if extra:
        return None
    return Module(name, common.prober, common.timeout, common.auth, common.max_concurrency, common.cache, settings)


def _build_auth(name: str, raw: Any, origin: Origin, issues: list[Issue]) -> Auth | None:
    path: PathKey = ("exporter", "auths", name)
    kind = str(raw.get("type")) if isinstance(raw, dict) else ""
    auth_type = PROBERS[kind].auth_type() if kind in PROBERS else None
    if auth_type is None:
        kinds = ", ".join(n for n in PROBERS if n != "tcp")
        issues.append(origin.issue((*path, "type"), f"expected `type:` naming a prober with credentials: {kinds}"))
        return None
    try:
        settings = build(auth_type, {k: v for k, v in raw.items() if k != "type"}, origin, path)
    except ConfigError as exc:
        issues.extend(exc.issues)
        return None
    return Auth(name, kind, settings)


def load_probe_config(exporter: ExporterConfig, origin: Origin | None = None) -> ProbeConfig:
    """Validate shipped and user modules and the auths; raises ConfigError listing every issue."""
    origin = origin or Origin()
    issues: list[Issue] = []
    definitions: dict[str, tuple[Any, Origin]] = {name: (d, o) for name, d, o in shipped_modules()}
    definitions.update({name: (d, origin) for name, d in exporter.modules.items()})
    modules = {
        name: module
        for name, (raw, where) in sorted(definitions.items())
        if (module := _build_module(name, raw, where, issues)) is not None
    }
    auths = {
        name: auth
        for name, raw in sorted(exporter.auths.items())
        if (auth := _build_auth(name, raw, origin, issues)) is not None
    }
    for module in modules.values():
        if module.auth is None:
            continue
        where = definitions[module.name][1]
        auth = auths.get(module.auth)
        if auth is None and module.auth not in exporter.auths:
            issues.append(
                where.issue(
                    ("exporter", "modules", module.name, "auth"), f"no auth named {module.auth!r} in exporter.auths"
                )
            )
        elif auth is not None and auth.type != module.prober:
            issues.append(
                where.issue(
                    ("exporter", "modules", module.name, "auth"),
                    f"auth {module.auth!r} is for {auth.type}, this module uses {module.prober}",
                )
            )
    if issues:
        raise ConfigError(issues)
    return ProbeConfig(modules, auths, exporter.probe)
