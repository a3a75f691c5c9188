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
from dataclasses import dataclass
from typing import Any

from inframind.agent.bmclogs.deferred import DeferredAuthSource
from inframind.agent.bmclogs.polled import AssetRef
from inframind.agent.bmclogs.redfish_source import RedfishLogSource
from inframind.agent.bmclogs.sel_source import SelSource
from inframind.agent.cursors import CursorStore
from inframind.agent.source import PullSource
from inframind.config import Config
from inframind.exporters.probe.authclient import ApiAuthResolver, AuthApiSettings
from inframind.exporters.probe.config import ProbeConfig, load_probe_config
from inframind.inventory import Inventory
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
    api_auth = ApiAuthResolver(AuthApiSettings.from_env())  # auth: api:<id> -> the analyzer (INFRAMIND_AUTH_API_URL)
    sources: list[PullSource] = []
    issues: list[Issue] = []
    for asset in inventory.assets.values():
        module = probe.modules.get(asset.module or "")
        if asset.module and module is None:
            log.warning("asset %s: no module %r in exporter.modules; its BMC log is not read", asset.id, asset.module)
        if module is None or module.prober not in PROBERS or asset.address is None:
            continue
        name = asset.auth or module.auth
        stored = name is not None and ApiAuthResolver.handles(name)
        try:
            auth = None if stored else _auth(name, asset.module, module.prober, probe)
            tz = timezone(asset.timezone or asset.labels.get("timezone"))
        except ValueError as exc:
            issues.append(Issue(inventory.source, None, f"assets ({asset.id})", str(exc)))
            continue
        asset_id, tenant = resolve_asset(inventory, asset.id)
        ref = AssetRef(host=asset.address, asset_id=asset_id, tenant=tenant)
        every, most = settings.interval, settings.max_entries
        recipe = _Recipe(module.prober, asset.id, asset.address, module.settings, cursors, ref, every, most, tz)
        if stored and name is not None:
            found: PullSource = DeferredAuthSource(recipe.source_name, name, module.prober, api_auth, recipe.build)
        else:
            found = recipe.build(auth)
        sources.append(found)
    if issues:
        for source in sources:
            source.close()
        raise ConfigError(issues)
    return sources


@dataclass(frozen=True)
class _Recipe:
    """How to make one BMC's log source once its auth settings are known (now, or when fetched)."""

    prober: str
    asset_name: str
    address: str
    settings: Any
    cursors: CursorStore
    ref: AssetRef
    interval: float
    max_entries: int
    tz: Any

    @property
    def source_name(self) -> str:
        return f"{'sel' if self.prober == 'ipmi' else 'redfish_log'}:{self.asset_name}"

    def build(self, auth: Any) -> PullSource:
        if self.prober == "ipmi":
            return SelSource(self.asset_name, self.address, self.settings, auth, self.cursors, asset=self.ref,
                             interval=self.interval, max_entries=self.max_entries, tz=self.tz)  # fmt: skip
        return RedfishLogSource(self.asset_name, self.address, self.settings, auth, self.cursors, asset=self.ref,
                                interval=self.interval, max_entries=self.max_entries)  # fmt: skip


def _auth(name: str | None, module: str | None, prober: str, probe: ProbeConfig) -> Any:
    """The settings of the auth named by the asset (or its module); ValueError naming what is wrong."""
    if name is None:
        return None
    auth = probe.auths.get(name)
    if auth is None:
        raise ValueError(f"auth {name!r} is not in exporter.auths (or use api:<target id> for a stored credential)")
    if auth.type != prober:
        raise ValueError(f"auth {name!r} is for {auth.type}, but module {module} uses {prober}")
    return auth.settings
