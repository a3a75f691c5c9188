"""The stack's scrape config: its own components, the local exporter, and the inventory's targets.

Without an inventory only loopback addresses are scraped. The local exporter is the asset ``local``
(``inframind-local`` if the inventory uses that id for something else) unless an inventory asset already
names it as its ``exporter:``; then that asset's labels win.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from inframind.inventory import Asset, Inventory
from inframind.stack.components import Component
from inframind.targets import TargetSettings, scrape_config

LOCAL_ASSET = "local"
_LOOPBACK_NAMES = frozenset({"127.0.0.1", "localhost", "::1"})
SELF_JOBS = {"victoriametrics": "victoriametrics", "vmalert": "vmalert", "alertmanager": "alertmanager"}
"""Component name -> job name of the stack's own servers scraped at /metrics."""
ANALYZER_JOB = "inframind-analyzer"


def _self_job(job_name: str, component: Component) -> dict[str, Any]:
    return {
        "job_name": job_name,
        "static_configs": [{"targets": [f"{component.listen.url_host}:{component.listen.port}"]}],
    }


def _is_local_exporter(asset: Asset, exporter: Component) -> bool:
    return (
        asset.exporter is not None
        and asset.exporter.port == exporter.listen.port
        and asset.exporter.host.lower() in _LOOPBACK_NAMES
    )


def local_asset(exporter: Component, asset_id: str = LOCAL_ASSET, tenant: str = "default") -> Asset:
    return Asset(id=asset_id, kind="host", tenant=tenant, role="monitoring", exporter=exporter.listen)


def with_local_exporter(inventory: Inventory | None, exporter: Component) -> Inventory:
    """The inventory (or an empty one) plus the asset ``local`` for the stack's exporter, unless listed."""
    assets = dict(inventory.assets) if inventory is not None else {}
    if not any(_is_local_exporter(a, exporter) for a in assets.values()):
        asset_id = LOCAL_ASSET if LOCAL_ASSET not in assets else f"inframind-{LOCAL_ASSET}"
        assets = {asset_id: local_asset(exporter, asset_id), **assets}
    edges = inventory.edges if inventory is not None else ()
    return Inventory(assets, edges, inventory.source if inventory is not None else "<stack>")


def stack_scrape_config(
    components: Sequence[Component],
    inventory: Inventory | None,
    scrape_interval: float,
    scrape_analyzer: bool = True,
    module_timeouts: Mapping[str, float] | None = None,
) -> dict[str, Any]:
    """The file VictoriaMetrics reads with ``-promscrape.config``.

    ``scrape_analyzer`` is False when the analyzer's /metrics needs a token (analyzer.public_metrics: false).
    """
    by_name = {c.name: c for c in components}
    exporter = by_name["exporter"]
    jobs = [_self_job(job, by_name[name]) for name, job in SELF_JOBS.items()]
    if scrape_analyzer:
        jobs.append(_self_job(ANALYZER_JOB, by_name["analyzer"]))
    settings = TargetSettings(
        probe_exporter=f"{exporter.listen.url_host}:{exporter.listen.port}",
        scrape_interval=scrape_interval,
        module_timeouts=dict(module_timeouts or {}),
    )
    return scrape_config(with_local_exporter(inventory, exporter), settings, jobs)
