"""What a recommendation needs from the stores besides the finding: the IO side of :mod:`.recommend`.

A finding carries the evidence that made it; a person also asks "since when and from what level", "which LUN is
that device", "how many warnings did the whole rack log today", "which shelf and slot is that drive in". This
measures exactly that, at the time of the recommendation, through the stores' public APIs (PromQL on
VictoriaMetrics, the log store's search), and hands plain numbers to :mod:`.recommend_facts_hw` (shapes in its
docstring). A store that is missing or fails adds nothing: the template then falls back or fails, never guesses.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from inframind.analyzer.detect.logrules import LogRule, RuleState
from inframind.analyzer.findings import Finding, MetricEvidence
from inframind.analyzer.incidents import Incident
from inframind.analyzer.metricloop_signals import DISK_IO, render, selector
from inframind.analyzer.recommend_facts_hw import WWN_LABEL
from inframind.analyzer.recommend_series import level, rise
from inframind.analyzer.recommend_types import Context
from inframind.analyzer.sources.promql import PromClient, PromError
from inframind.inventory import Inventory
from inframind.logstore.base import LogStore, LogStoreError, Query

log = logging.getLogger(__name__)
LOOKBACK = 10 * 3600.0
"""How far back the rise of a series is looked for."""
RACK_DAY = 86400.0
RECENT = 900.0
""""Now" for a disk's load: the last quarter hour."""
WRITES = "sum by (tenant, asset, device) (rate(node_disk_writes_completed_total{$SEL}[$RW]))"
INLET = 'max by (asset) (ipmi_temperature_celsius{name=~"(?i).*inlet.*",$SEL})'
_DRIVE_NAMES = "inframind_redfish_drive_failure_predicted|inframind_redfish_drive_health"
DRIVE = f'last_over_time({{__name__=~"{_DRIVE_NAMES}",$SEL}}[1d])'
"""The drive's latest Redfish series (BMC probes may run hourly: an instant selector would see nothing)."""
MAX_EVENTS = 50_000


