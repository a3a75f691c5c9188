"""``inframind secrets keygen``, ``rotate`` and ``import``: the key for credentials entered through the API.

The integrator wires it with ``register(main)`` in :mod:`inframind.cli`. ``keygen`` prints a new Fernet key (put it
in ``INFRAMIND_SECRET_KEY`` or a file named by ``analyzer.secrets.keys``). ``rotate`` re-encrypts every stored
credential with the first configured key; run it after putting a new key first and keeping the old one after it,
then drop the old key. It is safe while the analyzer runs (each row is swapped only if it did not change).
"""

from __future__ import annotations

import sys

import click

from inframind.cli_common import CONFIG_HELP, fail, load


@click.group("secrets")
def secrets_group() -> None:
    """Encryption keys for the credentials the analyzer's API keeps."""


@secrets_group.command("keygen")
def secrets_keygen() -> None:
    """Print a new random encryption key (Fernet: 32 bytes, url-safe base64)."""
    from inframind.secretstore import generate_key

    click.echo(generate_key())


@secrets_group.command("rotate")
@click.option("--config", "config_path", metavar="FILE", help=CONFIG_HELP)
def secrets_rotate(config_path: str | None) -> None:
    """Re-encrypt the API's stored credentials with the first configured key."""
    from pathlib import Path

    from inframind.analyzer.targets_api import rotate_credentials
    from inframind.analyzer.targets_api_store import TARGETS_FILE, SQLiteTargetStore, TargetStoreError
    from inframind.secretstore import SecretBox, SecretStoreError

    config = load(config_path)
    settings = config.analyzer.secrets
    path = Path(config.analyzer.state_dir) / TARGETS_FILE
    try:
        box = SecretBox.from_refs(settings.keys)
        if not box.available:
            fail("no encryption key is configured (set INFRAMIND_SECRET_KEY or analyzer.secrets.keys)")
        store = SQLiteTargetStore(path)
        try:
            rotated, current = rotate_credentials(store, box)
        finally:
            store.close()
    except (SecretStoreError, TargetStoreError) as exc:
        fail(f"{path}: {exc}")
    click.echo(f"re-encrypted {rotated} credential(s); {current} already used the first key")


@secrets_group.command("import")
@click.argument("export", type=click.Path(exists=True, dir_okay=False))
@click.option(
    "--legacy-key",
    default="env:APP_SECRET_KEY",
    show_default=True,
    help="Reference (env:NAME or file:/path) to the earlier InfraMind's APP_SECRET_KEY.",
)
@click.option("--tenant", default="default", show_default=True, help="Tenant of entries that name none.")
@click.option("--config", "config_path", metavar="FILE", help=CONFIG_HELP)
def secrets_import(export: str, legacy_key: str, tenant: str, config_path: str | None) -> None:
    """Import targets and credentials exported by an earlier InfraMind (encrypted with its APP_SECRET_KEY).

    Each credential is decrypted with the old key and sealed with this analyzer's key; targets are
    validated like POST /api/v1/targets. Entries that fail are listed (never their values) and the rest
    are imported; the exit code is 1 if any failed.
    """
    import datetime as dt
    from pathlib import Path

    from inframind.analyzer.api import Deps
    from inframind.analyzer.auth import Principal
    from inframind.analyzer.targets_api import Targets, TargetsDeps
    from inframind.analyzer.targets_api_store import TARGETS_FILE, SQLiteTargetStore, TargetStoreError
    from inframind.inventory import load_inventory
    from inframind.secrets import SecretError, SecretRef
    from inframind.secrets_import import ImportError_, import_targets, legacy_fernet
    from inframind.secretstore import SecretBox, SecretStoreError

    config = load(config_path)
    try:
        fernet = legacy_fernet(SecretRef.from_config(legacy_key).resolve())
        box = SecretBox.from_refs(config.analyzer.secrets.keys)
        text = Path(export).read_text(encoding="utf-8")
    except (SecretError, SecretStoreError, ValueError, OSError) as exc:
        fail(f"error: {exc}")
    if not box.available:
        fail("no encryption key is configured (set INFRAMIND_SECRET_KEY or analyzer.secrets.keys)")
    inventory = load_inventory(config.inventory) if config.inventory else None
    store = SQLiteTargetStore(Path(config.analyzer.state_dir) / TARGETS_FILE)
    deps = Deps(api_targets=TargetsDeps(store, box), inventory=inventory, clock=lambda: dt.datetime.now(dt.UTC))
    targets = Targets(deps)
    try:
        imported, problems = import_targets(text, fernet, targets, Principal("secrets-import", "admin", tenant))
    except (ImportError_, TargetStoreError) as exc:
        fail(f"error: {exc}")
    finally:
        store.close()
    for problem in problems:
        click.echo(f"skipped: {problem}", err=True)
    failed = len(problems)
    click.echo(f"imported {imported} target(s) into {store.path}; {failed} skipped")
    if failed:
        sys.exit(1)


def register(main: click.Group) -> None:
    """Add ``inframind secrets`` to the CLI."""
    main.add_command(secrets_group)
