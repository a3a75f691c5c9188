"""The recommender the service runs: shipped templates, facts measured in VictoriaMetrics and the log store.

The API serves requests from a thread pool and a :class:`PromClient` belongs to one thread, so each
recommendation measures with a client of its own (they are rare: one per alert or per API call).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from inframind.analyzer.recommend import Recommender
from inframind.analyzer.recommend_context import StoreContext
from inframind.analyzer.rulefiles import load_log_rules
from inframind.analyzer.sources.promql import PromClient, PromSettings
from inframind.schema import ConfigError

if TYPE_CHECKING:
    from inframind.analyzer.findings import Finding
    from inframind.analyzer.incidents import Incident
    from inframind.analyzer.recommend_types import Context
    from inframind.analyzer.recommendation import Language
    from inframind.config import Config
    from inframind.inventory import Inventory
    from inframind.logstore import LogStore

log = logging.getLogger(__name__)


def store_recommender(
    config: Config, logstore: LogStore | None, inventory: Inventory | None, language: Language
) -> Recommender:
    try:
        rules = [rule for group in load_log_rules(config.analyzer.logs.rules) for rule in group.rules]
    except ConfigError as exc:
        log.warning("recommendations go without log-rule facts; the log rules do not load:\n%s", exc)
        rules = []
    from inframind.analyzer.service import vm_read

    url, headers = vm_read(config)
    prom = PromSettings(url, headers=headers)

    def context_for(finding: Finding, incident: Incident | None = None) -> Context:
        return StoreContext(PromClient(prom), logstore, inventory, rules)(finding, incident)

    return Recommender(language=language, inventory=inventory, context_for=context_for)
