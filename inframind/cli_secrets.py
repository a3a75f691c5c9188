"""``inframind secrets keygen`` and ``inframind secrets rotate``: the key for credentials entered through the API.

The integrator wires it with ``register(main)`` in :mod:`inframind.cli`. ``keygen`` prints a new Fernet key (put it
in ``INFRAMIND_SECRET_KEY`` or a file named by ``analyzer.secrets.keys``). ``rotate`` re-encrypts every stored
credential with the first configured key; run it after putting a new key first and keeping the old one after it,
then drop the old key. It is safe while the analyzer runs (each row is swapped only if it did not change).
"""

from __future__ import annotations

import sys

import click

CONFIG_HELP = "YAML config file (default: ./inframind.yml if present, else built-in defaults)."


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

    from inframind.analyzer.api_settings import SecretStoreSettings
    from inframind.analyzer.targets_api import rotate_credentials
    from inframind.analyzer.targets_api_store import TARGETS_FILE, SQLiteTargetStore, TargetStoreError
    from inframind.config import load_config
    from inframind.schema import ConfigError
    from inframind.secretstore import SecretBox, SecretStoreError

    try:
        config = load_config(config_path)
    except ConfigError as exc:
        click.echo(f"configuration error:\n{exc}", err=True)
        sys.exit(1)
    settings = getattr(config.analyzer, "secrets", SecretStoreSettings())
    path = Path(config.analyzer.state_dir) / TARGETS_FILE
    try:
        box = SecretBox.from_refs(settings.keys)
        if not box.available:
            click.echo("no encryption key is configured (set INFRAMIND_SECRET_KEY or analyzer.secrets.keys)", err=True)
            sys.exit(1)
        store = SQLiteTargetStore(path)
        try:
            rotated, current = rotate_credentials(store, box)
        finally:
            store.close()
    except (SecretStoreError, TargetStoreError) as exc:
        click.echo(f"{path}: {exc}", err=True)
        sys.exit(1)
    click.echo(f"re-encrypted {rotated} credential(s); {current} already used the first key")


def register(main: click.Group) -> None:
    """Add ``inframind secrets`` to the CLI."""
    main.add_command(secrets_group)
