"""The ``inframind`` command. Each subcommand only parses options and calls library code.

Imports of heavy parts happen inside the commands, so ``inframind exporter`` on a monitored host never
loads the analyzer's stack, and ``--help`` is instant.
"""

from __future__ import annotations

import dataclasses
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, NoReturn

import click

from inframind import __version__
from inframind.config import ROLES, Config, load_config
from inframind.schema import ConfigError, HostPort

CONFIG_HELP = "YAML config file (default: ./inframind.yml if present, else built-in defaults)."


def _fail(message: str, code: int = 1) -> NoReturn:
    click.echo(message, err=True)
    sys.exit(code)


def _load(path: str | None) -> Config:
    try:
        return load_config(path)
    except ConfigError as exc:
        _fail(f"configuration error:\n{exc}")


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

    config = _load(config_path)
    _setup_logging(config, log_level)
    try:
        run(config)
    except ConfigError as exc:
        _fail(f"configuration error:\n{exc}")
    except SecretError as exc:
        _fail(f"error: {exc}")
    except OSError as exc:
        _fail(f"error: {exc.strerror or exc}")


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
        _fail(f"configuration error:\n{exc}")
    click.echo(summary)


@config_group.command("show")
@click.option("--config", "config_path", metavar="FILE", help=CONFIG_HELP)
def config_show(config_path: str | None) -> None:
    """Print the effective config (file + environment + defaults) as YAML. Secrets show as references."""
    import yaml

    from inframind.schema import to_plain

    config = _load(config_path)
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

    config = _load(config_path)
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
        _fail(f"configuration error:\n{exc}")
    except OSError as exc:
        _fail(f"error: {exc.strerror or exc}")
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

    config = _load(config_path)
    _setup_logging(config, log_level)
    try:
        code = run_stack(config, config_path=config_path, analyzer_listen=_parse_listen(listen))
    except ConfigError as exc:
        _fail(f"configuration error:\n{exc}")
    except StackError as exc:
        _fail(f"error: {exc}")
    sys.exit(code)


# ---------------------------------------------------------------- inventory


@main.group("inventory")
def inventory_group() -> None:
    """Work with the inventory (assets and their dependencies)."""


@inventory_group.command("check")
@click.argument("path", required=False)
@click.option("--config", "config_path", metavar="FILE", help=CONFIG_HELP)
def inventory_check(path: str | None, config_path: str | None) -> None:
    """Validate an inventory file (default: the one named by the config's `inventory:`)."""
    from inframind.inventory import load_inventory

    if path is None:
        path = _load(config_path).inventory
        if path is None:
            _fail("no inventory given: pass a PATH or set `inventory:` in the config")
    try:
        inventory = load_inventory(path)
    except ConfigError as exc:
        _fail(f"inventory error:\n{exc}")
    click.echo(f"{path}: OK, {len(inventory.assets)} assets, {len(inventory.edges)} dependencies")


# ---------------------------------------------------------------- targets


@main.group("targets")
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
    from pathlib import Path

    import yaml

    from inframind.inventory import load_inventory
    from inframind.targets import TargetSettings, scrape_config, to_file_sd

    config = _load(config_path)
    path = inventory_path or config.inventory
    if path is None:
        _fail("no inventory given: pass --inventory FILE or set `inventory:` in the config")
    try:
        inventory = load_inventory(path)
    except ConfigError as exc:
        _fail(f"inventory error:\n{exc}")
    listen = config.exporter.listen
    exporter_address = probe_exporter or f"{listen.url_host}:{listen.port}"
    from inframind.exporters.probe.config import load_probe_config

    try:
        probe = load_probe_config(config.exporter, config.origin)
    except ConfigError as exc:
        _fail(f"configuration error:\n{exc}")
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
        _fail(f"error: {exc}")
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


@main.group("tokens")
def tokens_group() -> None:
    """API tokens for the analyzer."""


@tokens_group.command("generate")
@click.option("--name", required=True, help="A name for the token (shown in logs and audit, never the token).")
@click.option("--role", type=click.Choice(ROLES), default="viewer", show_default=True)
@click.option("--tenant", default="default", show_default=True)
def tokens_generate(name: str, role: str, tenant: str) -> None:
    """Create a random token; prints it once and the config entry that holds only its hash."""
    from inframind.tokens import generate_token

    token, hashed = generate_token()
    click.echo(f"token (shown once, keep it secret): {token}", err=True)
    click.echo("add to inframind.yml under analyzer.tokens:")
    click.echo(f"  - name: {name}\n    hash: {hashed}\n    role: {role}\n    tenant: {tenant}")


def _token_file(config_path: str | None, path: str | None) -> Any:
    from inframind.tokenfile import TokenFile

    return TokenFile(path or _load(config_path).security.tokens_file)


