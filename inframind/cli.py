"""The ``inframind`` command. Each subcommand only parses options and calls library code.

Imports of heavy parts happen inside the commands, so ``inframind exporter`` on a monitored host never
loads the analyzer's stack, and ``--help`` is instant.
"""

from __future__ import annotations

import dataclasses
import sys
from collections.abc import Callable
from typing import Any

import click

from inframind import __version__
from inframind.cli_common import CONFIG_HELP, fail, load
from inframind.config import Config
from inframind.schema import ConfigError, HostPort


def _listen_option(what: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    return click.option("--listen", metavar="HOST:PORT", help=f"Address {what} listens on (overrides config).")


def _parse_listen(value: str | None) -> HostPort | None:
    if value is None:
        return None
    try:
        return HostPort.parse(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--listen") from None


def _setup_logging(config: Config, level: str | None) -> None:
    from inframind.logsetup import setup_logging

    setup_logging(level or config.log.level, config.log.format)


def _serve(config_path: str | None, log_level: str | None, run: Callable[[Config], object]) -> None:
    """Load config, set up logging, run a long-lived service; its startup errors become clear exits."""
    from inframind.secrets import SecretError

    config = load(config_path)
    _setup_logging(config, log_level)
    try:
        run(config)
    except ConfigError as exc:
        fail(f"configuration error:\n{exc}")
    except SecretError as exc:
        fail(f"error: {exc}")
    except OSError as exc:
        fail(f"error: {exc.strerror or exc}")


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 110})
@click.version_option(__version__, prog_name="inframind")
def main() -> None:
    """InfraMind Monitor: collect metrics and logs, watch them with rules, explain what breaks.

    Start everything locally with `inframind up`; run `inframind COMMAND --help` for details.
    """


@main.command()
def version() -> None:
    """Print the version."""
    click.echo(f"inframind {__version__}")


# ---------------------------------------------------------------- config


@main.group("config")
def config_group() -> None:
    """Validate and show configuration."""


@config_group.command("check")
@click.option("--config", "config_path", metavar="FILE", help=CONFIG_HELP)
def config_check(config_path: str | None) -> None:
    """Validate the config (and the web config and inventory it names) without starting anything."""
    from inframind.checks import check_config

    try:
        summary = check_config(config_path)
    except ConfigError as exc:
        fail(f"configuration error:\n{exc}")
    click.echo(summary)


@config_group.command("show")
@click.option("--config", "config_path", metavar="FILE", help=CONFIG_HELP)
def config_show(config_path: str | None) -> None:
    """Print the effective config (file + environment + defaults) as YAML. Secrets show as references."""
    import yaml

    from inframind.schema import to_plain

    config = load(config_path)
    click.echo(yaml.safe_dump(to_plain(config), sort_keys=False), nl=False)


# ---------------------------------------------------------------- exporter


def _collector_flags(func: Callable[..., Any]) -> Callable[..., Any]:
    from inframind.exporters.registry import AVAILABLE

    for spec in reversed(AVAILABLE):
        state = "on" if spec.default else "off"
        func = click.option(
            f"--collector.{spec.name}/--no-collector.{spec.name}",
            f"collector_{spec.name}",
            default=None,
            help=f"{spec.help} (default {state}).",
        )(func)
    return func


@main.command()
@click.option("--config", "config_path", metavar="FILE", help=CONFIG_HELP)
@_listen_option("the exporter")
@click.option(
    "--web.config.file",
    "web_config_file",
    metavar="FILE",
    help="TLS and basic auth config, in the Prometheus exporter-toolkit format.",
)
@click.option("--path.procfs", "procfs", metavar="DIR", help="procfs mount point (default /proc).")
@click.option("--path.sysfs", "sysfs", metavar="DIR", help="sysfs mount point (default /sys).")
@click.option("--path.rootfs", "rootfs", metavar="DIR", help="rootfs mount point (default /).")
@click.option("--path.udev.data", "udev_data", metavar="DIR", help="udev data path (default /run/udev/data).")
@click.option("--log.level", "log_level", type=click.Choice(["debug", "info", "warning", "error"]))
@_collector_flags
def exporter(
    config_path: str | None,
    listen: str | None,
    web_config_file: str | None,
    procfs: str | None,
    sysfs: str | None,
    rootfs: str | None,
    udev_data: str | None,
    log_level: str | None,
    **collector_flags: bool | None,
) -> None:
    """Run the host exporter: node_exporter-compatible metrics (and SMART) on /metrics.

    Collectors are switched with --collector.NAME / --no-collector.NAME, or `exporter.collectors` in config.
    """
    from inframind.exporters.app import build_exporter, run_exporter

    config = load(config_path)
    paths = {
        k: v
        for k, v in {"procfs": procfs, "sysfs": sysfs, "rootfs": rootfs, "udev_data": udev_data}.items()
        if v is not None
    }
    if paths:
        exporter_cfg = dataclasses.replace(config.exporter, paths=dataclasses.replace(config.exporter.paths, **paths))
        config = _with(config, exporter=exporter_cfg)
    flags = {k.removeprefix("collector_"): v for k, v in collector_flags.items() if v is not None}
    _setup_logging(config, log_level)
    try:
        app = build_exporter(config, flags, _parse_listen(listen), web_config_file)
        app.http.bind()
    except ConfigError as exc:
        fail(f"configuration error:\n{exc}")
    except OSError as exc:
        fail(f"error: {exc.strerror or exc}")
    run_exporter(app)


