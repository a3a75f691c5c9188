"""The whole config and its loading: one YAML file plus ``INFRAMIND__SECTION__FIELD`` environment overrides."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import yaml

from inframind.config.agent import AgentConfig
from inframind.config.analyzer import AnalyzerConfig
from inframind.config.exporter import ExporterConfig
from inframind.config.logstore import LogStoreConfig
from inframind.config.security import SecurityConfig
from inframind.config.stack import StackConfig
from inframind.config.tenancy import TenancyConfig
from inframind.schema import ConfigError, Issue, Origin, PathKey, build, load_yaml_file

DEFAULT_CONFIG_FILE = "inframind.yml"
ENV_PREFIX = "INFRAMIND__"


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
    logstore: LogStoreConfig = LogStoreConfig()
    stack: StackConfig = StackConfig()
    tenancy: TenancyConfig = TenancyConfig()
    security: SecurityConfig = SecurityConfig()
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
