"""Scrape configs generated from the inventory, so targets and their labels live in one place (the CMDB).

Pure functions: an :class:`~inframind.inventory.Inventory` and :class:`TargetSettings` in, a plain dict in
the Prometheus ``scrape_configs`` format out (read by VictoriaMetrics, vmagent and Prometheus alike).

- An asset with ``exporter:`` becomes a direct ``/metrics`` target of the ``node`` job (our exporter and
  node_exporter speak the same names, so the rules match both).
- An asset with ``module:`` becomes a target of a ``probe_<module>`` job that asks an exporter's ``/probe``
  to reach it (the snmp_exporter/blackbox pattern): the asset's address goes into ``?target=``, its auth
  into ``?auth=``, and the exporter's address into ``__address__``.

Every target carries ``tenant``, ``site``, ``rack``, ``role``, ``asset`` and ``asset_kind`` (when set) plus
the asset's free labels, so the tenant boundary and the dependency graph can be applied to any series.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from inframind.inventory import Asset, Inventory

NODE_JOB = "node"
"""The job of directly scraped exporters; the host alert rules select it."""
PROBE_JOB_PREFIX = "probe_"


@dataclass(frozen=True)
class TargetSettings:
    probe_exporter: str
    """``host:port`` of the exporter whose ``/probe`` reaches assets that have a ``module:``."""
    scrape_interval: float = 15.0
    scrape_timeout: float = 10.0
    """Capped at the interval: Prometheus rejects a timeout longer than the interval."""
    probe_scheme: str = "http"
    module_timeouts: Mapping[str, float] = field(default_factory=dict)
    """Each /probe module's own timeout: a job whose module needs longer than ``scrape_timeout`` (a BMC
    read can take a minute) gets a longer scrape timeout, and an interval at least as long."""


def format_duration(seconds: float) -> str:
    """``15.0`` -> ``15s``, ``0.5`` -> ``500ms``: whole units, since Prometheus durations have no decimals."""
    ms = round(seconds * 1000)
    if ms <= 0:
        raise ValueError(f"a scrape duration must be positive, got {seconds!r}")
    return f"{ms // 1000}s" if ms % 1000 == 0 else f"{ms}ms"


def asset_labels(asset: Asset) -> dict[str, str]:
    """The target labels of an asset: identity and placement first, then its free labels (never empty values)."""
    labels = {
        "tenant": asset.tenant,
        "site": asset.site,
        "rack": asset.rack,
        "role": asset.role,
        "asset": asset.id,
        "asset_kind": asset.kind,
    }
    labels.update(asset.labels)  # Asset.check forbids free labels that reuse the names above
    return {k: v for k, v in labels.items() if v != ""}


def _dial(asset: Asset) -> str:
    assert asset.exporter is not None
    return f"{asset.exporter.url_host}:{asset.exporter.port}"


def node_job(assets: Iterable[Asset], job_name: str = NODE_JOB) -> dict[str, Any] | None:
    """One job scraping ``/metrics`` of every asset that runs an exporter; None when there is none."""
    groups = [{"targets": [_dial(a)], "labels": asset_labels(a)} for a in assets if a.exporter is not None]
    if not groups:
        return None
    return {"job_name": job_name, "metrics_path": "/metrics", "static_configs": groups}


def probe_job(module: str, assets: Iterable[Asset], settings: TargetSettings) -> dict[str, Any]:
    """A job sending each asset's address through the probing exporter's ``/probe?module=``."""
    groups = []
    for asset in assets:
        labels = {**asset_labels(asset), "module": module}
        if asset.auth:
            labels["__param_auth"] = asset.auth
        groups.append({"targets": [asset.address], "labels": labels})
    job: dict[str, Any] = {"job_name": f"{PROBE_JOB_PREFIX}{module}"}
    module_timeout = settings.module_timeouts.get(module)
    if module_timeout is not None and module_timeout + 1 > settings.scrape_timeout:
        timeout = float(math.ceil(module_timeout + 1))  # 1 s for the answer to travel back
        job["scrape_interval"] = format_duration(max(settings.scrape_interval, timeout))
        job["scrape_timeout"] = format_duration(timeout)
    return job | {
        "metrics_path": "/probe",
        "scheme": settings.probe_scheme,
        "params": {"module": [module]},
        "static_configs": groups,
        "relabel_configs": [
            {"source_labels": ["__address__"], "target_label": "__param_target"},
            {"source_labels": ["__param_target"], "target_label": "instance"},
            {"target_label": "__address__", "replacement": settings.probe_exporter},
        ],
    }


def inventory_jobs(inventory: Inventory, settings: TargetSettings) -> list[dict[str, Any]]:
    """The ``node`` job, then one ``probe_<module>`` job per module, in inventory order."""
    jobs: list[dict[str, Any]] = []
    node = node_job(inventory.assets.values())
    if node is not None:
        jobs.append(node)
    by_module: dict[str, list[Asset]] = {}
    for asset in inventory.assets.values():
        if asset.module:
            by_module.setdefault(asset.module, []).append(asset)
    jobs.extend(probe_job(module, assets, settings) for module, assets in by_module.items())
    return jobs


def scrape_config(
    inventory: Inventory | None,
    settings: TargetSettings,
    extra_jobs: Iterable[Mapping[str, Any]] = (),
) -> dict[str, Any]:
    """A whole scrape config file: global intervals, ``extra_jobs`` (e.g. the stack's own components), then
    the inventory's jobs. Job names must be unique; a clash is a ValueError naming the job."""
    jobs = [dict(job) for job in extra_jobs]
    if inventory is not None:
        jobs.extend(inventory_jobs(inventory, settings))
    seen: set[str] = set()
    for job in jobs:
        if job["job_name"] in seen:
            raise ValueError(f"duplicate scrape job name {job['job_name']!r}")
        seen.add(job["job_name"])
    timeout = min(settings.scrape_timeout, settings.scrape_interval)
    return {
        "global": {
            "scrape_interval": format_duration(settings.scrape_interval),
            "scrape_timeout": format_duration(timeout),
        },
        "scrape_configs": jobs,
    }


def to_file_sd(config: Mapping[str, Any], directory: str) -> tuple[dict[str, Any], dict[str, list[dict[str, Any]]]]:
    """Move every job's static targets into file_sd files under ``directory``.

    Returns the scrape config with ``file_sd_configs`` in place of ``static_configs`` and the files to
    write (``<job>.json`` -> target groups). Scrapers re-read file_sd files on change, so an inventory
    edit reaches them without a config reload.
    """
    files: dict[str, list[dict[str, Any]]] = {}
    jobs = []
    for original in config["scrape_configs"]:
        job = dict(original)
        groups = job.pop("static_configs", None)
        if groups is not None:
            name = f"{job['job_name']}.json"
            files[name] = [dict(g) for g in groups]
            job["file_sd_configs"] = [{"files": [f"{directory.rstrip('/')}/{name}"]}]
        jobs.append(job)
    return {**config, "scrape_configs": jobs}, files
