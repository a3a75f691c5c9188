"""The RCA report from a config: open the state store, the inventory and the metrics store it names, build the
report of one incident. The IO edge of :mod:`.report`, and the library call behind ``inframind report rca``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import requests

from inframind.analyzer.correlate_graph import ImpactGraph
from inframind.analyzer.explain import records_of
from inframind.analyzer.narrative import Narrative, summarize
from inframind.analyzer.report import Report, build_report
from inframind.analyzer.sources.promql import PromClient, PromSettings
from inframind.analyzer.state import STATE_FILE, StateError, open_state, state_settings
from inframind.config import Config
from inframind.inventory import load_inventory
from inframind.vmauth import analyzer_read

METRICS_TIMEOUT = 10.0
"""A report waits this long per request for VictoriaMetrics (and retries once) before charting the evidence."""


class ReportError(Exception):
    """The report cannot be made (unknown incident, state store unavailable); the message says which."""


def rca_report(
    config: Config,
    incident_id: str,
    now: dt.datetime | None = None,
    *,
    session: requests.Session | None = None,
    env: Mapping[str, str] | None = None,
) -> Report:
    """The report of ``incident_id`` from the stores ``config`` names (any tenant: this is the operator's tool)."""
    now = now or dt.datetime.now(dt.UTC)
    settings = state_settings(config.analyzer)
    state_file = Path(config.analyzer.state_dir) / STATE_FILE
    if settings.backend == "sqlite" and not state_file.is_file():  # a report must not create an empty state
        raise ReportError(f"no analyzer state at {state_file}: check analyzer.state_dir in the config")
    try:
        state = open_state(settings, config.analyzer.state_dir)
    except StateError as exc:
        raise ReportError(f"the analyzer's state store cannot be opened: {exc}") from None
    try:
        incident = state.incidents.get(incident_id)
        if incident is None:
            raise ReportError(f"no incident {incident_id} in the analyzer's state ({config.analyzer.state_dir})")
        records = records_of(state.findings, incident)
    except StateError as exc:
        raise ReportError(f"the analyzer's state store cannot be read: {exc}") from None
    finally:
        state.close()
    graph = ImpactGraph(load_inventory(config.inventory) if config.inventory else None)
    metrics = config.analyzer.metrics
    try:
        url, headers = analyzer_read(config.tenancy, config.analyzer.victoriametrics_url)
    except ValueError as exc:
        raise ReportError(str(exc)) from None
    prom = PromSettings(url=url, timeout=min(metrics.timeout, METRICS_TIMEOUT), retries=1, backoff=0.2,
                        max_points=metrics.max_points, path_prefix=metrics.path_prefix, headers=headers)  # fmt: skip
    client = PromClient(prom, session=session)
    narration = config.analyzer.narrative

    def narrate(rca: Mapping[str, Any]) -> Narrative | None:
        return summarize(rca, narration, env=env)

    try:
        return build_report(incident, records, graph, client, now=now, narrate=narrate if narration.enabled else None)
    finally:
        client.close()
