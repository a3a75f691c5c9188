"""``inframind dashboards build [--check]``: write grafana/ from the code, or check the committed files.

Grafana's foundation SDK is a development dependency (the dev extra): this module imports it only when the
command runs, so registering the command costs a light install nothing.
"""

from __future__ import annotations

from pathlib import Path

import click

DEFAULT_ROOT = Path("grafana")


@click.group("dashboards")
def dashboards_group() -> None:
    """Grafana dashboards and provisioning generated from code."""


@dashboards_group.command("build")
@click.option(
    "--root",
    type=click.Path(file_okay=False, path_type=Path),
    default=DEFAULT_ROOT,
    show_default=True,
    help="The grafana/ directory of the repository.",
)
@click.option("--check", is_flag=True, help="Write nothing; exit 1 if the files differ from the code.")
def build_command(root: Path, check: bool) -> None:
    """Write grafana/dashboards/*.json and grafana/provisioning/ from inframind/dashboards/."""
    try:
        from inframind.dashboards import build
    except ImportError as exc:
        raise click.ClickException(
            f"{exc.name or exc}: install grafana-foundation-sdk (pip install -e '.[dev]') to build dashboards"
        ) from None
    total = len(build.render())
    if check:
        stale = build.differences(root)
        for name in stale:
            click.echo(f"out of date: {root / name}", err=True)
        if stale:
            raise SystemExit(1)
        click.echo(f"{total} files up to date under {root}")
        return
    changed = build.write(root)
    click.echo(f"wrote {len(changed)} of {total} files under {root}")


def register(main: click.Group) -> None:
    main.add_command(dashboards_group)


if __name__ == "__main__":
    dashboards_group()