def _with(config: Config, **changes: Any) -> Config:
    new = dataclasses.replace(config, **changes)
    object.__setattr__(new, "origin", config.origin)
    return new


# ---------------------------------------------------------------- analyzer


@main.command()
@click.option("--config", "config_path", metavar="FILE", help=CONFIG_HELP)
@_listen_option("the analyzer API")
@click.option("--log.level", "log_level", type=click.Choice(["debug", "info", "warning", "error"]))
def analyzer(config_path: str | None, listen: str | None, log_level: str | None) -> None:
    """Run the analyzer: REST API (OpenAPI at /docs), /health and /metrics."""
    from inframind.analyzer.service import run_analyzer

    address = _parse_listen(listen)
    _serve(config_path, log_level, lambda config: run_analyzer(config, address))


# ---------------------------------------------------------------- agent


@main.command()
@click.option("--config", "config_path", metavar="FILE", help=CONFIG_HELP)
@_listen_option("the agent's /metrics")
@click.option("--log.level", "log_level", type=click.Choice(["debug", "info", "warning", "error"]))
def agent(config_path: str | None, listen: str | None, log_level: str | None) -> None:
    """Run the agent: tail files and read journald, syslog, SNMP traps, BMC event logs and Windows EventLog as
    configured, and ship the events to the log store or the analyzer (agent.sink).

    Events wait in a disk buffer under agent.state_dir while the sink is down; counters are on /metrics.
    """
    from inframind.agent.app import run_agent

    address = _parse_listen(listen)
    _serve(config_path, log_level, lambda config: run_agent(config, address))


# ---------------------------------------------------------------- local stack


@main.command()
@click.option("--config", "config_path", metavar="FILE", help=CONFIG_HELP)
@_listen_option("the analyzer API of the stack")
@click.option("--log.level", "log_level", type=click.Choice(["debug", "info", "warning", "error"]))
def up(config_path: str | None, listen: str | None, log_level: str | None) -> None:
    """Start the local stack on 127.0.0.1: VictoriaMetrics, vmalert, Alertmanager, exporter, analyzer.

    Data lives under ./var/ (stack.data_dir). Ctrl-C stops everything; a crashed child is restarted with backoff.
    """
    from inframind.stack import StackError, run_stack

    config = load(config_path)
    _setup_logging(config, log_level)
    try:
        code = run_stack(config, config_path=config_path, analyzer_listen=_parse_listen(listen))
    except ConfigError as exc:
        fail(f"configuration error:\n{exc}")
    except StackError as exc:
        fail(f"error: {exc}")
    sys.exit(code)


# ---------------------------------------------------------------- inventory


@main.group("logs")
def logs_group() -> None:
    """Work with log files and the log store."""


@logs_group.command("templates")
@click.argument("path", metavar="FILE")
@click.option(
    "--format",
    "fmt",
    default="raw",
    show_default=True,
    metavar="FORMAT",
    help="raw, syslog, journald, eventlog, or loghub:'<Date> <Time> <Level> <Component>: <Content>' "
    "(a header layout whose <Content> is the message).",
)
@click.option("--top", type=int, default=None, metavar="N", help="Show only the N most frequent templates.")
def logs_templates(path: str, fmt: str, top: int | None) -> None:
    """Mine the templates of a log FILE (plain or .gz, `-` for stdin) and print them with their counts."""
    from inframind.analyzer.template_report import format_rows, template_report

    try:
        rows = template_report(path, fmt, progress=sys.stderr)
    except (OSError, ValueError) as exc:
        fail(f"error: {exc}")
    click.echo(format_rows(rows, top))


# ---------------------------------------------------------------- rules


@main.group("rules")
def rules_group() -> None:
    """Alerting, recording and log rules."""


@rules_group.command("check")
@click.argument("rules_dir", default="rules", required=False)
def rules_check(rules_dir: str) -> None:
    """Check every rule file under RULES_DIR: promtool check and unit tests, vmalert -dryRun, log rules."""
    from inframind.rulecheck import check_rules

    results = check_rules(rules_dir)
    for result in results:
        click.echo(f"{'ok  ' if result.ok else 'FAIL'}  {result.name}")
        if result.detail and (not result.ok or "valid" in result.detail):
            click.echo("      " + result.detail.replace("\n", "\n      "))
    if not all(r.ok for r in results):
        sys.exit(1)


# ---------------------------------------------------------------- tokens


def _register_commands() -> None:
    """Command groups that live in their own modules (each imports only click at module level)."""
    from inframind import cli_access, cli_demo, cli_inventory, cli_report, cli_secrets
    from inframind.dashboards.cli import register as register_dashboards

    cli_access.register(main)
    cli_inventory.register(main)
    cli_demo.register(main)
    cli_report.register(main)
    cli_secrets.register(main)
    register_dashboards(main)


_register_commands()


if __name__ == "__main__":  # pragma: no cover
    main()