@dataclass
class StoreContext:
    """``context_for`` of :class:`~inframind.analyzer.recommend.Recommender`, measuring at ``clock()``."""

    client: PromClient | None = None
    logs: LogStore | None = None
    inventory: Inventory | None = None
    rules: Sequence[LogRule] = ()
    clock: Callable[[], float] = time.time
    step: float = 60.0
    rate_window: float = 300.0

    def __call__(self, finding: Finding, incident: Incident | None = None) -> Context:
        at = self.clock()
        measured: dict[str, Mapping[str, Any]] = {}
        try:
            if finding.kind == "metric.anomaly":
                self._anomaly(finding, at, measured)
            elif finding.kind == "hotspot.io":
                device = finding.labels.get("device", "")
                found = self._lun(finding, device, at, None)
                if found:
                    measured["lun"] = found
            elif finding.kind == "log.rule":
                found = self._rack(finding, at)
                if found:
                    measured["rack"] = found
            elif finding.kind == "disk.failure":
                found = self._drive(finding, at)
                if found:
                    measured["drive"] = found
        except (PromError, LogStoreError) as exc:
            log.warning("recommendation context for %s incomplete: %s", finding.fingerprint, exc)
        return Context(inventory=self.inventory, incident=incident, measured=measured)

    # ------------------------------------------------------------ metrics

    def _range(self, expr: str, start: float, end: float) -> tuple[list[float], list[float]]:
        if self.client is None:
            return [], []
        found = self.client.query_range(expr, start, end, self.step)
        if not found:
            return [], []
        return found[0].timestamps.tolist(), found[0].values.tolist()

    def _anomaly(self, finding: Finding, at: float, measured: dict[str, Mapping[str, Any]]) -> None:
        metric = next((e for e in finding.evidence if isinstance(e, MetricEvidence)), None)
        if metric is None or self.client is None:
            return
        t, v = self._range(metric.query, at - LOOKBACK, at)
        if not t:
            return
        measured["rise"] = {"t": t, "v": v}
        found = rise(t, v)
        if finding.labels.get("signal") == "iowait" and found is not None:
            lun = self._lun(finding, "", at, found.start)
            if lun:
                measured["lun"] = lun

    def _luns_of(self, asset: str) -> dict[str, str]:
        """WWN (lower case) -> LUN id of the LUNs the asset uses (every LUN with a WWN if it names none)."""
        if self.inventory is None:
            return {}
        luns = {a.id: a for a in self.inventory.assets.values() if a.kind == "lun" and a.labels.get(WWN_LABEL)}
        used = [e.target for e in self.inventory.dependencies_of(asset) if e.kind == "uses-lun"]
        chosen = [luns[u] for u in used if u in luns] or list(luns.values())
        return {a.labels[WWN_LABEL].lower(): a.id for a in chosen}

    def _lun(self, finding: Finding, device: str, at: float, rise_start: float | None) -> dict[str, Any]:
        """The device of the asset whose WWN is an inventory LUN, with its writes before and now, queue, latency."""
        wwns = self._luns_of(finding.asset_id)
        if not wwns or self.client is None:
            return {}
        pinned = {"tenant": finding.tenant, "asset": finding.asset_id, **({"device": device} if device else {})}
        match = None
        for sample in self.client.query(f"node_disk_info{{{selector(pinned).rstrip(',')}}}", at):
            if sample.labels.get("wwn", "").lower() in wwns:
                match = sample.labels
                break
        if match is None:
            return {}
        sel = selector({**pinned, "device": match["device"]})
        out: dict[str, Any] = {"device": match["device"], "wwn": match["wwn"]}
        start = rise_start if rise_start is not None else at - RECENT
        t, v = self._range(render(WRITES, sel=sel, rate_window=self.rate_window), start - 2 * 3600.0, at)
        before, now = level(t, v, start - 3600.0, start), level(t, v, at - RECENT, at + 1)
        if before is not None and now is not None:
            out["writes_before"], out["writes_now"] = before, now
        for name, key in (("queue", "in_flight"), ("await", "await_s")):
            t, v = self._range(render(DISK_IO[name], sel=sel, rate_window=self.rate_window), at - RECENT, at)
            if t:
                out[key] = float(np.median(v))
        return out

    def _drive(self, finding: Finding, at: float) -> dict[str, Any]:
        serial = finding.labels.get("serial") or finding.key
        if self.client is None or not serial:
            return {}
        pinned = {"tenant": finding.tenant, "asset": finding.asset_id, "serial": serial}
        samples = self.client.query(render(DRIVE, sel=selector(pinned)), at)
        if not samples:
            return {}
        labels = samples[0].labels
        return {k: labels.get(k, "") for k in ("serial", "enclosure", "slot", "location")}

    # ------------------------------------------------------------ logs

    def _rack(self, finding: Finding, at: float) -> dict[str, Any]:
        """The day's events of the finding's rule on every host of the finding's rack, and their inlets."""
        if self.inventory is None or self.logs is None:
            return {}
        asset = self.inventory.assets.get(finding.asset_id)
        rule = next((r for r in self.rules if r.alert == finding.labels.get("alertname")), None)
        if asset is None or not asset.rack or rule is None:
            return {}
        hosts = sorted(a.id for a in self.inventory.assets.values() if a.rack == asset.rack and a.kind == "host")
        state = RuleState(rule)
        since, until = dt.datetime.fromtimestamp(at - RACK_DAY, dt.UTC), dt.datetime.fromtimestamp(at, dt.UTC)
        query = Query(tenant=finding.tenant, asset_ids=tuple(hosts), since=since, until=until,
                      levels=rule.match.level, sources=rule.match.source)  # type: ignore[arg-type]  # fmt: skip
        counts = dict.fromkeys(hosts, 0)
        token: str | None = None
        seen = 0
        while seen < MAX_EVENTS:
            page = self.logs.search(query, limit=1000, page_token=token)
            for event in page.events:
                if state.matches(event, None):
                    counts[event.asset_id] = counts.get(event.asset_id, 0) + 1
            seen += len(page.events)
            token = page.next_token
            if token is None:
                break
        inlet: dict[str, float] = {}
        if self.client is not None:
            sel = selector({"tenant": finding.tenant}, asset=hosts)
            for sample in self.client.query(render(INLET, sel=sel), at):
                inlet[sample.labels.get("asset", "")] = sample.value
        return {"rack": asset.rack, "hours": RACK_DAY / 3600.0, "counts": counts, "inlet": inlet}
