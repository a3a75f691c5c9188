"""``inframind report rca ID``: the root-cause report of one incident, as Markdown or HTML.

The integrator wires it with ``register(main)`` in :mod:`inframind.cli`. Without ``--out`` the report goes to
standard output (the chart embedded as a data URI); with ``--out FILE.md`` the chart is written beside it as
``FILE.png``; HTML is always one self-contained file.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from inframind.cli_common import CONFIG_HELP, load


@click.group("report")
def report_group() -> None:
    """Reports built from the analyzer's state (incidents, findings) and the metrics store."""


@report_group.command("rca")
@click.argument("incident_id", metavar="ID")
@click.option("--format", "fmt", type=click.Choice(["md", "html"]), default=None,
              help="Report format (default: from --out's suffix, else md).")  # fmt: skip
@click.option("--out", "out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write the report here (default: standard output).")  # fmt: skip
@click.option("--config", "config_path", metavar="FILE", help=CONFIG_HELP)
def report_rca(incident_id: str, fmt: str | None, out: Path | None, config_path: str | None) -> None:
    """Root-cause report of incident ID: timeline, causal chain, evidence and a chart of the key series."""
    from inframind.analyzer.report import ReportFormat, render, write_report
    from inframind.analyzer.report_load import ReportError, rca_report

    chosen = fmt or ("html" if out is not None and out.suffix.lower() in (".html", ".htm") else "md")
    kind: ReportFormat = "html" if chosen == "html" else "md"
    config = load(config_path)
    try:
        report = rca_report(config, incident_id)
    except ReportError as exc:
        raise click.ClickException(str(exc)) from None
    for note in report.chart.notes:
        click.echo(f"note: {note}", err=True)
    if report.narrative is not None and report.narrative.text is None:
        click.echo(f"note: {report.narrative.note}", err=True)
    if out is None:
        sys.stdout.write(render(report, kind))
        return
    try:
        written = write_report(report, kind, out)
    except OSError as exc:
        raise click.ClickException(f"cannot write {out}: {exc.strerror or exc}") from None
    click.echo("wrote " + ", ".join(str(p) for p in written), err=True)


def register(main: click.Group) -> None:
    main.add_command(report_group)
