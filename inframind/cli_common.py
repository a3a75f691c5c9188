"""What every ``inframind`` command module shares: the ``--config`` help text, loading config with a clear
exit, and failing with a message. Imports only click and the config package, so ``--help`` stays instant."""

from __future__ import annotations

import sys
from typing import NoReturn

import click

from inframind.config import Config, load_config
from inframind.schema import ConfigError

CONFIG_HELP = "YAML config file (default: ./inframind.yml if present, else built-in defaults)."


def fail(message: str, code: int = 1) -> NoReturn:
    click.echo(message, err=True)
    sys.exit(code)


def load(path: str | None) -> Config:
    """The configuration, or exit 1 with the located errors."""
    try:
        return load_config(path)
    except ConfigError as exc:
        fail(f"configuration error:\n{exc}")
