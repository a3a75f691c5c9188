"""``inframind inventory`` and ``inframind targets``: the inventory in git, checked, and turned into scrape configs."""

from __future__ import annotations

from pathlib import Path

import click

from inframind.cli_common import CONFIG_HELP, fail, load
from inframind.schema import ConfigError


@click.group("inventory")
def inventory_group() -> None:
    """Work with the inventory (assets and their dependencies)."""


@inventory_group.command("check")
@click.argument("path", required=False)
@click.option("--config", "config_path", metavar="FILE", help=CONFIG_HELP)
def inventory_check(path: str | None, config_path: str | None) -> None:
    """Validate an inventory file (default: the one named by the config's `inventory:`)."""
    from inframind.inventory import load_inventory

    if path is None:
        path = load(config_path).inventory
        if path is None:
            fail("no inventory given: pass a PATH or set `inventory:` in the config")
    try:
        inventory = load_inventory(path)
    except ConfigError as exc:
        fail(f"inventory error:\n{exc}")
    click.echo(f"{path}: OK, {len(inventory.assets)} assets, {len(inventory.edges)} dependencies")


# ---------------------------------------------------------------- targets


@click.group("targets")
def targets_group() -> None:
    """Scrape targets generated from the inventory."""


@targets_group.command("scrape-config")
@click.option("--inventory", "inventory_path", metavar="FILE", help="Inventory (default: the config's `inventory:`).")
@click.option("--config", "config_path", metavar="FILE", help=CONFIG_HELP)
@click.option(
    "--exporter",
    "probe_exporter",
    metavar="HOST:PORT",
    default=None,
    help="The exporter whose /probe reaches devices (default: 127.0.0.1 and exporter.listen's port).",
)
@click.option(
    "--file-sd",
    "file_sd_dir",
    metavar="DIR",
    help="Write each job's targets to DIR/<job>.json (file_sd) and reference them from the config.",
)
@click.option("--output", "-o", "output", metavar="FILE", help="Write the scrape config here instead of stdout.")
def targets_scrape_config(
    inventory_path: str | None,
    config_path: str | None,
    probe_exporter: str | None,
    file_sd_dir: str | None,
    output: str | None,
) -> None:
    """Print a Prometheus/vmagent scrape config for the inventory's assets.

    Assets with `exporter:` are scraped directly (job `node`); assets with `module:` go through the
    exporter's /probe (jobs `probe_<module>`) with the standard relabeling. Every target is labelled with
    tenant, site, rack, role and asset.
    """
    import json

    import yaml

    from inframind.inventory import load_inventory
    from inframind.targets import TargetSettings, scrape_config, to_file_sd

    config = load(config_path)
    path = inventory_path or config.inventory
    if path is None:
        fail("no inventory given: pass --inventory FILE or set `inventory:` in the config")
    try:
        inventory = load_inventory(path)
    except ConfigError as exc:
        fail(f"inventory error:\n{exc}")
    listen = config.exporter.listen
    exporter_address = probe_exporter or f"{listen.url_host}:{listen.port}"
    from inframind.exporters.probe.config import load_probe_config

    try:
        probe = load_probe_config(config.exporter, config.origin)
    except ConfigError as exc:
        fail(f"configuration error:\n{exc}")
    settings = TargetSettings(
        probe_exporter=exporter_address,
        scrape_interval=config.stack.scrape_interval,
        module_timeouts={name: module.timeout for name, module in probe.modules.items()},
    )
    generated = scrape_config(inventory, settings)
    if file_sd_dir:
        generated, files = to_file_sd(generated, str(Path(file_sd_dir).resolve()))
        Path(file_sd_dir).mkdir(parents=True, exist_ok=True)
        for name, groups in files.items():
            (Path(file_sd_dir) / name).write_text(json.dumps(groups, indent=2) + "\n")
    text = yaml.safe_dump(generated, sort_keys=False)
    if output:
        Path(output).write_text(text)
        click.echo(f"wrote {output}", err=True)
    else:
        click.echo(text, nl=False)


# ---------------------------------------------------------------- logs


def register(main: click.Group) -> None:
    """Add ``inframind inventory`` and ``inframind targets`` to the CLI."""
    main.add_command(inventory_group)
    main.add_command(targets_group)
