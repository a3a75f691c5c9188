"""``inframind demo --scenario NAME``: replay one of the promised scenarios against a running VictoriaMetrics and a
SQLite log store, and print the recommendation the analyzer makes (see :mod:`inframind.analyzer.scenarios`)."""

from __future__ import annotations

import json
import math
import tempfile
import time
from dataclasses import replace
from pathlib import Path
from typing import cast

import click

from inframind.analyzer.history_import import HistoryImportError
from inframind.analyzer.recommendation import Language
from inframind.analyzer.scenarios.build import PROMISED, ScenarioParams, build
from inframind.analyzer.scenarios.replay import replay
from inframind.analyzer.sources.promql import PromError
from inframind.config.logstore import SQLiteStoreSettings
from inframind.logstore.sqlite import SQLiteStore


@click.command("demo")
@click.option("--scenario", "name", type=click.Choice(PROMISED), required=True, help="Scenario to replay.")
@click.option("--vm-url", default="http://127.0.0.1:8428", show_default=True, help="VictoriaMetrics base URL.")
@click.option("--logstore", "logstore_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="SQLite log store file (default: a fresh one in the state directory).")  # fmt: skip
@click.option("--state-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Where the replay's analyzer state goes (default: a temporary directory).")  # fmt: skip
@click.option("--language", type=click.Choice(["en", "ru"]), default="en", show_default=True)
@click.option("--rules", "rules", multiple=True, default=("rules/logs/*.yml",), show_default=True,
              help="Log rule files (globs).")  # fmt: skip
@click.option("--tenant", default="demo", show_default=True, help="Tenant label of the generated history.")
@click.option("--seed", default=0, show_default=True, help="Seed of the generated noise.")
@click.option("--json", "as_json", is_flag=True, help="Print the recommendation and timings as JSON.")
def demo(
    *,
    name: str,
    vm_url: str,
    logstore_path: Path | None,
    state_dir: Path | None,
    language: str,
    rules: tuple[str, ...],
    tenant: str,
    seed: int,
    as_json: bool,
) -> None:
    """Generate the scenario's history ending now, load it, analyze it and print the recommendation."""
    root = state_dir or Path(tempfile.mkdtemp(prefix=f"inframind-demo-{name}-"))
    root.mkdir(parents=True, exist_ok=True)
    end = math.floor(time.time() / 60) * 60 - 60
    scenario = build(name, end, replace(ScenarioParams(), tenant=tenant), seed=seed)
    logs = SQLiteStore(SQLiteStoreSettings(path=str(logstore_path or root / "logs.db")))
    try:
        result = replay(scenario, vm_url, logs, root / "state", language=cast(Language, language), rules=rules)
    except (HistoryImportError, PromError) as exc:
        raise click.ClickException(f"{exc} (is VictoriaMetrics running at {vm_url}?)") from None
    finally:
        logs.close()
    rec = result.recommendation
    if rec is None:
        raise click.ClickException(f"the analyzer found no {name} finding in the replay (state in {root})")
    detected = result.detected_at
    lead = None if detected is None else round((detected - scenario.first_signal) / 60.0, 1)
    if as_json:
        click.echo(json.dumps({"scenario": name, "recommendation": rec.to_dict(), "finding": result.primary.to_dict()
                               if result.primary else None, "minutes_from_first_signal_to_detection": lead},
                              ensure_ascii=False, indent=2))  # fmt: skip
        return
    click.echo(rec.title)
    click.echo(rec.text)
    click.echo(f"{'Проверка' if language == 'ru' else 'Verify'}: {rec.next_step}")
    click.echo(f"confidence={rec.confidence} runbook={rec.runbook_url} detected_after_minutes={lead}")


def register(main: click.Group) -> None:
    main.add_command(demo)
