"""Prometheus HTTP service discovery (``http_sd_configs``) for every /probe target, the inventory's and the API's.

Pure: targets in, the http_sd answer out (a JSON list of ``{"targets": [...], "labels": {...}}``). The usual
/probe relabeling (address -> ``?target=``, instance, exporter address) is already done here, so the scrape job
needs nothing but the discovery URL::

    - job_name: inframind_targets
      http_sd_configs:
        - url: http://analyzer:8050/api/v1/targets/http_sd
          bearer_token: <a viewer token of the tenant, or admin for all>

Each group's target is the exporter that probes (``probe_exporter``), with ``__metrics_path__=/probe``,
``__param_target`` (the device), ``__param_module``, ``__param_auth`` (a config auth, or ``api:<id>`` for a
credential kept by the API: the exporter fetches it; it never appears here), ``instance`` (the device) and
``job`` (``probe_<module>``, like the generated static jobs), plus the tenant, asset and free labels. API
targets also carry their ``__scrape_interval__``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from inframind.analyzer.targets_api_model import ApiTarget
from inframind.analyzer.targets_api_store import TargetQuery
from inframind.inventory import Asset, Inventory
from inframind.targets import PROBE_JOB_PREFIX, asset_labels, format_duration

INVENTORY_PREFIX = "inventory:"
"""Ids of inventory targets in target lists (they are not stored by the API)."""


@dataclass(frozen=True)
class SdSettings:
    probe_exporter: str = "127.0.0.1:10121"
    """``host:port`` of the exporter whose /probe reaches the targets."""
    probe_scheme: str = "http"


def _probe_labels(address: str, module: str, auth: str | None, s: SdSettings) -> dict[str, str]:
    labels = {
        "__metrics_path__": "/probe",
        "__scheme__": s.probe_scheme,
        "__param_target": address,
        "__param_module": module,
        "instance": address,
        "job": f"{PROBE_JOB_PREFIX}{module}",
        "module": module,
    }
    if auth:
        labels["__param_auth"] = auth
    return labels


def api_group(target: ApiTarget, s: SdSettings) -> dict[str, Any]:
    labels = {**target.labels, "tenant": target.tenant, "asset": target.asset, "target_id": target.id}
    labels.update(_probe_labels(target.address, target.module, target.auth_reference, s))
    labels["__scrape_interval__"] = format_duration(target.interval)
    return {"targets": [s.probe_exporter], "labels": labels}


def inventory_group(asset: Asset, s: SdSettings) -> dict[str, Any] | None:
    if not asset.module or asset.address is None:
        return None
    labels = asset_labels(asset)
    labels.update(_probe_labels(asset.address, asset.module, asset.auth, s))
    return {"targets": [s.probe_exporter], "labels": labels}


def inventory_probes(inventory: Inventory | None) -> Iterable[Asset]:
    return () if inventory is None else (a for a in inventory.assets.values() if a.module and a.address)


def http_sd(
    api_targets: Iterable[ApiTarget],
    inventory: Inventory | None,
    s: SdSettings,
    tenant: str | None = None,
    module: str | None = None,
) -> list[dict[str, Any]]:
    """The inventory's probe targets, then the API's, of ``tenant`` (None: all) and ``module`` (None: all)."""
    groups: list[dict[str, Any]] = []
    for asset in inventory_probes(inventory):
        if tenant in (None, asset.tenant) and module in (None, asset.module):
            group = inventory_group(asset, s)
            if group is not None:
                groups.append(group)
    groups.extend(api_group(t, s) for t in api_targets if tenant in (None, t.tenant) and module in (None, t.module))
    return groups


def inventory_targets(
    inventory: Inventory | None, probers: Mapping[str, str], query: TargetQuery
) -> list[dict[str, Any]]:
    """The inventory's probe targets matching ``query``, shaped like API targets (``id`` ``inventory:<asset>``,
    ``source`` ``inventory``), by tenant, address and module like the API's."""
    rows = []
    for a in inventory_probes(inventory):
        kind = probers.get(a.module or "", "")
        wanted = ((query.tenant, a.tenant), (query.kind, kind), (query.module, a.module), (query.address, a.address))
        if all(want in (None, have) for want, have in wanted):
            rows.append({
                "id": INVENTORY_PREFIX + a.id, "tenant": a.tenant, "address": a.address, "kind": kind,
                "module": a.module, "interval": None, "asset": a.id, "labels": dict(a.labels), "auth": a.auth,
                "credential": None, "source": "inventory", "created_at": None, "updated_at": None,
            })  # fmt: skip
    return sorted(rows, key=lambda r: (r["tenant"], r["address"], r["module"]))


def inventory_owner(inventory: Inventory | None, address: str, module: str) -> Asset | None:
    """The inventory asset that already probes ``address`` with ``module`` (an API duplicate is refused)."""
    for asset in inventory_probes(inventory):
        if asset.module == module and asset.address is not None and asset.address.lower() == address.lower():
            return asset
    return None
