"""``bmc_sources``: one event log source per inventory BMC, with the module and auth its probe uses.

The inventory already says how each BMC is reached (``module:``, ``auth:``, its first address), and the
exporter's ``modules:``/``auths:`` say with which settings and credentials; the agent reuses both, so a
BMC is configured once. An asset whose module uses the ``ipmi`` prober gets a :class:`SelSource`, one
using ``redfish`` a :class:`RedfishLogSource`. Secrets stay references until each read resolves them.

SEL times carry no zone; the asset's ``timezone:`` (or a label ``timezone``), e.g. ``Europe/Moscow`` or
``+03:00``, names the zone of its BMC clock when that is not UTC.
"""

from __future__ import annotations

import logging
from typing import Any

from inframind.agent.bmclogs.polled import AssetRef
from inframind.agent.bmclogs.redfish_source import RedfishLogSource
from inframind.agent.bmclogs.sel_source import SelSource
from inframind.agent.cursors import CursorStore
from inframind.agent.source import PullSource
from inframind.config import Config
from inframind.exporters.probe.config import ProbeConfig, load_probe_config
from inframind.inventory import Asset, Inventory
from inframind.normalize import resolve_asset, timezone
from inframind.schema import ConfigError, Issue

log = logging.getLogger(__name__)
PROBERS = ("ipmi", "redfish")


def bmc_sources(config: Config, inventory: Inventory | None, cursors: CursorStore) -> list[PullSource]:
    """The sources for ``agent.bmc_logs`` (none when it is disabled or there is no inventory).

    Raises ConfigError when the exporter's modules or auths are invalid, or an asset names an auth that
    does not exist or is for another prober, or a time zone that does not exist."""
    settings = config.agent.bmc_logs
    if not settings.enabled or inventory is None:
        return []
    probe = load_probe_config(config.exporter, config.origin)
    sources: list[PullSource] = []
    issues: list[Issue] = []
    for asset in inventory.assets.values():
        module = probe.modules.get(asset.module or "")
        if asset.module and module is None:
            log.warning("asset %s: no module %r in exporter.modules; its BMC log is not read", asset.id, asset.module)
        if module is None or module.prober not in PROBERS or asset.address is None:
            continue
        try:
            auth = _auth(asset, module.auth, module.prober, probe, inventory.source)
            tz = timezone(asset.timezone or asset.labels.get("timezone"))
        except ValueError as exc:
            issues.append(Issue(inventory.source, None, f"assets ({asset.id})", str(exc)))
            continue
        asset_id, tenant = resolve_asset(inventory, asset.id)
        ref = AssetRef(host=asset.address, asset_id=asset_id, tenant=tenant)
        every, most = settings.interval, settings.max_entries
        if module.prober == "ipmi":
            found: PullSource = SelSource(
                asset.id,
                asset.address,
                module.settings,
                auth,
                cursors,
                asset=ref,
                interval=every,
                max_entries=most,
                tz=tz,
            )
        else:
            found = RedfishLogSource(
                asset.id, asset.address, module.settings, auth, cursors, asset=ref, interval=every, max_entries=most
            )
        sources.append(found)
    if issues:
        for source in sources:
            source.close()
        raise ConfigError(issues)
    return sources


def _auth(asset: Asset, default: str | None, prober: str, probe: ProbeConfig, where: str) -> Any:
    """The asset's auth settings (its own ``auth:``, else the module's); ValueError naming what is wrong."""
    name = asset.auth or default
    if name is None:
        return None
    auth = probe.auths.get(name)
    if auth is None:
        raise ValueError(f"auth {name!r} is not in exporter.auths (inventory {where})")
    if auth.type != prober:
        raise ValueError(f"auth {name!r} is for {auth.type}, but module {asset.module} uses {prober}")
    return auth.settings
