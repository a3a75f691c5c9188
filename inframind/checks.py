"""`inframind config check`: validate everything a config names, without starting anything."""

from __future__ import annotations

from pathlib import Path

from inframind.config import load_config
from inframind.schema import ConfigError, Issue


def check_config(path: str | None) -> str:
    """Load and cross-check the config; returns a summary, raises ConfigError with every issue."""
    from inframind.exporters.registry import enabled_names

    config = load_config(path)
    issues: list[Issue] = []
    lines = [f"config: {config.origin.source}"]
    try:
        names = enabled_names(config.exporter, origin=config.origin)
        lines.append(f"exporter: listen {config.exporter.listen}, collectors: {', '.join(names)}")
    except ConfigError as exc:
        issues.extend(exc.issues)
    from inframind.exporters.probe.config import load_probe_config

    try:
        probe = load_probe_config(config.exporter, config.origin)
        lines.append(
            f"probe: {len(probe.modules)} modules ({', '.join(sorted(probe.modules))}), {len(probe.auths)} auths"
        )
    except ConfigError as exc:
        issues.extend(exc.issues)
    if config.exporter.web_config_file:
        from inframind.exporters.webconfig import load_web_config

        try:
            load_web_config(config.exporter.web_config_file)
            lines.append(f"web config: {config.exporter.web_config_file}")
        except ConfigError as exc:
            issues.extend(exc.issues)
    if config.inventory:
        from inframind.inventory import load_inventory

        try:
            inventory = load_inventory(config.inventory)
            lines.append(f"inventory: {config.inventory} ({len(inventory.assets)} assets)")
        except ConfigError as exc:
            issues.extend(exc.issues)
    lines.append(f"analyzer: listen {config.analyzer.listen}, {len(config.analyzer.tokens)} API tokens")
    lines.append(f"stack: data under {Path(config.stack.data_dir).resolve()}")
    if issues:
        raise ConfigError(issues)
    return "\n".join([*lines, "OK"])