@tokens_group.command("create")
@click.option("--name", required=True, help="A unique name (shown in logs and audit, never the token).")
@click.option("--role", type=click.Choice(ROLES), default="viewer", show_default=True)
@click.option("--tenant", default="default", show_default=True)
@click.option(
    "--expires",
    "lifetime",
    default="90d",
    show_default=True,
    help="Lifetime (e.g. 12h, 30d); 'never' only if you must.",
)
@click.option("--config", "config_path", type=click.Path(dir_okay=False), help=CONFIG_HELP)
@click.option("--file", "path", type=click.Path(dir_okay=False), help="Token file (default: security.tokens_file).")
def tokens_create(name: str, role: str, tenant: str, lifetime: str, config_path: str | None, path: str | None) -> None:
    """Create a token in the token file: printed once, stored as a hash, live without a restart."""
    import datetime as dt

    from inframind.schema import parse_duration
    from inframind.tokenfile import TokenFileError

    try:
        span = None if lifetime == "never" else dt.timedelta(seconds=parse_duration(lifetime))
    except ValueError as exc:
        _fail(f"--expires: {exc}", 2)
    store = _token_file(config_path, path)
    try:
        token, record = store.create(name, role, tenant, now=dt.datetime.now(dt.UTC), lifetime=span)
    except (TokenFileError, OSError) as exc:
        _fail(str(exc))
    until = record.expires.isoformat() if record.expires else "never"
    click.echo(f"created {name} ({role}, tenant {tenant}, expires {until}) in {store.path}", err=True)
    click.echo(token)


@tokens_group.command("revoke")
@click.argument("name")
@click.option("--config", "config_path", type=click.Path(dir_okay=False), help=CONFIG_HELP)
@click.option("--file", "path", type=click.Path(dir_okay=False), help="Token file (default: security.tokens_file).")
def tokens_revoke(name: str, config_path: str | None, path: str | None) -> None:
    """Revoke a token by name; the analyzer refuses it from its next request."""
    import datetime as dt

    from inframind.tokenfile import TokenFileError

    store = _token_file(config_path, path)
    try:
        store.revoke(name, now=dt.datetime.now(dt.UTC))
    except (TokenFileError, OSError) as exc:
        _fail(str(exc))
    click.echo(f"revoked {name} in {store.path}")


@tokens_group.command("list")
@click.option("--config", "config_path", type=click.Path(dir_okay=False), help=CONFIG_HELP)
@click.option("--file", "path", type=click.Path(dir_okay=False), help="Token file (default: security.tokens_file).")
def tokens_list(config_path: str | None, path: str | None) -> None:
    """Tokens in the token file with their state (never the tokens themselves)."""
    import datetime as dt

    from inframind.tokenfile import TokenFileError

    now = dt.datetime.now(dt.UTC)
    try:
        tokens = _token_file(config_path, path).load()
    except TokenFileError as exc:
        _fail(str(exc))
    for t in tokens:
        state = "revoked" if t.revoked else "active" if t.active(now) else "expired"
        until = t.expires.isoformat() if t.expires else "never"
        click.echo(f"{t.name}\t{t.role}\t{t.tenant}\t{state}\texpires {until}")


@main.group("vmauth")
def vmauth_group() -> None:
    """Tenant isolation for direct metric readers (Grafana, people): vmauth in front of VictoriaMetrics."""


@vmauth_group.command("config")
@click.option("--config", "config_path", type=click.Path(dir_okay=False), help="Config file (tenancy section).")
@click.option("--out", type=click.Path(dir_okay=False, writable=True), help="Write here instead of stdout.")
def vmauth_config(config_path: str | None, out: str | None) -> None:
    """Print vmauth's -auth.config: a read-only user per tenant from `tenancy.readers`.

    Single-node VictoriaMetrics gets `extra_label=tenant=<tenant>` on every request; cluster mode
    (`tenancy.vmauth_cluster: true`) routes each user to its accountID. Start vmauth with the readers'
    password variables in its environment; the file holds only %{VAR} placeholders.
    """
    from inframind.vmauth import render

    config = _load(config_path)
    if not config.tenancy.readers:
        _fail("no vmauth readers configured: add tenancy.readers (tenant, username, password: env:VAR)", 2)
    text = render(config.tenancy)
    if out is None:
        click.echo(text, nl=False)
        return
    Path(out).write_text(text, encoding="utf-8")
    click.echo(f"wrote {out} ({len(config.tenancy.readers)} users)", err=True)


@vmauth_group.command("datasources")
@click.option("--config", "config_path", type=click.Path(dir_okay=False), help="Config file (tenancy section).")
@click.option("--out", type=click.Path(dir_okay=False, writable=True), help="Write here instead of stdout.")
def vmauth_datasources(config_path: str | None, out: str | None) -> None:
    """Print Grafana datasource provisioning: per tenant organization (`tenancy.readers[].grafana_org_id`), the
    metrics datasource the dashboards use, reading through that tenant's vmauth user."""
    import yaml

    from inframind.dashboards.uids import VM_UID
    from inframind.vmauth import grafana_datasources

    config = _load(config_path)
    doc = grafana_datasources(config.tenancy, VM_UID)
    if not doc["datasources"]:
        _fail("no tenant reader has grafana_org_id: set tenancy.readers[].grafana_org_id per tenant", 2)
    text = "# Generated by `inframind vmauth datasources`: one metrics datasource per tenant organization.\n"
    text += yaml.safe_dump(doc, sort_keys=False)
    if out is None:
        click.echo(text, nl=False)
        return
    Path(out).write_text(text, encoding="utf-8")
    click.echo(f"wrote {out} ({len(doc['datasources'])} datasources)", err=True)


def _register_commands() -> None:
    """Command groups that live in their own modules (each imports only click at module level)."""
    from inframind import cli_demo, cli_report, cli_secrets
    from inframind.dashboards.cli import register as register_dashboards

    cli_demo.register(main)
    cli_report.register(main)
    cli_secrets.register(main)
    register_dashboards(main)


_register_commands()


if __name__ == "__main__":  # pragma: no cover
    main()
