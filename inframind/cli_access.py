"""``inframind tokens`` and ``inframind vmauth``: who may call the analyzer, and which tenant's metrics a
direct reader (Grafana, people, the analyzer) may see."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from inframind.cli_common import CONFIG_HELP, fail, load
from inframind.config import ROLES


@click.group("tokens")
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

    return TokenFile(path or load(config_path).security.tokens_file)


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
        fail(f"--expires: {exc}", 2)
    store = _token_file(config_path, path)
    try:
        token, record = store.create(name, role, tenant, now=dt.datetime.now(dt.UTC), lifetime=span)
    except (TokenFileError, OSError) as exc:
        fail(str(exc))
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
        fail(str(exc))
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
        fail(str(exc))
    for t in tokens:
        state = "revoked" if t.revoked else "active" if t.active(now) else "expired"
        until = t.expires.isoformat() if t.expires else "never"
        click.echo(f"{t.name}\t{t.role}\t{t.tenant}\t{state}\texpires {until}")


@click.group("vmauth")
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

    config = load(config_path)
    if not config.tenancy.readers:
        fail("no vmauth readers configured: add tenancy.readers (tenant, username, password: env:VAR)", 2)
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

    config = load(config_path)
    doc = grafana_datasources(config.tenancy, VM_UID)
    if not doc["datasources"]:
        fail("no tenant reader has grafana_org_id: set tenancy.readers[].grafana_org_id per tenant", 2)
    text = "# Generated by `inframind vmauth datasources`: one metrics datasource per tenant organization.\n"
    text += yaml.safe_dump(doc, sort_keys=False)
    if out is None:
        click.echo(text, nl=False)
        return
    Path(out).write_text(text, encoding="utf-8")
    click.echo(f"wrote {out} ({len(doc['datasources'])} datasources)", err=True)


def register(main: click.Group) -> None:
    """Add ``inframind tokens`` and ``inframind vmauth`` to the CLI."""
    main.add_command(tokens_group)
    main.add_command(vmauth_group)
